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
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

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
from routewatch.cli.exits import finish
from routewatch.errors import ConfigError
from routewatch.methodology import BANDS, RW_2026_1, Action
from routewatch.months import BulkResult, MonthOutcome, Outcome, month_range, parse_month
from routewatch.pipeline import (
    DEFAULT_COLLECTORS,
    ENGINES,
    Engine,
    MonthInputs,
    RunResult,
    engine_named,
    gather_month,
    run_month,
)
from routewatch.store import Store

__all__ = ["BarObserver", "coverage_text", "demo", "engine_options", "format_bulk",
           "format_summary", "run", "serve_dashboard"]

_F = TypeVar("_F", bound=Callable[..., Any])


def engine_options(command: _F) -> _F:
    """``--engine`` and ``--spark-master`` (run, demo and detect share them)."""
    command = click.option(
        "--spark-master", metavar="URL",
        help="Spark master of --engine spark: local[N], spark://HOST:PORT, yarn or k8s://URL "
             "(default: the 'spark-master' setting, local[2]).")(command)  # fmt: skip
    return click.option(
        "--engine", "engine_name", type=click.Choice(ENGINES),
        help="Where detection and the aggregations run: local (this machine) or spark "
             "(Apache Spark, same tables; pip install 'routewatch[spark]'); default: the "
             "'engine' setting.")(command)  # fmt: skip



class BarObserver:
    """Pipeline progress as rich bars on stderr (only when stderr is a terminal)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._months: TaskID | None = None
        self._months_total = 0
        self._stages: list[TaskID] = []

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
            if self._months is not None and exc is None:  # every month has been run
                self._progress.update(self._months, completed=self._months_total, note="done")
            self._progress.stop()
            self._progress = None

    def month(self, month: dt.date, index: int, total: int) -> None:
        """A bulk run reaches its next month: the months bar advances, the stage bars of the
        month before are cleared."""
        if self._progress is None:
            return
        if self._months is None:
            self._months = self._progress.add_task("Months", total=total, note="")
            self._months_total = total
        for task in self._stages:
            self._progress.remove_task(task)
        self._stages = []
        self._progress.update(self._months, completed=index, note=f"{month:%Y-%m}")

    def stage(self, name: str, total: int | None = None) -> None:
        """A new bar for a new stage."""
        if self._progress is not None:
            self._task = self._progress.add_task(name, total=total, note="")
            self._stages.append(self._task)

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
    lines.append(f"  coverage: {coverage_text(result)} of update data in the month")
    lines.append(f"  networks measured: {result.networks:,} ({result.networks_seen:,} seen in BGP"
                 " by enough peers)")
    lines.append("  incidents by type:")
    for metric, count in result.incidents_by_metric.items():
        lines.append(f"    {metric:<14} {count:>6}")
    if not result.incidents_by_metric:
        lines.append("    none")
    lines.append(f"  {'bands per action:':<26}" + "  ".join(f"{b:>9}" for b in BANDS))
    for action in Action:
        counts = result.bands.get(action, {})
        lines.append(f"    {action:<24}" + "  ".join(f"{counts.get(b, 0):>9,}" for b in BANDS))
    if result.stages:
        lines.append("  time (wall / CPU s): " + ", ".join(
            f"{name} {wall:.1f}/{cpu:.1f}" for name, (wall, cpu) in result.stages.items()))
    lines.append("  snapshots used:")
    for series, day in sorted(run.snapshot_dates.items()):
        lines.append(f"    {series:<24} {day.isoformat()}")
    if run.snapshot_gaps or stale:
        lines.append("  missing / stale / gaps:")
        lines += [f"    - {gap}" for gap in (*run.snapshot_gaps, *stale)]
    return "\n".join(lines)


def _db(path: Path | None) -> Path:
    return path if path is not None else Path(str(settings.get("db")))


@click.command(epilog="""Defaults are sized for one machine: two collectors (rrc00 and
route-views2), each with the RIB at the start of the baseline (7 days before the month: origins
are established by their history, across the month boundary) and every update file from then to
the month's end (RIS: up to 10,944 five-minute files, RouteViews: up to 3,648 fifteen-minute
files) — in recent years roughly 25-50 GB of downloads a month for the two plus about 0.5 GB of
RIBs, cached once, ingested into a Parquet lake and read in bounded memory; plus the reference
snapshots
at the month's start (RPKI VRPs of the five trust anchors, the five RIRs' delegations, CAIDA
relationships and organisations, IRR dumps of six registries, PeeringDB, MANRS, Spoofer).
Every further collector adds about as much as one of the defaults.

\b
Many months:  routewatch run --from-month 2025-01 --to-month 2025-12
              routewatch run --month 2025-01,2025-04 --month 2025-07
A month already stored with the same methodology from the same inputs is skipped (--force
redoes it); a month that fails is listed with its reason and the others still run (exit 3).

\b
Files already on disk (nothing is downloaded):
  routewatch run --from-month 2021-01 --to-month 2021-03 --archives /data/ris \\
                 --archives /data/routeviews --references /data/refs
  routewatch run --month 2022-04 --mrt rrc23=/tmp/updates.20220421.0200.gz \\
                 --ref vrps@2022-01-02=/tmp/roas.csv
--archives folders are laid out like the archives (rrc00/2021.01/updates.20210101.0000.gz,
route-views2/bgpdata/2021.01/UPDATES/updates.20210101.0000.bz2); each month reads the update
files of [month start - baseline days, month end) and the latest RIB before that. Reference
files are recognised by their content and dated by their name (...20220102..., ...201801...)
or by --ref KIND@DATE=FILE.""")
@click.option("--month", "month_texts", multiple=True, metavar="YYYY-MM[,YYYY-MM...]",
              help="A month to measure (UTC); repeat it or separate months with commas.")
@click.option("--from-month", help="First month of a range, YYYY-MM (with --to-month).")
@click.option("--to-month", help="Last month of a range, YYYY-MM (included).")
@click.option("--force", is_flag=True,
              help="Recompute months already stored from the same inputs.")
@click.option("--collectors", default=",".join(DEFAULT_COLLECTORS), show_default=True,
              help="Comma list of RIS (rrcNN) and RouteViews (route-views*) collectors to "
                   "fetch.")
@click.option("--offline", is_flag=True, default=None,
              help="Use the download cache only; never touch the network.")
@click.option("--archives", "archive_dirs", multiple=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder of MRT archives laid out like RIS / RouteViews (repeatable).")
@click.option("--references", "reference_dirs", multiple=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder of reference files (RPKI, IRR, registries, ...; repeatable).")
@click.option("--mrt", "mrt_files", multiple=True, metavar="[COLLECTOR=]FILE",
              help="One MRT archive (repeatable).")
@click.option("--ref", "ref_files", multiple=True, metavar="[KIND][@DATE]=FILE|FILE",
              help="One reference file, optionally with its kind and date (repeatable).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB store to write (default: the 'db' setting).")
@click.option("--lake", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the elems in this Parquet lake (files already in it are not fetched "
                   "again); default: a temporary lake, removed after each month.")
@click.option("--buckets", type=click.IntRange(min=1),
              help="Cut detection into this many prefix buckets (same result; default: the "
                   "'buckets' setting, or 'spark-buckets' with --engine spark).")
@engine_options
def run(month_texts: tuple[str, ...], from_month: str | None, to_month: str | None,
        force: bool, collectors: str, offline: bool | None, archive_dirs: tuple[Path, ...],
        reference_dirs: tuple[Path, ...], mrt_files: tuple[str, ...],
        ref_files: tuple[str, ...], db: Path | None, lake: Path | None,
        buckets: int | None, engine_name: str | None, spark_master: str | None) -> None:
    """Fetch (or read from disk), ingest, detect, score and store one month or many.

    Exit code 3 when some data was missing or stale, or some months failed (the summary
    says which and why); 1 when nothing could be computed.
    """
    months = _months(month_texts, from_month, to_month)
    local = bool(archive_dirs or reference_dirs or mrt_files or ref_files)
    names = tuple(c.strip() for c in collectors.split(",") if c.strip())
    if not names and not local:
        raise ConfigError("--collectors: name at least one collector, e.g. rrc00")
    engine = engine_named(engine_name, buckets=buckets, master=spark_master)
    with BarObserver() as observer:
        gather = _local_gather(archive_dirs, reference_dirs, mrt_files, ref_files) if local \
            else (lambda m: gather_month(m, names, offline=offline, lake=lake,
                                         observer=observer))
        if len(months) == 1:
            result = _single(months[0], gather, _db(db), observer, lake, force, engine)
        else:
            from routewatch.months import run_months

            bulk = run_months(months, gather, _db(db), force=force, observer=observer,
                              lake=lake, engine=engine)
    if len(months) == 1:
        click.echo(result.text)
        if result.code:
            finish(partial=result.code)
        return
    click.echo(format_bulk(bulk))
    if bulk.exit_code:
        finish(unreadable=int(bulk.exit_code == 1), partial=int(bulk.exit_code == 3))


def _months(texts: tuple[str, ...], first: str | None, last: str | None) -> list[dt.date]:
    if (first is None) != (last is None):
        raise ConfigError("--from-month and --to-month go together (both included)")
    months = [parse_month(t) for text in texts for t in text.split(",") if t.strip()]
    if first is not None and last is not None:
        months += month_range(parse_month(first, "--from-month"),
                              parse_month(last, "--to-month"))
    if not months:
        raise ConfigError("name the month(s): --month YYYY-MM, or --from-month YYYY-MM "
                          "--to-month YYYY-MM")
    return sorted(set(months))


def _local_gather(archive_dirs: tuple[Path, ...], reference_dirs: tuple[Path, ...],
                  mrt_files: tuple[str, ...], ref_files: tuple[str, ...]
                  ) -> Callable[[dt.date], MonthInputs]:
    from routewatch.archives import plan_month, scan

    found = scan(archive_dirs, reference_dirs, mrt_files, ref_files)
    return lambda month: plan_month(month, found, RW_2026_1.baseline_days)


@dataclass(frozen=True)
class _Single:
    text: str
    code: int


def _single(month: dt.date, gather: Callable[[dt.date], MonthInputs], db: Path,
            observer: BarObserver, lake: Path | None, force: bool,
            engine: Engine) -> _Single:
    """One month: skipped when stored from the same inputs, else computed; errors raise."""
    from routewatch.months import already_stored

    inputs = gather(month)
    skip = None if force else already_stored(db, month, inputs, RW_2026_1)
    if skip is not None:
        return _Single(f"routewatch {month:%Y-%m}: skipped, {skip}; store {db}", 0)
    result = run_month(inputs, db, observer=observer, lake=lake, engine=engine)
    return _Single(format_summary(result, inputs.stale), 3 if result.partial else 0)


def format_bulk(bulk: BulkResult) -> str:
    """Each computed month's summary, then one line per month: outcome and why."""
    blocks = [format_summary(m.result, m.stale) for m in bulk.months if m.result is not None]
    counts = ", ".join(f"{bulk.count(o)} {o.value}" for o in Outcome if bulk.count(o))
    lines = [f"months: {counts}"]
    lines += [_outcome_line(m) for m in bulk.months]
    return "\n\n".join([*blocks, "\n".join(lines)])


def _outcome_line(m: MonthOutcome) -> str:
    detail = m.detail
    if m.result is not None:
        detail += f" ({coverage_text(m.result)})"
    return f"  {m.month:%Y-%m}  {m.outcome.value:<8}  {detail}"


def coverage_text(result: RunResult) -> str:
    """``rrc23: 5 min`` — the collectors and minutes of update data behind a stored month."""
    rows = Store.open(result.db).query(
        "SELECT collector_minutes FROM month_coverage WHERE month = ?",
        [result.run.month]).to_pylist()
    if not rows:
        return "coverage unknown"
    minutes = json.loads(str(rows[0]["collector_minutes"]))
    return ", ".join(f"{c}: {m:,.0f} min" for c, m in minutes.items()) or "no BGP data"


@click.command()
@click.option("--no-serve", is_flag=True, help="Run the pipeline only; do not start the web app.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB store to write (default: the 'db' setting).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to serve on.")
@engine_options
def demo(no_serve: bool, db: Path | None, host: str, port: int, engine_name: str | None,
         spark_master: str | None) -> None:
    """Run the whole pipeline offline over the bundled real samples of seven months, then
    serve the dashboard.

    The months: 2014-05 (RIS rrc06 + RouteViews jinx), 2016-08 (RIS rrc21), 2021-01 (RIS
    rrc06, one hour), 2022-04 and 2022-05 (RIS rrc23), 2022-06 (RouteViews sydney) and
    2024-10 (RIS rrc01) — minutes of data each, with the nearest real ROA, registry, IRR,
    relationship, PeeringDB and Spoofer snapshots; every month is labelled with the
    collectors and minutes behind it, and the gaps between the snapshots' dates and the
    month are printed and stamped on the run. Months already stored from the same files are
    skipped.
    """
    from routewatch.months import demo_months, run_months

    target = _db(db)
    inputs = demo_months()
    engine = engine_named(engine_name, master=spark_master)
    with BarObserver() as observer:
        bulk = run_months(inputs, inputs.__getitem__, target, observer=observer, engine=engine)
    click.echo(format_bulk(bulk))
    finish(unreadable=bulk.count(Outcome.FAILED))
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
