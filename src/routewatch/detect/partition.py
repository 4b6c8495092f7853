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

**Skew**: a block holding a large share of the elems makes its bucket the slowest; blocks
in ``Buckets.fine`` are cut into ``2 ** FINE_BITS`` finer blocks (a /8 into /16s, a /16 into
/24s) and the rules above apply to the finer blocks (a prefix shorter than its finer block
is sent to every bucket it covers and owned by its first finer block's), so exactness holds
for any choice of fine blocks (:func:`fine_blocks` picks those above a share of the elems).

Input: ELEMS batches in the total elem order; output: per bucket the row indices (order
kept) and which of them the bucket owns. Failure: none (rows without a prefix that are not
state changes do not occur in ELEMS).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.methodology import Methodology

__all__ = ["FINE_BITS", "Buckets", "Split", "fine_blocks"]

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
_V6_BASE = np.uint64(1 << 32)
#: a ``fine`` block is cut into 2**FINE_BITS blocks (IPv4 /8 -> /16, IPv6 /16 -> /24)
FINE_BITS = 8
_FINE_BASE = np.uint64(1 << 48)
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
    """``count`` buckets over prefix blocks of the methodology's width; the blocks in
    ``fine`` (block ids, see :meth:`block_ids`) are cut into ``2 ** FINE_BITS`` finer blocks
    each (skew: one big /8 spread over several buckets)."""

    count: int
    bits_v4: int = 8
    bits_v6: int = 16
    fine: frozenset[int] = frozenset()
    _short: dict[tuple[int, int, int], I64] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"bucket count must be at least 1, got {self.count}")

    @classmethod
    def of(cls, count: int, method: Methodology, fine: frozenset[int] = frozenset()) -> Buckets:
        """``count`` buckets with the block width of ``method`` (``fine`` blocks cut finer)."""
        return cls(count, method.bucket_bits_v4, method.bucket_bits_v6, fine)

    def block_ids(self, afi: npt.NDArray[np.integer], hi: npt.NDArray[np.integer]) -> U64:
        """The (coarse) block id of each prefix: its /8 (IPv4), or 2**32 + its /16 (IPv6)."""
        hi = np.asarray(hi, np.uint64)
        v4 = hi >> np.uint64(64 - self.bits_v4)
        v6 = (hi >> np.uint64(64 - self.bits_v6)) + _V6_BASE
        out: U64 = np.where(afi == 6, v6, v4).astype(np.uint64)
        return out

    def _widths(self, afi: npt.NDArray[np.integer], hi: npt.NDArray[np.integer]) -> I64:
        """The block width of each prefix: finer inside a ``fine`` block."""
        bits = np.where(afi == 6, self.bits_v6, self.bits_v4).astype(np.int64)
        if self.fine:  # (the block ids only when some block is cut finer)
            bits = bits + np.where(self._is_fine(self.block_ids(afi, hi)), FINE_BITS, 0)
        return bits

    def _is_fine(self, coarse: U64) -> npt.NDArray[np.bool_]:
        return np.isin(coarse, self._fine_ids)

    @functools.cached_property
    def _fine_ids(self) -> U64:
        return np.array(sorted(self.fine), np.uint64)

    def of_blocks(self, block: U64) -> I64:
        """The bucket of each block id."""
        if self.count == 1:
            return np.zeros(len(block), np.int64)
        out: I64 = (_mix(block) % np.uint64(self.count)).astype(np.int64)
        return out

    def _first_block(self, afi: npt.NDArray[np.integer], hi: U64) -> U64:
        coarse = self.block_ids(afi, hi)
        if not self.fine:
            return coarse
        bits = np.where(afi == 6, self.bits_v6, self.bits_v4).astype(np.uint64)
        sub = (hi >> (np.uint64(64 - FINE_BITS) - bits)) & np.uint64((1 << FINE_BITS) - 1)
        finer = _FINE_BASE + (coarse << np.uint64(FINE_BITS)) + sub
        out: U64 = np.where(self._is_fine(coarse), finer, coarse).astype(np.uint64)
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
        """Every bucket a prefix shorter than its block width covers (sorted): the buckets
        of every block it overlaps, each ``fine`` block by its finer blocks."""
        key = (afi, hi, length)
        found = self._short.get(key)
        if found is None:
            found = self._short[key] = np.unique(self.of_blocks(self._blocks(afi, hi, length)))
        return found

    def _blocks(self, afi: int, hi: int, length: int) -> U64:
        bits = self.bits_v4 if afi == 4 else self.bits_v6
        first = int(self.block_ids(np.array([afi]), np.array([hi], np.uint64))[0])
        span = 1 << FINE_BITS
        if length >= bits:  # inside one fine block: its finer blocks the prefix overlaps
            sub = (hi >> (64 - bits - FINE_BITS)) & (span - 1)
            base = int(_FINE_BASE) + (first << FINE_BITS)
            return np.arange(base + sub, base + sub + (1 << (bits + FINE_BITS - length)),
                             dtype=np.uint64)  # fmt: skip
        coarse = np.arange(first, first + (1 << (bits - length)), dtype=np.uint64)
        fine = coarse[self._is_fine(coarse)] if self.fine else coarse[:0]
        finer = (_FINE_BASE + (fine[:, None] << np.uint64(FINE_BITS))
                 + np.arange(span, dtype=np.uint64)[None, :]).ravel()  # fmt: skip
        out: U64 = np.concatenate([coarse[~np.isin(coarse, fine)], finer]).astype(np.uint64)
        return out

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
        bits = self._widths(afi, hi)
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
    if column.null_count:
        column = column.fill_null(0)
    return np.asarray(column.to_numpy(zero_copy_only=False)).astype(dtype)


def fine_blocks(blocks: npt.NDArray[np.integer], counts: npt.NDArray[np.integer],
                share: float) -> frozenset[int]:
    """The blocks to cut finer: those holding more than ``share`` of all the elems counted
    (``counts[i]`` elems in block ``blocks[i]``, see :meth:`Buckets.block_ids`)."""
    total = int(np.sum(counts))
    if total == 0 or share >= 1:
        return frozenset()
    big = np.asarray(blocks)[np.asarray(counts) > share * total]
    return frozenset(int(b) for b in big.tolist())
