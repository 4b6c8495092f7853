"""RIB records: TABLE_DUMP (RFC 6396 4.2) and TABLE_DUMP_V2 (RFC 6396 4.3, RFC 8050 4).

Role: :func:`table_dump` decodes a legacy TABLE_DUMP record (one RIB entry; RIS producers of
1999-2000 batched more entries, without view and sequence, after the first one: they are
decoded too); :func:`table_dump_v2` a PEER_INDEX_TABLE (kept in ``Tables.pit_*`` for the
records that follow) or a RIB record (one ``R`` elem per entry: RIB_IPV4/IPV6_UNICAST /
MULTICAST, RIB_GENERIC for IPv4 / IPv6 unicast and multicast, and their ADD-PATH forms).

Failure modes: a body too short for its fields is a ``malformed-record`` problem, an entry's
attributes running past the record a ``malformed-attribute`` problem, an impossible prefix a
``malformed-nlri`` problem (the rest of the record is skipped in each case); RIB entries before
any PEER_INDEX_TABLE are a ``missing-peer-index`` problem, a peer index beyond it a
``bad-peer-index`` problem (that entry is skipped). Every function returns 1 (done) or 0 (the
batch is full).
"""

from __future__ import annotations

from routewatch.ingest.mrt.attributes import (
    A_NH,
    A_NMPR,
    MP_AFI,
    MP_NH,
    MP_NHLEN,
    MP_SAFI,
    prepare_attrs,
)
from routewatch.ingest.mrt.codes import (
    ADDPATH_SHIFT,
    AFI_IPV4,
    AFI_IPV6,
    PEER_INDEX_TABLE,
    RIB_GENERIC,
    RIB_IPV4_MULTICAST,
    RIB_IPV4_UNICAST_ADDPATH,
    SAFI_MULTICAST,
    SAFI_UNICAST,
    TABLE_DUMP_AFI_IPV4_AS4,
    TABLE_DUMP_AFI_IPV6,
    TABLE_DUMP_AFI_IPV6_AS4,
)
from routewatch.ingest.mrt.elems import emit, nexthop_text, no_prefix, peer_id, read_prefix
from routewatch.ingest.mrt.jit import i64, inline, kernel
from routewatch.ingest.mrt.layout import (
    ELEM_R,
    RECORD_COL_TABLE_DUMP,
    RECORD_COL_TABLE_DUMP2,
    RECORD_COL_TABLE_DUMP2_AP,
    Columns,
    U8s,
)
from routewatch.ingest.mrt.problems import (
    D_ATTR,
    D_BODY,
    D_NLRI,
    D_NO_PIT,
    D_PIT_INDEX,
    P_BAD_PIT,
    P_MALFORMED_ATTRIBUTE,
    P_MALFORMED_NLRI,
    P_MALFORMED_RECORD,
    P_MISSING_PIT,
    note,
)
from routewatch.ingest.mrt.state import S_PIT, Prefix, Scratch, Source, Tables
from routewatch.ingest.mrt.wire import mask_prefix, read_addr, u16, u32

__all__ = ["table_dump", "table_dump_v2"]

_NO_NEXT_HOP = -2  # nexthop_text not called yet (it returns -1 for "none")


@inline
def _mp_next_hop(b: U8s, sc: Scratch, afi: int) -> int:
    """Text of the next hop of the entry's unicast MP_REACH_NLRI for ``afi``, if it has one."""
    for i in range(sc.at[A_NMPR]):
        row = sc.mp_reach[i]
        if row[MP_AFI] == afi and row[MP_SAFI] == SAFI_UNICAST:
            return nexthop_text(b, sc.nh_text, row[MP_NH], row[MP_NHLEN], -1)
    return _NO_NEXT_HOP


@inline
def table_dump(
    b: U8s, p: int, end: int, st: int, ts: int, roff: int, cols: Columns, sc: Scratch, tb: Tables
) -> int:
    """A legacy TABLE_DUMP record body (AFI from the subtype); see the module doc."""
    v6 = st in (TABLE_DUMP_AFI_IPV6, TABLE_DUMP_AFI_IPV6_AS4)
    asn_len = 4 if st >= TABLE_DUMP_AFI_IPV4_AS4 else 2
    alen = 16 if v6 else 4
    entry = alen + 2 + 4 + alen + asn_len + 2  # prefix, length + status, time, peer, AS, len
    family = 6 if v6 else 4
    if end - p < 4 + entry:
        note(tb, P_MALFORMED_RECORD, roff, D_BODY, 6)
        return 1
    q = p + 4  # after view and sequence
    while end - q >= entry:
        hi, lo = read_addr(b, q, alen)
        plen = i64(b[q + alen])
        q += alen + 6
        phi, plo = read_addr(b, q, alen)
        q += alen
        pasn = u32(b, q) if asn_len == 4 else u16(b, q)
        q += asn_len
        ae = q + 2 + u16(b, q)
        q += 2
        if ae > end:
            note(tb, P_MALFORMED_ATTRIBUTE, roff, D_ATTR, 2)
            return 1
        if plen > (128 if v6 else 32):
            note(tb, P_MALFORMED_NLRI, roff, D_NLRI, plen)
            return 1
        hi, lo = mask_prefix(hi, lo, plen)
        peer = peer_id(tb.peers, tb.peer_hash, tb.state, family, phi, plo)
        prepare_attrs(b, q, ae, asn_len, sc, tb, roff, False)
        nhl = _mp_next_hop(b, sc, AFI_IPV6)
        if nhl == _NO_NEXT_HOP:
            nhl = nexthop_text(b, sc.nh_text, -1, 0, sc.at[A_NH])
        src = Source(RECORD_COL_TABLE_DUMP, ts * 1000000, roff, peer, pasn)
        nlri = Prefix(family, plen, hi, lo, 0, False)
        if not emit(b, cols, sc, ELEM_R, src, nlri, nhl, 0, 0):
            return 0
        q = ae
    return 1


@kernel
def peer_index_table(b: U8s, p: int, end: int, roff: int, tb: Tables) -> int:
    """A PEER_INDEX_TABLE: the peers (ids in the file's dictionary) and ASes by index."""
    if end - p < 8:
        note(tb, P_MALFORMED_RECORD, roff, D_BODY, 10)
        return 1
    q = p + 6 + u16(b, p + 4)  # after collector id and view name
    if q + 2 > end:
        note(tb, P_MALFORMED_RECORD, roff, D_BODY, 10)
        return 1
    n = u16(b, q)
    q += 2
    k = 0
    for i in range(n):
        if q + 1 > end:
            break
        peer_type = i64(b[q])
        alen = 16 if peer_type & 1 else 4
        aslen = 4 if peer_type & 2 else 2
        if q + 5 + alen + aslen > end:
            break
        hi, lo = read_addr(b, q + 5, alen)
        tb.pit_peer[i] = peer_id(
            tb.peers, tb.peer_hash, tb.state, 6 if peer_type & 1 else 4, hi, lo
        )
        q += 5 + alen
        tb.pit_asn[i] = u32(b, q) if aslen == 4 else u16(b, q)
        q += aslen
        k = i + 1
    if k < n:
        note(tb, P_MALFORMED_RECORD, roff, D_BODY, 11)
    tb.state[S_PIT] = k
    return 1


@inline
def _rib_prefix(
    b: U8s, p: int, end: int, base_st: int, roff: int, tb: Tables
) -> tuple[int, Prefix]:
    """The prefix of a RIB record (``base_st``: its subtype without ADD-PATH) and the position
    after it; position -1 when the record has no elems (a problem is noted if malformed)."""
    if base_st == RIB_GENERIC:  # AFI, SAFI, one NLRI prefix
        if end - p < 7:
            note(tb, P_MALFORMED_RECORD, roff, D_BODY, 7)
            return -1, no_prefix()
        afi = u16(b, p + 4)
        safi = i64(b[p + 6])
        if (afi != AFI_IPV4 and afi != AFI_IPV6) or (
            safi != SAFI_UNICAST and safi != SAFI_MULTICAST
        ):
            return -1, no_prefix()  # VPN, flowspec, ...: not an elem routewatch models
        q, nlri = read_prefix(b, p + 7, end, 4 if afi == AFI_IPV4 else 6, False)
    else:
        if end - p < 5:
            note(tb, P_MALFORMED_RECORD, roff, D_BODY, 7)
            return -1, no_prefix()
        q, nlri = read_prefix(b, p + 4, end, 4 if base_st <= RIB_IPV4_MULTICAST else 6, False)
    if q < 0:
        note(tb, P_MALFORMED_NLRI, roff, D_NLRI, nlri.plen)
    return q, nlri


@inline
def _entry_next_hop(b: U8s, sc: Scratch) -> int:
    """Text of a RIB entry's next hop: IPv6 unicast MP_REACH, IPv4 unicast MP_REACH, or the
    NEXT_HOP attribute (-1: none)."""
    nhl = _mp_next_hop(b, sc, AFI_IPV6)
    if nhl == _NO_NEXT_HOP:
        nhl = _mp_next_hop(b, sc, AFI_IPV4)
    if nhl == _NO_NEXT_HOP:
        nhl = nexthop_text(b, sc.nh_text, -1, 0, sc.at[A_NH])
    return nhl


@kernel
def table_dump_v2(
    b: U8s, p: int, end: int, st: int, ts: int, roff: int, cols: Columns, sc: Scratch, tb: Tables
) -> int:
    """A TABLE_DUMP_V2 record body: a PEER_INDEX_TABLE or a RIB record; see the module doc."""
    if st == PEER_INDEX_TABLE:
        return peer_index_table(b, p, end, roff, tb)
    addpath = st >= RIB_IPV4_UNICAST_ADDPATH
    q, nlri = _rib_prefix(b, p, end, st - ADDPATH_SHIFT if addpath else st, roff, tb)
    if q < 0:
        return 1
    if q + 2 > end:
        note(tb, P_MALFORMED_RECORD, roff, D_BODY, 8)
        return 1
    n_entries = u16(b, q)
    q += 2
    if n_entries > 0 and tb.state[S_PIT] < 0:
        note(tb, P_MISSING_PIT, roff, D_NO_PIT, 0)
        return 1
    rtype = RECORD_COL_TABLE_DUMP2_AP if addpath else RECORD_COL_TABLE_DUMP2
    head = 10 if addpath else 6  # peer index, originated time[, path id]
    for _ in range(n_entries):
        if q + head + 2 > end:
            note(tb, P_MALFORMED_RECORD, roff, D_BODY, 9)
            return 1
        index = u16(b, q)
        pid = u32(b, q + 6) if addpath else 0
        ae = q + head + 2 + u16(b, q + head)
        q += head + 2
        if ae > end:
            note(tb, P_MALFORMED_ATTRIBUTE, roff, D_ATTR, 3)
            return 1
        if index >= tb.state[S_PIT]:
            note(tb, P_BAD_PIT, roff, D_PIT_INDEX, index)
            q = ae
            continue
        prepare_attrs(b, q, ae, 4, sc, tb, roff, False)
        nhl = _entry_next_hop(b, sc)
        src = Source(rtype, ts * 1000000, roff, i64(tb.pit_peer[index]), i64(tb.pit_asn[index]))
        entry = Prefix(nlri.afi, nlri.plen, nlri.hi, nlri.lo, pid, addpath)
        if not emit(b, cols, sc, ELEM_R, src, entry, nhl, 0, 0):
            return 0
        q = ae
    return 1
