"""AS paths of a period as relationship inference reads them: counted, sanitised, indexed.

Role: :class:`PathCounter` turns ELEMS batches into an :data:`~routewatch.schemas.
OBSERVED_PATHS` table (distinct collector peer + path, with how often each was announced);
:func:`sanitised` applies the path hygiene of AS-Rank (Luckie et al., IMC 2013): paths with an
AS_SET are dropped, prepending is collapsed, paths with a loop or with a reserved or
unallocated ASN (``full`` bogon ASN ranges) are dropped, and :func:`poisoned` finds paths in
which two clique members are separated by another AS. :class:`PathGraph` holds what the
inference steps (:mod:`routewatch.reference.relinfer`) ask of the paths: neighbours, transit
degree, the segments (a, x, b) — x passed b's route to a — with their counts, how many
distinct ASes follow a segment, and per collector peer the origins it reaches.

Every distinct (peer, path) counts once in the graph, however often it was announced.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from routewatch.schemas import OBSERVED_PATHS

__all__ = [
    "PathCounter",
    "PathGraph",
    "Paths",
    "SanitiseReport",
    "poisoned",
    "sanitised",
    "unique_rows",
]

I64 = npt.NDArray[np.int64]


@dataclass
class SanitiseReport:
    """Rows read and paths discarded, by reason."""

    rows: int = 0
    discarded: dict[str, int] = field(default_factory=dict)

    def discard(self, why: str, n: int) -> None:
        """Count ``n`` paths discarded for a reason."""
        if n:
            self.discarded[why] = self.discarded.get(why, 0) + n


# ---------------------------------------------------------------------------------------------
# Collecting paths
# ---------------------------------------------------------------------------------------------


class PathCounter:
    """Distinct (collector peer, path) of ELEMS batches with counts: an OBSERVED_PATHS table.

    RIB entries and announcements count; withdrawals and state changes carry no path. Memory
    follows the distinct paths (partial groupings are merged as they grow).
    """

    _KEYS = ("peer_asn", "path", "as_set")

    def __init__(self) -> None:
        self._parts: list[pa.Table] = []
        self._pending = 0
        self._merged = 0

    def add(self, batch: pa.RecordBatch) -> None:
        """Count the paths of one ELEMS batch."""
        kinds = pc.cast(batch.column("elem_type"), pa.string())
        announced = pc.is_in(kinds, pa.array(["R", "A"]))
        keep = pc.and_(announced, pc.is_valid(batch.column("path_asns")))
        rows = pa.Table.from_batches([batch]).filter(keep)
        if rows.num_rows == 0:
            return
        asns = pc.cast(rows.column("path_asns"), pa.list_(pa.string()))
        text = pc.binary_join(asns, " ")
        table = pa.table({"peer_asn": rows.column("peer_asn"), "path": text,
                          "as_set": pc.fill_null(rows.column("as_set"), False),
                          "count": pa.array(np.ones(rows.num_rows, np.uint64))})  # fmt: skip
        self._parts.append(self._group(table))
        self._pending += self._parts[-1].num_rows
        if self._pending > max(1_000_000, 2 * self._merged):
            self._merge()

    def _group(self, table: pa.Table) -> pa.Table:
        grouped = table.group_by(list(self._KEYS), use_threads=False).aggregate(
            [("count", "sum")]
        )
        return grouped.rename_columns([n.removesuffix("_sum") for n in grouped.column_names])

    def _merge(self) -> pa.Table:
        if self._parts:
            merged = self._group(pa.concat_tables(self._parts))
        else:
            merged = pa.table({"peer_asn": pa.array([], pa.uint32()),
                               "path": pa.array([], pa.string()),
                               "as_set": pa.array([], pa.bool_()),
                               "count": pa.array([], pa.uint64())})  # fmt: skip
        self._parts = [merged]
        self._pending = 0
        self._merged = merged.num_rows
        return merged

    def table(self) -> pa.Table:
        """The OBSERVED_PATHS table so far, sorted by peer and path text (deterministic)."""
        merged = self._merge().sort_by([("peer_asn", "ascending"), ("path", "ascending")])
        parts = pc.split_pattern(merged.column("path"), " ")
        path_asns = pc.cast(parts, pa.list_(pa.uint32()))
        return pa.table({"peer_asn": merged.column("peer_asn"), "path_asns": path_asns,
                         "as_set": merged.column("as_set"), "count": merged.column("count")},
                        schema=OBSERVED_PATHS)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Sanitising paths (numpy)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    """Paths as one flat array: path p is ``values[offsets[p]:offsets[p + 1]]``, peer first."""

    values: I64
    offsets: I64

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def path_of(self) -> I64:
        """The path index of every value."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))

    def select(self, keep: npt.NDArray[np.bool_]) -> Paths:
        """The paths selected by a mask over paths."""
        lengths = np.diff(self.offsets)[keep]
        offsets = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return Paths(self.values[keep[self.path_of]], offsets)


def _flat(table: pa.Table) -> Paths:
    lists = table.column("path_asns").combine_chunks()
    offsets = np.asarray(lists.offsets.to_numpy(), np.int64)
    offsets = offsets - offsets[0]
    values = np.asarray(lists.flatten().to_numpy(zero_copy_only=False), np.int64)
    return Paths(values, offsets)


def _collapse_prepending(paths: Paths) -> Paths:
    keep = np.ones(len(paths.values), np.bool_)
    keep[1:] = paths.values[1:] != paths.values[:-1]
    keep[paths.offsets[:-1][np.diff(paths.offsets) > 0]] = True
    path_of = paths.path_of
    lengths = np.bincount(path_of[keep], minlength=len(paths))
    offsets = np.zeros(len(paths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return Paths(paths.values[keep], offsets)


def _paths_with_repeats(paths: Paths) -> npt.NDArray[np.bool_]:
    """Paths in which an AS appears twice (after collapsing prepends: a loop)."""
    key = (paths.path_of << 32) | paths.values
    ordered = np.sort(key)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]] >> 32
    out = np.zeros(len(paths), np.bool_)
    out[repeated] = True
    return out


def _paths_with_bogons(paths: Paths, bogon_asns: pa.Table | None) -> npt.NDArray[np.bool_]:
    """Paths through an AS of a ``full`` bogon range (reserved, private, unallocated)."""
    out = np.zeros(len(paths), np.bool_)
    if bogon_asns is None or bogon_asns.num_rows == 0:
        return out
    full = bogon_asns.filter(pc.equal(bogon_asns.column("category"), "full"))
    first = np.asarray(full.column("asn_first").to_numpy(), np.int64)
    last = np.asarray(full.column("asn_last").to_numpy(), np.int64)
    order = np.argsort(first)
    first, last = first[order], np.maximum.accumulate(last[order])
    pos = np.searchsorted(first, paths.values, side="right") - 1
    hit = (pos >= 0) & (paths.values <= last[np.maximum(pos, 0)])
    out[np.unique(paths.path_of[hit])] = True
    return out


def sanitised(table: pa.Table, bogon_asns: pa.Table | None,
               report: SanitiseReport) -> Paths:  # fmt: skip
    report.rows += table.num_rows
    as_set = np.asarray(table.column("as_set").to_numpy(zero_copy_only=False), np.bool_)
    report.discard("as-set", int(as_set.sum()))
    paths = _collapse_prepending(_flat(table.filter(pa.array(~as_set))))
    empty = np.diff(paths.offsets) == 0
    loops = _paths_with_repeats(paths) & ~empty
    bogons = _paths_with_bogons(paths, bogon_asns) & ~loops & ~empty
    report.discard("empty", int(empty.sum()))
    report.discard("loop", int(loops.sum()))
    report.discard("reserved-asn", int(bogons.sum()))
    return paths.select(~(empty | loops | bogons))


def poisoned(paths: Paths, clique: set[int]) -> npt.NDArray[np.bool_]:
    """Paths in which two clique members are separated by a non-member."""
    members = np.isin(paths.values, np.array(sorted(clique), np.int64))
    idx = np.flatnonzero(members)
    path_of = paths.path_of[idx]
    gap = (path_of[1:] == path_of[:-1]) & (idx[1:] - idx[:-1] > 1)
    out = np.zeros(len(paths), np.bool_)
    out[path_of[1:][gap]] = True
    return out


# ---------------------------------------------------------------------------------------------
# The path graph: links, transit neighbours, triplets
# ---------------------------------------------------------------------------------------------


def unique_rows(columns: Sequence[I64]) -> tuple[npt.NDArray[np.int64], I64]:
    """Distinct rows of equally long integer columns (sorted) and how often each occurs."""
    if len(columns[0]) == 0:
        return np.zeros((0, len(columns)), np.int64), np.zeros(0, np.int64)
    order = np.lexsort(tuple(reversed(columns)))
    rows = np.stack([c[order] for c in columns], axis=1)
    new = np.ones(len(rows), np.bool_)
    new[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.r_[starts, len(rows)]).astype(np.int64)
    return rows[starts], counts


class PathGraph:
    """What the steps ask of the paths (each distinct path counts once)."""

    def __init__(self, paths: Paths) -> None:
        v, off = paths.values, paths.offsets
        path_of = paths.path_of
        pos = np.arange(len(v), dtype=np.int64) - off[path_of]
        length = np.diff(off)[path_of]
        pair = np.flatnonzero(pos < length - 1)
        a, b = v[pair], v[pair + 1]
        self.neighbours: dict[int, set[int]] = defaultdict(set)
        for x, y in unique_rows([np.minimum(a, b), np.maximum(a, b)])[0].tolist():
            self.neighbours[x].add(y)
            self.neighbours[y].add(x)
        mid = np.flatnonzero((pos > 0) & (pos < length - 1))
        self.transit: dict[int, int] = {}
        sides = unique_rows([np.r_[v[mid], v[mid]], np.r_[v[mid - 1], v[mid + 1]]])[0]
        owners, counts = np.unique(sides[:, 0], return_counts=True)
        self.transit = dict(zip(owners.tolist(), counts.tolist(), strict=True))
        self._triplets(v, mid, pos, length)
        self._origins(paths)

    def _triplets(self, v: I64, mid: I64, pos: I64, length: I64) -> None:
        """Segments (a, x, b), a nearer the collector: x passed b's route to a."""
        rows, counts = unique_rows([v[mid - 1], v[mid], v[mid + 1]])
        ending = mid[pos[mid] == length[mid] - 2]
        end_rows, _ = unique_rows([v[ending - 1], v[ending], v[ending + 1]])
        self.ends: set[tuple[int, int, int]] = {(a, x, b) for a, x, b in end_rows.tolist()}
        inner = mid[pos[mid] < length[mid] - 2]
        quads, _ = unique_rows([v[inner - 1], v[inner], v[inner + 1], v[inner + 2]])
        trip, widths = unique_rows([quads[:, 0], quads[:, 1], quads[:, 2]])
        self.continuations = {(a, x, b): w for (a, x, b), w in zip(trip.tolist(), widths.tolist(),
                                                                    strict=True)}  # fmt: skip
        #: passed[(x, b)][a] / sent[(x, a)][b]: paths with segment (a, x, b)
        self.passed: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
        self.sent: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
        #: around[(x, a)][b]: paths with x between a and b, either way round
        self.around: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
        #: receivers[x]: the ASes x passed any route to
        self.receivers: dict[int, set[int]] = defaultdict(set)
        for (a, x, b), c in zip(rows.tolist(), counts.tolist(), strict=True):
            self.passed[(x, b)][a] = c
            self.sent[(x, a)][b] = c
            self.receivers[x].add(a)
            side = self.around[(x, a)]
            side[b] = side.get(b, 0) + c
            side = self.around[(x, b)]
            side[a] = side.get(a, 0) + c

    def _origins(self, paths: Paths) -> None:
        """Per collector peer: the origins it reaches, and its two-hop paths."""
        v, off = paths.values, paths.offsets
        starts, ends = off[:-1], off[1:] - 1
        self.vp_origins: dict[int, set[int]] = defaultdict(set)
        for vp, origin in zip(v[starts].tolist(), v[ends].tolist(), strict=True):
            self.vp_origins[vp].add(origin)
        three = np.flatnonzero(np.diff(off) == 3)
        self.vp_two_hops: dict[int, set[tuple[int, int]]] = defaultdict(set)
        for vp, y, z in zip(v[off[three]].tolist(), v[off[three] + 1].tolist(),
                            v[off[three] + 2].tolist(), strict=True):  # fmt: skip
            self.vp_two_hops[vp].add((y, z))

    def transit_degree(self, asn: int) -> int:
        """Distinct neighbours seen on either side of ``asn`` inside paths."""
        return self.transit.get(asn, 0)

    def degree(self, asn: int) -> int:
        """Distinct neighbours."""
        return len(self.neighbours.get(asn, ()))

    def seen(self, a: int, x: int, b: int) -> int:
        """Paths with segment (a, x, b): x passed b's route to a."""
        return self.passed.get((x, b), {}).get(a, 0)


