"""BGP4MP and BGP4MP_ET records (RFC 6396 4.4, RFC 8050), and the deprecated type BGP.

Role: :func:`bgp4mp` decodes one BGP4MP / BGP4MP_ET record body: a state change becomes one
``S`` elem, an UPDATE message one ``W`` or ``A`` elem per prefix (:func:`update`, in bgpdump's
order); :func:`bgp_deprecated` does the same for the MRT type 5 of the 1999-2000 RIS files.
Other messages (OPEN, KEEPALIVE, NOTIFICATION) carry no elems.

Failure modes: a body too short for its fields, a marker that is not all ones or an address
family other than IPv4 / IPv6 is a ``malformed-record`` problem and the record carries no
elems; a record that ends inside its BGP message (Quagga around 2008 capped records at 4,096
bytes) is a ``truncated-message`` problem and every complete field is still decoded;
deprecated subtypes (ENTRY, SNAPSHOT, type 5 PREF_UPDATE and SYNC) are
``deprecated-record`` problems. Every function returns 1 (done) or 0 (the batch is full).
"""

from __future__ import annotations

import numpy as np

from routewatch.ingest.mrt.attributes import (
    A_NH,
    A_NMPR,
    A_NMPU,
    MP_AFI,
    MP_END,
    MP_NH,
    MP_NHLEN,
    MP_SAFI,
    MP_START,
    MPU_END,
    MPU_START,
    prepare_attrs,
)
from routewatch.ingest.mrt.codes import (
    AFI_IPV4,
    AFI_IPV6,
    BGP4MP_ENTRY,
    BGP4MP_ET,
    BGP4MP_MESSAGE_ADDPATH,
    BGP4MP_MESSAGE_AS4,
    BGP4MP_MESSAGE_AS4_ADDPATH,
    BGP4MP_MESSAGE_AS4_LOCAL,
    BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH,
    BGP4MP_MESSAGE_LOCAL,
    BGP4MP_MESSAGE_LOCAL_ADDPATH,
    BGP4MP_SNAPSHOT,
    BGP4MP_STATE_CHANGE,
    BGP4MP_STATE_CHANGE_AS4,
    BGP_HEADER_LEN,
    BGP_PREF_UPDATE,
    BGP_STATE_CHANGE,
    BGP_SYNC,
    BGP_UPDATE,
    MARKER_LEN,
    MSG_UPDATE,
    SAFI_MULTICAST,
    SAFI_UNICAST,
    SAFI_UNICAST_MULTICAST,
)
from routewatch.ingest.mrt.elems import emit, emit_nlri, nexthop_text, no_prefix, peer_id
from routewatch.ingest.mrt.jit import inline, kernel
from routewatch.ingest.mrt.layout import (
    ELEM_A,
    ELEM_S,
    ELEM_W,
    RECORD_COL_BGP,
    Columns,
    U8s,
    bgp4mp_record_col,
)
from routewatch.ingest.mrt.problems import (
    D_ATTR,
    D_BODY,
    D_DEPRECATED,
    D_MARKER,
    D_MESSAGE_CUT,
    D_STATE,
    P_DEPRECATED,
    P_MALFORMED_ATTRIBUTE,
    P_MALFORMED_RECORD,
    P_MESSAGE_CUT,
    note,
)
from routewatch.ingest.mrt.state import Scratch, Source, Tables
from routewatch.ingest.mrt.wire import read_addr, u16, u32

__all__ = ["bgp4mp", "bgp_deprecated", "update"]

# ---- columns of Scratch.lists: the NLRI lists of one UPDATE ---------------------------------
L_START, L_END, L_AFI, L_ETYPE, L_NH, L_NHLEN = range(6)
_SAFIS = (SAFI_UNICAST, SAFI_MULTICAST, SAFI_UNICAST_MULTICAST)
_AS4_SUBTYPES = (
    BGP4MP_MESSAGE_AS4,
    BGP4MP_STATE_CHANGE_AS4,
    BGP4MP_MESSAGE_AS4_LOCAL,
    BGP4MP_MESSAGE_AS4_ADDPATH,
    BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH,
)
_LOCAL_SUBTYPES = (
    BGP4MP_MESSAGE_LOCAL,
    BGP4MP_MESSAGE_AS4_LOCAL,
    BGP4MP_MESSAGE_LOCAL_ADDPATH,
    BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH,
)
_OLD_ZEBRA_STATE_LEN = 8  # state change without addresses (bgpdump's rule)


@inline
def _list(
    sc: Scratch, k: int, start: int, end: int, afi: int, etype: int, nh: int, nhl: int
) -> int:
    row = sc.lists[k]
    row[L_START], row[L_END], row[L_AFI], row[L_ETYPE] = start, end, afi, etype
    row[L_NH], row[L_NHLEN] = nh, nhl
    return k + 1


@inline
def _nlri_lists(sc: Scratch, wp: int, we: int, ae: int, end: int) -> int:
    """The NLRI lists in bgpdump's order into ``sc.lists``: withdrawals (classic, then
    MP_UNREACH by AFI, SAFI), announcements (classic with NEXT_HOP, then MP_REACH by AFI,
    SAFI); returns how many."""
    at = sc.at
    k = _list(sc, 0, wp, we, 4, ELEM_W, -1, 0)
    for afi in (AFI_IPV4, AFI_IPV6):
        for safi in _SAFIS:
            for i in range(at[A_NMPU]):
                row = sc.mp_unreach[i]
                if row[MP_AFI] == afi and row[MP_SAFI] == safi:
                    family = 4 if afi == AFI_IPV4 else 6
                    k = _list(sc, k, row[MPU_START], row[MPU_END], family, ELEM_W, -1, 0)
                    break
    k = _list(sc, k, ae, end, 4, ELEM_A, -1, 0)
    for afi in (AFI_IPV4, AFI_IPV6):
        for safi in _SAFIS:
            for i in range(at[A_NMPR]):
                row = sc.mp_reach[i]
                if row[MP_AFI] == afi and row[MP_SAFI] == safi:
                    family = 4 if afi == AFI_IPV4 else 6
                    k = _list(
                        sc, k, row[MP_START], row[MP_END], family, ELEM_A, row[MP_NH], row[MP_NHLEN]
                    )
                    break
    return k


@inline
def update(
    b: U8s,
    p: int,
    end: int,
    cut: bool,
    asn_len: int,
    addpath: bool,
    src: Source,
    cols: Columns,
    sc: Scratch,
    tb: Tables,
) -> int:
    """Elems of a BGP UPDATE body ``b[p:end]`` (after the 19-byte header) in bgpdump's order.

    ``cut``: the record ends inside the message (already reported): the fields up to ``end``
    are decoded as far as they are complete, and the missing rest is no further problem.
    """
    at = sc.at
    if p + 2 > end:
        if not cut:
            note(tb, P_MALFORMED_RECORD, src.roff, D_BODY, 0)
        return 1
    wp = p + 2
    we = wp + u16(b, p)
    if we + 2 <= end:
        ae = we + 2 + u16(b, we)
        if ae > end:
            if not cut:
                note(tb, P_MALFORMED_ATTRIBUTE, src.roff, D_ATTR, 1)
            ae = end
        prepare_attrs(b, we + 2, ae, asn_len, sc, tb, src.roff, cut)
    elif cut:  # the withdrawn routes that are whole, and nothing after them
        at[A_NMPU] = 0
        at[A_NMPR] = 0
        we = min(we, end)
        ae = end
    else:
        note(tb, P_MALFORMED_RECORD, src.roff, D_BODY, 1)
        return 1
    for j in range(_nlri_lists(sc, wp, we, ae, end)):
        row = sc.lists[j]
        nhl = -1
        if row[L_ETYPE] == ELEM_A:
            if row[L_NH] < 0:
                nhl = nexthop_text(b, sc.nh_text, -1, 0, at[A_NH])
            else:
                nhl = nexthop_text(b, sc.nh_text, row[L_NH], row[L_NHLEN], -1)
        r = emit_nlri(
            b,
            row[L_START],
            row[L_END],
            row[L_AFI],
            addpath,
            row[L_ETYPE],
            cols,
            sc,
            tb,
            src,
            nhl,
            cut,
        )
        if r == 0:
            return 0
    return 1


@inline
def _state_change(
    b: U8s,
    p: int,
    end: int,
    st: int,
    asn_len: int,
    src: Source,
    cols: Columns,
    sc: Scratch,
    tb: Tables,
) -> int:
    """A STATE_CHANGE(_AS4) body: one ``S`` elem with the old and new state."""
    ln = end - p
    if st == BGP4MP_STATE_CHANGE and ln == _OLD_ZEBRA_STATE_LEN:
        pasn = u16(b, p)
        hi, lo, family = np.uint64(0), np.uint64(0), 4
        q = p + 4
    else:
        if ln < 2 * asn_len + 4:
            note(tb, P_MALFORMED_RECORD, src.roff, D_STATE, ln)
            return 1
        pasn = u32(b, p) if asn_len == 4 else u16(b, p)
        q = p + 2 * asn_len + 2
        afi = u16(b, q)
        alen = 4 if afi == AFI_IPV4 else 16
        if (afi != AFI_IPV4 and afi != AFI_IPV6) or ln != 2 * asn_len + 4 + 2 * alen + 4:
            note(tb, P_MALFORMED_RECORD, src.roff, D_STATE, ln)
            return 1
        hi, lo = read_addr(b, q + 2, alen)
        family = 4 if afi == AFI_IPV4 else 6
        q += 2 + 2 * alen
    peer = peer_id(tb.peers, tb.peer_hash, tb.state, family, hi, lo)
    state = Source(src.rtype, src.ts_us, src.roff, peer, pasn)
    old = min(u16(b, q), 255)
    new = min(u16(b, q + 2), 255)
    return 1 if emit(b, cols, sc, ELEM_S, state, no_prefix(), -1, old, new) else 0


@inline
def _message(
    b: U8s,
    p: int,
    end: int,
    asn_len: int,
    addpath: bool,
    src: Source,
    cols: Columns,
    sc: Scratch,
    tb: Tables,
) -> int:
    """A MESSAGE body: peer, local side, BGP message; the elems of an UPDATE."""
    if p + 2 * asn_len + 4 > end:
        note(tb, P_MALFORMED_RECORD, src.roff, D_BODY, 2)
        return 1
    pasn = u32(b, p) if asn_len == 4 else u16(b, p)
    q = p + 2 * asn_len + 2
    afi = u16(b, q)
    if afi != AFI_IPV4 and afi != AFI_IPV6:
        note(tb, P_MALFORMED_RECORD, src.roff, D_BODY, 3)
        return 1
    alen = 4 if afi == AFI_IPV4 else 16
    q += 2
    if q + 2 * alen + BGP_HEADER_LEN > end:
        note(tb, P_MALFORMED_RECORD, src.roff, D_BODY, 4)
        return 1
    hi, lo = read_addr(b, q, alen)
    q += 2 * alen
    for i in range(MARKER_LEN):
        if b[q + i] != 255:
            note(tb, P_MALFORMED_RECORD, src.roff, D_MARKER, 0)
            return 1
    mlen = u16(b, q + MARKER_LEN)
    if b[q + MARKER_LEN + 2] != MSG_UPDATE:
        return 1
    cut = mlen >= BGP_HEADER_LEN and q + mlen > end
    if cut:
        # the record ends inside its BGP message (Quagga capped MRT records at 4,096 bytes):
        # every field that is complete is still decoded
        note(tb, P_MESSAGE_CUT, src.roff, D_MESSAGE_CUT, q + mlen - end)
    mend = min(end, q + mlen) if mlen >= BGP_HEADER_LEN else end
    peer = peer_id(tb.peers, tb.peer_hash, tb.state, 4 if afi == AFI_IPV4 else 6, hi, lo)
    message = Source(src.rtype, src.ts_us, src.roff, peer, pasn)
    return update(b, q + BGP_HEADER_LEN, mend, cut, asn_len, addpath, message, cols, sc, tb)


@inline
def bgp4mp(
    b: U8s,
    p: int,
    end: int,
    t: int,
    st: int,
    ts_us: int,
    roff: int,
    cols: Columns,
    sc: Scratch,
    tb: Tables,
) -> int:
    """One BGP4MP / BGP4MP_ET record body ``b[p:end]`` (``ts_us``: its time)."""
    if st in (BGP4MP_ENTRY, BGP4MP_SNAPSHOT):
        note(tb, P_DEPRECATED, roff, D_DEPRECATED, st)
        return 1
    asn_len = 4 if st in _AS4_SUBTYPES else 2
    et = t == BGP4MP_ET
    if st in (BGP4MP_STATE_CHANGE, BGP4MP_STATE_CHANGE_AS4):
        src = Source(bgp4mp_record_col(et, False, False), ts_us, roff, 0, 0)
        return _state_change(b, p, end, st, asn_len, src, cols, sc, tb)
    addpath = st >= BGP4MP_MESSAGE_ADDPATH
    local = st in _LOCAL_SUBTYPES
    src = Source(bgp4mp_record_col(et, addpath, local), ts_us, roff, 0, 0)
    return _message(b, p, end, asn_len, addpath, src, cols, sc, tb)


@kernel
def bgp_deprecated(
    b: U8s, p: int, end: int, st: int, ts: int, roff: int, cols: Columns, sc: Scratch, tb: Tables
) -> int:
    """Deprecated MRT type 5 (BGP) of 1999-2000: UPDATE and STATE_CHANGE carry elems."""
    Source(RECORD_COL_BGP, ts * 1000000, roff, 0, 0)
    if st == BGP_STATE_CHANGE:
        if end - p < 10:
            note(tb, P_MALFORMED_RECORD, roff, D_STATE, end - p)
            return 1
        hi, lo = read_addr(b, p + 2, 4)
        peer = peer_id(tb.peers, tb.peer_hash, tb.state, 4, hi, lo)
        state = Source(RECORD_COL_BGP, ts * 1000000, roff, peer, u16(b, p))
        old = min(u16(b, p + 6), 255)
        new = min(u16(b, p + 8), 255)
        return 1 if emit(b, cols, sc, ELEM_S, state, no_prefix(), -1, old, new) else 0
    if st == BGP_UPDATE:
        if end - p < 12:
            note(tb, P_MALFORMED_RECORD, roff, D_BODY, 5)
            return 1
        hi, lo = read_addr(b, p + 2, 4)
        peer = peer_id(tb.peers, tb.peer_hash, tb.state, 4, hi, lo)
        message = Source(RECORD_COL_BGP, ts * 1000000, roff, peer, u16(b, p))
        return update(b, p + 12, end, False, 2, False, message, cols, sc, tb)
    if st in (BGP_PREF_UPDATE, BGP_SYNC):
        note(tb, P_DEPRECATED, roff, D_DEPRECATED, st)
    return 1
