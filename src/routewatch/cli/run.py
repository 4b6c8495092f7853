"""``routewatch run`` and ``routewatch demo``: the main job, over a month or the bundled sample.

``run`` fetches (or takes from the cache) what a month needs, then ingests, detects, scores
and stores it through :mod:`routewatch.pipeline`; ``demo`` runs the same pipeline offline over
the sample bundled with the package (:mod:`routewatch.demo`) and then serves the dashboard.
Both draw progress bars on stderr when it is a terminal and print a summary on stdout:
incidents by type, networks measured, bands per action, the snapshot dates used and every
gap.

Exit codes: 0 ok, 1 error, 2 usage, 3 finished with partial or stale data (``run`` only: the
demo's gaps are those of its sample, printed but not an error).
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from routewatch import settings
from routewatch.errors import ConfigError
from routewatch.pipeline import (
    DEFAULT_COLLECTORS,
    RunResult,
    demo_inputs,
    gather_month,
    run_month,
)

__all__ = ["BarObserver", "demo", "format_summary", "run", "serve_dashboard"]

_ACTIONS = ("filtering", "anti-spoofing", "coordination", "global-validation-irr",
            "global-validation-rpki")  # fmt: skip
_BANDS = ("ready", "aspiring", "lagging", "no-data")


class BarObserver:
    """Pipeline progress as rich bars on stderr (only when stderr is a terminal)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> BarObserver:
        if self._enabled:
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                                      TimeElapsedColumn(), console=Console(stderr=True))
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def stage(self, name: str, total: int | None = None) -> None:
        """A new bar for a new stage."""
        if self._progress is not None:
            self._task = self._progress.add_task(name, total=total, note="")

    def advance(self, note: str = "") -> None:
        """Advance the current bar."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, note=note[:40])

    def message(self, text: str) -> None:
        """A line above the bars (or on stderr)."""
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            click.echo(text, err=True)


def format_summary(result: RunResult, stale: tuple[str, ...] = ()) -> str:
    """The end-of-run summary: what was measured, found and missing, and from which data."""
    run = result.run
    lines = [f"routewatch {run.month:%Y-%m}: run {run.run_id} {run.status.value} "
             f"(methodology {run.methodology}) in {result.seconds:.1f} s -> {result.db}"]
    elems = ", ".join(f"{k} {v:,}" for k, v in sorted(result.elems.items()))
    lines.append(f"  BGP: {result.mrt_files} MRT files, elems {elems or 'none'}")
    if result.observed:
        first, last = result.observed
        lines.append(f"  BGP time covered: {first:%Y-%m-%d %H:%M:%S} to {last:%Y-%m-%d %H:%M:%S}"
                     " UTC")
    lines.append(f"  networks measured: {result.networks:,} ({result.networks_seen:,} seen in BGP"
                 " by enough peers)")
    lines.append("  incidents by type:")
    for metric, count in result.incidents_by_metric.items():
        lines.append(f"    {metric:<14} {count:>6}")
    if not result.incidents_by_metric:
        lines.append("    none")
    lines.append(f"  {'bands per action:':<26}" + "  ".join(f"{b:>9}" for b in _BANDS))
    for action in _ACTIONS:
        counts = result.bands.get(action, {})
        lines.append(f"    {action:<24}" + "  ".join(f"{counts.get(b, 0):>9,}" for b in _BANDS))
    lines.append("  snapshots used:")
    for series, day in sorted(run.snapshot_dates.items()):
        lines.append(f"    {series:<24} {day.isoformat()}")
    if run.snapshot_gaps or stale:
        lines.append("  missing / stale / gaps:")
        lines += [f"    - {gap}" for gap in (*run.snapshot_gaps, *stale)]
    return "\n".join(lines)


def _month(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip()[:7] + "-01")
    except ValueError:
        raise ConfigError(f"--month {text!r}: expected YYYY-MM, e.g. 2024-06") from None


def _db(path: Path | None) -> Path:
    return path if path is not None else Path(str(settings.get("db")))


@click.command(epilog="""Defaults are sized for one machine: two collectors (rrc00 and
route-views2), each with the RIB at the start of the month and every update file of the month
(RIS: up to 8,928 five-minute files, RouteViews: up to 2,976 fifteen-minute files) — in recent
years roughly 20-40 GB of downloads a month for the two plus about 0.5 GB of RIBs, cached once
and read one hour of data at a time; plus the reference snapshots
at the month's start (RPKI VRPs of the five trust anchors, the five RIRs' delegations, CAIDA
relationships and organisations, IRR dumps of six registries, PeeringDB, MANRS, Spoofer).
Every further collector adds about as much as one of the defaults.""")
@click.option("--month", required=True, help="The month to measure, YYYY-MM (UTC).")
@click.option("--collectors", default=",".join(DEFAULT_COLLECTORS), show_default=True,
              help="Comma list of RIS (rrcNN) and RouteViews (route-views*) collectors.")
@click.option("--offline", is_flag=True, default=None,
              help="Use the download cache only; never touch the network.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB store to write (default: the 'db' setting).")
@click.option("--lake", type=click.Path(file_okay=False, path_type=Path),
              help="Also write the elems to this Parquet lake (idempotent).")
def run(month: str, collectors: str, offline: bool | None, db: Path | None,
        lake: Path | None) -> None:
    """Fetch, ingest, detect, score and store one month.

    Exit code 3 when some data was missing or stale (the summary says what).
    """
    when = _month(month)
    names = tuple(c.strip() for c in collectors.split(",") if c.strip())
    if not names:
        raise ConfigError("--collectors: name at least one collector, e.g. rrc00")
    with BarObserver() as observer:
        inputs = gather_month(when, names, offline=offline, observer=observer)
        result = run_month(inputs, _db(db), observer=observer, lake=lake)
    click.echo(format_summary(result, inputs.stale))
    if result.partial:
        raise click.exceptions.Exit(3)


@click.command()
@click.option("--no-serve", is_flag=True, help="Run the pipeline only; do not start the web app.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB store to write (default: the 'db' setting).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to serve on.")
def demo(no_serve: bool, db: Path | None, host: str, port: int) -> None:
    """Run the whole pipeline offline over the bundled real sample (August 2016), then serve
    the dashboard.

    The sample: RIPE RIS rrc21 updates of 2016-08-11 16:00 UTC, the ROA list of 2016-05-27,
    AS relationships of 2018-01, RIR delegations, IRR route objects, PeeringDB and Spoofer
    samples — the gaps between their dates are printed and stamped on the run.
    """
    target = _db(db)
    with BarObserver() as observer:
        result = run_month(demo_inputs(), target, observer=observer)
    click.echo(format_summary(result))
    if not no_serve:
        serve_dashboard(target, host, port)


def serve_dashboard(db: Path, host: str, port: int,
                    echo: Callable[[str], None] = click.echo) -> bool:
    """Serve the dashboard over ``db`` with ``routewatch.web.app.serve`` when the web app is
    installed; otherwise say so. Returns whether it served (blocks until stopped)."""
    if importlib.util.find_spec("routewatch.web") is None or \
            importlib.util.find_spec("routewatch.web.app") is None:
        echo("The dashboard (routewatch.web) is not available in this build; the results are "
             f"in {db} ('routewatch report', 'routewatch area', 'routewatch export').")
        return False
    serve = getattr(importlib.import_module("routewatch.web.app"), "serve", None)
    if not callable(serve):
        echo("routewatch.web.app has no serve(db, host, port); rerun with --no-serve.")
        return False
    echo(f"Serving the dashboard on http://{host}:{port}/ (Ctrl-C to stop)")
    serve(db, host, port)
    return True
