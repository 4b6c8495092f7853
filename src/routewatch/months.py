"""Many months in one go: plan, skip what is already stored, compute the rest, isolate failures.

Role: ``routewatch run --from-month A --to-month B`` (or a list of months) runs
:func:`routewatch.pipeline.run_month` once per month into one store. For each month, in
order:

1. its inputs are gathered — fetched or taken from the download cache
   (:func:`~routewatch.pipeline.gather_month`), or planned from files on disk
   (:func:`routewatch.archives.plan_month`);
2. if the store already holds the month computed under the same methodology from the same
   inputs (same :func:`~routewatch.coverage.inputs_digest`), it is skipped — unless
   ``force``;
3. otherwise it is computed and stored (the month is replaced whole; its coverage stored
   with it).

A month that fails — its inputs cannot be had, every MRT file is broken, the store refuses
it — is reported with its reason and the next month runs: a failure never stops the others
and never touches the months already stored. :class:`BulkResult` lists every month's
outcome; its :attr:`~BulkResult.exit_code` is 0 when every month is complete or skipped,
3 when some failed or are partial (the list says which and why), 1 when every month failed.
A :class:`~routewatch.errors.ConfigError` (a bad flag, the same for every month) stops the
whole run.

Inputs: months, a ``gather`` function (month -> inputs), the store path, the methodology.
Output: :class:`BulkResult`. Progress goes to an observer (months, then stages inside each).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from routewatch.coverage import inputs_digest
from routewatch.demo import DemoMonth
from routewatch.errors import ConfigError, InputError, RoutewatchError, StoreError
from routewatch.ingest.names import mrt_name
from routewatch.methodology import RW_2026_1, Methodology
from routewatch.pipeline import (
    Engine,
    MonthInputs,
    MrtInput,
    NullObserver,
    Observer,
    RefFile,
    RunResult,
    run_month,
)
from routewatch.store import Store

__all__ = [
    "BulkResult",
    "MonthOutcome",
    "MonthsObserver",
    "Outcome",
    "already_stored",
    "demo_months",
    "month_range",
    "parse_month",
    "run_months",
    "stored_inputs",
]


class Outcome(StrEnum):
    """What happened to one month; values are the words printed."""

    COMPLETE = "complete"
    PARTIAL = "partial"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class MonthOutcome:
    """One month of a bulk run: its outcome, why, and the run's result when it ran."""

    month: dt.date
    outcome: Outcome
    detail: str
    result: RunResult | None = None
    stale: tuple[str, ...] = ()


@dataclass(frozen=True)
class BulkResult:
    """Every month's outcome, in the order run."""

    months: tuple[MonthOutcome, ...]

    def count(self, outcome: Outcome) -> int:
        """How many months ended with ``outcome``."""
        return sum(1 for m in self.months if m.outcome is outcome)

    @property
    def exit_code(self) -> int:
        """0 all complete or skipped; 3 some failed or partial; 1 all failed."""
        if self.months and self.count(Outcome.FAILED) == len(self.months):
            return 1
        if self.count(Outcome.FAILED) or self.count(Outcome.PARTIAL):
            return 3
        return 0


class MonthsObserver(Observer, Protocol):
    """An :class:`~routewatch.pipeline.Observer` that is also told when a month begins."""

    def month(self, month: dt.date, index: int, total: int) -> None:
        """Month ``index`` (0-based) of ``total`` begins."""


class _Quiet(NullObserver):
    def month(self, month: dt.date, index: int, total: int) -> None:
        """Ignore."""


def parse_month(text: str, flag: str = "--month") -> dt.date:
    """``YYYY-MM`` -> the first day of that month; ConfigError otherwise."""
    try:
        return dt.date.fromisoformat(text.strip()[:7] + "-01")
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: expected YYYY-MM, e.g. 2024-06") from None


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from ``first`` to ``last``, both included; ConfigError if reversed."""
    if last < first:
        raise ConfigError(f"--to-month {last:%Y-%m} is before --from-month {first:%Y-%m}")
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def stored_inputs(db: Path, month: dt.date) -> tuple[str, str, str] | None:
    """(methodology, inputs digest, run status) of the month as stored; None if it is not."""
    if not db.exists():
        return None
    rows = Store.open(db).query(
        "SELECT c.methodology, c.inputs_digest, coalesce(r.status, 'unknown') AS status "
        "FROM month_coverage c LEFT JOIN runs r ON r.run_id = c.run_id WHERE c.month = ?",
        [month.replace(day=1)]).to_pylist()
    if not rows:
        return None
    return str(rows[0]["methodology"]), str(rows[0]["inputs_digest"]), str(rows[0]["status"])


def already_stored(db: Path, month: dt.date, inputs: MonthInputs,
                   method: Methodology) -> str | None:
    """Why the month need not run again (stored under ``method`` from these inputs), or
    None when it must."""
    stored = stored_inputs(db, month)
    if stored is None or stored[:2] != (method.version, inputs_digest(inputs)):
        return None
    return (f"already stored ({stored[2]}) with {method.version} from the same inputs "
            "(--force redoes it)")


def run_months(
    months: Iterable[dt.date],
    gather: Callable[[dt.date], MonthInputs],
    db: Path,
    *,
    force: bool = False,
    method: Methodology = RW_2026_1,
    observer: MonthsObserver | None = None,
    lake: Path | None = None,
    engine: Engine | None = None,
) -> BulkResult:
    """Run every month (see the module doc); never stops at a month's failure."""
    watcher: MonthsObserver = observer or _Quiet()
    ordered: Sequence[dt.date] = sorted({m.replace(day=1) for m in months})
    outcomes: list[MonthOutcome] = []
    for index, month in enumerate(ordered):
        watcher.month(month, index, len(ordered))
        outcomes.append(_one(month, gather, db, force, method, watcher, lake, engine))
    return BulkResult(tuple(outcomes))


def _one(month: dt.date, gather: Callable[[dt.date], MonthInputs], db: Path, force: bool,
         method: Methodology, observer: Observer, lake: Path | None,
         engine: Engine | None) -> MonthOutcome:
    inputs: MonthInputs | None = None
    try:
        inputs = gather(month)
        skip = None if force else already_stored(db, month, inputs, method)
        if skip is not None:
            return MonthOutcome(month, Outcome.SKIPPED, skip)
        result = run_month(inputs, db, method=method, observer=observer, lake=lake,
                           engine=engine)
    except ConfigError:
        raise
    except StoreError as exc:
        return MonthOutcome(month, Outcome.FAILED, f"store: {exc}")
    except (RoutewatchError, OSError) as exc:
        return MonthOutcome(month, Outcome.FAILED, _reason(exc, inputs))
    outcome = Outcome.PARTIAL if result.partial else Outcome.COMPLETE
    return MonthOutcome(month, outcome, f"run {result.run.run_id}", result,
                        inputs.stale if inputs is not None else ())


def _reason(exc: BaseException, inputs: MonthInputs | None) -> str:
    """The error, plus — when no BGP file was found at all — where it was looked for."""
    gaps = inputs.gaps if inputs is not None and not inputs.mrt else ()
    return str(exc) + "".join(f"; {gap}" for gap in gaps if gap.startswith("bgp"))


def demo_months() -> dict[dt.date, MonthInputs]:
    """The inputs of every month of the bundled demo (:data:`routewatch.demo.DEMO_MONTHS`)."""
    from routewatch import demo

    missing = demo.files_missing()
    if missing:
        raise InputError(f"the demo dataset is incomplete ({', '.join(missing)} missing); "
                         "reinstall routewatch")
    return {m.month: _demo_inputs(m, demo.data_dir()) for m in demo.DEMO_MONTHS}


def _demo_inputs(month: DemoMonth, folder: Path) -> MonthInputs:
    files = month.demo_files()
    mrt = []
    for f in files:
        if f.kind == "mrt":
            named = mrt_name(folder / f.name, f.collector)
            start = named.start if named is not None else \
                dt.datetime.combine(f.as_of, dt.time(), dt.UTC)
            mrt.append(MrtInput(folder / f.name, f.collector, "updates", start))
    refs = tuple(RefFile(folder / f.name, f.kind, f.series, f.as_of)
                 for f in files if f.kind != "mrt")
    manifest = json.dumps({"dataset": "routewatch demo (bundled; see demo/PROVENANCE.md)",
                           "files": [f.name for f in files]})
    return MonthInputs(month.month, tuple(mrt), refs, month.gaps, (), manifest)
