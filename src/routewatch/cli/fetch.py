"""``routewatch fetch`` and ``routewatch sources``: fill the download cache and show it.

``fetch SOURCE --date D [--to T] [--collector C] [--kind K] [--offline]`` downloads what the
source's plan names (progress bar on stderr) and prints one line per file: status
(fresh / cached / stale), cache key, size, SHA-256, as-of and local path. Exit codes: 0 all
files current, 3 some file is a stale stand-in (reasons on stderr), 1 a file could not be had
at all. ``sources`` lists every source with its cadence and what the cache holds, as text,
JSON or CSV built from the same rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from routewatch.cli.exits import finish
from routewatch.sources import SOURCES, FetchResult, PlanItem, Status, Window, get_source
from routewatch.sources.cache import Cache, Entry
from routewatch.sources.http import Progress as ProgressCallback
from routewatch.sources.registry import make_fetcher

__all__ = ["SourceRow", "fetch", "render_sources", "source_rows", "sources"]

_CACHE_DIR = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Cache folder (setting 'cache-dir').",
)


@click.command()
@click.argument("source")
@click.option(
    "--date",
    "date_text",
    required=True,
    help="Start: YYYY-MM-DD (that whole UTC day) or YYYY-MM-DDTHH:MM (UTC).",
)
@click.option("--to", "to_text", help="End of the window (exclusive), same format.")
@click.option("--collector", help="One collector (RIS rrcNN, RouteViews name, RIR, TAL, ...).")
@click.option("--kind", "kinds", multiple=True, help="Only these kinds (rib, updates, ...).")
@click.option("--offline/--online", default=None, help="Use the cache only (setting 'offline').")
@click.option("--refresh", is_flag=True, help="Download again even files already cached.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_CACHE_DIR
def fetch(
    source: str,
    date_text: str,
    to_text: str | None,
    collector: str | None,
    kinds: tuple[str, ...],
    offline: bool | None,
    refresh: bool,
    fmt: str,
    cache_dir: Path | None,
) -> None:
    """Download SOURCE's files for a date or time window into the cache.

    Exit codes: 0 every file current, 3 an older copy stands in for a file that failed
    (reasons on stderr), 1 a file could not be had at all.
    """
    chosen = get_source(source)
    window = Window.parse(date_text, to_text)
    with _progress() as progress:
        fetcher = make_fetcher(offline=offline, cache_dir=cache_dir, progress=progress)
        try:
            result = fetcher.fetch(chosen, window, collector, kinds=kinds, refresh=refresh)
        finally:
            fetcher.close()
    click.echo(_render_result(result, fmt), nl=False)
    for reason in result.reasons:
        click.echo(f"routewatch: stale: {reason}", err=True)
    finish(partial=result.stale)


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True
)
@_CACHE_DIR
def sources(fmt: str, cache_dir: Path | None) -> None:
    """List the sources, their cadence, and what the cache holds for each."""
    fetcher = make_fetcher(cache_dir=cache_dir)
    rows = source_rows(fetcher.cache, dt.datetime.now(dt.UTC))
    click.echo(render_sources(rows, fmt), nl=False)


@dataclass(frozen=True)
class SourceRow:
    """What ``routewatch sources`` shows for one source (text, JSON and CSV alike)."""

    source: str
    title: str
    cadence: str
    historical: bool
    collectors: str
    cached_files: int
    cached_bytes: int
    newest_as_of: str | None
    last_fetched: str | None
    age_seconds: int | None


def source_rows(cache: Cache, now: dt.datetime) -> list[SourceRow]:
    """One row per source: name, cadence, collectors, cached files/bytes, newest and age."""
    rows: list[SourceRow] = []
    for name, source in SOURCES.items():
        entries = cache.entries(name)
        newest = max(entries, key=lambda e: e.fetched_at) if entries else None
        rows.append(
            SourceRow(
                name,
                source.title,
                source.cadence,
                source.historical,
                " ".join(source.collectors),
                len(entries),
                sum(e.size for e in entries),
                _iso(_newest_as_of(entries)),
                _iso(newest.fetched_at) if newest else None,
                int((now - newest.fetched_at).total_seconds()) if newest else None,
            )
        )
    return rows


def _newest_as_of(entries: list[Entry]) -> dt.datetime | None:
    dated = [e.as_of for e in entries if e.as_of is not None]
    return max(dated) if dated else None


def render_sources(rows: list[SourceRow], fmt: str) -> str:
    """The ``sources`` table as ``text``, ``json`` or ``csv`` (same rows, same order)."""
    if fmt == "json":
        return json.dumps([asdict(row) for row in rows], indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(
            out, fieldnames=[f.name for f in fields(SourceRow)], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(
            {k: str(v).lower() if isinstance(v, bool) else v for k, v in asdict(row).items()}
            for row in rows
        )
        return out.getvalue()
    lines = [
        f"{'source':<12} {'cadence':<38} {'cached':>6} {'bytes':>12}  {'newest as-of':<20} age"
    ]
    for row in rows:
        age = "-" if row.age_seconds is None else _age(row.age_seconds)
        lines.append(
            f"{row.source:<12} {row.cadence:<38} {row.cached_files:>6} "
            f"{row.cached_bytes:>12}  {row.newest_as_of or '-':<20} {age}"
        )
    return "\n".join(lines) + "\n"


def _render_result(result: FetchResult, fmt: str) -> str:
    if fmt == "json":
        return (
            json.dumps(
                {
                    "source": result.source,
                    "stale": result.stale,
                    "files": [
                        {
                            "key": f.item.key,
                            "url": f.item.url,
                            "status": f.status.value,
                            "path": str(f.path),
                            "size": f.size,
                            "sha256": f.sha256,
                            "as_of": _iso(f.as_of),
                            "fetched_at": _iso(f.fetched_at),
                            "stand_in": f.key if f.key != f.item.key else None,
                            "checksum": f.checksum,
                            "reason": f.reason,
                        }
                        for f in result.files
                    ],
                },
                indent=2,
            )
            + "\n"
        )
    lines = []
    for f in result.files:
        as_of = f"{f.as_of:%Y-%m-%d %H:%M}" if f.as_of else "-"
        stand_in = f" (stand-in: {f.key})" if f.status is Status.STALE else ""
        lines.append(
            f"{f.status.value:<6} {f.item.key}{stand_in}\n"
            f"       {f.size} bytes  sha256 {f.sha256}  as-of {as_of}\n"
            f"       {f.path}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


@contextmanager
def _progress() -> Iterator[Callable[[PlanItem], ProgressCallback]]:
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )

    def start(item: PlanItem) -> ProgressCallback:
        task = bar.add_task(item.filename, total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        return advance

    with bar:
        yield start


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    return f"{days} d {rest // 3600} h" if days else f"{rest // 3600} h {rest % 3600 // 60} min"
