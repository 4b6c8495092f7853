"""The Parquet lake: elems partitioned by collector and day, one part file per source file.

Role: the ingest stage's output on disk. :func:`ingest_file` streams the record batches of one
MRT file (:func:`routewatch.ingest.mrt.read_elems`) into Parquet; :func:`scan_lake` gives later
stages a :class:`pyarrow.dataset.Dataset` over it (DuckDB and Spark read the same folders).

On-disk format (hive partitioning, so ``read_parquet('LAKE/elems/**/*.parquet',
hive_partitioning=true)`` in DuckDB and ``spark.read.parquet('LAKE/elems')`` both work)::

    LAKE/elems/collector=rrc21/date=2016-08-11/<file-id>.parquet   ORDERED_ELEMS rows (ELEMS
                                                                    and the elem order columns)
                                                                    without ``collector`` (it
                                                                    is the folder name)
    LAKE/_ingest/<file-id>.json                                     the ingest manifest

``<file-id>`` is the first 16 hex digits of the sha256 of the source file's bytes: the same
file ingested twice has the same id, so it is skipped (or, with ``replace=True``, its parts are
replaced). Every elem carries its place in the total elem order (``source_order``,
``elem_seq``; :mod:`routewatch.ingest.order`), and the manifest says whether the file's elems
are already in time order (``time_sorted``: then each part is one sorted run that readers
merge without sorting). Parts written before the order columns existed (``lake_format`` 1)
are re-ingested when their file is ingested again. The day is the UTC date of each elem's
timestamp, so a file that crosses midnight gives two part files. The collector is the
``collector`` column when the reader filled it, else the name the caller gave, else
``unknown``.

Writes are atomic: every part and the manifest are written to a dot-named temporary file in
the target folder and renamed into place when complete. The manifest is written last and is
the commit mark: a file counts as ingested only when its manifest exists and every part it
names is present. A crash leaves dot-named temporaries (ignored by DuckDB, Spark and
pyarrow) and perhaps complete parts without a manifest; the next ingest of that file
overwrites the parts, and every write first removes the temporaries of dead writers from the
folder it writes into (:mod:`routewatch.ingest.temporaries`: never one of a live process).

Memory is bounded by the batch size: batches are split by partition and appended at once to
one open :class:`pyarrow.parquet.ParquetWriter` per partition.

Failure modes: an unreadable source (missing, or not one MRT record readable in it) raises
:class:`routewatch.errors.InputError` and nothing is written; bad records are counted in the
:class:`IngestReport` and the part files are still written, with ``"partial": true`` in the
manifest. A bad collector name raises
:class:`routewatch.errors.ConfigError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from routewatch import __version__
from routewatch.errors import ConfigError, InputError
from routewatch.ingest.mrt.names import collector_for
from routewatch.ingest.order import ordered
from routewatch.ingest.report import (
    IngestReport,
    ProblemKind,
    ProblemSummary,
    require_records,
    summarize_problems,
)
from routewatch.ingest.temporaries import sweep_folder, temporary_for
from routewatch.schemas import ELEMS, ORDERED_ELEMS

__all__ = [
    "ELEMS_DIR",
    "LAKE_SCHEMA",
    "MANIFEST_DIR",
    "PART_SCHEMA",
    "ElemReader",
    "IngestManifest",
    "IngestOutcome",
    "ProblemSummary",
    "collector_for",
    "file_id",
    "ingest_file",
    "read_manifest",
    "require_records",
    "scan_lake",
    "summarize_problems",
]

ELEMS_DIR = "elems"
MANIFEST_DIR = "_ingest"
UNKNOWN_COLLECTOR = "unknown"

#: What a part file holds: ORDERED_ELEMS without ``collector`` (the folder carries it).
PART_SCHEMA = ORDERED_ELEMS.remove(ORDERED_ELEMS.get_field_index("collector"))
#: Version of the part layout: 2 added the elem order columns.
LAKE_FORMAT = 2

#: What :func:`scan_lake` returns: the part columns plus the two partition columns.
LAKE_SCHEMA = PART_SCHEMA.append(pa.field("collector", pa.string())).append(
    pa.field("date", pa.date32())
)

_PARTITIONING = ds.partitioning(
    pa.schema([pa.field("collector", pa.string()), pa.field("date", pa.date32())]),
    flavor="hive",
)
_COLLECTOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ElemReader(Protocol):
    """What reads elems from an MRT file: the signature of ``read_elems``."""

    def __call__(
        self,
        path: Path,
        *,
        collector: str | None = ...,
        batch_size: int = ...,
        report: IngestReport | None = ...,
    ) -> Iterator[pa.RecordBatch]: ...


#: Called after each batch is written, with the batch and the report so far (for progress).
BatchHook = Callable[[pa.RecordBatch, IngestReport], None]


@dataclass(frozen=True)
class IngestManifest:
    """What ``LAKE/_ingest/<file-id>.json`` records about one ingested source file."""

    file_id: str
    source: str
    size: int
    sha256: str
    collector: str
    first_timestamp: str | None
    last_timestamp: str | None
    records: dict[str, int]
    elems: dict[str, int]
    problems: tuple[ProblemSummary, ...]
    partial: bool
    parts: tuple[str, ...]
    routewatch_version: str
    ingested_at: str
    #: 1: parts without the elem order columns (re-ingested when met); 2: with them
    lake_format: int = 1
    #: the file's ``source_order`` (:mod:`routewatch.ingest.order`)
    source_order: int | None = None
    #: the elems' timestamps never decrease in file order (each part is a sorted run)
    time_sorted: bool | None = None

    def to_json(self) -> str:
        """The manifest as indented JSON (problem kinds as their wire strings)."""
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str) + "\n"

    @classmethod
    def from_json(cls, text: str) -> IngestManifest:
        """Parse a manifest written by :meth:`to_json`."""
        raw = json.loads(text)
        problems = tuple(
            ProblemSummary(
                ProblemKind(p["kind"]), p["count"], tuple(p["first_offsets"]), p["first_detail"]
            )
            for p in raw.pop("problems")
        )
        return cls(**{**raw, "problems": problems, "parts": tuple(raw["parts"])})


@dataclass(frozen=True)
class IngestOutcome:
    """The result of :func:`ingest_file`: what was written (or why nothing was)."""

    file_id: str
    source: Path
    manifest: IngestManifest
    skipped: bool
    report: IngestReport = field(default_factory=IngestReport)

    @property
    def elems(self) -> int:
        """Elems of this file in the lake."""
        return sum(self.manifest.elems.values())

    @property
    def partial(self) -> bool:
        """True when the reader skipped something in this file."""
        return self.manifest.partial


def file_id(path: Path) -> str:
    """The lake's id of a source file: the first 16 hex digits of its sha256."""
    return _sha256(path)[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(lake: Path, fid: str) -> IngestManifest | None:
    """The manifest of file ``fid`` in ``lake``, or None if that file was never ingested."""
    path = lake / MANIFEST_DIR / f"{fid}.json"
    if not path.exists():
        return None
    return IngestManifest.from_json(path.read_text(encoding="utf-8"))


def ingest_file(
    path: Path,
    lake: Path,
    *,
    collector: str | None = None,
    batch_size: int = 65536,
    replace: bool = False,
    on_batch: BatchHook | None = None,
    reader: ElemReader | None = None,
) -> IngestOutcome:
    """Write the elems of MRT file ``path`` into ``lake``; skip it if it is already there.

    ``collector`` names the collector when the reader cannot tell (default: from the file
    name). With ``replace`` an already ingested file is read again and its parts replaced.
    ``reader`` replaces :func:`routewatch.ingest.mrt.read_elems` (the seam tests use).
    Raises :class:`InputError` if the file cannot be read at all.
    """
    read = _read_elems() if reader is None else reader
    if collector is not None:
        _check_collector(collector)
    if not path.is_file():
        raise InputError(f"{path}: no such file; check the path")
    digest = _sha256(path)
    fid = digest[:16]
    previous = read_manifest(lake, fid)
    if (previous is not None and not replace and previous.lake_format == LAKE_FORMAT
            and _parts_present(lake, previous)):  # fmt: skip
        return IngestOutcome(fid, path, previous, skipped=True)
    name = collector or collector_for(path) or UNKNOWN_COLLECTOR
    report = IngestReport()
    batches = ordered(read(path, collector=name, batch_size=batch_size, report=report), fid)
    with _PartWriters(lake, fid) as writers:
        span = _write_batches(batches, writers, name, lambda b: _notify(on_batch, b, report))
        require_records(path, report)
        parts = writers.finish()
    if previous is not None:
        _remove_stale_parts(lake, previous.parts, parts)
    manifest = _manifest(path, digest, name, span, report, parts)
    _atomic_write_text(lake / MANIFEST_DIR / f"{fid}.json", manifest.to_json())
    return IngestOutcome(fid, path, manifest, skipped=False, report=report)


def _read_elems() -> ElemReader:
    from routewatch.ingest.mrt import read_elems

    return read_elems


def _check_collector(name: str) -> None:
    if not _COLLECTOR_NAME.match(name):
        raise ConfigError(
            f"collector name {name!r} is not usable as a folder name; use letters, digits, "
            "'.', '_' and '-' only (for example rrc21 or route-views2)."
        )


def _parts_present(lake: Path, manifest: IngestManifest) -> bool:
    return all((lake / part).is_file() for part in manifest.parts)


@dataclass
class _Span:
    """What the writer saw of a file: first and last time, order, and time-sortedness."""

    first: datetime | None = None
    last: datetime | None = None
    source_order: int | None = None
    time_sorted: bool = True
    _previous: int | None = None

    def see(self, batch: pa.RecordBatch) -> None:
        low, high = pc.min_max(batch.column("timestamp")).values()
        self.first = low.as_py() if self.first is None else min(self.first, low.as_py())
        self.last = high.as_py() if self.last is None else max(self.last, high.as_py())
        if self.source_order is None:
            self.source_order = int(batch.column("source_order")[0].as_py())
        ts = batch.column("timestamp").cast(pa.int64()).to_numpy(zero_copy_only=False)
        if self.time_sorted:
            starts_after = self._previous is None or int(ts[0]) >= self._previous
            self.time_sorted = bool(starts_after and (ts[1:] >= ts[:-1]).all())
        self._previous = int(ts[-1])


def _write_batches(
    batches: Iterator[pa.RecordBatch],
    writers: _PartWriters,
    collector: str,
    on_batch: Callable[[pa.RecordBatch], None],
) -> _Span:
    span = _Span()
    for batch in batches:
        if batch.num_rows == 0:
            continue
        for key, part in _split_by_partition(batch, collector):
            writers.write(key, part)
        span.see(batch)
        on_batch(batch)
    return span


def _notify(hook: BatchHook | None, batch: pa.RecordBatch, report: IngestReport) -> None:
    if hook is not None:
        hook(batch, report)


def _split_by_partition(
    batch: pa.RecordBatch, default: str
) -> Iterator[tuple[tuple[str, date], pa.RecordBatch]]:
    """Split a batch by (collector, UTC day) and drop its ``collector`` column."""
    days = pc.cast(batch.column("timestamp"), pa.date32())
    names = pc.fill_null(batch.column("collector").cast(pa.string()), default)
    body = batch.drop_columns(["collector"])
    unique_days = pc.unique(days).to_pylist()
    unique_names = pc.unique(names).to_pylist()
    if len(unique_days) == 1 and len(unique_names) == 1:
        yield (unique_names[0], unique_days[0]), body
        return
    for name in unique_names:
        same_name = pc.equal(names, name)
        for day in unique_days:
            part = body.filter(pc.and_(same_name, pc.equal(days, pa.scalar(day, pa.date32()))))
            if part.num_rows:
                yield (name, day), part


class _PartWriters:
    """One Parquet writer per partition of one source file, written to temporaries."""

    def __init__(self, lake: Path, fid: str) -> None:
        self._lake = lake
        self._fid = fid
        self._open: dict[tuple[str, date], tuple[pq.ParquetWriter, Path, Path]] = {}

    def __enter__(self) -> _PartWriters:
        return self

    def __exit__(self, *exc: object) -> None:
        for writer, tmp, _ in self._open.values():
            writer.close()
            tmp.unlink(missing_ok=True)
        self._open.clear()

    def write(self, key: tuple[str, date], batch: pa.RecordBatch) -> None:
        """Append ``batch`` to the part of partition ``key``, opening it on first use."""
        if key not in self._open:
            self._open[key] = self._new_writer(key)
        if batch.schema != PART_SCHEMA:
            batch = batch.cast(PART_SCHEMA)
        writer, tmp, _ = self._open[key]
        with _writing(tmp):
            writer.write_batch(batch)

    def _new_writer(self, key: tuple[str, date]) -> tuple[pq.ParquetWriter, Path, Path]:
        _check_collector(key[0])
        folder = self._lake / ELEMS_DIR / f"collector={key[0]}" / f"date={key[1].isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        sweep_folder(folder)
        final = folder / f"{self._fid}.parquet"
        tmp = temporary_for(final)
        with _writing(tmp):
            writer = pq.ParquetWriter(tmp, PART_SCHEMA, compression="zstd")
        return writer, tmp, final

    def finish(self) -> tuple[str, ...]:
        """Close every part and rename it into place; the lake-relative paths, sorted."""
        done = []
        for writer, tmp, final in self._open.values():
            with _writing(tmp):
                writer.close()
                tmp.replace(final)
            done.append(final.relative_to(self._lake).as_posix())
        self._open.clear()
        return tuple(sorted(done))


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Name the lake file in an OSError of a write that does not (disk full, quota, rights)."""
    try:
        yield
    except OSError as exc:
        if exc.filename:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc


def _remove_stale_parts(lake: Path, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    for part in set(old) - set(new):
        (lake / part).unlink(missing_ok=True)


def _manifest(
    path: Path,
    digest: str,
    collector: str,
    span: _Span,
    report: IngestReport,
    parts: tuple[str, ...],
) -> IngestManifest:
    return IngestManifest(
        file_id=digest[:16],
        source=str(path.resolve()),
        size=path.stat().st_size,
        sha256=digest,
        collector=collector,
        first_timestamp=_iso(span.first),
        last_timestamp=_iso(span.last),
        records=dict(sorted(report.records.items())),
        elems=dict(sorted(report.elems.items())),
        problems=summarize_problems(report),
        partial=report.partial,
        parts=parts,
        routewatch_version=__version__,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        lake_format=LAKE_FORMAT,
        source_order=span.source_order,
        time_sorted=span.time_sorted,
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_folder(path.parent)
    tmp = temporary_for(path)
    try:
        with _writing(tmp):
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def scan_lake(
    lake: Path,
    collector: str | None = None,
    start: datetime | date | None = None,
    end: datetime | date | None = None,
) -> ds.Dataset:
    """A dataset over the lake's elems, optionally one collector and ``start <= time < end``.

    Dates mean midnight UTC; naive datetimes are taken as UTC. Partition folders outside the
    range are pruned before any file is opened. The ``collector`` column is a plain string
    and ``date`` (the partition day) is added at the end.
    """
    folder = lake / ELEMS_DIR
    if not folder.is_dir():
        return ds.dataset([], schema=LAKE_SCHEMA)
    dataset = ds.dataset(folder, format="parquet", partitioning=_PARTITIONING, schema=LAKE_SCHEMA)
    condition = _scan_filter(collector, _utc(start), _utc(end))
    return dataset if condition is None else dataset.filter(condition)


def _scan_filter(
    collector: str | None, start: datetime | None, end: datetime | None
) -> ds.Expression | None:
    terms = []
    if collector is not None:
        terms.append(ds.field("collector") == collector)
    if start is not None:
        terms.append(ds.field("date") >= pa.scalar(start.date(), pa.date32()))
        terms.append(ds.field("timestamp") >= pa.scalar(start, ELEMS.field("timestamp").type))
    if end is not None:
        terms.append(ds.field("date") <= pa.scalar(end.date(), pa.date32()))
        terms.append(ds.field("timestamp") < pa.scalar(end, ELEMS.field("timestamp").type))
    if not terms:
        return None
    condition = terms[0]
    for term in terms[1:]:
        condition = condition & term
    return condition


def _utc(moment: datetime | date | None) -> datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(0), tzinfo=UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
