"""Monthly snapshots: replace all of a month's rows at once, and record runs.

Role: :func:`write_snapshot` deletes every row of the month from each data table and inserts
the new tables, plus the run's row in ``runs``, on one connection inside one transaction (the
:meth:`Store.writer <routewatch.store.db.Store.writer>` copy-on-write swap makes the whole
snapshot appear at once to readers, or not at all). Writing the same month twice gives the
same rows, never duplicates. ``runs`` keeps history: one row per run id (a run id written
again replaces its row), so failed and partial runs stay visible.

Inputs: a :class:`MonthTables` of Arrow tables — ``findings``, ``incidents``,
``asn_metrics``, ``action_scores``, ``area_readiness``, ``area_summaries``, ``networks``,
``announced_pairs``, ``month_coverage``, ``cohort_impact`` and ``did_impact`` (the last five
empty by default), each with the schema of the same name in :mod:`routewatch.schemas` — and
a :class:`RunInfo`. Findings and incidents get the month column here; the other tables carry
it.

Failure modes (:class:`~routewatch.errors.StoreError`, nothing written): a row stamped with
another month or another methodology version than the run's; a table whose columns do not
match the stored table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from routewatch import __version__
from routewatch.errors import StoreError
from routewatch.schemas import (
    ANNOUNCED_PAIRS,
    COHORT_IMPACT,
    DID_IMPACT,
    MONTH_COVERAGE,
    NETWORKS,
)

__all__ = [
    "MonthTables",
    "RunInfo",
    "RunStatus",
    "record_run",
    "write_snapshot",
]


class RunStatus(StrEnum):
    """Outcome of a pipeline run."""

    RUNNING = "running"
    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"


@dataclass(frozen=True)
class RunInfo:
    """One pipeline run: what it computed, with what, and how it ended.

    ``fetch_manifest`` is the JSON text of the sources' fetch manifest; ``snapshot_dates``
    maps a reference source to the date of the snapshot used; ``snapshot_gaps`` names the
    sources whose snapshot is older than the window (METHODOLOGY §1) or missing.
    """

    run_id: str
    month: dt.date
    started: dt.datetime
    status: RunStatus
    methodology: str
    finished: dt.datetime | None = None
    fetch_manifest: str = "{}"
    snapshot_dates: Mapping[str, dt.date] = field(default_factory=dict)
    snapshot_gaps: tuple[str, ...] = ()
    routewatch_version: str = __version__


@dataclass(frozen=True)
class MonthTables:
    """The tables of one month's snapshot (each may be empty)."""

    findings: pa.Table
    incidents: pa.Table
    asn_metrics: pa.Table
    action_scores: pa.Table
    area_readiness: pa.Table
    area_summaries: pa.Table
    #: per ASN: name, economy, region, RIR, cohorts (:data:`~routewatch.schemas.NETWORKS`)
    networks: pa.Table = field(default_factory=NETWORKS.empty_table)
    #: every announced (prefix, origin) pair with its verdicts
    #: (:data:`~routewatch.schemas.ANNOUNCED_PAIRS`)
    announced_pairs: pa.Table = field(default_factory=ANNOUNCED_PAIRS.empty_table)
    #: what the month was computed from (:data:`~routewatch.schemas.MONTH_COVERAGE`)
    month_coverage: pa.Table = field(default_factory=MONTH_COVERAGE.empty_table)
    #: cohorts against the rest (:data:`~routewatch.schemas.COHORT_IMPACT`)
    cohort_impact: pa.Table = field(default_factory=COHORT_IMPACT.empty_table)
    #: before/after over the months ending here (:data:`~routewatch.schemas.DID_IMPACT`)
    did_impact: pa.Table = field(default_factory=DID_IMPACT.empty_table)

    def items(self) -> list[tuple[str, pa.Table]]:
        """(table name, table) in write order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


def write_snapshot(con: duckdb.DuckDBPyConnection, month: dt.date, tables: MonthTables,
                   run: RunInfo) -> dict[str, int]:
    """Replace month ``month`` in every data table and record ``run``; rows written per table.

    ``con`` must be inside a transaction (use :meth:`Store.writer`).
    """
    month = month.replace(day=1)
    if run.month.replace(day=1) != month:
        raise StoreError(f"run {run.run_id} is for {run.month:%Y-%m}, not {month:%Y-%m}")
    for name, table in tables.items():
        _check_stamps(name, table, month, run.methodology)
    written = {}
    for name, table in tables.items():
        con.execute(f"DELETE FROM {name} WHERE month = ?", [month])
        written[name] = _insert(con, name, table, month)
    record_run(con, run)
    return written


def _check_stamps(name: str, table: pa.Table, month: dt.date, methodology: str) -> None:
    if table.num_rows == 0:
        return
    if "methodology" not in table.column_names:
        raise StoreError(f"table {name} has no methodology column; every stored row is stamped")
    versions = set(pc.unique(table.column("methodology")).to_pylist())
    if versions != {methodology}:
        raise StoreError(f"table {name} holds methodology {sorted(map(str, versions))}, but "
                         f"the run is {methodology}; recompute with one methodology version")
    if "month" in table.column_names:
        months = set(pc.unique(table.column("month")).to_pylist())
        if months != {month}:
            shown = sorted(str(m) for m in months)
            raise StoreError(f"table {name} holds months {shown}, expected {month:%Y-%m-%d}")


def _insert(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, month: dt.date) -> int:
    if table.num_rows == 0:
        return 0
    view = f"incoming_{name}"
    con.register(view, table)
    try:
        stamp = "" if "month" in table.column_names else "?::DATE AS month, "
        params = [] if not stamp else [month]
        con.execute(f"INSERT INTO {name} BY NAME SELECT {stamp}* FROM {view}", params)
    except duckdb.Error as exc:
        raise StoreError(f"table {name} does not fit the stored schema: {exc}") from exc
    finally:
        with contextlib.suppress(duckdb.Error):  # the transaction may be aborted already
            con.unregister(view)
    return int(table.num_rows)


def record_run(con: duckdb.DuckDBPyConnection, run: RunInfo) -> None:
    """Insert or replace the row of one run (inside the caller's transaction)."""
    con.execute("DELETE FROM runs WHERE run_id = ?", [run.run_id])
    con.execute(
        "INSERT INTO runs (run_id, month, started, finished, status, methodology, "
        "routewatch_version, fetch_manifest, snapshot_dates, snapshot_gaps) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run.run_id,
            run.month.replace(day=1),
            run.started,
            run.finished,
            run.status.value,
            run.methodology,
            run.routewatch_version,
            run.fetch_manifest,
            json.dumps({k: v.isoformat() for k, v in sorted(run.snapshot_dates.items())}),
            json.dumps(list(run.snapshot_gaps)),
        ],
    )
