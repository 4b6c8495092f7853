"""The engine seam: where a run's detection and aggregations execute.

Role: an :class:`Engine` ingests a run's MRT files into the lake (:meth:`Engine.ingest`,
one file's manifest or error at a time) and takes its elems (a
:class:`~routewatch.pipeline.elems.LakeSlice`), the reference indexes, the methodology and
the window; :meth:`Engine.detect` returns findings and incidents
(:func:`routewatch.detect.detect`'s tables), :meth:`Engine.aggregate` the month's announced
pairs and per-AS visibility with them (a :class:`MonthDetection`);
:meth:`Engine.observed_paths`, before detection, the distinct (peer AS, collapsed path) with
counts that relationship inference reads when no relationship snapshot is close to the month.
:class:`LocalEngine` runs on this machine: the lake parts merged in the total elem order
into one detection stream cut into ``buckets`` buckets, and the aggregations out of core in
DuckDB (:mod:`routewatch.store.lake`).
A cluster engine implements the same protocol with the same per-bucket function
(:class:`routewatch.detect.PartitionRun`); every engine returns the same tables.

Failure modes: those of reading the lake (:class:`~routewatch.errors.InputError`) and of the
aggregation (:class:`~routewatch.errors.StoreError`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from routewatch.detect import ALL_KINDS, Detection, Kind, References, detect
from routewatch.methodology import Methodology
from routewatch.pipeline.elems import Ingested, LakeSlice, MrtInput, elem_stream, ingest_each

__all__ = ["Engine", "LocalEngine", "MonthDetection", "TimeSpan"]


@dataclass(frozen=True)
class TimeSpan:
    """The times of a run in microseconds: data from ``data_start`` (the baseline's first
    instant), the window ``[window_start, window_end)``."""

    data_start: int
    window_start: int
    window_end: int


@dataclass(frozen=True)
class MonthDetection:
    """What an engine returns: detection's result, the announced pairs
    (``prefix, afi, prefix_hi, prefix_lo, prefix_len, origin_asn, peer_asns``) and the
    visibility of every AS (``asn, peer_asns``)."""

    detection: Detection
    pairs: pa.Table
    visibility: pa.Table


class Engine(Protocol):
    """Runs detection and the month's aggregations over a slice of the lake."""

    name: str

    def ingest(self, files: Sequence[MrtInput], lake: Path) -> Iterator[Ingested]:
        """Each file's ingest into ``lake`` (:data:`~routewatch.pipeline.elems.Ingester`)."""

    def detect(self, elems: LakeSlice, refs: References, method: Methodology, span: TimeSpan,
               kinds: frozenset[Kind] = ALL_KINDS) -> Detection:
        """Findings and incidents of the window (elems from ``span.data_start`` on)."""

    def aggregate(self, elems: LakeSlice, span: TimeSpan, found: Detection) -> MonthDetection:
        """The announced pairs and AS visibility of the window, with ``found``."""

    def observed_paths(self, elems: LakeSlice, span: TimeSpan) -> pa.Table:
        """OBSERVED_PATHS of the whole data (baseline and window): distinct (peer AS, path
        with prepending collapsed, AS_SET flag) with counts, sorted by peer and path."""


@dataclass
class LocalEngine:
    """This machine: one merged stream, ``buckets`` buckets, DuckDB for the aggregations."""

    buckets: int = 1
    batch_rows: int = 65536
    name: str = "local"

    def ingest(self, files: Sequence[MrtInput], lake: Path) -> Iterator[Ingested]:
        """The files ingested one after the other, here."""
        return ingest_each(files, lake)

    def detect(self, elems: LakeSlice, refs: References, method: Methodology, span: TimeSpan,
               kinds: frozenset[Kind] = ALL_KINDS) -> Detection:
        """Findings and incidents of the window (elems from ``span.data_start`` on)."""
        stream = elem_stream(elems, span.data_start, span.window_end, self.batch_rows)
        return detect(stream, refs, method=method, window=(span.window_start, span.window_end),
                      kinds=kinds, buckets=self.buckets)  # fmt: skip

    def aggregate(self, elems: LakeSlice, span: TimeSpan, found: Detection) -> MonthDetection:
        """The announced pairs and AS visibility of the window, out of core in DuckDB."""
        from routewatch.store.lake import announced_pairs, asn_visibility

        paths = elems.paths
        with tempfile.TemporaryDirectory(prefix="routewatch-aggregate-") as scratch:
            pairs = announced_pairs(paths, span.window_start, span.window_end,
                                    found.window_pairs, Path(scratch))  # fmt: skip
            visibility = asn_visibility(paths, span.window_start, span.window_end,
                                        found.window_asns, Path(scratch))  # fmt: skip
        return MonthDetection(found, pairs, visibility)

    def observed_paths(self, elems: LakeSlice, span: TimeSpan) -> pa.Table:
        """OBSERVED_PATHS of the baseline and window, out of core in DuckDB."""
        from routewatch.store.lake import observed_paths

        with tempfile.TemporaryDirectory(prefix="routewatch-paths-") as scratch:
            return observed_paths(elems.paths, span.data_start, span.window_end, Path(scratch))
