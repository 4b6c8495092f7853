"""The record walker: MRT records in a byte buffer to elem columns, one record at a time.

Role: :func:`decode` is called with a numpy ``uint8`` buffer of decompressed MRT data, a
:class:`~.layout.Columns` batch, the file's :class:`~.state.Tables` and a
:class:`~.state.Scratch`. It walks records from ``start``, frames each one (:mod:`.framing`),
hands its body to its family's decoder (:mod:`.bgp4mp`, :mod:`.table_dump`) and writes one
row per elem straight into the batch, formatting text columns as it goes. No Python object
is created per record or per elem. It runs compiled by numba or interpreted (:mod:`.jit`);
compiled, it releases Python's lock while it runs (``nogil`` in ``jit.OPTIONS``), so that the
thread reading a bzip2 file's decompressed bytes runs meanwhile. (numba's on-disk cache
notices a change of this file, not of the options: a change of ``jit.OPTIONS`` goes with a
change here.)

It returns ``(status, position)``: ``DONE`` when every complete record of the buffer has been
read (the caller keeps ``buf[position:]``, a partial record, and appends the next chunk),
``FULL`` when the batch is full (the caller flushes it and calls again from ``position``),
``GROW`` when one record alone does not fit into an empty batch (the caller enlarges the
buffers) or ``DRAIN`` when the problem rows are full (the caller takes them and calls again
from ``position``). A record is written entirely or not at all, with its problems; so the
elems, problem rows and counts do not depend on the batch size or on when rows are drained,
and (see :mod:`.framing`) not on where the buffer ends while more data is to come.

Failure modes: nothing raises. Every read is bounds-checked against the record and the
buffer; inconsistent input becomes a problem row (:mod:`.problems`) and the walker always
advances. When a record header is implausible the walker resynchronises on the next
plausible header (known type and subtype, sane length, timestamp near the last good one, and
a plausible header after it); lengths a few bytes off (1999-2000 RIS producers) are repaired.

Layout: RFC 6396 (MRT), RFC 8050 (ADD-PATH), RFC 6793 (AS4_PATH merge, as bgpdump does it),
RFC 4271 / 4760 (UPDATE, MP_REACH / MP_UNREACH), RFC 1997, 8092, 9234 (attributes).
"""

from __future__ import annotations

from routewatch.ingest.mrt.bgp4mp import bgp4mp, bgp_deprecated
from routewatch.ingest.mrt.codes import (
    BGP,
    BGP4MP,
    BGP4MP_ET,
    ET_HEADER_LEN,
    MRT_HEADER_LEN,
    TABLE_DUMP,
    TABLE_DUMP_V2,
)
from routewatch.ingest.mrt.framing import (
    FIND_MORE,
    LENGTH_SLACK,
    MORE,
    YES,
    chain_ok,
    find_header,
    plausible,
)
from routewatch.ingest.mrt.jit import i64, inline, kernel
from routewatch.ingest.mrt.layout import C_N, N_CNT, Columns, U8s
from routewatch.ingest.mrt.problems import (
    D_HEADER_CUT,
    D_LENGTH_FIXED,
    D_MICROSECONDS,
    D_RECORD_CUT,
    D_RESYNC,
    D_SKIPPED,
    KINDS,
    P_BAD_LENGTH,
    P_BAD_TIME,
    P_FRAMING,
    P_TRUNCATED,
    note,
)
from routewatch.ingest.mrt.state import S_LASTTS, S_NPROB, S_POVER, Scratch, Tables
from routewatch.ingest.mrt.table_dump import table_dump, table_dump_v2
from routewatch.ingest.mrt.wire import u16, u32

__all__ = ["DONE", "DRAIN", "FULL", "GROW", "decode"]

DONE, FULL, GROW, DRAIN = 0, 1, 2, 3
WAIT = -1  # a helper's answer: wait for the next chunk (return DONE at the record start)
STOP = -2  # a helper's answer: the data ends here (return DONE at the end)

RESYNC_WINDOW = 1 << 22  # bytes scanned for a header before giving up on a buffer
PROB_ROOM = 4  # free problem rows needed to look at the next header (it reports at most 2)
N_PKIND = len(KINDS)
USEC_PER_SECOND = 1000000


@inline
def _record_slot(t: int) -> int:
    """Row of ``Tables.rec_counts`` for MRT type ``t``."""
    if t == BGP:
        return 0
    if t == TABLE_DUMP:
        return 1
    if t == TABLE_DUMP_V2:
        return 2
    if t == BGP4MP:
        return 3
    return 4  # BGP4MP_ET


@inline
def _resync(b: U8s, p: int, end: int, final: bool, base: int, tb: Tables) -> int:
    """Where to go on from the implausible header at ``p``: the next plausible header, or
    the end of the scan window (noting ``framing-recovered``); WAIT for the next chunk."""
    last_ts = tb.state[S_LASTTS]
    hi_lim = min(end, p + RESYNC_WINDOW)
    q = find_header(b, i64(p + 1), i64(hi_lim), i64(end), bool(final), i64(last_ts))
    if q == -1 and last_ts > 0:  # no header near the last good time: any time will do
        q = find_header(b, i64(p + 1), i64(hi_lim), i64(end), bool(final), i64(0))
    if q == FIND_MORE:
        return WAIT
    if q < 0:
        note(tb, P_FRAMING, base + p, D_SKIPPED, hi_lim - p)
        return hi_lim
    note(tb, P_FRAMING, base + p, D_RESYNC, q - p)
    return q


@inline
def _record_end(
    b: U8s, p: int, body: int, rend: int, end: int, final: bool, base: int, ts: int, tb: Tables
) -> int:
    """Where the record at ``p`` really ends: its declared end ``rend``, or (noting
    ``bad-record-length``) the next plausible header when the length is a few bytes off or
    runs past the data; WAIT for the next chunk, or STOP (``truncated-file``) at the end."""
    if rend > end:
        if not final:
            return WAIT
        q = find_header(b, i64(body), i64(end), i64(end), bool(final), i64(tb.state[S_LASTTS]))
        if q < 0:
            note(tb, P_TRUNCATED, base + p, D_RECORD_CUT, end - body)
            return STOP
        note(tb, P_BAD_LENGTH, base + p, D_LENGTH_FIXED, q - body)
        return q
    if rend == end and final:
        return rend
    if rend + ET_HEADER_LEN > end and not final:
        return WAIT
    if plausible(b, rend, end, ts):
        return rend
    # a few bytes more than declared (1999-2000 RIS producers), or fewer?
    q = end if final and end - rend <= LENGTH_SLACK else -1
    for dlt in range(1, LENGTH_SLACK + 1 if q < 0 else 1):
        ok = chain_ok(b, i64(rend + dlt), i64(end), bool(final), i64(ts))
        if ok == MORE:
            return WAIT
        if ok == YES:
            q = rend + dlt
            break
    if q < 0:
        q = find_header(b, i64(body), i64(rend), i64(end), bool(final), i64(ts))
        if q == FIND_MORE:
            return WAIT
    if q < 0:
        return rend
    note(tb, P_BAD_LENGTH, base + p, D_LENGTH_FIXED, q - body)
    return q


@inline
def _body(
    b: U8s,
    p: int,
    body: int,
    rend: int,
    ts: int,
    usec: int,
    base: int,
    cols: Columns,
    sc: Scratch,
    tb: Tables,
) -> int:
    """Decode the body ``b[body:rend]`` of the record at ``p``: 1 done, 0 no room."""
    roff = base + p
    t = u16(b, p + 4)
    st = u16(b, p + 6)
    if t in (BGP4MP, BGP4MP_ET):
        if usec >= USEC_PER_SECOND:  # never a shifted time: the elems keep the whole second
            note(tb, P_BAD_TIME, roff, D_MICROSECONDS, usec)
            usec = 0
        return bgp4mp(b, body, rend, t, st, ts * USEC_PER_SECOND + usec, roff, cols, sc, tb)
    if t == TABLE_DUMP_V2:
        return table_dump_v2(b, i64(body), i64(rend), i64(st), i64(ts), i64(roff), cols, sc, tb)
    if t == TABLE_DUMP:
        return table_dump(b, body, rend, st, ts, roff, cols, sc, tb)
    return bgp_deprecated(b, i64(body), i64(rend), i64(st), i64(ts), i64(roff), cols, sc, tb)


@inline
def _snapshot(cols: Columns, sc: Scratch, tb: Tables) -> None:
    """Remember the fill counters and problem counts before a record."""
    for i in range(N_CNT):
        sc.snap[i] = cols.cnt[i]
    for i in range(N_PKIND):
        sc.snap[N_CNT + i] = tb.pcounts[i]
    sc.snap[N_CNT + N_PKIND] = tb.state[S_NPROB]
    tb.state[S_POVER] = 0


@inline
def _rollback(cols: Columns, sc: Scratch, tb: Tables) -> None:
    """Forget everything the current record wrote: elems and problems."""
    for i in range(N_CNT):
        cols.cnt[i] = sc.snap[i]
    for i in range(N_PKIND):
        tb.pcounts[i] = sc.snap[N_CNT + i]
    tb.state[S_NPROB] = sc.snap[N_CNT + N_PKIND]


@kernel
def decode(
    b: U8s, start: int, end: int, final: bool, base: int, cols: Columns, tb: Tables, sc: Scratch
) -> tuple[int, int]:
    """Walk MRT records in ``b[start:end]``; see the module docstring for the contract.

    ``base`` is the stream offset of ``b[0]``; ``final``: no data comes after ``end``.
    """
    p = start
    while True:
        avail = end - p
        if avail <= 0:
            return DONE, p
        if tb.state[S_NPROB] + PROB_ROOM > tb.probs.shape[1]:
            return DRAIN, p
        if avail < MRT_HEADER_LEN:
            if not final:
                return DONE, p
            note(tb, P_TRUNCATED, base + p, D_HEADER_CUT, avail)
            return DONE, end
        if not plausible(b, p, end, tb.state[S_LASTTS]):
            q = _resync(b, p, end, final, base, tb)
            if q == WAIT:
                return DONE, p
            p = q
            continue
        ts = u32(b, p)
        body = p + MRT_HEADER_LEN
        ln = u32(b, p + 8)
        usec = 0
        if u16(b, p + 4) == BGP4MP_ET:
            if p + ET_HEADER_LEN > end:
                if not final:
                    return DONE, p
                note(tb, P_TRUNCATED, base + p, D_HEADER_CUT, avail)
                return DONE, end
            usec = u32(b, p + MRT_HEADER_LEN)
            body = p + ET_HEADER_LEN
            ln -= ET_HEADER_LEN - MRT_HEADER_LEN
        _snapshot(cols, sc, tb)
        rend = _record_end(b, p, body, body + ln, end, final, base, ts, tb)
        if rend == WAIT:
            return DONE, p
        if rend == STOP:
            return DONE, end
        res = _body(b, p, body, rend, ts, usec, base, cols, sc, tb)
        # the record's problems overflowed rows that others had taken: redo it with all rows
        # free (only a record with more problems than rows has some of them counted only)
        drain = res == 1 and tb.state[S_POVER] == 1 and sc.snap[N_CNT + N_PKIND] > 0
        if res == 0 or drain:
            _rollback(cols, sc, tb)
            if drain:
                return DRAIN, p
            return (GROW if cols.cnt[C_N] == 0 else FULL), p
        st = u16(b, p + 6)
        tb.rec_counts[_record_slot(u16(b, p + 4)), min(st, tb.rec_counts.shape[1] - 1)] += 1
        tb.state[S_LASTTS] = ts
        p = rend
