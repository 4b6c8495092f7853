"""The BGP elems of a run: its MRT files in the Parquet lake, read in the total elem order.

Role: every run's MRT files are ingested into a lake first (:func:`ingest_inputs`; a file
already there is not read again), so every engine reads the same columns, in the same
order, from the same parts: the local engine merges the parts of a :class:`LakeSlice` with
:func:`elem_stream` (bounded memory, :mod:`routewatch.ingest.merge`), a cluster reads them
with Spark. :func:`lake_slice` selects what a lake already holds (``routewatch detect
--lake``) and :func:`lake_index` finds archive files ingested before (so a month's baseline
is taken from the lake when it is there).

Failure modes: an MRT file that cannot be read at all raises
:class:`~routewatch.errors.InputError` from ingest; per-record problems are counted in
:class:`ReadStats` (the run is then partial) and the readable elems kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from routewatch.errors import InputError
from routewatch.ingest.lake import (
    MANIFEST_DIR,
    IngestManifest,
    ingest_file,
    read_manifest,
)
from routewatch.ingest.merge import Run, lake_runs, merged
from routewatch.pipeline.observer import NullObserver, Observer

__all__ = [
    "DETECT_COLUMNS",
    "Ingested",
    "Ingester",
    "LakeSlice",
    "MrtInput",
    "ReadStats",
    "elem_stream",
    "ingest_each",
    "ingest_inputs",
    "lake_index",
    "lake_slice",
    "manifest_of",
    "mrt_inputs",
    "mrt_stream",
]

#: The columns detection reads (route state keys, paths, OTC, state changes, order).
DETECT_COLUMNS: tuple[str, ...] = (
    "timestamp", "elem_type", "collector", "peer_ip", "peer_asn", "afi", "prefix_hi",
    "prefix_lo", "prefix_len", "path_id", "path_asns", "as_set", "only_to_customer",
    "new_state", "source_order", "elem_seq",
)  # fmt: skip


@dataclass(frozen=True)
class MrtInput:
    """One MRT archive of a run: its path, collector, ``rib`` or ``updates``, its time.

    ``file_id`` names a file already in the lake: its elems are read from there (``path``
    is then where it was ingested from, and need not exist any more).
    """

    path: Path
    collector: str
    kind: str
    as_of: dt.datetime | None = None
    file_id: str | None = None

    @property
    def name(self) -> str:
        """The file's name."""
        return self.path.name


@dataclass
class ReadStats:
    """What reading the MRT files met: files, elems by type, problems and their files."""

    files: int = 0
    elems: dict[str, int] = field(default_factory=dict)
    problems: int = 0
    problem_files: list[str] = field(default_factory=list)

    def count(self, name: str, elems: Mapping[str, int], problems: int) -> None:
        """Add one file's counts: elems by type and problems."""
        self.files += 1
        for kind, n in elems.items():
            self.elems[kind] = self.elems.get(kind, 0) + int(n)
        if problems:
            self.problems += problems
            self.problem_files.append(name)


@dataclass(frozen=True)
class LakeSlice:
    """The lake parts of a run: (lake-relative path, collector, time-sorted file) each."""

    lake: Path
    parts: tuple[tuple[str, str, bool], ...]

    @property
    def paths(self) -> list[Path]:
        """The part files."""
        return [self.lake / relative for relative, _, _ in self.parts]


#: One file's ingest: its manifest, or why not one of its records could be read.
Ingested = tuple[MrtInput, "IngestManifest | InputError"]
#: Ingests files into a lake, yielding each file's outcome (in any order).
Ingester = Callable[[Sequence[MrtInput], Path], Iterator[Ingested]]


def ingest_inputs(
    files: Sequence[MrtInput], lake: Path, stats: ReadStats, observer: Observer | None = None,
    ingester: Ingester | None = None,
) -> LakeSlice:
    """Ingest every file of a run into ``lake`` (skipping files already there); its parts.

    ``ingester`` does the reading (default :func:`ingest_each`, one file after the other
    here; the Spark engine's runs one task per file). A file of which not one record can be
    read is counted as a problem file and skipped (the run is then partial; it fails only
    when no file could be read at all).
    """
    observer = observer or NullObserver()
    observer.stage("Ingesting MRT", len(files))
    parts: list[tuple[str, str, bool]] = []
    for mrt, got in (ingester or ingest_each)(files, lake):
        if isinstance(got, InputError):  # not one record readable: a broken file, not run
            stats.count(mrt.name, {}, 1)
            observer.message(f"{mrt.name}: skipped ({got})")
            observer.advance(mrt.name)
            continue
        stats.count(mrt.name, got.elems, sum(p.count for p in got.problems))
        parts += _parts(got)
        observer.advance(mrt.name)
    return LakeSlice(lake, tuple(sorted(set(parts))))


def ingest_each(files: Sequence[MrtInput], lake: Path) -> Iterator[Ingested]:
    """Ingest the files one after the other (the local engine's :data:`Ingester`)."""
    for mrt in files:
        try:
            yield mrt, manifest_of(mrt, lake)
        except InputError as exc:
            yield mrt, exc


def mrt_inputs(paths: Sequence[Path]) -> list[MrtInput]:
    """Run inputs for MRT files named by a user: the collector from each file's name or
    folders (as RIS and RouteViews lay out archives), else ``unknown``."""
    from routewatch.ingest.lake import UNKNOWN_COLLECTOR, collector_for

    return [MrtInput(p, collector_for(p) or UNKNOWN_COLLECTOR, "mrt") for p in paths]


def manifest_of(mrt: MrtInput, lake: Path) -> IngestManifest:
    """The manifest of one run file: from the lake when it is there, else ingested
    now. Raises :class:`InputError` when not one record can be read."""
    if mrt.file_id is not None:
        found = read_manifest(lake, mrt.file_id)
        if found is not None:
            return found
        if not mrt.path.is_file():
            raise InputError(f"{mrt.name} (lake id {mrt.file_id}) is neither in the lake {lake} "
                             "nor at its path; fetch or ingest it again")  # fmt: skip
    return ingest_file(mrt.path, lake, collector=mrt.collector).manifest


def _parts(manifest: IngestManifest) -> list[tuple[str, str, bool]]:
    sorted_ = bool(manifest.time_sorted)
    return [(part, manifest.collector, sorted_) for part in manifest.parts]


def lake_index(lake: Path) -> dict[tuple[str, str], IngestManifest]:
    """Current-format manifests of a lake by (collector, source file name)."""
    current, _ = _manifests(lake)
    return {(m.collector, Path(m.source).name): m for m in current}


def _manifests(lake: Path) -> tuple[list[IngestManifest], list[IngestManifest]]:
    """The lake's manifests: (current format, older format — to be ingested again)."""
    from routewatch.ingest.lake import LAKE_FORMAT

    folder = lake / MANIFEST_DIR
    current: list[IngestManifest] = []
    older: list[IngestManifest] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        manifest = read_manifest(lake, path.stem)
        if manifest is not None:
            (current if manifest.lake_format == LAKE_FORMAT else older).append(manifest)
    return current, older


def lake_slice(
    lake: Path, start: dt.datetime, end: dt.datetime, collectors: Sequence[str] = ()
) -> LakeSlice:
    """The parts of every file in ``lake`` with elems in ``[start, end)`` (of the given
    collectors, or all).

    Raises :class:`InputError` when files of that time were ingested by an older routewatch
    (their parts lack the elem order) and must be ingested again.
    """
    chosen: list[tuple[str, str, bool]] = []
    current, older = _manifests(lake)
    stale = [m for m in older if _overlaps(m, start, end, collectors)]
    if stale:
        raise InputError(f"{len(stale)} file(s) in the lake {lake} were ingested by an older "
                         f"routewatch (first: {Path(stale[0].source).name}); ingest them again "
                         f"with 'routewatch ingest FILE... --lake {lake} --replace'")
    for manifest in current:
        if not _overlaps(manifest, start, end, collectors):
            continue
        chosen += _parts(manifest)
    return LakeSlice(lake, tuple(sorted(set(chosen))))


def _overlaps(manifest: IngestManifest, start: dt.datetime, end: dt.datetime,
              collectors: Sequence[str]) -> bool:
    if collectors and manifest.collector not in collectors:
        return False
    first, last = manifest.first_timestamp, manifest.last_timestamp
    if first is None or last is None:
        return False
    return dt.datetime.fromisoformat(first) < end and dt.datetime.fromisoformat(last) >= start


def elem_stream(
    elems: LakeSlice, start: int, end: int, batch_rows: int = 65536
) -> Iterator[pa.RecordBatch]:
    """The slice's elems with ``start <= timestamp < end`` (microseconds), in the total elem
    order, with :data:`DETECT_COLUMNS` only."""
    runs = lake_runs(elems.lake, elems.parts, DETECT_COLUMNS, batch_rows)
    yield from merged(runs, start=start, end=end, batch_rows=batch_rows)


def mrt_stream(
    paths: Sequence[Path], stats: ReadStats | None = None, batch_rows: int = 65536
) -> Iterator[pa.RecordBatch]:
    """The elems of MRT files read directly (no lake), in the total elem order.

    Each file is read whole (a handful of files: ``routewatch detect --mrt``, tests); for
    a month, ingest into the lake and use :func:`elem_stream`.
    """
    from routewatch.ingest.lake import file_id
    from routewatch.ingest.mrt import read_elems
    from routewatch.ingest.order import ORDER_KEYS, ordered
    from routewatch.ingest.report import IngestReport

    runs = []
    for path in paths:
        report = IngestReport()
        batches = list(ordered(read_elems(path, report=report), file_id(path)))
        (stats or ReadStats()).count(path.name, report.elems, sum(report.problem_counts.values()))
        if not batches:
            continue
        table = pa.Table.from_batches(batches)
        table = table.take(pc.sort_indices(table, [(k, "ascending") for k in ORDER_KEYS]))
        first = int(pc.min(table.column("timestamp").cast(pa.int64())).as_py())
        runs.append(Run(path.name, first, _batches_of(table, batch_rows)))
    yield from merged(runs, batch_rows=batch_rows)


def _batches_of(table: pa.Table, rows: int) -> Callable[[], Iterator[pa.RecordBatch]]:
    return lambda: iter(table.to_batches(max_chunksize=rows))
