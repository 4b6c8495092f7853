"""Prefix buckets: detection cut into independent pieces that give the whole stream's answer.

A **block** is the leading ``bucket_bits_v4`` (IPv4, 8) or ``bucket_bits_v6`` (IPv6, 16) bits
of a prefix (from the methodology object). :class:`Buckets` maps every block to one of ``N``
**buckets** by a fixed hash of the block (the same on every machine and engine), and each
bucket runs its own route state and detectors (:class:`~routewatch.detect.engine.PartitionRun`).

Rules that make the union of the buckets' findings equal to detection over the whole stream,
row for row:

- a prefix at least as long as the block width belongs to one bucket, the bucket of its
  block: its **owner**;
- a prefix shorter than the block width covers several blocks: its elems go to the bucket of
  every block it covers, so each more specific prefix meets all of its covering prefixes in
  its own bucket; the prefix is **owned** by the bucket of its first block;
- session state changes (``S`` elems, no prefix) go to every bucket (a reset removes the
  peer's routes everywhere);
- a bucket keeps only the findings about prefixes it owns and counts only the elems of its
  own prefixes; the splitter counts state changes once (:class:`Split`).

Why that is enough: every verdict of a prefix reads only that prefix, its covering prefixes
and their routes (M2 sub-MOAS and the type-1 first hops per (prefix, origin) pair; leaks,
bogons and RPKI per route), and all of them reach the prefix's owner. Copies of a short
prefix in other buckets give the same findings there; they are dropped.

Input: ELEMS batches in the total elem order; output: per bucket the row indices (order
kept) and which of them the bucket owns. Failure: none (rows without a prefix that are not
state changes do not occur in ELEMS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.methodology import Methodology

__all__ = ["Buckets", "Split"]

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
_V6_BASE = np.uint64(1 << 32)
_STATE = -1
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _mix(x: U64) -> U64:
    """splitmix64 of each value: the fixed block hash (identical on every platform)."""
    with np.errstate(over="ignore"):
        z = x + _MIX[0]
        z = (z ^ (z >> np.uint64(30))) * _MIX[1]
        z = (z ^ (z >> np.uint64(27))) * _MIX[2]
        out: U64 = z ^ (z >> np.uint64(31))
    return out


@dataclass(frozen=True)
class Split:
    """One batch split into buckets.

    ``rows[b]`` are the batch rows bucket ``b`` must see (in batch order) and ``owned[b]``
    which of them it owns. ``states`` and ``resets`` count the batch's state changes (all,
    and those leaving Established), each once.
    """

    rows: dict[int, npt.NDArray[np.intp]]
    owned: dict[int, npt.NDArray[np.bool_]]
    states: int
    resets: int


@dataclass
class Buckets:
    """``count`` buckets over prefix blocks of the methodology's width."""

    count: int
    bits_v4: int = 8
    bits_v6: int = 16
    _short: dict[tuple[int, int, int], I64] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"bucket count must be at least 1, got {self.count}")

    @classmethod
    def of(cls, count: int, method: Methodology) -> Buckets:
        """``count`` buckets with the block width of ``method``."""
        return cls(count, method.bucket_bits_v4, method.bucket_bits_v6)

    def of_blocks(self, block: U64) -> I64:
        """The bucket of each block id."""
        if self.count == 1:
            return np.zeros(len(block), np.int64)
        out: I64 = (_mix(block) % np.uint64(self.count)).astype(np.int64)
        return out

    def _first_block(self, afi: npt.NDArray[np.integer], hi: U64) -> U64:
        v4 = hi >> np.uint64(64 - self.bits_v4)
        v6 = (hi >> np.uint64(64 - self.bits_v6)) + _V6_BASE
        out: U64 = np.where(afi == 6, v6, v4).astype(np.uint64)
        return out

    def owner(self, afi: npt.NDArray[np.integer], hi: npt.NDArray[np.integer]) -> I64:
        """The bucket owning each prefix (the bucket of its first block); -1 without one."""
        out = self.of_blocks(self._first_block(afi, np.asarray(hi, np.uint64)))
        out[(afi != 4) & (afi != 6)] = _STATE
        return out

    def owner_of_table(self, table: pa.Table | pa.RecordBatch) -> I64:
        """:meth:`owner` of a table's prefix columns (``afi``, ``prefix_hi``)."""
        return self.owner(_filled(table.column("afi"), np.int64),
                          _filled(table.column("prefix_hi"), np.uint64))  # fmt: skip

    def covered(self, afi: int, hi: int, length: int) -> I64:
        """Every bucket a prefix shorter than the block width covers (sorted)."""
        bits = self.bits_v4 if afi == 4 else self.bits_v6
        key = (afi, hi, length)
        found = self._short.get(key)
        if found is None:
            first = int(self._first_block(np.array([afi]), np.array([hi], np.uint64))[0])
            blocks = np.arange(first, first + (1 << (bits - length)), dtype=np.uint64)
            found = self._short[key] = np.unique(self.of_blocks(blocks))
        return found

    def targets(
        self, batch: pa.RecordBatch, states_to: Callable[[I64], I64]
    ) -> tuple[npt.NDArray[np.intp], I64, npt.NDArray[np.bool_]]:
        """Every (row, bucket) a batch is sent to and whether that bucket owns the row, sorted
        by bucket then row: the rule of the module doc, vectorised (the local split and a
        cluster's explode both use it).

        ``states_to`` gets the buckets the batch's prefix rows go to and returns the buckets
        its state changes go to (the local engine: every bucket active so far; a cluster:
        every bucket).
        """
        afi = _filled(batch.column("afi"), np.int64)
        is_state = (afi != 4) & (afi != 6)
        if self.count == 1:
            rows = np.arange(batch.num_rows)
            return rows, np.zeros(len(rows), np.int64), ~is_state
        hi = _filled(batch.column("prefix_hi"), np.uint64)
        length = _filled(batch.column("prefix_len"), np.int64)
        owner = self.owner(afi, hi)
        bits = np.where(afi == 6, self.bits_v6, self.bits_v4)
        prefix_rows = np.flatnonzero(~is_state)
        bucket, row = [owner[prefix_rows]], [prefix_rows]
        mine = [np.ones(len(prefix_rows), np.bool_)]
        short = np.flatnonzero(~is_state & (length < bits))
        if len(short):
            keys = np.c_[afi[short], hi[short].view(np.int64), length[short]]
            uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
            covered = [self.covered(int(a), int(np.int64(h).view(np.uint64)), int(n))
                       for a, h, n in uniq.tolist()]  # fmt: skip
            sizes = np.array([len(c) for c in covered], np.int64)[inverse.ravel()]
            extra = np.concatenate([covered[k] for k in inverse.ravel().tolist()])
            rows = np.repeat(short, sizes)
            other = extra != owner[rows]
            bucket.append(extra[other])
            row.append(rows[other])
            mine.append(np.zeros(int(other.sum()), np.bool_))
        states_at = np.flatnonzero(is_state)
        receivers = states_to(np.unique(np.concatenate(bucket)))
        if len(states_at) and len(receivers):
            bucket.append(np.repeat(receivers, len(states_at)))
            row.append(np.tile(states_at, len(receivers)))
            mine.append(np.zeros(len(receivers) * len(states_at), np.bool_))
        b, r, m = (np.concatenate(x) for x in (bucket, row, mine))
        order = np.lexsort((r, b))
        at: npt.NDArray[np.intp] = r[order].astype(np.intp)
        mine_: npt.NDArray[np.bool_] = m[order].astype(np.bool_)
        return at, b[order].astype(np.int64), mine_

    def split(self, batch: pa.RecordBatch, active: set[int]) -> Split:
        """Split a batch (see the module doc); state changes also go to ``active`` buckets.

        ``active`` is updated with every bucket that receives a prefix row: a bucket that
        has seen none yet holds no route a state change could remove.
        """
        afi = _filled(batch.column("afi"), np.int64)
        is_state = (afi != 4) & (afi != 6)
        new_state = _filled(batch.column("new_state"), np.int64)
        states = int(is_state.sum())
        resets = int((is_state & (new_state != 6)).sum())
        if self.count == 1:
            if batch.num_rows:
                active.add(0)
            all_rows = np.arange(batch.num_rows)
            return Split({0: all_rows} if batch.num_rows else {}, {0: ~is_state}, states, resets)

        def to_active(seen: I64) -> I64:
            active.update(seen.tolist())
            return np.array(sorted(active), np.int64)

        r, b, m = self.targets(batch, to_active)
        cuts = np.flatnonzero(np.r_[True, b[1:] != b[:-1], True]) if len(b) else np.zeros(1, int)
        rows: dict[int, npt.NDArray[np.intp]] = {}
        owned: dict[int, npt.NDArray[np.bool_]] = {}
        for lo, hi_ in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
            rows[int(b[lo])] = r[lo:hi_]
            owned[int(b[lo])] = m[lo:hi_]
        return Split(rows, owned, states, resets)


def _filled(column: pa.Array | pa.ChunkedArray, dtype: type[np.integer]) -> npt.NDArray[np.integer]:
    """A column as numpy (nulls as 0) in ``dtype``."""
    return np.asarray(column.fill_null(0).to_numpy(zero_copy_only=False)).astype(dtype)
