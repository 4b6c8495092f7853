"""BGP path attributes: the summary the elems are written from, and the final AS path.

Role: :func:`parse_attrs` scans an attribute section once and fills the attribute summary
``Scratch.at`` (``A_*`` slots: values of the fixed-size attributes, positions of the
variable ones) and the MP_REACH_NLRI / MP_UNREACH_NLRI tables; :func:`finalise_path` builds
the path the elems carry (AS_PATH, merged with AS4_PATH as RFC 6793 4.2.3 and bgpdump do),
its bgpdump text and its origin; :func:`prepare_attrs` does both, replaces an AS_TRANS
AGGREGATOR by AS4_AGGREGATOR and formats the aggregator address.

Failure modes: an attribute that runs past its section, a malformed MP attribute or AS path
is a ``malformed-attribute`` problem; the attributes read before it are kept (bgpdump does
the same), a malformed AS path is left out (no path, no origin).
"""

from __future__ import annotations

from routewatch.ingest.mrt.codes import (
    AS_CONFED_SET,
    AS_SEQUENCE,
    AS_SET,
    AS_TRANS,
    ATTR_AGGREGATOR,
    ATTR_AS4_AGGREGATOR,
    ATTR_AS4_PATH,
    ATTR_AS_PATH,
    ATTR_ATOMIC_AGGREGATE,
    ATTR_COMMUNITIES,
    ATTR_FLAG_EXTENDED,
    ATTR_LARGE_COMMUNITIES,
    ATTR_LOCAL_PREF,
    ATTR_MED,
    ATTR_MP_REACH_NLRI,
    ATTR_MP_UNREACH_NLRI,
    ATTR_NEXT_HOP,
    ATTR_ORIGIN,
    ATTR_OTC,
)
from routewatch.ingest.mrt.jit import i64, inline, kernel
from routewatch.ingest.mrt.layout import I64s, U8s
from routewatch.ingest.mrt.problems import D_AS_PATH, D_ATTR, P_MALFORMED_ATTRIBUTE, note
from routewatch.ingest.mrt.state import SC_MP, Scratch, Tables
from routewatch.ingest.mrt.text import fmt_uint, fmt_v4
from routewatch.ingest.mrt.wire import u16, u32

__all__ = ["finalise_path", "parse_attrs", "prepare_attrs"]

# ---- slots of the attribute summary Scratch.at (-1: absent) --------------------------------
A_ORIGIN = 0
A_NH = 1  # IPv4 NEXT_HOP
A_MED = 2
A_LP = 3
A_ATOMIC = 4  # 0 / 1
A_AGGR_AS = 5
A_AGGR_IP = 6
A_AS4AGGR_AS = 7
A_AS4AGGR_IP = 8
A_OTC = 9
A_PATH_P = 10  # AS_PATH value start
A_PATH_L = 11
A_AS4_P = 12  # AS4_PATH value start
A_AS4_L = 13
A_COMM_P = 14  # COMMUNITIES value start
A_COMM_N = 15  # communities (0 when absent)
A_LC_P = 16
A_LC_N = 17
A_NUNK = 18  # unknown attributes kept (Scratch.unknown)
A_NMPR = 19  # MP_REACH_NLRI attributes kept (Scratch.mp_reach)
A_NMPU = 20  # MP_UNREACH_NLRI attributes kept (Scratch.mp_unreach)
A_BAD = 21  # bits: BAD_FORM an attribute is malformed, BAD_END one runs past the section
# results of finalise_path and prepare_attrs
A_TEXT_L = 22  # AS path text length (-1: no AS_PATH)
A_NASN = 23  # ASNs of the final path
A_NSEG = 24  # its segments
A_ORIG_N = 25  # origin_asns count
A_ORIG_S = 26  # origin_asns start in the final path
A_ORIG_ASN = 27  # origin_asn (-1: null)
A_ASSET = 28  # 0 / 1: the path has an AS_SET or AS_CONFED_SET
A_AGGR_TL = 29  # aggregator address text length (-1: no AGGREGATOR)
N_A = 30
BAD_FORM, BAD_END = 1, 2

# ---- columns of Scratch.mp_reach (one row per MP_REACH_NLRI) and .mp_unreach -------------
MP_AFI, MP_SAFI, MP_NH, MP_NHLEN, MP_START, MP_END = range(6)  # mp_reach
MPU_START, MPU_END = 2, 3  # mp_unreach: AFI, SAFI, NLRI start, end

# ---- paths in Scratch.seg / Scratch.asn ----------------------------------------------------
PATH_AS, PATH_AS4, PATH_FINAL = 0, 1, 2
SEG_TYPE, SEG_START, SEG_LEN = 0, 1, 2
MAX_PATH_TEXT = 8000  # bgpdump's AS path text limit (it appends "...")
_SPACE, _COMMA, _DOT = 32, 44, 46


@inline
def _mp_reach(b: U8s, v: int, ln: int, at: I64s, mpr: I64s) -> None:
    """Note one MP_REACH_NLRI value ``b[v:v+ln]`` in ``mpr`` (AFI, SAFI, next hop, NLRI)."""
    n = at[A_NMPR]
    if n >= SC_MP:
        return
    if ln >= 1 and b[v] != 0:
        # bgpdump: a first byte that is not 0 means the MRT abbreviated form (next hop
        # length + next hop only), filed as IPv6 unicast
        mpr[n, MP_AFI] = 2
        mpr[n, MP_SAFI] = 1
        mpr[n, MP_NH] = v + 1
        mpr[n, MP_NHLEN] = min(i64(b[v]), ln - 1)
        mpr[n, MP_START] = v + ln
        mpr[n, MP_END] = v + ln
        at[A_NMPR] = n + 1
        return
    if ln < 4:
        at[A_BAD] |= BAD_FORM
        return
    nhl = i64(b[v + 3])
    q = v + 4 + nhl
    if q + 1 > v + ln:
        at[A_BAD] |= BAD_FORM
        return
    nsnpa = i64(b[q])
    q += 1
    for _ in range(nsnpa):
        if q < v + ln:
            q += 1 + (i64(b[q]) + 1) // 2
    q = min(q, v + ln)
    mpr[n, MP_AFI] = u16(b, v)
    mpr[n, MP_SAFI] = b[v + 2]
    mpr[n, MP_NH] = v + 4
    mpr[n, MP_NHLEN] = nhl
    mpr[n, MP_START] = q
    mpr[n, MP_END] = v + ln
    at[A_NMPR] = n + 1


@inline
def _mp_unreach(b: U8s, v: int, ln: int, at: I64s, mpu: I64s) -> None:
    """Note one MP_UNREACH_NLRI value in ``mpu`` (AFI, SAFI, withdrawn NLRI)."""
    n = at[A_NMPU]
    if n >= mpu.shape[0]:
        return
    if ln < 3:
        at[A_BAD] |= BAD_FORM
        return
    mpu[n, MP_AFI] = u16(b, v)
    mpu[n, MP_SAFI] = b[v + 2]
    mpu[n, MPU_START] = v + 3
    mpu[n, MPU_END] = v + ln
    at[A_NMPU] = n + 1


@inline
def _reset_summary(at: I64s) -> None:
    for i in range(N_A):
        at[i] = -1
    for i in (A_ATOMIC, A_COMM_N, A_LC_N, A_NUNK, A_NMPR, A_NMPU, A_BAD):
        at[i] = 0


@kernel
def parse_attrs(b: U8s, p: int, end: int, at: I64s, mpr: I64s, mpu: I64s, unknown: I64s) -> None:
    """Scan the attributes in ``b[p:end]``: fill the summary ``at`` and the MP_REACH_NLRI,
    MP_UNREACH_NLRI and unknown-attribute tables (the arrays of :class:`.state.Scratch`).

    The first of each kind counts (as in bgpdump); a value of the wrong size is unknown.
    """
    _reset_summary(at)
    while p < end:
        if p + 3 > end:
            at[A_BAD] |= BAD_END
            return
        t = i64(b[p + 1])
        if b[p] & ATTR_FLAG_EXTENDED:
            if p + 4 > end:
                at[A_BAD] |= BAD_END
                return
            ln = u16(b, p + 2)
            v = p + 4
        else:
            ln = i64(b[p + 2])
            v = p + 3
        if v + ln > end:
            at[A_BAD] |= BAD_END
            return
        if not _known_attr(b, t, v, ln, at, mpr, mpu):
            n = at[A_NUNK]
            if n < unknown.shape[1]:
                unknown[0, n] = p
                unknown[1, n] = v + ln - p
                at[A_NUNK] = n + 1
        p = v + ln


@inline
def _known_attr(b: U8s, t: int, v: int, ln: int, at: I64s, mpr: I64s, mpu: I64s) -> bool:
    """Note attribute ``t`` (value ``b[v:v+ln]``) in the summary; False if it stays unknown."""
    if t == ATTR_ORIGIN and ln == 1 and at[A_ORIGIN] < 0:
        at[A_ORIGIN] = b[v]
    elif t == ATTR_AS_PATH and at[A_PATH_P] < 0:
        at[A_PATH_P] = v
        at[A_PATH_L] = ln
    elif t == ATTR_NEXT_HOP and ln == 4 and at[A_NH] < 0:
        at[A_NH] = u32(b, v)
    elif t == ATTR_MED and ln == 4 and at[A_MED] < 0:
        at[A_MED] = u32(b, v)
    elif t == ATTR_LOCAL_PREF and ln == 4 and at[A_LP] < 0:
        at[A_LP] = u32(b, v)
    elif t == ATTR_ATOMIC_AGGREGATE:
        at[A_ATOMIC] = 1
    elif t == ATTR_AGGREGATOR and (ln == 6 or ln == 8) and at[A_AGGR_AS] < 0:
        at[A_AGGR_AS] = u16(b, v) if ln == 6 else u32(b, v)
        at[A_AGGR_IP] = u32(b, v + ln - 4)
    elif t == ATTR_COMMUNITIES and at[A_COMM_P] < 0:
        at[A_COMM_P] = v
        at[A_COMM_N] = ln // 4
    elif t == ATTR_MP_REACH_NLRI:
        _mp_reach(b, v, ln, at, mpr)
    elif t == ATTR_MP_UNREACH_NLRI:
        _mp_unreach(b, v, ln, at, mpu)
    elif t == ATTR_AS4_PATH and at[A_AS4_P] < 0:
        at[A_AS4_P] = v
        at[A_AS4_L] = ln
    elif t == ATTR_AS4_AGGREGATOR and ln == 8 and at[A_AS4AGGR_AS] < 0:
        at[A_AS4AGGR_AS] = u32(b, v)
        at[A_AS4AGGR_IP] = u32(b, v + 4)
    elif t == ATTR_LARGE_COMMUNITIES and at[A_LC_P] < 0:
        at[A_LC_P] = v
        at[A_LC_N] = ln // 12
    elif t == ATTR_OTC and ln == 4 and at[A_OTC] < 0:
        at[A_OTC] = u32(b, v)
    else:
        return False
    return True


# ---- AS paths ------------------------------------------------------------------------------


@kernel
def parse_segments(
    b: U8s, p: int, ln: int, asn_len: int, seg: I64s, asn: I64s, slot: int
) -> tuple[int, int, bool]:
    """Parse an AS path into ``seg[slot]`` (type, start, length rows) and ``asn[slot]``.

    Returns (segments, ASNs, ok); not ok when a segment is malformed or does not fit.
    """
    end = p + ln
    ns = 0
    na = 0
    while p < end:
        if p + 2 > end:
            return ns, na, False
        st = i64(b[p])
        sl = i64(b[p + 1])
        if st < AS_SET or st > AS_CONFED_SET or p + 2 + sl * asn_len > end:
            return ns, na, False
        if ns >= seg.shape[2] or na + sl > asn.shape[1]:
            return ns, na, False
        seg[slot, SEG_TYPE, ns] = st
        seg[slot, SEG_START, ns] = na
        seg[slot, SEG_LEN, ns] = sl
        q = p + 2
        for i in range(sl):
            asn[slot, na + i] = u16(b, q) if asn_len == 2 else u32(b, q)
            q += asn_len
        na += sl
        ns += 1
        p = q
    return ns, na, True


@inline
def _is_set(segment_type: int) -> bool:
    return segment_type in (AS_SET, AS_CONFED_SET)


@inline
def _path_count(seg: I64s, slot: int, ns: int) -> int:
    """RFC 4271 path length: a set counts as one AS."""
    c = 0
    for i in range(ns):
        c += 1 if _is_set(seg[slot, SEG_TYPE, i]) else seg[slot, SEG_LEN, i]
    return c


@inline
def _append_segment(seg: I64s, asn: I64s, src: int, i: int, length: int, ns: int, na: int) -> None:
    """Append the first ``length`` ASNs of segment ``i`` of path ``src`` to the final path."""
    seg[PATH_FINAL, SEG_TYPE, ns] = seg[src, SEG_TYPE, i]
    seg[PATH_FINAL, SEG_START, ns] = na
    seg[PATH_FINAL, SEG_LEN, ns] = length
    for k in range(length):
        asn[PATH_FINAL, na + k] = asn[src, seg[src, SEG_START, i] + k]


@inline
def _merge_as4(seg: I64s, asn: I64s, ns0: int, ns1: int) -> tuple[int, int]:
    """The final path: AS_PATH's leading ASNs that AS4_PATH does not cover, then AS4_PATH
    (RFC 6793 4.2.3). Returns (segments, ASNs)."""
    want = _path_count(seg, PATH_AS, ns0) - _path_count(seg, PATH_AS4, ns1)
    got = 0
    ns = 0
    na = 0
    i = 0
    while got < want and i < ns0:
        sl = seg[PATH_AS, SEG_LEN, i]
        if _is_set(seg[PATH_AS, SEG_TYPE, i]):
            got += 1
        else:
            got += sl
            if got > want:
                sl -= got - want
        _append_segment(seg, asn, PATH_AS, i, sl, ns, na)
        na += sl
        ns += 1
        i += 1
    for i in range(ns1):
        sl = seg[PATH_AS4, SEG_LEN, i]
        _append_segment(seg, asn, PATH_AS4, i, sl, ns, na)
        na += sl
        ns += 1
    return ns, na


@inline
def _use_as4(b: U8s, at: I64s, asn_len: int, seg: I64s, asn: I64s, ns0: int, na0: int) -> int:
    """Segments of AS4_PATH (parsed into PATH_AS4) when it is to be merged, else -1."""
    if asn_len != 2 or at[A_AS4_P] < 0:
        return -1
    # RFC 6793 4.2.3 (and bgpdump): an AGGREGATOR other than AS_TRANS -> ignore AS4_*
    if at[A_AGGR_AS] >= 0 and at[A_AS4AGGR_AS] >= 0 and at[A_AGGR_AS] != AS_TRANS:
        return -1
    ns1, na1, ok = parse_segments(b, at[A_AS4_P], at[A_AS4_L], i64(4), seg, asn, i64(PATH_AS4))
    # the merged path must fit the scratch (it cannot be longer than both together)
    fits = ns0 + ns1 <= seg.shape[2] and na0 + na1 <= asn.shape[1]
    if not ok or not fits:
        return -1
    if _path_count(seg, PATH_AS, ns0) < _path_count(seg, PATH_AS4, ns1):
        return -1
    return ns1


@inline
def _close(segment_type: int) -> int:
    """Closing bracket of a non-sequence segment in bgpdump's text: } ] )."""
    if segment_type == AS_SET:
        return 125
    return 93 if segment_type == AS_CONFED_SET else 41


@inline
def _open(segment_type: int) -> int:
    """Opening bracket of a non-sequence segment in bgpdump's text: { [ (."""
    if segment_type == AS_SET:
        return 123
    return 91 if segment_type == AS_CONFED_SET else 40


@inline
def _path_text(at: I64s, seg: I64s, asn: I64s, text: U8s, ns: int) -> None:
    """bgpdump's text of the final path (sets ``{a,b}``, confed sequences ``(a b)``, confed
    sets ``[a,b]``, cut with ``...`` near MAX_PATH_TEXT) into ``text``; A_TEXT_L, A_ASSET."""
    o = 0
    space = False
    prev = AS_SEQUENCE
    cut = False
    for i in range(ns):
        st = seg[PATH_FINAL, SEG_TYPE, i]
        if _is_set(st):
            at[A_ASSET] = 1
        if prev != AS_SEQUENCE:
            text[o] = _close(prev)
            o += 1
        if space:
            text[o] = _SPACE
            o += 1
        if st != AS_SEQUENCE:
            text[o] = _open(st)
            o += 1
        space = False
        for k in range(seg[PATH_FINAL, SEG_LEN, i]):
            if space:
                text[o] = _COMMA if _is_set(st) else _SPACE
                o += 1
            else:
                space = True
            o = fmt_uint(text, o, asn[PATH_FINAL, seg[PATH_FINAL, SEG_START, i] + k])
            if o > MAX_PATH_TEXT - 100:
                text[o] = _DOT
                text[o + 1] = _DOT
                text[o + 2] = _DOT
                o += 3
                cut = True
                break
        if cut:
            break
        prev = st
    if not cut and ns > 0 and seg[PATH_FINAL, SEG_TYPE, ns - 1] != AS_SEQUENCE:
        text[o] = _close(seg[PATH_FINAL, SEG_TYPE, ns - 1])
        o += 1
    at[A_TEXT_L] = o


@inline
def _origin(at: I64s, seg: I64s, asn: I64s, ns: int) -> None:
    """origin_asns (the last segment: one AS, or the set) and origin_asn (RFC 6811: the last
    AS of a final AS_SEQUENCE) of the final path."""
    if ns == 0:
        return
    st = seg[PATH_FINAL, SEG_TYPE, ns - 1]
    sl = seg[PATH_FINAL, SEG_LEN, ns - 1]
    s0 = seg[PATH_FINAL, SEG_START, ns - 1]
    if _is_set(st):
        at[A_ORIG_S] = s0
        at[A_ORIG_N] = sl
    elif sl > 0:
        at[A_ORIG_S] = s0 + sl - 1
        at[A_ORIG_N] = 1
        if st == AS_SEQUENCE:
            at[A_ORIG_ASN] = asn[PATH_FINAL, s0 + sl - 1]


@kernel
def finalise_path(b: U8s, at: I64s, asn_len: int, seg: I64s, asn: I64s, text: U8s) -> bool:
    """Build the final path (PATH_FINAL) from AS_PATH / AS4_PATH, its text and origin.

    Returns False when the AS_PATH attribute is malformed.
    """
    at[A_TEXT_L] = -1
    at[A_NASN] = 0
    at[A_NSEG] = 0
    at[A_ORIG_N] = 0
    at[A_ORIG_S] = 0
    at[A_ORIG_ASN] = -1
    at[A_ASSET] = 0
    if at[A_PATH_P] < 0:
        return True
    # parse straight into the final slot unless an AS4_PATH may have to be merged
    slot0 = PATH_AS if (asn_len == 2 and at[A_AS4_P] >= 0) else PATH_FINAL
    ns0, na0, ok = parse_segments(b, at[A_PATH_P], at[A_PATH_L], i64(asn_len), seg, asn, i64(slot0))
    if not ok:
        return False
    ns1 = _use_as4(b, at, asn_len, seg, asn, ns0, na0) if slot0 == PATH_AS else -1
    if ns1 >= 0:
        ns, na = _merge_as4(seg, asn, ns0, ns1)
    else:
        ns, na = ns0, na0
        for i in range(ns0 if slot0 == PATH_AS else 0):  # AS_PATH as it is
            start, length = seg[PATH_AS, SEG_START, i], seg[PATH_AS, SEG_LEN, i]
            _append_segment(seg, asn, PATH_AS, i, length, i, start)
    at[A_NSEG] = ns
    at[A_NASN] = na
    _path_text(at, seg, asn, text, ns)
    _origin(at, seg, asn, ns)
    return True


@inline
def prepare_attrs(
    b: U8s, p: int, end: int, asn_len: int, sc: Scratch, tb: Tables, roff: int, cut: bool
) -> None:
    """Attributes in ``b[p:end]`` ready for the elems: summary, final AS path, aggregator.

    ``cut``: the message was cut short by the record (already reported): an attribute that
    runs past ``end`` is no further problem.
    """
    at = sc.at
    parse_attrs(b, i64(p), i64(end), at, sc.mp_reach, sc.mp_unreach, sc.unknown)
    if at[A_BAD] & BAD_FORM or (at[A_BAD] & BAD_END and not cut):
        note(tb, P_MALFORMED_ATTRIBUTE, roff, D_ATTR, 0)
    if not finalise_path(b, at, i64(asn_len), sc.seg, sc.asn, sc.text):
        note(tb, P_MALFORMED_ATTRIBUTE, roff, D_AS_PATH, 2)
        at[A_TEXT_L] = -1
        at[A_NASN] = 0
        at[A_ORIG_N] = 0
        at[A_ORIG_ASN] = -1
    # aggregator (AS4_AGGREGATOR replaces an AS_TRANS AGGREGATOR in 2-byte sessions)
    at[A_AGGR_TL] = -1
    if at[A_AGGR_AS] >= 0:
        if asn_len == 2 and at[A_AGGR_AS] == AS_TRANS and at[A_AS4AGGR_AS] >= 0:
            at[A_AGGR_AS] = at[A_AS4AGGR_AS]
            at[A_AGGR_IP] = at[A_AS4AGGR_IP]
        at[A_AGGR_TL] = fmt_v4(sc.aggr_text, 0, at[A_AGGR_IP])
