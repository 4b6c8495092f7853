"""Writing elems: one row per prefix (or state change) into the batch's column buffers.

Role: :func:`emit` writes one elem — its :class:`~.state.Source`, :class:`~.state.Prefix`,
and for announcements and RIB entries the attributes summarised in ``Scratch.at`` — into a
:class:`~.layout.Columns` batch, formatting the prefix text as it goes; :func:`emit_nlri`
emits every prefix of an NLRI list; :func:`peer_id` interns a peer address in the file's
peer dictionary; :func:`nexthop_text` formats a next hop.

Failure modes: :func:`emit` returns False, writing nothing, when the batch has no room for
the elem (the decoder then rolls the record back); an NLRI prefix with an impossible length
or running past its list is a ``malformed-nlri`` problem and ends the list.
"""

from __future__ import annotations

import numpy as np

from routewatch.ingest.mrt.attributes import (
    A_AGGR_AS,
    A_AGGR_TL,
    A_ASSET,
    A_ATOMIC,
    A_COMM_N,
    A_COMM_P,
    A_LC_N,
    A_LC_P,
    A_LP,
    A_MED,
    A_NASN,
    A_NUNK,
    A_ORIG_ASN,
    A_ORIG_N,
    A_ORIG_S,
    A_ORIGIN,
    A_OTC,
    A_TEXT_L,
    PATH_FINAL,
)
from routewatch.ingest.mrt.jit import i64, inline
from routewatch.ingest.mrt.layout import (
    C_AGGR,
    C_COMM,
    C_LC,
    C_N,
    C_NH,
    C_OASN,
    C_PASN,
    C_PATH,
    C_PFX,
    C_UNKD,
    C_UNKI,
    ELEM_A,
    ELEM_R,
    ELEM_S,
    F1_AGGR,
    F1_ATTRS,
    F1_LP,
    F1_MED,
    F1_OASN,
    F1_OTC,
    F1_PFX,
    F1_PID,
    F2_NH,
    F2_ORIGIN,
    F2_PATH,
    F2_STATE,
    O_AGGR,
    O_COMM,
    O_LC,
    O_NH,
    O_OASN,
    O_PASN,
    O_PATH,
    O_PFX,
    O_UNK,
    U8_AFI,
    U8_ASSET,
    U8_ATOMIC,
    U8_ETYPE,
    U8_F1,
    U8_F2,
    U8_NEW,
    U8_OLD,
    U8_ORIGIN,
    U8_PLEN,
    U8_RTYPE,
    U32_AGGR,
    U32_LP,
    U32_MED,
    U32_OASN,
    U32_OTC,
    U32_PASN,
    U32_PEER,
    U32_PID,
    U64_HI,
    U64_LO,
    U64_OFF,
    U64_TS,
    Columns,
    I64s,
    U8s,
    U64s,
)
from routewatch.ingest.mrt.problems import D_NLRI, P_MALFORMED_NLRI, note
from routewatch.ingest.mrt.state import S_PEERS, Prefix, Scratch, Source, Tables
from routewatch.ingest.mrt.text import fmt_addr, fmt_uint, fmt_v4, fmt_v6
from routewatch.ingest.mrt.wire import mask_prefix, read_addr, u32

__all__ = ["emit", "emit_nlri", "nexthop_text", "no_prefix", "peer_id", "read_prefix"]

_SLASH = 47
PFX_TEXT_MAX = 48  # bytes of the longest prefix text (IPv6 address + "/128")
NH_TEXT_MAX = 48
AGGR_TEXT_MAX = 16


@inline
def peer_id(
    peers: U64s, peer_hash: I64s, state: I64s, afi: int, hi: np.uint64, lo: np.uint64
) -> int:
    """The id of peer (afi, hi, lo) in the file's peer dictionary, added if new (0 when the
    dictionary is full)."""
    mask = peer_hash.shape[0] - 1
    h = (hi * np.uint64(0x9E3779B97F4A7C15)) ^ (lo * np.uint64(0xC2B2AE3D27D4EB4F))
    h ^= np.uint64(afi) * np.uint64(0x165667B19E3779F9)
    slot = i64((h >> np.uint64(40)) & np.uint64(mask))
    while True:
        k = peer_hash[slot]
        if k < 0:
            n = state[S_PEERS]
            if n >= peers.shape[1]:
                return 0
            peers[0, n] = np.uint64(afi)
            peers[1, n] = hi
            peers[2, n] = lo
            peer_hash[slot] = n
            state[S_PEERS] = n + 1
            return i64(n)
        if peers[0, k] == np.uint64(afi) and peers[1, k] == hi and peers[2, k] == lo:
            return i64(k)
        slot = (slot + 1) & mask


@inline
def no_prefix() -> Prefix:
    """The prefix of a state-change elem: none."""
    return Prefix(0, 0, np.uint64(0), np.uint64(0), 0, False)


@inline
def _room(cols: Columns, at: I64s, unknown: I64s, attrs: bool, has_pfx: bool) -> bool:
    """True when the batch has room for one more elem with these attributes."""
    cnt = cols.cnt
    if cnt[C_N] >= cols.u64.shape[1]:
        return False
    if has_pfx and cnt[C_PFX] + PFX_TEXT_MAX > cols.pfx.shape[0]:
        return False
    if not attrs:
        return True
    if at[A_TEXT_L] > 0 and cnt[C_PATH] + at[A_TEXT_L] > cols.path.shape[0]:
        return False
    if (
        cnt[C_NH] + NH_TEXT_MAX > cols.nh.shape[0]
        or cnt[C_AGGR] + AGGR_TEXT_MAX > cols.aggr.shape[0]
    ):
        return False
    if cnt[C_PASN] + at[A_NASN] > cols.pasn.shape[0]:
        return False
    if cnt[C_OASN] + at[A_ORIG_N] > cols.oasn.shape[0]:
        return False
    if cnt[C_COMM] + at[A_COMM_N] > cols.comm.shape[0]:
        return False
    if cnt[C_LC] + 3 * at[A_LC_N] > cols.lc.shape[0]:
        return False
    if cnt[C_UNKI] + at[A_NUNK] + 1 > cols.unk_off.shape[0]:
        return False
    need = 0
    for i in range(at[A_NUNK]):
        need += unknown[1, i]
    return bool(cnt[C_UNKD] + need <= cols.unk.shape[0])


@inline
def _prefix_text(cols: Columns, nlri: Prefix) -> int:
    """Write ``addr/len`` at the prefix text's fill level; returns the new level."""
    out = cols.pfx
    o = fmt_addr(out, cols.cnt[C_PFX], nlri.afi, nlri.hi, nlri.lo)
    out[o] = _SLASH
    return fmt_uint(out, o + 1, nlri.plen)


@inline
def _write_path(b: U8s, cols: Columns, sc: Scratch, n: int) -> tuple[int, int]:
    """Path text, path ASNs, origin ASNs of elem ``n``; its (F1, F2) flag bits."""
    at = sc.at
    cnt = cols.cnt
    f1 = 0
    f2 = 0
    o = cnt[C_PATH]
    if at[A_TEXT_L] >= 0:
        f2 |= F2_PATH
        for i in range(at[A_TEXT_L]):
            cols.path[o + i] = sc.text[i]
        o += at[A_TEXT_L]
    cnt[C_PATH] = o
    o = cnt[C_PASN]
    for i in range(at[A_NASN]):
        cols.pasn[o + i] = sc.asn[PATH_FINAL, i]
    cnt[C_PASN] = o + at[A_NASN]
    o = cnt[C_OASN]
    for i in range(at[A_ORIG_N]):
        cols.oasn[o + i] = sc.asn[PATH_FINAL, at[A_ORIG_S] + i]
    cnt[C_OASN] = o + at[A_ORIG_N]
    if at[A_ORIG_ASN] >= 0:
        f1 |= F1_OASN
        cols.u32[U32_OASN, n] = at[A_ORIG_ASN]
    cols.u8[U8_ASSET, n] = at[A_ASSET]
    return f1, f2


@inline
def _write_values(cols: Columns, sc: Scratch, n: int, nhl: int) -> tuple[int, int]:
    """ORIGIN, next hop, LOCAL_PREF, MED, ATOMIC_AGGREGATE, AGGREGATOR, OTC of elem ``n``;
    its (F1, F2) flag bits."""
    at = sc.at
    cnt = cols.cnt
    f1 = 0
    f2 = 0
    if at[A_ORIGIN] >= 0:
        f2 |= F2_ORIGIN
        cols.u8[U8_ORIGIN, n] = min(at[A_ORIGIN], 2)
    if nhl >= 0:
        f2 |= F2_NH
        o = cnt[C_NH]
        for i in range(nhl):
            cols.nh[o + i] = sc.nh_text[i]
        cnt[C_NH] = o + nhl
    if at[A_LP] >= 0:
        f1 |= F1_LP
        cols.u32[U32_LP, n] = at[A_LP]
    if at[A_MED] >= 0:
        f1 |= F1_MED
        cols.u32[U32_MED, n] = at[A_MED]
    cols.u8[U8_ATOMIC, n] = at[A_ATOMIC]
    if at[A_AGGR_TL] >= 0:
        f1 |= F1_AGGR
        cols.u32[U32_AGGR, n] = at[A_AGGR_AS]
        o = cnt[C_AGGR]
        for i in range(at[A_AGGR_TL]):
            cols.aggr[o + i] = sc.aggr_text[i]
        cnt[C_AGGR] = o + at[A_AGGR_TL]
    if at[A_OTC] >= 0:
        f1 |= F1_OTC
        cols.u32[U32_OTC, n] = at[A_OTC]
    return f1, f2


@inline
def _write_lists(b: U8s, cols: Columns, sc: Scratch) -> None:
    """Communities, large communities and unknown attributes (bytes) of the next elem."""
    at = sc.at
    cnt = cols.cnt
    o = cnt[C_COMM]
    cp = at[A_COMM_P]
    for i in range(at[A_COMM_N]):
        cols.comm[o + i] = u32(b, cp + 4 * i)
    cnt[C_COMM] = o + at[A_COMM_N]
    o = cnt[C_LC]
    lp = at[A_LC_P]
    for i in range(3 * at[A_LC_N]):
        cols.lc[o + i] = u32(b, lp + 4 * i)
    cnt[C_LC] = o + 3 * at[A_LC_N]
    k = cnt[C_UNKI]
    d = cnt[C_UNKD]
    for i in range(at[A_NUNK]):
        s = sc.unknown[0, i]
        for j in range(sc.unknown[1, i]):
            cols.unk[d + j] = b[s + j]
        d += sc.unknown[1, i]
        k += 1
        cols.unk_off[k] = d
    cnt[C_UNKI] = k
    cnt[C_UNKD] = d


@inline
def emit(
    b: U8s,
    cols: Columns,
    sc: Scratch,
    etype: int,
    src: Source,
    nlri: Prefix,
    nhl: int,
    old: int,
    new: int,
) -> bool:
    """Write one elem (next hop text in ``sc.nh_text[:nhl]``, -1: none; ``old``/``new``: the
    states of a state change); False, writing nothing, when the batch is full."""
    attrs = etype in (ELEM_A, ELEM_R)
    has_pfx = etype != ELEM_S
    if not _room(cols, sc.at, sc.unknown, attrs, has_pfx):
        return False
    cnt = cols.cnt
    n = cnt[C_N]
    cols.u64[U64_TS, n] = np.uint64(src.ts_us)
    cols.u64[U64_OFF, n] = np.uint64(src.roff)
    cols.u64[U64_HI, n] = nlri.hi
    cols.u64[U64_LO, n] = nlri.lo
    cols.u32[U32_PEER, n] = src.peer
    cols.u32[U32_PASN, n] = src.pasn
    cols.u32[U32_PID, n] = nlri.pid
    cols.u8[U8_ETYPE, n] = etype
    cols.u8[U8_RTYPE, n] = src.rtype
    cols.u8[U8_AFI, n] = nlri.afi
    cols.u8[U8_PLEN, n] = nlri.plen
    cols.u8[U8_OLD, n] = old
    cols.u8[U8_NEW, n] = new
    f1 = F1_PID if nlri.has_pid else 0
    f2 = F2_STATE if etype == ELEM_S else 0
    if has_pfx:
        f1 |= F1_PFX
        cnt[C_PFX] = _prefix_text(cols, nlri)
    cols.off[O_PFX, n + 1] = cnt[C_PFX]
    if attrs:
        p1, p2 = _write_path(b, cols, sc, n)
        v1, v2 = _write_values(cols, sc, n, nhl)
        _write_lists(b, cols, sc)
        f1 |= F1_ATTRS | p1 | v1
        f2 |= p2 | v2
    cols.off[O_PATH, n + 1] = cnt[C_PATH]
    cols.off[O_NH, n + 1] = cnt[C_NH]
    cols.off[O_AGGR, n + 1] = cnt[C_AGGR]
    cols.off[O_PASN, n + 1] = cnt[C_PASN]
    cols.off[O_OASN, n + 1] = cnt[C_OASN]
    cols.off[O_COMM, n + 1] = cnt[C_COMM]
    cols.off[O_LC, n + 1] = cnt[C_LC] // 3
    cols.off[O_UNK, n + 1] = cnt[C_UNKI]
    cols.u8[U8_F1, n] = f1
    cols.u8[U8_F2, n] = f2
    cnt[C_N] = n + 1
    return True


@inline
def nexthop_text(b: U8s, out: U8s, mp_nh: int, mp_nhl: int, v4: int) -> int:
    """Text of an MP next hop at ``b[mp_nh:]`` (4 bytes: IPv4; 16 or 32: the IPv6 global
    address) or, when ``mp_nh`` < 0, of the IPv4 NEXT_HOP ``v4`` (< 0: none) into ``out``;
    its length, -1 when there is none."""
    if mp_nh < 0:
        if v4 < 0:
            return -1
        return fmt_v4(out, 0, v4)
    if mp_nhl == 4:
        return fmt_v4(out, 0, u32(b, mp_nh))
    if mp_nhl == 16 or mp_nhl == 32:
        hi, lo = read_addr(b, mp_nh, 16)
        return fmt_v6(out, i64(0), hi, lo)
    return -1


@inline
def read_prefix(b: U8s, p: int, end: int, afi: int, addpath: bool) -> tuple[int, Prefix]:
    """One NLRI prefix at ``p``: (next position, or -1 when it is invalid or runs past
    ``end``; the prefix, host bits cleared)."""
    pid = 0
    if addpath:
        if p + 4 > end:
            return -1, no_prefix()
        pid = u32(b, p)
        p += 4
    if p >= end:
        return -1, no_prefix()
    plen = i64(b[p])
    nb = (plen + 7) // 8
    if plen > (32 if afi == 4 else 128) or p + 1 + nb > end:
        return -1, Prefix(afi, plen, np.uint64(0), np.uint64(0), pid, addpath)
    hi, lo = read_addr(b, p + 1, nb)
    hi, lo = mask_prefix(hi, lo, plen)
    return p + 1 + nb, Prefix(afi, plen, hi, lo, pid, addpath)


@inline
def emit_nlri(
    b: U8s,
    p: int,
    end: int,
    afi: int,
    addpath: bool,
    etype: int,
    cols: Columns,
    sc: Scratch,
    tb: Tables,
    src: Source,
    nhl: int,
    cut: bool,
) -> int:
    """Emit one elem per prefix of the NLRI list ``b[p:end]``: 1 done, 0 no room, 2 malformed.

    ``cut``: the message was cut short by the record (already reported): a last prefix that
    runs past ``end`` is dropped without a further problem.
    """
    while p < end:
        q, nlri = read_prefix(b, p, end, afi, addpath)
        if q < 0:
            if cut and nlri.plen <= (32 if afi == 4 else 128):
                return 1
            note(tb, P_MALFORMED_NLRI, src.roff, D_NLRI, nlri.plen)
            return 2
        if not emit(b, cols, sc, etype, src, nlri, nhl, 0, 0):
            return 0
        p = q
    return 1
