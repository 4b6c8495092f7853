"""Where MRT records start: header plausibility and resynchronisation after damage.

Role: :func:`plausible` says whether 12 bytes look like an MRT header (known type and
subtype, a sane length, a timestamp within a year of the last good record);
:func:`chain_ok` whether a plausible header is followed, after its record (within a few
bytes: some old producers wrote lengths 4 bytes short), by another one or by the end of the
data; :func:`find_header` scans for the first such header.

Answers are :data:`YES`, :data:`NO` or :data:`MORE`: MORE when the answer depends on bytes
beyond the end of the buffer and more data is still to come (never when ``final``). The
decoder then waits for the next chunk, so that no framing decision depends on where a
decompression chunk happens to end. No failure modes.
"""

from __future__ import annotations

from routewatch.ingest.mrt.codes import (
    BGP,
    BGP4MP,
    BGP4MP_ET,
    BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH,
    BGP_KEEPALIVE,
    MRT_HEADER_LEN,
    PEER_INDEX_TABLE,
    RIB_GENERIC_ADDPATH,
    TABLE_DUMP,
    TABLE_DUMP_AFI_IPV4,
    TABLE_DUMP_AFI_IPV6_AS4,
    TABLE_DUMP_V2,
)
from routewatch.ingest.mrt.jit import inline, kernel
from routewatch.ingest.mrt.layout import U8s
from routewatch.ingest.mrt.wire import u16, u32

__all__ = ["MORE", "NO", "YES", "chain_ok", "find_header", "plausible"]

NO, YES, MORE = 0, 1, 2
FIND_MORE = -2  # find_header: a candidate before the first YES needs more data

MAX_RECORD = 1 << 24  # longest record accepted as plausible (16 MiB)
TS_WINDOW = 366 * 86400  # timestamp distance from the last good record for a plausible header
LENGTH_SLACK = 8  # bytes a record may run past its declared length (1999-2000 RIS producers)
_UNUSED_V2_SUBTYPE = 7  # RFC 8050 left it out


@inline
def subtype_ok(t: int, st: int) -> bool:
    """True when ``st`` is a subtype the decoder knows for MRT type ``t``."""
    if t in (BGP4MP, BGP4MP_ET):
        return st <= BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH
    if t == TABLE_DUMP_V2:
        return PEER_INDEX_TABLE <= st <= RIB_GENERIC_ADDPATH and st != _UNUSED_V2_SUBTYPE
    if t == TABLE_DUMP:
        return TABLE_DUMP_AFI_IPV4 <= st <= TABLE_DUMP_AFI_IPV6_AS4
    if t == BGP:
        return st <= BGP_KEEPALIVE
    return False


@inline
def plausible(b: U8s, p: int, end: int, last_ts: int) -> bool:
    """True when the 12 bytes at ``p`` look like an MRT header (``last_ts`` 0: any time)."""
    if p + MRT_HEADER_LEN > end:
        return False
    t = u16(b, p + 4)
    st = u16(b, p + 6)
    ln = u32(b, p + 8)
    if not subtype_ok(t, st):
        return False
    if ln > MAX_RECORD or (t == BGP4MP_ET and ln < 4):
        return False
    ts = u32(b, p)
    return not (last_ts > 0 and abs(ts - last_ts) > TS_WINDOW)


@inline
def plausible_at(b: U8s, p: int, end: int, final: bool, last_ts: int) -> int:
    """:func:`plausible` as NO / YES, or MORE when the 12 header bytes are not all there."""
    if p + MRT_HEADER_LEN > end:
        return NO if final else MORE
    return YES if plausible(b, p, end, last_ts) else NO


@kernel
def chain_ok(b: U8s, q: int, end: int, final: bool, last_ts: int) -> int:
    """YES when a plausible header at ``q`` is followed, after its record and at most
    :data:`LENGTH_SLACK` bytes, by a plausible header or the end of the data."""
    head = plausible_at(b, q, end, final, last_ts)
    if head != YES:
        return head
    r = q + MRT_HEADER_LEN + u32(b, q + 8)
    for dlt in range(0, LENGTH_SLACK + 1):
        if r + dlt == end and final:
            return YES
        nxt = plausible_at(b, r + dlt, end, final, last_ts)
        if nxt != NO:
            return nxt
    return NO


@kernel
def find_header(b: U8s, lo: int, hi: int, end: int, final: bool, last_ts: int) -> int:
    """First ``q`` in ``[lo, hi)`` where :func:`chain_ok` says YES; -1 if none, or
    :data:`FIND_MORE` when a candidate before the first YES needs more data."""
    q = lo
    while q < hi:
        ok = chain_ok(b, q, end, final, last_ts)
        if ok == YES:
            return q
        if ok == MORE:
            return FIND_MORE
        q += 1
    return -1
