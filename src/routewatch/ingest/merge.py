"""Elems of many sources as one stream in the total elem order, in bounded memory.

Role: detection needs every elem of a run in the order ``(timestamp, source_order,
elem_seq)`` (:mod:`routewatch.ingest.order`). Each source — a lake part of one file and day,
or an MRT file read directly — is a **run** already in that order (a file whose times go
backwards somewhere is sorted once, in memory, when it is opened). :func:`merged` merges the
runs the way a k-way merge does: it holds one batch per open run, opens a run only when the
merge reaches its first time, and emits every buffered elem whose key is at most the
smallest "last buffered key" of the open runs (nothing unread can come before it). Memory:
one batch per run open at a time — a few for consecutive update files of each collector —
never an hour or a month.

:func:`lake_runs` makes the runs of ingested files from their lake manifests.

Failure modes: :class:`~routewatch.errors.InputError` when a lake part named by a manifest is
missing (re-ingest the file), or a run claims to be sorted and is not (a corrupt lake).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from routewatch.errors import InputError
from routewatch.ingest.order import ORDER_KEYS

__all__ = ["Run", "continues_order", "lake_runs", "merged", "order_keys"]

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
_Key = tuple[int, int, int]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Run:
    """One source of elems in the total order: opened lazily, at ``first_time`` (us)."""

    name: str
    first_time: int
    open: Callable[[], Iterator[pa.RecordBatch]]


@dataclass
class _Open:
    """An open run: its buffered batch (unread part) and key columns, and the rest."""

    name: str
    rest: Iterator[pa.RecordBatch]
    batch: pa.RecordBatch
    ts: I64
    so: U64
    seq: U64

    previous: _Key | None = None

    @classmethod
    def start(cls, run: Run) -> _Open | None:
        rest = run.open()
        opened = cls(run.name, rest, pa.record_batch([]), np.zeros(0, np.int64),
                     np.zeros(0, np.uint64), np.zeros(0, np.uint64))  # fmt: skip
        return opened if opened.refill() else None

    def refill(self) -> bool:
        """Load the next non-empty batch; False when the run is exhausted.

        Raises :class:`InputError` when the run is not in the total order (the merge would
        silently misorder it).
        """
        for batch in self.rest:
            if batch.num_rows:
                self.batch = batch
                self.ts, self.so, self.seq = order_keys(batch)
                last = continues_order((self.ts, self.so, self.seq), self.previous)
                if last is None:
                    raise InputError(f"{self.name}: elems out of the total order; ingest the "
                                     "file again with --replace")  # fmt: skip
                self.previous = last
                return True
        return False

    def last(self) -> _Key:
        return int(self.ts[-1]), int(self.so[-1]), int(self.seq[-1])

    def take_upto(self, bound: _Key) -> pa.RecordBatch:
        """Remove and return the buffered rows whose key is at most ``bound``."""
        t, s, q = bound
        le = (self.ts < t) | ((self.ts == t) & ((self.so < s) | ((self.so == s) & (self.seq <= q))))
        n = int(np.argmin(le)) if not le.all() else len(le)  # rows are sorted: a prefix
        out = self.batch.slice(0, n)
        self.batch = self.batch.slice(n)
        self.ts, self.so, self.seq = self.ts[n:], self.so[n:], self.seq[n:]
        return out


def order_keys(batch: pa.RecordBatch) -> tuple[I64, U64, U64]:
    """The order key columns of a batch (timestamp in us, source_order, elem_seq) as numpy."""
    ts: I64 = np.asarray(batch.column("timestamp").cast(pa.int64()).to_numpy(
        zero_copy_only=False), np.int64)  # fmt: skip
    so: U64 = np.asarray(batch.column("source_order").to_numpy(zero_copy_only=False), np.uint64)
    seq: U64 = np.asarray(batch.column("elem_seq").to_numpy(zero_copy_only=False), np.uint64)
    return ts, so, seq


def continues_order(keys: tuple[I64, U64, U64], previous: _Key | None) -> _Key | None:
    """The last key of a non-empty batch whose keys (:func:`order_keys`) are strictly
    increasing and all after ``previous`` (the last key of the batch before); None when the
    batch breaks the total order."""
    ts, so, seq = keys
    same_t = ts[1:] == ts[:-1]
    later = (so[1:] > so[:-1]) | ((so[1:] == so[:-1]) & (seq[1:] > seq[:-1]))
    if not bool(((ts[1:] > ts[:-1]) | (same_t & later)).all()):
        return None
    if previous is not None and (int(ts[0]), int(so[0]), int(seq[0])) <= previous:
        return None
    return int(ts[-1]), int(so[-1]), int(seq[-1])


def merged(
    runs: Iterable[Run],
    *,
    start: int | None = None,
    end: int | None = None,
    batch_rows: int = 65536,
) -> Iterator[pa.RecordBatch]:
    """Every elem of the runs with ``start <= timestamp < end``, in the total elem order,
    in batches of at most ``batch_rows``."""
    pending = sorted(runs, key=lambda r: (r.first_time, r.name))
    active: list[_Open] = []
    while pending or active:
        if not active:
            opened = _Open.start(pending.pop(0))
            if opened is not None:
                active.append(opened)
            continue
        bound = min(run.last() for run in active)
        while pending and pending[0].first_time <= bound[0]:
            opened = _Open.start(pending.pop(0))
            if opened is not None:
                active.append(opened)
                bound = min(bound, opened.last())
        parts = [run.take_upto(bound) for run in active]
        chunk = [p for p in parts if p.num_rows]
        active = [run for run in active if len(run.ts) or run.refill()]
        yield from _emit(chunk, start, end, batch_rows)


def _emit(
    parts: list[pa.RecordBatch], start: int | None, end: int | None, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    if not parts:
        return
    if len(parts) == 1:
        table = pa.Table.from_batches(parts)
    else:
        table = pa.Table.from_batches(parts).combine_chunks()
        table = table.take(pc.sort_indices(table, [(k, "ascending") for k in ORDER_KEYS]))
    lo = start if start is not None else -(1 << 62)
    hi = end if end is not None else 1 << 62
    ts = table.column("timestamp").cast(pa.int64())
    first, last = (int(x.as_py()) for x in pc.min_max(ts).values())
    if first < lo or last >= hi:  # most chunks lie wholly inside: no copy for them
        table = table.filter(pc.and_(pc.greater_equal(ts, lo), pc.less(ts, hi)))
    for batch in table.to_batches(max_chunksize=batch_rows):
        if batch.num_rows:
            yield batch


def lake_runs(
    lake: Path,
    parts: Sequence[tuple[str, str, bool]],
    columns: Sequence[str] | None = None,
    batch_rows: int = 65536,
) -> list[Run]:
    """Runs of lake parts: (lake-relative part path, collector, time-sorted file?) each.

    ``columns`` selects the columns read (``collector`` is added from the folder name).
    A part of a file whose times go backwards is read whole and sorted when opened.
    """
    out = []
    for relative, collector, time_sorted in parts:
        path = lake / relative
        if not path.is_file():
            raise InputError(f"lake part {path} is missing; ingest its source file again "
                             "('routewatch ingest FILE --lake DIR --replace')")  # fmt: skip
        meta = pq.ParquetFile(path).metadata
        first = _first_time(meta)
        if first is None:
            continue
        out.append(Run(relative, first, _part_reader(path, collector, columns, time_sorted,
                                                     batch_rows)))  # fmt: skip
    return out


def _first_time(meta: pq.FileMetaData) -> int | None:
    """The smallest timestamp (us) of a part, exactly, from its row-group statistics."""
    column = meta.schema.names.index("timestamp")
    lows = []
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(column).statistics
        if stats is not None and stats.has_min_max:
            lows.append(_micros(stats.min))
    return min(lows) if lows else None


def _micros(value: object) -> int:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return (moment - _EPOCH) // dt.timedelta(microseconds=1)
    return int(str(value))


def _part_reader(
    path: Path, collector: str, columns: Sequence[str] | None, time_sorted: bool,
    batch_rows: int,
) -> Callable[[], Iterator[pa.RecordBatch]]:
    wanted = None if columns is None else [c for c in columns if c != "collector"]

    def read() -> Iterator[pa.RecordBatch]:
        handle = pq.ParquetFile(path)
        # one thread: decoding in parallel costs more CPU than it saves here (the merge and
        # detection are single-threaded consumers anyway)
        batches: Iterable[pa.RecordBatch] = handle.iter_batches(
            batch_size=batch_rows, columns=wanted, use_threads=False)
        if not time_sorted:
            table = pa.Table.from_batches(list(batches), schema=handle.schema_arrow
                                          if wanted is None else None)  # fmt: skip
            table = table.take(pc.sort_indices(table, [(k, "ascending") for k in ORDER_KEYS]))
            batches = table.to_batches(max_chunksize=batch_rows)
        for batch in batches:
            yield _with_collector(batch, collector)

    return read


def _with_collector(batch: pa.RecordBatch, collector: str) -> pa.RecordBatch:
    names = pa.array([collector], pa.string())
    column = pa.DictionaryArray.from_arrays(pa.array(np.zeros(batch.num_rows, np.int32)), names)
    return batch.append_column("collector", column)
