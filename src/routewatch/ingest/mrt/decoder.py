"""The numba kernel that walks MRT records in a byte buffer and writes elem columns.

Role: :func:`decode` is called with a numpy ``uint8`` buffer of decompressed MRT data and a set
of preallocated column buffers (see :mod:`routewatch.ingest.mrt.columns`). It walks records
from ``start``, decodes TABLE_DUMP, TABLE_DUMP_V2, BGP4MP / BGP4MP_ET and the deprecated
type 5 (BGP) records, and writes one row per elem straight into the buffers, formatting text
columns (prefix, AS path, next hop, aggregator address) into byte buffers with offsets. No
Python object is created per record or per elem.

It returns ``(status, position)``: ``DONE`` when every complete record of the buffer has been
read (the caller keeps ``buf[position:]``, a partial record, and appends the next chunk),
``FULL`` when the batch is full (the caller flushes it and calls again from ``position``) or
``GROW`` when one record alone does not fit into an empty batch (the caller enlarges the
buffers) or ``DRAIN`` when the problem rows are full (the caller takes them and calls again
from ``position``). A record is written entirely or not at all, with its problems; so the
elems, problem rows and counts do not depend on the batch size or on when rows are drained.

Failure modes: nothing raises. Every read is bounds-checked against the record and the
buffer; inconsistent input becomes a problem row (kind, offset, detail code, value) in
``probs`` and the kernel always advances. When a record header is implausible the kernel
resynchronises on the next plausible header (known type and subtype, sane length, timestamp
near the last good one, and a plausible header after it).

Layout: RFC 6396 (MRT), RFC 8050 (ADD-PATH), RFC 6793 (AS4_PATH merge, as bgpdump does it),
RFC 4271 / 4760 (UPDATE, MP_REACH / MP_UNREACH), RFC 1997, 8092, 9234 (attributes).
"""

# mypy: disable-error-code="no-untyped-def,no-untyped-call,assignment"
from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

# The kernel allocates nothing, so it runs without numba's reference counting (``_nrt=False``):
# with it, every array passed to a helper costs atomic increments and decrements per call.
_OPTIONS: dict[str, Any] = {"cache": True, "error_model": "numpy", "_nrt": False}
_jit = njit(**_OPTIONS)
# Per-elem and per-record helpers are inlined at numba IR level (LLVM does not inline them): an
# array argument of a real call is passed as 7+ machine words, and ``_emit`` alone receives over
# twenty arrays. This halves the kernel's time but lengthens the first (uncached) compilation.
_inline = njit(**_OPTIONS, inline="always")

# ---- statuses ------------------------------------------------------------------------
DONE = 0
FULL = 1
GROW = 2
DRAIN = 3

# ---- elem and record type codes (order = dictionaries built in columns.py) -------------
E_R, E_A, E_W, E_S = 0, 1, 2, 3
RT_TABLE_DUMP = 0
RT_TABLE_DUMP2 = 1
RT_TABLE_DUMP2_AP = 2
RT_BGP4MP = 3  # +1 ET, +2 AP, +4 LOCAL (see record_type_code)
RT_BGP = 11

# ---- row indices of the matrices -------------------------------------------------------
U64_TS, U64_OFF, U64_HI, U64_LO = 0, 1, 2, 3
U32_PEER, U32_PASN, U32_PID, U32_OASN, U32_LP, U32_MED, U32_AGGR, U32_OTC = range(8)
(
    U8_ETYPE,
    U8_RTYPE,
    U8_ORIGIN,
    U8_AFI,
    U8_PLEN,
    U8_OLD,
    U8_NEW,
    U8_ASSET,
    U8_ATOMIC,
    U8_F1,
    U8_F2,
) = range(11)
N_U64, N_U32, N_U8 = 4, 8, 11
# flag bits in U8_F1
F1_PID, F1_OASN, F1_LP, F1_MED, F1_AGGR, F1_OTC, F1_PFX, F1_ATTRS = 1, 2, 4, 8, 16, 32, 64, 128
# flag bits in U8_F2
F2_NH, F2_ORIGIN, F2_STATE, F2_PATH = 1, 2, 4, 8
# offsets rows
O_PFX, O_PATH, O_NH, O_AGGR, O_PASN, O_OASN, O_COMM, O_LC, O_UNK = range(9)
N_OFF = 9
# counter slots in cnt: 0 = elems, then fill levels of the data buffers
C_N, C_PFX, C_PATH, C_NH, C_AGGR, C_PASN, C_OASN, C_COMM, C_LC, C_UNKI, C_UNKD = range(11)
N_CNT = 11

# ---- persistent state slots --------------------------------------------------------------
S_GPN = 0  # number of distinct peers in the peer dictionary
S_PIT = 1  # entries of the current PEER_INDEX_TABLE, -1 = none seen
S_LASTTS = 2  # timestamp of the last good record
S_NPROB = 3  # problem rows written (the caller drains them)
S_POVER = 4  # 1 when the current record met more problems than there were free rows
N_STATE = 8

# ---- problem kinds (index into ProblemKind declaration order) -----------------------------
P_TRUNC, P_DECOMP, P_BADLEN, P_FRAMING, P_UNKTYPE, P_UNKSUB, P_DEPRECATED = range(7)
P_MALREC, P_MALATTR, P_MALNLRI, P_MISSPIT, P_BADPIT = 7, 8, 9, 10, 11
P_MSGCUT, P_BADTIME = 12, 13
N_PKIND = 14

# detail codes (texts in columns.py DETAILS)
D_HDR_TRUNC = 0
D_REC_TRUNC = 1
D_RESYNC = 2
D_UNKTYPE = 3
D_UNKSUB = 4
D_DEPREC = 5
D_BODY = 6
D_ATTR = 7
D_NLRI = 8
D_PIT = 9
D_PIDX = 10
D_LENFIX = 11
D_MARKER = 12
D_STATE = 13
D_ASPATH = 14
D_SKIPPED = 15
D_MSGCUT = 16
D_USEC = 17

MAX_REC = 1 << 24  # longest record accepted as plausible (16 MiB)
TS_WINDOW = 366 * 86400  # timestamp distance from the last good record for a plausible header
RESYNC_WINDOW = 1 << 22  # bytes scanned for a header before giving up on a buffer
PROB_ROOM = 4  # free problem rows needed to look at the next header (it reports at most 2)

MAX_PATH_TEXT = 8000  # bgpdump's AS path text limit (it appends "...")

# scratch sizes
SC_ASN = 1 << 17  # > the ASNs of a 64 KiB AS_PATH plus a 64 KiB AS4_PATH
SC_SEG = 1 << 17
SC_TEXT = 1 << 19
SC_MP = 8


@_inline
def _u16(b, p):
    return (np.int64(b[p]) << 8) | np.int64(b[p + 1])


@_inline
def _u32(b, p):
    return (
        (np.int64(b[p]) << 24)
        | (np.int64(b[p + 1]) << 16)
        | (np.int64(b[p + 2]) << 8)
        | np.int64(b[p + 3])
    )


@_jit
def _problem(probs, pcounts, state, kind, offset, detail, value):
    pcounts[kind] += 1
    n = state[S_NPROB]
    if n < probs.shape[1]:
        probs[0, n] = kind
        probs[1, n] = offset
        probs[2, n] = detail
        probs[3, n] = value
        state[S_NPROB] = n + 1
    else:
        state[S_POVER] = 1


# ---- text formatting -----------------------------------------------------------------------


@_inline
def _fmt_uint(out, o, v):
    """Decimal text of ``v`` (0 <= v < 2**32 * 10) at ``out[o:]``; returns the end position."""
    if v < 10:
        k = 1
    elif v < 100:
        k = 2
    elif v < 1000:
        k = 3
    elif v < 10000:
        k = 4
    elif v < 100000:
        k = 5
    else:
        k = 6
        t = v // 1000000
        while t > 0:
            t //= 10
            k += 1
    e = o + k
    for i in range(1, k + 1):
        out[e - i] = 48 + v % 10
        v //= 10
    return e


@_inline
def _fmt_v4(out, o, a):
    """Dotted-quad text of the IPv4 address ``a`` (an int) at ``out[o:]``."""
    for i in range(4):
        v = (a >> (24 - 8 * i)) & 255
        if v >= 100:
            out[o] = 48 + v // 100
            out[o + 1] = 48 + (v // 10) % 10
            out[o + 2] = 48 + v % 10
            o += 3
        elif v >= 10:
            out[o] = 48 + v // 10
            out[o + 1] = 48 + v % 10
            o += 2
        else:
            out[o] = 48 + v
            o += 1
        if i < 3:
            out[o] = 46
            o += 1
    return o


@_inline
def _fmt_hex(out, o, v):
    started = False
    for s in range(12, -4, -4):
        d = (v >> s) & 15
        if d != 0 or started or s == 0:
            started = True
            out[o] = 48 + d if d < 10 else 87 + d
            o += 1
    return o


@_inline
def _word(hi, lo, i):
    if i < 4:
        return np.int64((hi >> np.uint64(48 - 16 * i)) & np.uint64(0xFFFF))
    return np.int64((lo >> np.uint64(112 - 16 * i)) & np.uint64(0xFFFF))


@_jit
def _fmt_v6(out, o, hi, lo):
    """Format like glibc inet_ntop (and so like Python's socket.inet_ntop)."""
    best_base, best_len, cur_base, cur_len = -1, 0, -1, 0
    for i in range(8):
        if _word(hi, lo, np.int64(i)) == 0:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if cur_base != -1 and (best_base == -1 or cur_len > best_len):
        best_base, best_len = cur_base, cur_len
    if best_base != -1 and best_len < 2:
        best_base = -1
    w5 = _word(hi, lo, np.int64(5))
    w7 = _word(hi, lo, np.int64(7))
    i = 0
    while i < 8:
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out[o] = 58
                o += 1
            i += 1
            continue
        if i != 0:
            out[o] = 58
            o += 1
        if (
            i == 6
            and best_base == 0
            and (best_len == 6 or (best_len == 7 and w7 != 1) or (best_len == 5 and w5 == 0xFFFF))
        ):
            o = _fmt_v4(out, np.int64(o), np.int64(lo & np.uint64(0xFFFFFFFF)))
            i = 8
            break
        o = _fmt_hex(out, np.int64(o), _word(hi, lo, np.int64(i)))
        i += 1
    if best_base != -1 and best_base + best_len == 8:
        out[o] = 58
        o += 1
    return o


@_inline
def _fmt_addr(out, o, afi, hi, lo):
    if afi == 4:
        return _fmt_v4(out, np.int64(o), np.int64(hi >> np.uint64(32)))
    return _fmt_v6(out, np.int64(o), np.uint64(hi), np.uint64(lo))


@_inline
def _read_addr(b, p, n):
    """``n`` (<= 16) bytes at ``p`` as left-aligned 128 bits (hi, lo)."""
    hi = np.uint64(0)
    lo = np.uint64(0)
    for i in range(n):
        v = np.uint64(b[p + i])
        if i < 8:
            hi |= v << np.uint64(56 - 8 * i)
        else:
            lo |= v << np.uint64(56 - 8 * (i - 8))
    return hi, lo


@_inline
def _mask(hi, lo, plen):
    if plen <= 0:
        return np.uint64(0), np.uint64(0)
    if plen < 64:
        return hi & ~(np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(plen)), np.uint64(0)
    if plen == 64:
        return hi, np.uint64(0)
    if plen < 128:
        return hi, lo & ~(np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(plen - 64))
    return hi, lo


# ---- peers -------------------------------------------------------------------------------


@_inline
def _peer_id(gp, ht, state, afi, hi, lo):
    mask = ht.shape[0] - 1
    h = (hi * np.uint64(0x9E3779B97F4A7C15)) ^ (lo * np.uint64(0xC2B2AE3D27D4EB4F))
    h ^= np.uint64(afi) * np.uint64(0x165667B19E3779F9)
    slot = np.int64((h >> np.uint64(40)) & np.uint64(mask))
    while True:
        k = ht[slot]
        if k < 0:
            n = state[S_GPN]
            if n >= gp.shape[1]:
                return 0
            gp[0, n] = np.uint64(afi)
            gp[1, n] = hi
            gp[2, n] = lo
            ht[slot] = n
            state[S_GPN] = n + 1
            return n
        if gp[0, k] == np.uint64(afi) and gp[1, k] == hi and gp[2, k] == lo:
            return k
        slot = (slot + 1) & mask


# ---- record framing ------------------------------------------------------------------------


@_inline
def _subtype_ok(t, st):
    if t == 16 or t == 17:
        return st <= 11
    if t == 13:
        return 1 <= st <= 12 and st != 7
    if t == 12:
        return 1 <= st <= 4
    if t == 5:
        return st <= 7
    return False


@_inline
def _plausible(b, p, end, last_ts):
    if p + 12 > end:
        return False
    t = _u16(b, np.int64(p + 4))
    st = _u16(b, np.int64(p + 6))
    ln = _u32(b, np.int64(p + 8))
    if not _subtype_ok(np.int64(t), np.int64(st)):
        return False
    if ln > MAX_REC or (t == 17 and ln < 4):
        return False
    ts = _u32(b, np.int64(p))
    return not (last_ts > 0 and abs(ts - last_ts) > TS_WINDOW)


# Answers of the framing checks. A check that needs bytes beyond the buffer answers MORE
# unless the buffer is final: the caller then waits for the next chunk, so that no framing
# decision depends on where a decompression chunk happens to end.
NO, YES, MORE = 0, 1, 2
FIND_MORE = -2  # _find_header: a candidate needs more data


@_inline
def _plausible_at(b, p, end, final, last_ts):
    """:func:`_plausible` as NO / YES, or MORE when the 12 header bytes are not all there."""
    if p + 12 > end:
        return NO if final else MORE
    return YES if _plausible(b, np.int64(p), np.int64(end), np.int64(last_ts)) else NO


@_jit
def _chain_ok(b, q, end, final, last_ts):
    """A plausible header at ``q`` whose record is followed (within a few bytes: some old
    producers wrote lengths 4 bytes short) by a plausible header or the end of the data.

    YES, NO, or MORE when the answer depends on bytes after ``end`` (never when ``final``).
    """
    head = _plausible_at(b, np.int64(q), np.int64(end), bool(final), np.int64(last_ts))
    if head != YES:
        return head
    r = q + 12 + _u32(b, np.int64(q + 8))
    for dlt in range(0, 9):
        if r + dlt == end and final:
            return YES
        nxt = _plausible_at(b, np.int64(r + dlt), np.int64(end), bool(final), np.int64(last_ts))
        if nxt != NO:
            return nxt
    return NO


@_jit
def _find_header(b, lo, hi, end, final, last_ts):
    """First ``q`` in ``[lo, hi)`` where :func:`_chain_ok` says YES; -1 if none, or
    :data:`FIND_MORE` when a candidate before the first YES needs more data."""
    q = lo
    while q < hi:
        ok = _chain_ok(b, np.int64(q), np.int64(end), bool(final), np.int64(last_ts))
        if ok == YES:
            return q
        if ok == MORE:
            return FIND_MORE
        q += 1
    return -1


# ---- attributes ------------------------------------------------------------------------------
# Attribute summary slots (int64 array ``at``)
A_ORIGIN = 0  # -1 absent
A_NH = 1  # -1 absent, else IPv4 next hop
A_MED = 2  # -1 absent
A_LP = 3
A_ATOMIC = 4
A_AGGR_AS = 5  # -1 absent
A_AGGR_IP = 6
A_AS4AGGR_AS = 7
A_AS4AGGR_IP = 8
A_OTC = 9
A_PATH_P = 10  # -1 absent
A_PATH_L = 11
A_AS4_P = 12
A_AS4_L = 13
A_COMM_P = 14  # -1 absent, else start
A_COMM_N = 15
A_LC_P = 16
A_LC_N = 17
A_NUNK = 18
A_NMPR = 19
A_NMPU = 20
A_BAD = 21  # bits: BAD_FORM an attribute is malformed, BAD_END one runs past the section
# results of the path finalisation
A_TEXT_L = 22  # -1: no AS_PATH
A_NASN = 23
A_NSEG = 24
A_ORIG_N = 25  # origin_asns count
A_ORIG_S = 26  # origin_asns start in the final ASN list
A_ORIG_ASN = 27  # -1 null
A_ASSET = 28
A_AGGR_TL = 29  # aggregator ip text length (-1 none)
N_A = 32
BAD_FORM, BAD_END = 1, 2


@_jit
def _parse_attrs(b, p, end, at, mpr, mpu, unk):
    """Scan the attributes in ``b[p:end]``; fill the summary ``at`` and MP / unknown tables."""
    for i in range(N_A):
        at[i] = -1
    at[A_ATOMIC] = 0
    at[A_COMM_N] = 0
    at[A_LC_N] = 0
    at[A_NUNK] = 0
    at[A_NMPR] = 0
    at[A_NMPU] = 0
    at[A_BAD] = 0
    while p < end:
        if p + 3 > end:
            at[A_BAD] |= BAD_END
            return
        flags = b[p]
        t = b[p + 1]
        if flags & 16:
            if p + 4 > end:
                at[A_BAD] |= BAD_END
                return
            ln = _u16(b, np.int64(p + 2))
            v = p + 4
        else:
            ln = np.int64(b[p + 2])
            v = p + 3
        if v + ln > end:
            at[A_BAD] |= BAD_END
            return
        known = True
        if t == 1 and ln == 1 and at[A_ORIGIN] < 0:
            at[A_ORIGIN] = b[v]
        elif t == 2 and at[A_PATH_P] < 0:
            at[A_PATH_P] = v
            at[A_PATH_L] = ln
        elif t == 3 and ln == 4 and at[A_NH] < 0:
            at[A_NH] = _u32(b, np.int64(v))
        elif t == 4 and ln == 4 and at[A_MED] < 0:
            at[A_MED] = _u32(b, np.int64(v))
        elif t == 5 and ln == 4 and at[A_LP] < 0:
            at[A_LP] = _u32(b, np.int64(v))
        elif t == 6:
            at[A_ATOMIC] = 1
        elif t == 7 and (ln == 6 or ln == 8) and at[A_AGGR_AS] < 0:
            if ln == 6:
                at[A_AGGR_AS] = _u16(b, np.int64(v))
            else:
                at[A_AGGR_AS] = _u32(b, np.int64(v))
            at[A_AGGR_IP] = _u32(b, np.int64(v + ln - 4))
        elif t == 8 and at[A_COMM_P] < 0:
            at[A_COMM_P] = v
            at[A_COMM_N] = ln // 4
        elif t == 14:
            n = at[A_NMPR]
            if n < SC_MP:
                # bgpdump: a first byte that is not 0 means the MRT abbreviated form
                # (next hop length + next hop only), filed as IPv6 unicast
                if ln >= 1 and b[v] != 0:
                    nhl = np.int64(b[v])
                    mpr[n, 0] = 2
                    mpr[n, 1] = 1
                    mpr[n, 2] = v + 1
                    mpr[n, 3] = min(nhl, ln - 1)
                    mpr[n, 4] = v + ln
                    mpr[n, 5] = v + ln
                    at[A_NMPR] = n + 1
                elif ln >= 4:
                    nhl = np.int64(b[v + 3])
                    q = v + 4 + nhl
                    if q + 1 <= v + ln:
                        nsnpa = np.int64(b[q])
                        q += 1
                        for _ in range(nsnpa):
                            if q < v + ln:
                                q += 1 + (np.int64(b[q]) + 1) // 2
                        if q > v + ln:
                            q = v + ln
                        mpr[n, 0] = _u16(b, np.int64(v))
                        mpr[n, 1] = b[v + 2]
                        mpr[n, 2] = v + 4
                        mpr[n, 3] = nhl
                        mpr[n, 4] = q
                        mpr[n, 5] = v + ln
                        at[A_NMPR] = n + 1
                    else:
                        at[A_BAD] |= BAD_FORM
                else:
                    at[A_BAD] |= BAD_FORM
        elif t == 15:
            n = at[A_NMPU]
            if n < mpu.shape[0]:
                if ln >= 3:
                    mpu[n, 0] = _u16(b, np.int64(v))
                    mpu[n, 1] = b[v + 2]
                    mpu[n, 2] = v + 3
                    mpu[n, 3] = v + ln
                    at[A_NMPU] = n + 1
                else:
                    at[A_BAD] |= BAD_FORM
        elif t == 17 and at[A_AS4_P] < 0:
            at[A_AS4_P] = v
            at[A_AS4_L] = ln
        elif t == 18 and ln == 8 and at[A_AS4AGGR_AS] < 0:
            at[A_AS4AGGR_AS] = _u32(b, np.int64(v))
            at[A_AS4AGGR_IP] = _u32(b, np.int64(v + 4))
        elif t == 32 and at[A_LC_P] < 0:
            at[A_LC_P] = v
            at[A_LC_N] = ln // 12
        elif t == 35 and ln == 4 and at[A_OTC] < 0:
            at[A_OTC] = _u32(b, np.int64(v))
        else:
            known = False
        if not known:
            n = at[A_NUNK]
            if n < unk.shape[1]:
                unk[0, n] = p
                unk[1, n] = v + ln - p
                at[A_NUNK] = n + 1
        p = v + ln


@_jit
def _parse_segments(b, p, ln, asn_len, seg, asn, slot):
    """Parse an AS path into ``seg[slot]`` (type, start, length rows) and ``asn[slot]``.

    Returns (segments, asns, ok).
    """
    end = p + ln
    ns = 0
    na = 0
    while p < end:
        if p + 2 > end:
            return ns, na, False
        st = np.int64(b[p])
        sl = np.int64(b[p + 1])
        if st < 1 or st > 4 or p + 2 + sl * asn_len > end:
            return ns, na, False
        if ns >= seg.shape[2] or na + sl > asn.shape[1]:
            return ns, na, False
        seg[slot, 0, ns] = st
        seg[slot, 1, ns] = na
        seg[slot, 2, ns] = sl
        q = p + 2
        for i in range(sl):
            if asn_len == 2:
                asn[slot, na + i] = _u16(b, np.int64(q))
            else:
                asn[slot, na + i] = _u32(b, np.int64(q))
            q += asn_len
        na += sl
        ns += 1
        p = q
    return ns, na, True


@_inline
def _path_count(seg, slot, ns):
    c = 0
    for i in range(ns):
        if seg[slot, 0, i] == 1 or seg[slot, 0, i] == 4:
            c += 1
        else:
            c += seg[slot, 2, i]
    return c


@_jit
def _finalise_path(b, at, asn_len, seg, asn, text):
    """Build the final path (slot 2) from AS_PATH / AS4_PATH and its text; fill at[22..29].

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
    slot0 = 0 if (asn_len == 2 and at[A_AS4_P] >= 0) else 2
    ns0, na0, ok = _parse_segments(
        b,
        np.int64(at[A_PATH_P]),
        np.int64(at[A_PATH_L]),
        np.int64(asn_len),
        seg,
        asn,
        np.int64(slot0),
    )
    if not ok:
        return False
    use4 = False
    ns1 = 0
    if asn_len == 2 and at[A_AS4_P] >= 0:
        use4 = True
        # RFC 6793 4.2.3 (and bgpdump): AGGREGATOR other than AS_TRANS -> ignore AS4_*.
        if at[A_AGGR_AS] >= 0 and at[A_AS4AGGR_AS] >= 0 and at[A_AGGR_AS] != 23456:
            use4 = False
        if use4:
            ns1, na1, ok1 = _parse_segments(
                b, np.int64(at[A_AS4_P]), np.int64(at[A_AS4_L]), np.int64(4), seg, asn, np.int64(1)
            )
            # the merged path must fit the scratch (it cannot be longer than both together)
            fits = ns0 + ns1 <= seg.shape[2] and na0 + na1 <= asn.shape[1]
            if (
                not ok1
                or not fits
                or _path_count(seg, np.int64(0), np.int64(ns0))
                < _path_count(seg, np.int64(1), np.int64(ns1))
            ):
                use4 = False
    ns = 0
    na = 0
    if use4:
        want = _path_count(seg, np.int64(0), np.int64(ns0)) - _path_count(
            seg, np.int64(1), np.int64(ns1)
        )
        got = 0
        i = 0
        while got < want and i < ns0:
            st = seg[0, 0, i]
            sl = seg[0, 2, i]
            if st == 1 or st == 4:
                got += 1
            else:
                got += sl
                if got > want:
                    sl -= got - want
            seg[2, 0, ns] = st
            seg[2, 1, ns] = na
            seg[2, 2, ns] = sl
            for k in range(sl):
                asn[2, na + k] = asn[0, seg[0, 1, i] + k]
            na += sl
            ns += 1
            i += 1
        for i in range(ns1):
            sl = seg[1, 2, i]
            seg[2, 0, ns] = seg[1, 0, i]
            seg[2, 1, ns] = na
            seg[2, 2, ns] = sl
            for k in range(sl):
                asn[2, na + k] = asn[1, seg[1, 1, i] + k]
            na += sl
            ns += 1
    else:
        for i in range(ns0 if slot0 == 0 else 0):
            seg[2, 0, i] = seg[0, 0, i]
            seg[2, 1, i] = seg[0, 1, i]
            seg[2, 2, i] = seg[0, 2, i]
            for k in range(seg[0, 2, i]):
                asn[2, seg[0, 1, i] + k] = asn[0, seg[0, 1, i] + k]
        ns = ns0
        na = na0
    at[A_NSEG] = ns
    at[A_NASN] = na
    # text, bgpdump style: sets {a,b}, confed sequences (a b), confed sets [a,b]
    o = 0
    space = False
    prev = 2
    cut = False
    for i in range(ns):
        st = seg[2, 0, i]
        if st == 1 or st == 4:
            at[A_ASSET] = 1
        if prev != 2:
            text[o] = 125 if prev == 1 else (93 if prev == 4 else 41)
            o += 1
        if space:
            text[o] = 32
            o += 1
        if st != 2:
            text[o] = 123 if st == 1 else (91 if st == 4 else 40)
            o += 1
        space = False
        for k in range(seg[2, 2, i]):
            if space:
                text[o] = 44 if (st == 1 or st == 4) else 32
                o += 1
            else:
                space = True
            o = _fmt_uint(text, np.int64(o), np.int64(asn[2, seg[2, 1, i] + k]))
            if o > MAX_PATH_TEXT - 100:
                text[o] = 46
                text[o + 1] = 46
                text[o + 2] = 46
                o += 3
                cut = True
                break
        if cut:
            break
        prev = st
    if not cut and ns > 0 and seg[2, 0, ns - 1] != 2:
        st = seg[2, 0, ns - 1]
        text[o] = 125 if st == 1 else (93 if st == 4 else 41)
        o += 1
    at[A_TEXT_L] = o
    # origin
    if ns > 0:
        st = seg[2, 0, ns - 1]
        sl = seg[2, 2, ns - 1]
        s0 = seg[2, 1, ns - 1]
        if st == 1 or st == 4:
            at[A_ORIG_S] = s0
            at[A_ORIG_N] = sl
        elif sl > 0:
            at[A_ORIG_S] = s0 + sl - 1
            at[A_ORIG_N] = 1
            if st == 2:
                at[A_ORIG_ASN] = asn[2, s0 + sl - 1]
    return True


# ---- elem output ------------------------------------------------------------------------------


@_inline
def _emit(
    b,
    ob,
    at,
    asn,
    text,
    aggr_t,
    unk,
    etype,
    rtype,
    ts_us,
    roff,
    peer,
    pasn,
    afi,
    plen,
    hi,
    lo,
    pid,
    has_pid,
    nh,
    nhl,
    old,
    new,
):
    (
        u64b,
        u32b,
        u8b,
        offb,
        pfx_d,
        path_d,
        nh_d,
        aggr_d,
        pasn_v,
        oasn_v,
        comm_v,
        lc_v,
        unk_off,
        unk_d,
        cnt,
    ) = ob
    n = cnt[C_N]
    if n >= u64b.shape[1]:
        return False
    attrs = etype in (E_A, E_R)
    has_pfx = etype != E_S
    # room checks
    if has_pfx and cnt[C_PFX] + 48 > pfx_d.shape[0]:
        return False
    if attrs:
        if at[A_TEXT_L] > 0 and cnt[C_PATH] + at[A_TEXT_L] > path_d.shape[0]:
            return False
        if cnt[C_NH] + 48 > nh_d.shape[0] or cnt[C_AGGR] + 16 > aggr_d.shape[0]:
            return False
        if cnt[C_PASN] + at[A_NASN] > pasn_v.shape[0]:
            return False
        if cnt[C_OASN] + at[A_ORIG_N] > oasn_v.shape[0]:
            return False
        if cnt[C_COMM] + at[A_COMM_N] > comm_v.shape[0]:
            return False
        if cnt[C_LC] + 3 * at[A_LC_N] > lc_v.shape[0]:
            return False
        if cnt[C_UNKI] + at[A_NUNK] + 1 > unk_off.shape[0]:
            return False
        need = 0
        for i in range(at[A_NUNK]):
            need += unk[1, i]
        if cnt[C_UNKD] + need > unk_d.shape[0]:
            return False
    u64b[U64_TS, n] = np.uint64(ts_us)
    u64b[U64_OFF, n] = np.uint64(roff)
    u64b[U64_HI, n] = hi
    u64b[U64_LO, n] = lo
    u32b[U32_PEER, n] = peer
    u32b[U32_PASN, n] = pasn
    u32b[U32_PID, n] = pid
    u8b[U8_ETYPE, n] = etype
    u8b[U8_RTYPE, n] = rtype
    u8b[U8_AFI, n] = afi
    u8b[U8_PLEN, n] = plen
    u8b[U8_OLD, n] = old
    u8b[U8_NEW, n] = new
    f1 = 0
    f2 = 0
    if has_pid:
        f1 |= F1_PID
    if etype == E_S:
        f2 |= F2_STATE
    # prefix text
    o = cnt[C_PFX]
    if has_pfx:
        f1 |= F1_PFX
        o = _fmt_addr(pfx_d, np.int64(o), np.int64(afi), np.uint64(hi), np.uint64(lo))
        pfx_d[o] = 47
        if plen >= 100:
            pfx_d[o + 1] = 48 + plen // 100
            pfx_d[o + 2] = 48 + (plen // 10) % 10
            pfx_d[o + 3] = 48 + plen % 10
            o += 4
        elif plen >= 10:
            pfx_d[o + 1] = 48 + plen // 10
            pfx_d[o + 2] = 48 + plen % 10
            o += 3
        else:
            pfx_d[o + 1] = 48 + plen
            o += 2
        cnt[C_PFX] = o
    offb[O_PFX, n + 1] = o
    if attrs:
        f1 |= F1_ATTRS
        # path text
        o = cnt[C_PATH]
        if at[A_TEXT_L] >= 0:
            f2 |= F2_PATH
            for i in range(at[A_TEXT_L]):
                path_d[o + i] = text[i]
            o += at[A_TEXT_L]
        cnt[C_PATH] = o
        # path asns / origin asns
        o = cnt[C_PASN]
        for i in range(at[A_NASN]):
            pasn_v[o + i] = asn[2, i]
        cnt[C_PASN] = o + at[A_NASN]
        o = cnt[C_OASN]
        for i in range(at[A_ORIG_N]):
            oasn_v[o + i] = asn[2, at[A_ORIG_S] + i]
        cnt[C_OASN] = o + at[A_ORIG_N]
        if at[A_ORIG_ASN] >= 0:
            f1 |= F1_OASN
            u32b[U32_OASN, n] = at[A_ORIG_ASN]
        u8b[U8_ASSET, n] = at[A_ASSET]
        if at[A_ORIGIN] >= 0:
            f2 |= F2_ORIGIN
            u8b[U8_ORIGIN, n] = min(at[A_ORIGIN], 2)
        if nhl >= 0:
            f2 |= F2_NH
            o = cnt[C_NH]
            for i in range(nhl):
                nh_d[o + i] = nh[i]
            cnt[C_NH] = o + nhl
        if at[A_LP] >= 0:
            f1 |= F1_LP
            u32b[U32_LP, n] = at[A_LP]
        if at[A_MED] >= 0:
            f1 |= F1_MED
            u32b[U32_MED, n] = at[A_MED]
        u8b[U8_ATOMIC, n] = at[A_ATOMIC]
        if at[A_AGGR_TL] >= 0:
            f1 |= F1_AGGR
            u32b[U32_AGGR, n] = at[A_AGGR_AS]
            o = cnt[C_AGGR]
            for i in range(at[A_AGGR_TL]):
                aggr_d[o + i] = aggr_t[i]
            cnt[C_AGGR] = o + at[A_AGGR_TL]
        if at[A_OTC] >= 0:
            f1 |= F1_OTC
            u32b[U32_OTC, n] = at[A_OTC]
        o = cnt[C_COMM]
        cp = at[A_COMM_P]
        for i in range(at[A_COMM_N]):
            comm_v[o + i] = _u32(b, np.int64(cp + 4 * i))
        cnt[C_COMM] = o + at[A_COMM_N]
        o = cnt[C_LC]
        lp = at[A_LC_P]
        for i in range(3 * at[A_LC_N]):
            lc_v[o + i] = _u32(b, np.int64(lp + 4 * i))
        cnt[C_LC] = o + 3 * at[A_LC_N]
        k = cnt[C_UNKI]
        d = cnt[C_UNKD]
        for i in range(at[A_NUNK]):
            s = unk[0, i]
            for j in range(unk[1, i]):
                unk_d[d + j] = b[s + j]
            d += unk[1, i]
            k += 1
            unk_off[k] = d
        cnt[C_UNKI] = k
        cnt[C_UNKD] = d
    offb[O_PATH, n + 1] = cnt[C_PATH]
    offb[O_NH, n + 1] = cnt[C_NH]
    offb[O_AGGR, n + 1] = cnt[C_AGGR]
    offb[O_PASN, n + 1] = cnt[C_PASN]
    offb[O_OASN, n + 1] = cnt[C_OASN]
    offb[O_COMM, n + 1] = cnt[C_COMM]
    offb[O_LC, n + 1] = cnt[C_LC] // 3
    offb[O_UNK, n + 1] = cnt[C_UNKI]
    u8b[U8_F1, n] = f1
    u8b[U8_F2, n] = f2
    cnt[C_N] = n + 1
    return True


@_inline
def _nexthop_text(b, out, mp_nh, mp_nhl, v4):
    """Text of an MP next hop (4 -> IPv4, 16/32 -> IPv6 global) or of an IPv4 next hop."""
    if mp_nh < 0:
        if v4 < 0:
            return -1
        return _fmt_v4(out, np.int64(0), np.int64(v4))
    if mp_nhl == 4:
        return _fmt_v4(out, np.int64(0), np.int64(_u32(b, mp_nh)))
    if mp_nhl == 16 or mp_nhl == 32:
        hi, lo = _read_addr(b, np.int64(mp_nh), np.int64(16))
        return _fmt_v6(out, np.int64(0), np.uint64(hi), np.uint64(lo))
    return -1


@_inline
def _prefix(b, p, end, afi, addpath):
    """One NLRI prefix at ``p``: (next p or -1 on error, plen, hi, lo, path_id)."""
    pid = 0
    if addpath:
        if p + 4 > end:
            return -1, 0, np.uint64(0), np.uint64(0), 0
        pid = _u32(b, np.int64(p))
        p += 4
    if p >= end:
        return -1, 0, np.uint64(0), np.uint64(0), 0
    plen = np.int64(b[p])
    maxlen = 32 if afi == 4 else 128
    nb = (plen + 7) // 8
    if plen > maxlen or p + 1 + nb > end:
        return -1, plen, np.uint64(0), np.uint64(0), pid
    hi, lo = _read_addr(b, np.int64(p + 1), np.int64(nb))
    hi, lo = _mask(np.uint64(hi), np.uint64(lo), np.int64(plen))
    return p + 1 + nb, plen, hi, lo, pid


@_inline
def _emit_nlri(
    b,
    p,
    end,
    afi,
    addpath,
    etype,
    ob,
    at,
    asn,
    text,
    aggr_t,
    unk,
    rtype,
    ts_us,
    roff,
    peer,
    pasn,
    nh,
    nhl,
    cut,
    probs,
    pcounts,
    state,
):
    """Emit one elem per prefix of an NLRI list; returns 1 ok, 0 no room, 2 malformed.

    ``cut``: the message was cut short by the record (reported): a last prefix that runs past
    ``end`` is dropped without a further problem.
    """
    while p < end:
        q, plen, hi, lo, pid = _prefix(b, np.int64(p), np.int64(end), np.int64(afi), bool(addpath))
        if q < 0:
            if cut and plen <= (32 if afi == 4 else 128):
                return 1
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALNLRI),
                np.int64(roff),
                np.int64(D_NLRI),
                np.int64(plen),
            )
            return 2
        if not _emit(
            b,
            ob,
            at,
            asn,
            text,
            aggr_t,
            unk,
            np.int64(etype),
            np.int64(rtype),
            np.int64(ts_us),
            np.int64(roff),
            np.int64(peer),
            np.int64(pasn),
            np.int64(afi),
            np.int64(plen),
            np.uint64(hi),
            np.uint64(lo),
            np.int64(pid),
            bool(addpath),
            nh,
            np.int64(nhl),
            np.int64(0),
            np.int64(0),
        ):
            return 0
        p = q
    return 1


@_inline
def _prepare_attrs(
    b, p, end, asn_len, at, mpr, mpu, unk, seg, asn, text, aggr_t, probs, pcounts, state, roff, cut
):
    """Attributes in ``b[p:end]`` ready for :func:`_emit`: summary, final AS path, aggregator.

    ``cut``: the message was cut short by the record (reported): an attribute that runs past
    ``end`` is no further problem.
    """
    _parse_attrs(b, np.int64(p), np.int64(end), at, mpr, mpu, unk)
    if at[A_BAD] & BAD_FORM or (at[A_BAD] & BAD_END and not cut):
        _problem(
            probs,
            pcounts,
            state,
            np.int64(P_MALATTR),
            np.int64(roff),
            np.int64(D_ATTR),
            np.int64(0),
        )
    if not _finalise_path(b, at, np.int64(asn_len), seg, asn, text):
        _problem(
            probs,
            pcounts,
            state,
            np.int64(P_MALATTR),
            np.int64(roff),
            np.int64(D_ASPATH),
            np.int64(2),
        )
        at[A_TEXT_L] = -1
        at[A_NASN] = 0
        at[A_ORIG_N] = 0
        at[A_ORIG_ASN] = -1
    # aggregator (AS4_AGGREGATOR replaces an AS_TRANS AGGREGATOR in 2-byte sessions)
    at[A_AGGR_TL] = -1
    if at[A_AGGR_AS] >= 0:
        if asn_len == 2 and at[A_AGGR_AS] == 23456 and at[A_AS4AGGR_AS] >= 0:
            at[A_AGGR_AS] = at[A_AS4AGGR_AS]
            at[A_AGGR_IP] = at[A_AS4AGGR_IP]
        at[A_AGGR_TL] = _fmt_v4(aggr_t, np.int64(0), np.int64(at[A_AGGR_IP]))


# ---- the record walker --------------------------------------------------------------------------


@_inline
def _rec_slot(t):
    if t == 5:
        return 0
    if t == 12:
        return 1
    if t == 13:
        return 2
    if t == 16:
        return 3
    if t == 17:
        return 4
    return 5


@_jit
def decode(
    buf,
    start,
    end,
    final,
    base,
    ob,
    state,
    pcounts,
    probs,
    rec_counts,
    gp,
    ht,
    pit_peer,
    pit_asn,
    scratch,
):
    """Walk MRT records in ``buf[start:end]``; see the module docstring for the contract."""
    at, mpr, mpu, unk, seg, asn, text, aggr_t, nh, snap = scratch
    cnt = ob[14]
    b = buf
    p = start
    while True:
        last_ts = state[S_LASTTS]
        avail = end - p
        if avail <= 0:
            return DONE, p
        if state[S_NPROB] + PROB_ROOM > probs.shape[1]:
            return DRAIN, p
        if avail < 12:
            if final:
                _problem(
                    probs,
                    pcounts,
                    state,
                    np.int64(P_TRUNC),
                    np.int64(base + p),
                    np.int64(D_HDR_TRUNC),
                    np.int64(avail),
                )
                return DONE, end
            return DONE, p
        ts = _u32(b, np.int64(p))
        t = _u16(b, np.int64(p + 4))
        st = _u16(b, np.int64(p + 6))
        ln = _u32(b, np.int64(p + 8))
        hl = 12
        usec = 0
        if not _plausible(b, np.int64(p), np.int64(end), np.int64(last_ts)):
            # not a header we trust: resynchronise
            hi_lim = min(end, p + RESYNC_WINDOW)
            q = _find_header(
                b, np.int64(p + 1), np.int64(hi_lim), np.int64(end), bool(final), np.int64(last_ts)
            )
            if q == -1 and last_ts > 0:
                q = _find_header(
                    b, np.int64(p + 1), np.int64(hi_lim), np.int64(end), bool(final), np.int64(0)
                )
            if q == FIND_MORE:
                return DONE, p  # a candidate needs the next chunk (never when final)
            if q < 0:
                _problem(
                    probs,
                    pcounts,
                    state,
                    np.int64(P_FRAMING),
                    np.int64(base + p),
                    np.int64(D_SKIPPED),
                    np.int64(hi_lim - p),
                )
                p = hi_lim
                continue
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_FRAMING),
                np.int64(base + p),
                np.int64(D_RESYNC),
                np.int64(q - p),
            )
            p = q
            continue
        if t == 17:
            hl = 16
            ln -= 4
            if p + 16 > end:
                if final:
                    _problem(
                        probs,
                        pcounts,
                        state,
                        np.int64(P_TRUNC),
                        np.int64(base + p),
                        np.int64(D_HDR_TRUNC),
                        np.int64(avail),
                    )
                    return DONE, end
                return DONE, p
            usec = _u32(b, np.int64(p + 12))
        # ---- a record starts here: snapshot counters and problems, so that the record (its
        # length repairs included) is written entirely or not at all ----
        for i in range(N_CNT):
            snap[i] = cnt[i]
        nprob0 = state[S_NPROB]
        state[S_POVER] = 0
        for i in range(N_PKIND):
            snap[N_CNT + i] = pcounts[i]
        body = p + hl
        rend = body + ln
        nxt = rend
        if rend > end:
            if not final:
                return DONE, p
            q = _find_header(
                b, np.int64(body), np.int64(end), np.int64(end), bool(final), np.int64(last_ts)
            )
            if q < 0:
                _problem(
                    probs,
                    pcounts,
                    state,
                    np.int64(P_TRUNC),
                    np.int64(base + p),
                    np.int64(D_REC_TRUNC),
                    np.int64(end - body),
                )
                return DONE, end
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_BADLEN),
                np.int64(base + p),
                np.int64(D_LENFIX),
                np.int64(q - body),
            )
            rend = q
            nxt = q
        elif rend < end or not final:
            if rend + 16 > end and not final:
                return DONE, p
            if not _plausible(b, np.int64(rend), np.int64(end), np.int64(ts)):
                # a few bytes more than declared (1999-2000 RIS producers)?
                q = end if final and end - rend <= 8 else -1
                for dlt in range(1, 9 if q < 0 else 1):
                    ok = _chain_ok(
                        b, np.int64(rend + dlt), np.int64(end), bool(final), np.int64(ts)
                    )
                    if ok == MORE:
                        return DONE, p
                    if ok == YES:
                        q = rend + dlt
                        break
                if q < 0:
                    q = _find_header(
                        b, np.int64(body), np.int64(rend), np.int64(end), bool(final), np.int64(ts)
                    )
                    if q == FIND_MORE:
                        return DONE, p
                if q >= 0:
                    _problem(
                        probs,
                        pcounts,
                        state,
                        np.int64(P_BADLEN),
                        np.int64(base + p),
                        np.int64(D_LENFIX),
                        np.int64(q - body),
                    )
                    rend = q
                    nxt = q
        if usec >= 1000000:
            # never a shifted time: the elems keep the whole second
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_BADTIME),
                np.int64(base + p),
                np.int64(D_USEC),
                np.int64(usec),
            )
            usec = 0
        res = _record(
            b,
            np.int64(p),
            np.int64(body),
            np.int64(rend),
            np.int64(ts),
            np.int64(usec),
            np.int64(t),
            np.int64(st),
            np.int64(base),
            ob,
            at,
            mpr,
            mpu,
            unk,
            seg,
            asn,
            text,
            aggr_t,
            nh,
            state,
            pcounts,
            probs,
            gp,
            ht,
            pit_peer,
            pit_asn,
        )
        # the record's problems overflowed rows that others had taken: redo it with all rows
        # free (only a record with more problems than rows has some of them counted only)
        drain = res == 1 and state[S_POVER] == 1 and nprob0 > 0
        if res == 0 or drain:
            for i in range(N_CNT):
                cnt[i] = snap[i]
            for i in range(N_PKIND):
                pcounts[i] = snap[N_CNT + i]
            state[S_NPROB] = nprob0
            if drain:
                return DRAIN, p
            if cnt[C_N] == 0:
                return GROW, p
            return FULL, p
        rec_counts[_rec_slot(np.int64(t)), min(st, rec_counts.shape[1] - 1)] += 1
        state[S_LASTTS] = ts
        p = nxt


@_inline
def _record(
    b,
    p,
    body,
    rend,
    ts,
    usec,
    t,
    st,
    base,
    ob,
    at,
    mpr,
    mpu,
    unk,
    seg,
    asn,
    text,
    aggr_t,
    nh,
    state,
    pcounts,
    probs,
    gp,
    ht,
    pit_peer,
    pit_asn,
):
    """Decode one record; 1 ok (possibly with problems), 0 no room in the batch."""
    roff = base + p
    if t == 16 or t == 17:
        return _bgp4mp(
            b,
            np.int64(body),
            np.int64(rend),
            np.int64(ts),
            np.int64(usec),
            np.int64(t),
            np.int64(st),
            np.int64(roff),
            ob,
            at,
            mpr,
            mpu,
            unk,
            seg,
            asn,
            text,
            aggr_t,
            nh,
            state,
            pcounts,
            probs,
            gp,
            ht,
        )
    if t == 13:
        return _td2(
            b,
            np.int64(body),
            np.int64(rend),
            np.int64(ts),
            np.int64(st),
            np.int64(roff),
            ob,
            at,
            mpr,
            mpu,
            unk,
            seg,
            asn,
            text,
            aggr_t,
            nh,
            state,
            pcounts,
            probs,
            gp,
            ht,
            pit_peer,
            pit_asn,
        )
    if t == 12:
        return _td1(
            b,
            np.int64(body),
            np.int64(rend),
            np.int64(ts),
            np.int64(st),
            np.int64(roff),
            ob,
            at,
            mpr,
            mpu,
            unk,
            seg,
            asn,
            text,
            aggr_t,
            nh,
            state,
            pcounts,
            probs,
            gp,
            ht,
        )
    if t == 5:
        return _bgp5(
            b,
            np.int64(body),
            np.int64(rend),
            np.int64(ts),
            np.int64(st),
            np.int64(roff),
            ob,
            at,
            mpr,
            mpu,
            unk,
            seg,
            asn,
            text,
            aggr_t,
            nh,
            state,
            pcounts,
            probs,
            gp,
            ht,
        )
    _problem(
        probs, pcounts, state, np.int64(P_UNKTYPE), np.int64(roff), np.int64(D_UNKTYPE), np.int64(t)
    )
    return 1


@_inline
def _update(
    b,
    p,
    end,
    cut,
    afi_sess,
    asn_len,
    addpath,
    rtype,
    ts_us,
    roff,
    peer,
    pasn,
    ob,
    at,
    mpr,
    mpu,
    unk,
    seg,
    asn,
    text,
    aggr_t,
    nh,
    state,
    pcounts,
    probs,
):
    """Elems of a BGP UPDATE body (after the 19-byte header) in bgpdump's order.

    ``cut``: the record ends inside the message (already reported): the fields up to ``end``
    are decoded as far as they are complete, and the missing rest is no further problem.
    """
    if p + 2 > end:
        if not cut:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALREC),
                np.int64(roff),
                np.int64(D_BODY),
                np.int64(0),
            )
        return 1
    wl = _u16(b, np.int64(p))
    wp = p + 2
    we = wp + wl
    if we + 2 > end:
        if not cut:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALREC),
                np.int64(roff),
                np.int64(D_BODY),
                np.int64(1),
            )
            return 1
        # the withdrawn routes that are whole, and nothing after them
        at[A_NMPU] = 0
        at[A_NMPR] = 0
        we = min(we, end)
        ae = end
    else:
        al = _u16(b, np.int64(we))
        ap = we + 2
        ae = ap + al
        if ae > end:
            if not cut:
                _problem(
                    probs,
                    pcounts,
                    state,
                    np.int64(P_MALATTR),
                    np.int64(roff),
                    np.int64(D_ATTR),
                    np.int64(1),
                )
            ae = end
        _prepare_attrs(
            b,
            np.int64(ap),
            np.int64(ae),
            np.int64(asn_len),
            at,
            mpr,
            mpu,
            unk,
            seg,
            asn,
            text,
            aggr_t,
            probs,
            pcounts,
            state,
            np.int64(roff),
            bool(cut),
        )
    # the NLRI lists in bgpdump's order: withdrawals (classic, then MP_UNREACH by AFI, SAFI),
    # announcements (classic with NEXT_HOP, then MP_REACH by AFI, SAFI); rows of mpr[SC_MP:]
    k = SC_MP
    mpr[k, 0], mpr[k, 1], mpr[k, 2], mpr[k, 3], mpr[k, 4] = wp, we, 4, E_W, -1
    k += 1
    for afi in (1, 2):
        for safi in (1, 2, 3):
            for i in range(at[A_NMPU]):
                if mpu[i, 0] == afi and mpu[i, 1] == safi:
                    mpr[k, 0], mpr[k, 1], mpr[k, 3], mpr[k, 4] = mpu[i, 2], mpu[i, 3], E_W, -1
                    mpr[k, 2] = 4 if afi == 1 else 6
                    k += 1
                    break
    mpr[k, 0], mpr[k, 1], mpr[k, 2], mpr[k, 3], mpr[k, 4] = ae, end, 4, E_A, -1
    k += 1
    for afi in (1, 2):
        for safi in (1, 2, 3):
            for i in range(at[A_NMPR]):
                if mpr[i, 0] == afi and mpr[i, 1] == safi:
                    mpr[k, 0], mpr[k, 1], mpr[k, 3] = mpr[i, 4], mpr[i, 5], E_A
                    mpr[k, 2] = 4 if afi == 1 else 6
                    mpr[k, 4], mpr[k, 5] = mpr[i, 2], mpr[i, 3]
                    k += 1
                    break
    for j in range(SC_MP, k):
        etype = mpr[j, 3]
        nhl = np.int64(-1)
        if etype == E_A:
            if mpr[j, 4] < 0:
                nhl = _nexthop_text(b, nh, np.int64(-1), np.int64(0), np.int64(at[A_NH]))
            else:
                nhl = _nexthop_text(b, nh, np.int64(mpr[j, 4]), np.int64(mpr[j, 5]), np.int64(-1))
        r = _emit_nlri(
            b,
            np.int64(mpr[j, 0]),
            np.int64(mpr[j, 1]),
            np.int64(mpr[j, 2]),
            bool(addpath),
            np.int64(etype),
            ob,
            at,
            asn,
            text,
            aggr_t,
            unk,
            np.int64(rtype),
            np.int64(ts_us),
            np.int64(roff),
            np.int64(peer),
            np.int64(pasn),
            nh,
            np.int64(nhl),
            bool(cut),
            probs,
            pcounts,
            state,
        )
        if r == 0:
            return 0
    return 1


@_inline
def _bgp4mp(
    b,
    p,
    end,
    ts,
    usec,
    t,
    st,
    roff,
    ob,
    at,
    mpr,
    mpu,
    unk,
    seg,
    asn,
    text,
    aggr_t,
    nh,
    state,
    pcounts,
    probs,
    gp,
    ht,
):
    if st == 2 or st == 3:
        _problem(
            probs,
            pcounts,
            state,
            np.int64(P_DEPRECATED),
            np.int64(roff),
            np.int64(D_DEPREC),
            np.int64(st),
        )
        return 1
    asn_len = 4 if st in (4, 5, 7, 9, 11) else 2
    ts_us = ts * 1000000 + usec
    et = 1 if t == 17 else 0
    if st == 0 or st == 5:
        ln = end - p
        if st == 0 and ln == 8:  # old Zebra state change without addresses (bgpdump's rule)
            pasn = _u16(b, np.int64(p))
            hi, lo, afi_s = np.uint64(0), np.uint64(0), 4
            q = p + 4
        else:
            if ln < 2 * asn_len + 4:
                _problem(
                    probs,
                    pcounts,
                    state,
                    np.int64(P_MALREC),
                    np.int64(roff),
                    np.int64(D_STATE),
                    np.int64(ln),
                )
                return 1
            pasn = _u32(b, np.int64(p)) if asn_len == 4 else _u16(b, np.int64(p))
            q = p + 2 * asn_len + 2
            afi = _u16(b, np.int64(q))
            alen = 4 if afi == 1 else 16
            if (afi != 1 and afi != 2) or ln != 2 * asn_len + 4 + 2 * alen + 4:
                _problem(
                    probs,
                    pcounts,
                    state,
                    np.int64(P_MALREC),
                    np.int64(roff),
                    np.int64(D_STATE),
                    np.int64(ln),
                )
                return 1
            hi, lo = _read_addr(b, np.int64(q + 2), np.int64(alen))
            afi_s = 4 if afi == 1 else 6
            q += 2 + 2 * alen
        peer = _peer_id(gp, ht, state, np.int64(afi_s), np.uint64(hi), np.uint64(lo))
        ok = _emit(
            b,
            ob,
            at,
            asn,
            text,
            aggr_t,
            unk,
            np.int64(E_S),
            np.int64(RT_BGP4MP + et),
            np.int64(ts_us),
            np.int64(roff),
            np.int64(peer),
            np.int64(pasn),
            np.int64(0),
            np.int64(0),
            np.uint64(0),
            np.uint64(0),
            np.int64(0),
            False,
            nh,
            np.int64(-1),
            np.int64(min(_u16(b, np.int64(q)), 255)),
            np.int64(min(_u16(b, np.int64(q + 2)), 255)),
        )
        return 1 if ok else 0
    # messages
    local = st in (6, 7, 10, 11)
    addpath = st >= 8
    rtype = RT_BGP4MP + et + (2 if addpath else 0) + (4 if local else 0)
    if p + 2 * asn_len + 4 > end:
        _problem(
            probs, pcounts, state, np.int64(P_MALREC), np.int64(roff), np.int64(D_BODY), np.int64(2)
        )
        return 1
    pasn = _u32(b, np.int64(p)) if asn_len == 4 else _u16(b, np.int64(p))
    q = p + 2 * asn_len + 2
    afi = _u16(b, np.int64(q))
    if afi != 1 and afi != 2:
        _problem(
            probs, pcounts, state, np.int64(P_MALREC), np.int64(roff), np.int64(D_BODY), np.int64(3)
        )
        return 1
    alen = 4 if afi == 1 else 16
    q += 2
    if q + 2 * alen + 19 > end:
        _problem(
            probs, pcounts, state, np.int64(P_MALREC), np.int64(roff), np.int64(D_BODY), np.int64(4)
        )
        return 1
    hi, lo = _read_addr(b, np.int64(q), np.int64(alen))
    q += 2 * alen
    for i in range(16):
        if b[q + i] != 255:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALREC),
                np.int64(roff),
                np.int64(D_MARKER),
                np.int64(0),
            )
            return 1
    mlen = _u16(b, np.int64(q + 16))
    mtype = b[q + 18]
    if mtype != 2:
        return 1
    mend = min(end, q + mlen) if mlen >= 19 else end
    cut = mlen >= 19 and q + mlen > end
    if cut:
        # the record ends inside its BGP message (Quagga capped MRT records at 4,096 bytes):
        # every field that is complete is still decoded
        _problem(
            probs,
            pcounts,
            state,
            np.int64(P_MSGCUT),
            np.int64(roff),
            np.int64(D_MSGCUT),
            np.int64(q + mlen - end),
        )
    peer = _peer_id(gp, ht, state, np.int64(4 if afi == 1 else 6), np.uint64(hi), np.uint64(lo))
    return _update(
        b,
        np.int64(q + 19),
        np.int64(mend),
        bool(cut),
        np.int64(afi),
        np.int64(asn_len),
        bool(addpath),
        np.int64(rtype),
        np.int64(ts * 1000000 + usec),
        np.int64(roff),
        np.int64(peer),
        np.int64(pasn),
        ob,
        at,
        mpr,
        mpu,
        unk,
        seg,
        asn,
        text,
        aggr_t,
        nh,
        state,
        pcounts,
        probs,
    )


@_jit
def _bgp5(
    b,
    p,
    end,
    ts,
    st,
    roff,
    ob,
    at,
    mpr,
    mpu,
    unk,
    seg,
    asn,
    text,
    aggr_t,
    nh,
    state,
    pcounts,
    probs,
    gp,
    ht,
):
    """Deprecated MRT type 5 (BGP) of 1999-2000: UPDATE and STATE_CHANGE carry elems."""
    ts_us = ts * 1000000
    if st == 3:
        if end - p < 10:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALREC),
                np.int64(roff),
                np.int64(D_STATE),
                np.int64(end - p),
            )
            return 1
        hi, lo = _read_addr(b, np.int64(p + 2), np.int64(4))
        peer = _peer_id(gp, ht, state, np.int64(4), np.uint64(hi), np.uint64(lo))
        return (
            1
            if _emit(
                b,
                ob,
                at,
                asn,
                text,
                aggr_t,
                unk,
                np.int64(E_S),
                np.int64(RT_BGP),
                np.int64(ts_us),
                np.int64(roff),
                np.int64(peer),
                np.int64(_u16(b, p)),
                np.int64(0),
                np.int64(0),
                np.uint64(0),
                np.uint64(0),
                np.int64(0),
                False,
                nh,
                np.int64(-1),
                np.int64(min(_u16(b, p + 6), 255)),
                np.int64(min(_u16(b, p + 8), 255)),
            )
            else 0
        )
    if st == 1:
        if end - p < 12:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALREC),
                np.int64(roff),
                np.int64(D_BODY),
                np.int64(5),
            )
            return 1
        hi, lo = _read_addr(b, np.int64(p + 2), np.int64(4))
        peer = _peer_id(gp, ht, state, np.int64(4), np.uint64(hi), np.uint64(lo))
        return _update(
            b,
            np.int64(p + 12),
            np.int64(end),
            False,
            np.int64(1),
            np.int64(2),
            False,
            np.int64(RT_BGP),
            np.int64(ts_us),
            np.int64(roff),
            np.int64(peer),
            np.int64(_u16(b, p)),
            ob,
            at,
            mpr,
            mpu,
            unk,
            seg,
            asn,
            text,
            aggr_t,
            nh,
            state,
            pcounts,
            probs,
        )
    if st == 2 or st == 4:
        _problem(
            probs,
            pcounts,
            state,
            np.int64(P_DEPRECATED),
            np.int64(roff),
            np.int64(D_DEPREC),
            np.int64(st),
        )
    return 1


@_inline
def _td1(
    b,
    p,
    end,
    ts,
    st,
    roff,
    ob,
    at,
    mpr,
    mpu,
    unk,
    seg,
    asn,
    text,
    aggr_t,
    nh,
    state,
    pcounts,
    probs,
    gp,
    ht,
):
    """Legacy TABLE_DUMP: one RIB entry per record (AFI from the subtype).

    RIS producers of 1999-2000 batched more entries (without view and sequence) after the
    first one in the same record; they are decoded too.
    """
    v6 = st == 2 or st == 4
    asn_len = 4 if st >= 3 else 2
    alen = 16 if v6 else 4
    entry = alen + 2 + 4 + alen + asn_len + 2
    afi = 6 if v6 else 4
    if end - p < 4 + entry:
        _problem(
            probs, pcounts, state, np.int64(P_MALREC), np.int64(roff), np.int64(D_BODY), np.int64(6)
        )
        return 1
    q = p + 4
    while end - q >= entry:
        hi, lo = _read_addr(b, np.int64(q), np.int64(alen))
        plen = np.int64(b[q + alen])
        q += alen + 6
        phi, plo = _read_addr(b, np.int64(q), np.int64(alen))
        q += alen
        pasn = _u32(b, np.int64(q)) if asn_len == 4 else _u16(b, np.int64(q))
        q += asn_len
        al = _u16(b, np.int64(q))
        q += 2
        ae = q + al
        if ae > end:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALATTR),
                np.int64(roff),
                np.int64(D_ATTR),
                np.int64(2),
            )
            return 1
        if plen > (128 if v6 else 32):
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALNLRI),
                np.int64(roff),
                np.int64(D_NLRI),
                np.int64(plen),
            )
            return 1
        hi, lo = _mask(np.uint64(hi), np.uint64(lo), np.int64(plen))
        peer = _peer_id(gp, ht, state, np.int64(afi), np.uint64(phi), np.uint64(plo))
        _prepare_attrs(
            b,
            np.int64(q),
            np.int64(ae),
            np.int64(asn_len),
            at,
            mpr,
            mpu,
            unk,
            seg,
            asn,
            text,
            aggr_t,
            probs,
            pcounts,
            state,
            np.int64(roff),
            False,
        )
        nhl = -2
        for i in range(at[A_NMPR]):
            if mpr[i, 0] == 2 and mpr[i, 1] == 1:
                nhl = _nexthop_text(b, nh, np.int64(mpr[i, 2]), np.int64(mpr[i, 3]), np.int64(-1))
                break
        if nhl == -2:
            nhl = _nexthop_text(b, nh, np.int64(-1), np.int64(0), np.int64(at[A_NH]))
        if not _emit(
            b,
            ob,
            at,
            asn,
            text,
            aggr_t,
            unk,
            np.int64(E_R),
            np.int64(RT_TABLE_DUMP),
            np.int64(ts * 1000000),
            np.int64(roff),
            np.int64(peer),
            np.int64(pasn),
            np.int64(afi),
            np.int64(plen),
            np.uint64(hi),
            np.uint64(lo),
            np.int64(0),
            False,
            nh,
            np.int64(nhl),
            np.int64(0),
            np.int64(0),
        ):
            return 0
        q = ae
    return 1


@_jit
def _td2(
    b,
    p,
    end,
    ts,
    st,
    roff,
    ob,
    at,
    mpr,
    mpu,
    unk,
    seg,
    asn,
    text,
    aggr_t,
    nh,
    state,
    pcounts,
    probs,
    gp,
    ht,
    pit_peer,
    pit_asn,
):
    if st == 1:
        return _peer_index(
            b,
            np.int64(p),
            np.int64(end),
            np.int64(roff),
            state,
            pcounts,
            probs,
            gp,
            ht,
            pit_peer,
            pit_asn,
        )
    addpath = st >= 8
    base_st = st - 6 if addpath else st
    if base_st == 6:
        # RIB_GENERIC: AFI, SAFI, one NLRI prefix
        if end - p < 7:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALREC),
                np.int64(roff),
                np.int64(D_BODY),
                np.int64(7),
            )
            return 1
        afi_n = _u16(b, np.int64(p + 4))
        safi = b[p + 6]
        if (afi_n != 1 and afi_n != 2) or (safi != 1 and safi != 2):
            return 1  # VPN, flowspec, ...: not an elem routewatch models
        afi = 4 if afi_n == 1 else 6
        q, plen, hi, lo, _ = _prefix(b, np.int64(p + 7), np.int64(end), np.int64(afi), False)
    else:
        if end - p < 5:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALREC),
                np.int64(roff),
                np.int64(D_BODY),
                np.int64(7),
            )
            return 1
        afi = 4 if base_st in (2, 3) else 6
        q, plen, hi, lo, _ = _prefix(b, np.int64(p + 4), np.int64(end), np.int64(afi), False)
    if q < 0:
        _problem(
            probs,
            pcounts,
            state,
            np.int64(P_MALNLRI),
            np.int64(roff),
            np.int64(D_NLRI),
            np.int64(plen),
        )
        return 1
    if q + 2 > end:
        _problem(
            probs, pcounts, state, np.int64(P_MALREC), np.int64(roff), np.int64(D_BODY), np.int64(8)
        )
        return 1
    n_ent = _u16(b, np.int64(q))
    q += 2
    rtype = RT_TABLE_DUMP2_AP if addpath else RT_TABLE_DUMP2
    if n_ent > 0 and state[S_PIT] < 0:
        _problem(
            probs, pcounts, state, np.int64(P_MISSPIT), np.int64(roff), np.int64(D_PIT), np.int64(0)
        )
        return 1
    for _ in range(n_ent):
        hdr = 10 if addpath else 6
        if q + hdr + 2 > end:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALREC),
                np.int64(roff),
                np.int64(D_BODY),
                np.int64(9),
            )
            return 1
        pi = _u16(b, np.int64(q))
        pid = _u32(b, np.int64(q + 6)) if addpath else 0
        q += hdr
        al = _u16(b, np.int64(q))
        q += 2
        ae = q + al
        if ae > end:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_MALATTR),
                np.int64(roff),
                np.int64(D_ATTR),
                np.int64(3),
            )
            return 1
        if pi >= state[S_PIT]:
            _problem(
                probs,
                pcounts,
                state,
                np.int64(P_BADPIT),
                np.int64(roff),
                np.int64(D_PIDX),
                np.int64(pi),
            )
            q = ae
            continue
        _prepare_attrs(
            b,
            np.int64(q),
            np.int64(ae),
            np.int64(4),
            at,
            mpr,
            mpu,
            unk,
            seg,
            asn,
            text,
            aggr_t,
            probs,
            pcounts,
            state,
            np.int64(roff),
            False,
        )
        nhl = -2
        for i in range(at[A_NMPR]):
            if mpr[i, 0] == 2 and mpr[i, 1] == 1:
                nhl = _nexthop_text(b, nh, np.int64(mpr[i, 2]), np.int64(mpr[i, 3]), np.int64(-1))
                break
        if nhl == -2:
            for i in range(at[A_NMPR]):
                if mpr[i, 0] == 1 and mpr[i, 1] == 1:
                    nhl = _nexthop_text(
                        b, nh, np.int64(mpr[i, 2]), np.int64(mpr[i, 3]), np.int64(-1)
                    )
                    break
        if nhl == -2:
            nhl = _nexthop_text(b, nh, np.int64(-1), np.int64(0), np.int64(at[A_NH]))
        if not _emit(
            b,
            ob,
            at,
            asn,
            text,
            aggr_t,
            unk,
            np.int64(E_R),
            np.int64(rtype),
            np.int64(ts * 1000000),
            np.int64(roff),
            np.int64(pit_peer[pi]),
            np.int64(pit_asn[pi]),
            np.int64(afi),
            np.int64(plen),
            np.uint64(hi),
            np.uint64(lo),
            np.int64(pid),
            bool(addpath),
            nh,
            np.int64(nhl),
            np.int64(0),
            np.int64(0),
        ):
            return 0
        q = ae
    return 1


@_jit
def _peer_index(b, p, end, roff, state, pcounts, probs, gp, ht, pit_peer, pit_asn):
    if end - p < 8:
        _problem(
            probs,
            pcounts,
            state,
            np.int64(P_MALREC),
            np.int64(roff),
            np.int64(D_BODY),
            np.int64(10),
        )
        return 1
    vl = _u16(b, np.int64(p + 4))
    q = p + 6 + vl
    if q + 2 > end:
        _problem(
            probs,
            pcounts,
            state,
            np.int64(P_MALREC),
            np.int64(roff),
            np.int64(D_BODY),
            np.int64(10),
        )
        return 1
    n = _u16(b, np.int64(q))
    q += 2
    k = 0
    for i in range(n):
        if q + 1 > end:
            break
        pt = b[q]
        alen = 16 if pt & 1 else 4
        aslen = 4 if pt & 2 else 2
        if q + 5 + alen + aslen > end:
            break
        hi, lo = _read_addr(b, np.int64(q + 5), np.int64(alen))
        pit_peer[i] = _peer_id(
            gp, ht, state, np.int64(6 if pt & 1 else 4), np.uint64(hi), np.uint64(lo)
        )
        q += 5 + alen
        pit_asn[i] = _u32(b, np.int64(q)) if aslen == 4 else _u16(b, np.int64(q))
        q += aslen
        k = i + 1
    if k < n:
        _problem(
            probs,
            pcounts,
            state,
            np.int64(P_MALREC),
            np.int64(roff),
            np.int64(D_BODY),
            np.int64(11),
        )
    state[S_PIT] = k
    return 1


def record_type_code(et: bool, addpath: bool, local: bool) -> int:
    """Code of a BGP4MP record-type string (see columns.RECORD_TYPE_NAMES)."""
    return RT_BGP4MP + int(et) + 2 * int(addpath) + 4 * int(local)
