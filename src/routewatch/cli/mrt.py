"""``routewatch mrt``: read MRT archives and print their elems or statistics.

Role: the command-line face of :func:`routewatch.ingest.mrt.read_elems`. ``mrt dump`` writes
elems as ``bgpdump -m`` lines, JSON lines, CSV or Parquet; ``mrt stats`` counts records, elems,
peers and problems per file as text, JSON or CSV.

Values are made readable for people: timestamps in ISO 8601 UTC, prefixes and AS paths as
text, communities as ``asn:value``, large communities as ``global:local1:local2``, unknown
attributes as hex. In CSV, list values are joined with spaces.

Failure modes and exit codes: a file that cannot be read at all is reported on stderr with
what to do and the command goes on with the other files, then exits 1. Records the reader had
to skip are counted; the command prints what was skipped (kinds, counts, first offsets) on
stderr and exits 3. The problem-reporting helpers here are shared with ``routewatch ingest``.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click
import numpy as np
import pyarrow as pa

from routewatch import settings
from routewatch.cli.exits import finish
from routewatch.cli.progress import FileProgress, reading_note
from routewatch.errors import InputError
from routewatch.ingest.mrt.names import collector_for
from routewatch.ingest.report import (
    IngestReport,
    ProblemSummary,
    require_records,
    summarize_problems,
)
from routewatch.schemas import ELEM_TYPES, ELEMS

if TYPE_CHECKING:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

__all__ = [
    "FileStats",
    "echo_partial",
    "echo_unreadable",
    "mrt",
    "readable_table",
]


#: Prints one message line on stderr (plain, or above a progress display).
Echo = Callable[[str], None]

_FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
_COLLECTOR = click.option(
    "--collector",
    metavar="NAME",
    help="Collector name for the elems (default: from the file or folder name, e.g. rrc21).",
)


@click.group()
def mrt() -> None:
    """Read MRT archives (RFC 6396): dump their elems or print statistics.

    Reads MRT files, plain or gzip, bzip2, xz or zstd compressed: RIPE RIS and RouteViews
    update files and RIB dumps (TABLE_DUMP, TABLE_DUMP_V2, BGP4MP, BGP4MP_ET).
    Exit codes: 0 ok, 1 a file could not be read, 2 usage, 3 some records were skipped
    (see the message on stderr)."""


# ------------------------------------------------------------------------------------------
# Shared by the MRT commands and ``routewatch ingest``
# ------------------------------------------------------------------------------------------


def echo_unreadable(path: Path, exc: InputError | OSError, echo: Echo | None = None) -> None:
    """Say on stderr that ``path`` could not be read, and what to do about it."""
    if isinstance(exc, FileNotFoundError):
        reason = "no such file; check the path"
    elif isinstance(exc, OSError):
        reason = f"cannot read it ({exc.strerror or exc}); check the path and its permissions"
    else:
        reason = f"{exc}".removeprefix(f"{path}: ").rstrip(".")
    (echo or _stderr)(
        f"routewatch: error: {path}: {reason}. Give MRT files (RFC 6396) as RIPE RIS and "
        "RouteViews publish them (updates.*, bview.*, rib.*), plain or gzip, bzip2, xz or "
        "zstd compressed; other files are skipped."
    )


def echo_partial(path: Path, problems: Sequence[ProblemSummary], echo: Echo | None = None) -> None:
    """Say on stderr what the reader skipped in ``path``: kinds, counts, first offsets."""
    out = echo or _stderr
    total = sum(p.count for p in problems)
    out(f"routewatch: partial data: {path}: {total} problem(s); the rest was read.")
    for problem in problems:
        offsets = ", ".join(str(o) for o in problem.first_offsets[:5])
        where = f" first at offset(s) {offsets}" if offsets else ""
        detail = f" ({problem.first_detail})" if problem.first_detail else ""
        out(f"  {problem.kind.value}: {problem.count}{where}{detail}")


def _stderr(text: str) -> None:
    click.echo(text, err=True)


def _read(path: Path, collector: str | None, report: IngestReport) -> Iterator[pa.RecordBatch]:
    from routewatch.ingest.mrt import read_elems

    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    name = collector or collector_for(path)
    batch_size = int(settings.get("batch-size"))
    yield from read_elems(path, collector=name, batch_size=batch_size, report=report)


# ------------------------------------------------------------------------------------------
# Readable values
# ------------------------------------------------------------------------------------------

_READABLE_COLUMNS = (
    "timestamp",
    "elem_type",
    "record_type",
    "collector",
    "peer_ip",
    "peer_asn",
    "prefix",
    "path_id",
    "as_path",
    "origin_asn",
    "origin_asns",
    "as_set",
    "origin",
    "next_hop",
    "local_pref",
    "med",
    "communities",
    "large_communities",
    "atomic_aggregate",
    "aggr_asn",
    "aggr_ip",
    "only_to_customer",
    "unknown_attrs",
    "old_state",
    "new_state",
    "record_offset",
)


def readable_table(batch: pa.RecordBatch, *, join_lists: bool = False) -> pa.Table:
    """The batch with values people read: ISO times, ``a:b`` communities, hex attributes.

    Columns are those of :data:`_READABLE_COLUMNS` (the bit columns ``afi``, ``prefix_hi``,
    ``prefix_lo``, ``prefix_len`` and ``path_asns`` are left out: ``prefix`` and
    ``as_path`` say the same). With ``join_lists`` list values become space-joined text.
    """
    import pyarrow.compute as pc  # only the readable formats need it: imported when used

    columns: dict[str, pa.Array] = {}
    for name in _READABLE_COLUMNS:
        column = batch.column(name)
        if name == "timestamp":
            column = _iso_times(column)
        elif name == "communities":
            column = _communities(column)
        elif name == "large_communities":
            column = _large_communities(column)
        elif name == "unknown_attrs":
            column = _hex_list(column)
        elif name == "origin_asns":
            column = _list_values_as_text(column)
        elif pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        if join_lists and pa.types.is_list(column.type):
            column = pc.binary_join(column, " ")
        columns[name] = column
    return pa.table(columns)


def _iso_times(column: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    text = pc.strftime(column, format="%Y-%m-%dT%H:%M:%SZ")
    return pc.replace_substring(text, ".000000Z", "Z")


def _list_parts(column: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The list column's values and offsets, both starting at the column's first row."""
    import pyarrow.compute as pc

    start = column.offsets[0].as_py()
    end = column.offsets[-1].as_py()
    offsets = pc.subtract(column.offsets, pa.scalar(start, pa.int32()))
    return column.values.slice(start, end - start), offsets


def _rebuild(column: pa.Array, values: pa.Array, offsets: pa.Array) -> pa.Array:
    return pa.ListArray.from_arrays(offsets, values, mask=column.is_null())


def _communities(column: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    values, offsets = _list_parts(column)
    high = pc.cast(pc.shift_right(values, 16), pa.string())
    low = pc.cast(pc.bit_wise_and(values, pa.scalar(0xFFFF, pa.uint32())), pa.string())
    return _rebuild(column, pc.binary_join_element_wise(high, low, ":"), offsets)


def _large_communities(column: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    values, offsets = _list_parts(column)
    parts = [pc.cast(values.field(i), pa.string()) for i in range(3)]
    return _rebuild(column, pc.binary_join_element_wise(*parts, ":"), offsets)


def _list_values_as_text(column: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    values, offsets = _list_parts(column)
    return _rebuild(column, pc.cast(values, pa.string()), offsets)


def _hex_list(column: pa.Array) -> pa.Array:
    values, offsets = _list_parts(column)
    text = pa.array([v.hex() for v in values.to_pylist()], pa.string())
    return _rebuild(column, text, offsets)


# ------------------------------------------------------------------------------------------
# mrt dump
# ------------------------------------------------------------------------------------------

_DUMP_FORMATS = ("bgpdump", "jsonl", "csv", "parquet")


class _Sink:
    """Writes batches in one output format to one binary stream or Parquet file."""

    def __init__(self, fmt: str, stream: BinaryIO | None, output: Path | None) -> None:
        self._fmt = fmt
        self._stream = stream
        self._output = output
        self._csv: pacsv.CSVWriter | None = None
        self._parquet: pq.ParquetWriter | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if self._fmt == "parquet":
            self._write_parquet(batch)
            return
        assert self._stream is not None
        if self._fmt == "bgpdump":
            from routewatch.ingest.mrt.bgpdump import bgpdump_lines

            lines = bgpdump_lines(batch)
            if lines:
                self._stream.write(("\n".join(lines) + "\n").encode())
        elif self._fmt == "jsonl":
            rows = readable_table(batch).to_pylist()
            text = "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
            self._stream.write(text.encode())
        else:
            table = readable_table(batch, join_lists=True)
            if self._csv is None:
                import pyarrow.csv as pacsv

                self._csv = pacsv.CSVWriter(self._stream, table.schema)
            self._csv.write_table(table)

    def _write_parquet(self, batch: pa.RecordBatch) -> None:
        import pyarrow.parquet as pq

        assert self._output is not None
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._output, ELEMS, compression="zstd")
        self._parquet.write_batch(batch if batch.schema == ELEMS else batch.cast(ELEMS))

    def close(self) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._parquet is not None:
            self._parquet.close()
        elif self._fmt == "parquet" and self._output is not None:
            import pyarrow.parquet as pq

            pq.write_table(ELEMS.empty_table(), self._output, compression="zstd")
        if self._stream is not None:
            self._stream.flush()


@mrt.command("dump")
@_FILES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_DUMP_FORMATS),
    default="bgpdump",
    show_default=True,
    help="bgpdump: 'bgpdump -m' lines; jsonl: one JSON object per elem; csv: with a header "
    "row; parquet: the ELEMS schema as is (needs --output).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write here instead of standard output.",
)
@_COLLECTOR
@click.pass_context
def dump(
    ctx: click.Context,
    files: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    collector: str | None,
) -> None:
    """Print the elems of MRT FILES, one per line (or row), in file order.

    \b
    Examples:
      routewatch mrt dump updates.20160811.1600.gz | head
      routewatch mrt dump --format jsonl bview.20020722.2337.gz > rib.jsonl
      routewatch mrt dump --format csv --collector rrc21 updates.*.gz -o elems.csv
      routewatch mrt dump --format parquet -o elems.parquet updates.20160811.1600.gz

    The bgpdump format matches 'bgpdump -m' line for line, so existing scripts keep working.
    """
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet writes a file; give it with --output PATH.")
    with ExitStack() as stack:
        stream: BinaryIO | None = None
        if fmt != "parquet" and output is not None:
            stream = stack.enter_context(output.open("wb"))
        elif fmt != "parquet":
            stream = sys.stdout.buffer
        sink = _Sink(fmt, stream, output)
        show = output is not None or not sys.stdout.isatty()
        try:
            unreadable, partial = _dump_files(files, sink, collector, show)
            sink.close()
        except BrokenPipeError:
            _quiet_broken_pipe()
            return
    finish(unreadable=unreadable, partial=partial)


def _dump_files(
    files: Sequence[Path], sink: _Sink, collector: str | None, show: bool
) -> tuple[int, int]:
    unreadable = partial = 0
    with FileProgress(files, verb="Reading", enabled=None if show else False) as progress:
        for path in files:
            progress.start(path)
            report = IngestReport()
            try:
                for batch in _read(path, collector, report):
                    sink.write(batch)
                    progress.update(note=reading_note(report))
                require_records(path, report)
            except (InputError, OSError) as exc:
                if isinstance(exc, BrokenPipeError):
                    raise
                echo_unreadable(path, exc, progress.echo)
                unreadable += 1
                report = IngestReport()
            progress.done(path)
            if report.partial:
                echo_partial(path, summarize_problems(report), progress.echo)
                partial += 1
    return unreadable, partial


def _quiet_broken_pipe() -> None:
    """The reader of stdout went away (``| head``): stop quietly, as Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


# ------------------------------------------------------------------------------------------
# mrt stats
# ------------------------------------------------------------------------------------------


@dataclass
class FileStats:
    """What ``mrt stats`` counts in one file."""

    file: str
    collector: str | None = None
    records: Counter[str] = field(default_factory=Counter)
    elems: Counter[str] = field(default_factory=Counter)
    peers: dict[tuple[str, int], Counter[str]] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    problems: tuple[ProblemSummary, ...] = ()

    def add(self, batch: pa.RecordBatch) -> None:
        """Count one batch of elems (with numpy on the dictionary codes: no compute kernels
        to load for a small file)."""
        if batch.num_rows == 0:
            return
        peer_ip, elem_type = batch.column("peer_ip"), batch.column("elem_type")
        # one key per (peer, peer AS, elem type): 16 + 32 + 2 bits
        key = (
            (_codes(peer_ip) << 34)
            | (batch.column("peer_asn").to_numpy().astype(np.int64) << 2)
            | _codes(elem_type)
        )
        keys, counts = np.unique(key, return_counts=True)
        peers, types = peer_ip.dictionary.to_pylist(), elem_type.dictionary.to_pylist()
        for k, count in zip(keys.tolist(), counts.tolist(), strict=True):
            peer = (str(peers[k >> 34]), (k >> 2) & 0xFFFFFFFF)
            kind = str(types[k & 3])
            self.peers.setdefault(peer, Counter())[kind] += count
            self.elems[kind] += count
        stamps = batch.column("timestamp").view(pa.int64()).to_numpy()
        low, high = _utc(int(stamps.min())), _utc(int(stamps.max()))
        self.first = low if self.first is None else min(self.first, low)
        self.last = high if self.last is None else max(self.last, high)
        if self.collector is None:
            collector = batch.column("collector")
            if collector.null_count < len(collector):
                self.collector = str(collector.dictionary[_codes(collector).max()])

    def finish(self, report: IngestReport) -> None:
        """Take the record counts and problems from the reader's report."""
        self.records.update(report.records)
        self.problems = summarize_problems(report)

    def as_dict(self) -> dict[str, object]:
        """The statistics as JSON-ready values (times as ISO 8601 UTC)."""
        return {
            "file": self.file,
            "collector": self.collector,
            "first_timestamp": _iso(self.first),
            "last_timestamp": _iso(self.last),
            "records": sum(self.records.values()),
            "records_by_type": dict(sorted(self.records.items())),
            "elems": sum(self.elems.values()),
            "elems_by_type": _by_elem_type(self.elems),
            "peers": len(self.peers),
            "peer_elems": [
                {"peer_ip": ip, "peer_asn": asn, "elems": total, "by_type": _by_elem_type(c)}
                for total, (ip, asn), c in sorted(
                    ((sum(c.values()), peer, c) for peer, c in self.peers.items()),
                    key=lambda item: (-item[0], item[1]),
                )
            ],
            "problems": [
                {
                    "kind": p.kind.value,
                    "count": p.count,
                    "first_offsets": list(p.first_offsets),
                    "first_detail": p.first_detail,
                }
                for p in self.problems
            ],
            "partial": bool(self.problems),
        }


def _codes(column: pa.DictionaryArray) -> np.ndarray:
    """The dictionary indices of a column as int64 (nulls as -1)."""
    indices = column.indices.fill_null(-1) if column.null_count else column.indices
    return np.asarray(indices.to_numpy(), np.int64)


def _utc(microseconds: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=microseconds)


def _by_elem_type(counts: Counter[str]) -> dict[str, int]:
    return {t: counts[t] for t in ELEM_TYPES if counts[t]}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return text.replace(".000000Z", "Z")


@mrt.command("stats")
@_FILES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="text for people; json with per-peer elem counts; csv one row per file.",
)
@_COLLECTOR
@click.pass_context
def stats(ctx: click.Context, files: tuple[Path, ...], fmt: str, collector: str | None) -> None:
    """Count records, elems, peers and problems in each MRT file.

    \b
    Examples:
      routewatch mrt stats updates.20160811.1600.gz
      routewatch mrt stats --format json bview.20020722.2337.gz | jq '.files[0].peers'
      routewatch mrt stats --format csv updates.*.gz > stats.csv

    Elems are counted by type: R (RIB entry), A (announce), W (withdraw), S (state change).
    Problems give their kind, count and the offsets of the first records concerned in the
    decompressed stream (a hex dump at that offset shows the bytes).
    """
    results: list[FileStats] = []
    unreadable = partial = 0
    with FileProgress(files, verb="Reading") as progress:
        for path in files:
            progress.start(path)
            counted, failed = _stats_of(path, collector, progress)
            progress.done(path)
            unreadable += failed
            if counted is not None:
                results.append(counted)
                partial += bool(counted.problems)
    _print_stats(results, fmt)
    for item in results:
        if item.problems:
            echo_partial(Path(item.file), item.problems)
    finish(unreadable=unreadable, partial=partial)


def _stats_of(
    path: Path, collector: str | None, progress: FileProgress
) -> tuple[FileStats | None, int]:
    report = IngestReport()
    counted = FileStats(str(path))
    try:
        for batch in _read(path, collector, report):
            counted.add(batch)
            progress.update(note=reading_note(report))
        require_records(path, report)
    except (InputError, OSError) as exc:
        echo_unreadable(path, exc, progress.echo)
        return None, 1
    counted.finish(report)
    return counted, 0


_CSV_FIELDS = (
    "file",
    "collector",
    "first_timestamp",
    "last_timestamp",
    "records",
    "elems",
    *(f"elems_{t}" for t in ELEM_TYPES),
    "peers",
    "problems",
    "partial",
)


def _print_stats(results: Sequence[FileStats], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps({"files": [r.as_dict() for r in results]}, indent=2))
    elif fmt == "csv":
        click.echo(",".join(_CSV_FIELDS))
        for item in results:
            click.echo(",".join(_csv_cell(v) for v in _csv_row(item)))
    else:
        for item in results:
            click.echo(_stats_text(item))


def _csv_row(item: FileStats) -> list[object]:
    data = item.as_dict()
    problems = sum(p.count for p in item.problems)
    return [
        data["file"],
        data["collector"],
        data["first_timestamp"],
        data["last_timestamp"],
        data["records"],
        data["elems"],
        *(item.elems[t] for t in ELEM_TYPES),
        data["peers"],
        problems,
        "true" if problems else "false",
    ]


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if any(c in text for c in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _stats_text(item: FileStats) -> str:
    records = ", ".join(f"{k} {v:,}" for k, v in sorted(item.records.items()))
    elems = ", ".join(f"{k} {v:,}" for k, v in _by_elem_type(item.elems).items())
    lines = [
        item.file,
        f"  collector  {item.collector or '-'}",
        f"  time       {_iso(item.first) or '-'} .. {_iso(item.last) or '-'}",
        f"  records    {sum(item.records.values()):,}" + (f" ({records})" if records else ""),
        f"  elems      {sum(item.elems.values()):,}" + (f" ({elems})" if elems else ""),
        f"  peers      {len(item.peers):,}",
    ]
    if not item.problems:
        lines.append("  problems   none")
    for problem in item.problems:
        offsets = ", ".join(str(o) for o in problem.first_offsets[:5])
        lines.append(f"  problem    {problem.kind.value}: {problem.count:,} (first at {offsets})")
    return "\n".join(lines)
