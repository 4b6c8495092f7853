"""The embedded store: DuckDB file for results, the Parquet lake for elems.

The only package that imports DuckDB. :class:`Store` is the database file (versioned schema,
forward migrations, copy-on-write atomic writes so readers never block and a crash never
loses the previous snapshot); :mod:`~routewatch.store.queries` holds every read query the
dashboard, the API and the reports run (:mod:`~routewatch.store.shapes` the JSON Schemas of
stored rows); :func:`export_month` writes a month's tables to Parquet, CSV
or JSON; :func:`query_lake` / :func:`read_elems` read elems from the lake in place.

Data flow::

    metrics (Arrow) ──► MonthTables + RunInfo ──► Store.write_snapshot ──► <db>.duckdb
                                                                          │
    web / cli ◄── Store.query / Store.table (read-only) ◄─────────────────┘
    LAKE/elems/**.parquet ──► query_lake / read_elems (DuckDB read_parquet) ──► Arrow
"""

from __future__ import annotations

from routewatch.store.db import TABLES, Store
from routewatch.store.export import ExportFormat, export_month
from routewatch.store.lake import query_lake, read_elems
from routewatch.store.migrations import CURRENT_VERSION, MIGRATIONS
from routewatch.store.snapshot import MonthTables, RunInfo, RunStatus

__all__ = [
    "CURRENT_VERSION",
    "MIGRATIONS",
    "TABLES",
    "ExportFormat",
    "MonthTables",
    "RunInfo",
    "RunStatus",
    "Store",
    "export_month",
    "query_lake",
    "read_elems",
]
