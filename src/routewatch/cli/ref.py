"""``routewatch ref``: load any reference file and show what routewatch reads from it.

``routewatch ref show KIND FILE...`` detects the format of each file from its content (see
:mod:`routewatch.reference.sniff`; compressed files are fine), loads them as one snapshot and
prints its rows as a text table, JSON lines or CSV — or, with ``--summary``, the kind, format,
row count, as-of date and the first problems with ``file:line``. ``ref formats`` lists the
formats routewatch reads.

Exit codes: 0 ok; 1 the file is unusable (unknown format, implausibly small); 2 usage; 3 the
file loaded but some lines were malformed (listed on stderr, or in the summary).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import click
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from routewatch.cli.exits import finish
from routewatch.reference.base import RefKind, Snapshot
from routewatch.reference.sniff import import_loaders, load_any

__all__ = ["DEFAULT_TEXT_ROWS", "PROBLEMS_SHOWN", "ref", "render_rows", "render_summary"]

#: Rows a text table shows when no ``--limit`` is given (JSON and CSV show every row).
DEFAULT_TEXT_ROWS = 20
#: Problems listed in a summary or on stderr (the count always covers all of them).
PROBLEMS_SHOWN = 5
_TEXT_WIDTH = 200


@click.group()
def ref() -> None:
    """Load and show reference data (RPKI, IRR, bogons, registries, PeeringDB, MANRS, ...)."""


@ref.command("show")
@click.argument("kind", type=click.Choice(["auto", *(k.value for k in RefKind)]))
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="Text table, JSON lines or CSV.",
)
@click.option("--summary", is_flag=True, help="Kind, format, rows, as-of date and problems only.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=None,
    help=f"Rows to print (default {DEFAULT_TEXT_ROWS} for text, all for json/csv).",
)
def show(
    kind: str,
    files: tuple[Path, ...],
    output: str,
    summary: bool,
    limit: int | None,
) -> None:
    """Load FILE... as KIND (or detect it: auto) and print rows or a summary.

    Exit 3 when some lines were malformed (they are skipped and listed).
    """
    snapshot = load_any(list(files), None if kind == "auto" else RefKind(kind))
    if summary:
        click.echo(render_summary(snapshot, output), nl=False)
    else:
        if limit is None and output == "text":
            limit = DEFAULT_TEXT_ROWS
        table = snapshot.table if limit is None else snapshot.table.slice(0, limit)
        click.echo(render_rows(table, output), nl=False)
        _report_problems(snapshot)
    finish(partial=len(snapshot.problems))


@ref.command("formats")
def formats() -> None:
    """List the reference formats routewatch reads, with their kind."""
    for fmt in import_loaders():
        click.echo(f"{fmt.kind.value:<20} {fmt.name}")


def _report_problems(snapshot: Snapshot) -> None:
    if not snapshot.problems:
        return
    click.echo(f"routewatch: {len(snapshot.problems)} malformed line(s) skipped:", err=True)
    for problem in snapshot.problems[:PROBLEMS_SHOWN]:
        click.echo(f"  {problem.file}:{problem.line}: {problem.detail}", err=True)


def _plain(value: object) -> object:
    """A JSON-ready value: dates as ISO text, bytes as hex, lists element by element."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _cell(value: object) -> str:
    """A text or CSV cell: null empty, lists space-separated."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_cell(v) for v in value)
    plain = _plain(value)
    return plain if isinstance(plain, str) else json.dumps(plain)


def render_rows(table: pa.Table, output: str) -> str:
    """Rows of ``table`` as a rich text table, JSON lines or CSV (with a header line)."""
    rows = table.to_pylist()
    if output == "json":
        return "".join(json.dumps(_plain(row), ensure_ascii=False) + "\n" for row in rows)
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(table.column_names)
        writer.writerows([_cell(row[name]) for name in table.column_names] for row in rows)
        return buffer.getvalue()
    grid = Table(*table.column_names, show_lines=False)
    for row in rows:
        grid.add_row(*(_cell(row[name]) for name in table.column_names))
    return _render_rich(grid)


def _render_rich(renderable: Table) -> str:
    console = Console(
        file=io.StringIO(),
        width=_TEXT_WIDTH,
        color_system=None,
        force_terminal=False,
        legacy_windows=False,
    )
    console.print(renderable)
    stream = console.file
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def _summary_fields(snapshot: Snapshot) -> dict[str, object]:
    return {
        "kind": snapshot.kind.value,
        "format": snapshot.format,
        "files": list(snapshot.files),
        "rows": snapshot.table.num_rows,
        "as_of": snapshot.as_of.isoformat() if snapshot.as_of else None,
        "problems": len(snapshot.problems),
        "first_problems": [
            f"{p.file}:{p.line}: {p.detail}" for p in snapshot.problems[:PROBLEMS_SHOWN]
        ],
    }


def render_summary(snapshot: Snapshot, output: str) -> str:
    """The snapshot's kind, format, files, rows, as-of date and first problems."""
    fields = _summary_fields(snapshot)
    if output == "json":
        return json.dumps(fields, ensure_ascii=False) + "\n"
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["field", "value"])
        writer.writerows([key, _cell(value)] for key, value in fields.items())
        return buffer.getvalue()
    lines = [
        f"{key:<9} {_cell(value)}"
        for key, value in fields.items()
        if key not in ("files", "first_problems")
    ]
    lines[2:2] = [f"{'file':<9} {name}" for name in snapshot.files]
    lines += [f"  {p.file}:{p.line}: {p.detail}" for p in snapshot.problems[:PROBLEMS_SHOWN]]
    return "\n".join(lines) + "\n"
