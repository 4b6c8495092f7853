"""Exports of one month: every stored table to Parquet, CSV or JSON files.

Role: :func:`export_month` writes ``<out_dir>/<table>.<ext>`` for each table of the store
(``runs`` and every data table), holding that month's rows, with DuckDB's ``COPY``. Formats:
``parquet`` (types kept, nested columns as Parquet lists and structs), ``csv`` (header row;
lists and structs as DuckDB's text form, e.g. ``[1, 2]``), ``json`` (one JSON array per file;
lists and structs as JSON arrays and objects; timestamps as ISO 8601 text).

Each file is written under a hidden temporary name and renamed into place, so a reader never
sees half a file. Failure modes: :class:`~routewatch.errors.StoreError` for an unknown
format, a month with no snapshot, or an unwritable folder.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

import duckdb

from routewatch.errors import StoreError
from routewatch.store.db import Store
from routewatch.store.migrations import DATA_TABLES

__all__ = ["EXPORT_TABLES", "ExportFormat", "export_month"]

#: Tables an export writes, in order.
EXPORT_TABLES: tuple[str, ...] = ("runs", *DATA_TABLES)


class ExportFormat(StrEnum):
    """File format of an export."""

    PARQUET = "parquet"
    CSV = "csv"
    JSON = "json"


_COPY_OPTIONS: dict[ExportFormat, str] = {
    ExportFormat.PARQUET: "FORMAT parquet",
    ExportFormat.CSV: "FORMAT csv, HEADER true",
    ExportFormat.JSON: "FORMAT json, ARRAY true",
}


def export_month(db: Store | Path | str, month: dt.date, out_dir: Path | str,
                 format: ExportFormat | str = ExportFormat.PARQUET) -> list[Path]:
    """Write every table's rows of ``month`` to ``out_dir``; the files written."""
    try:
        fmt = ExportFormat(format)
    except ValueError:
        known = ", ".join(f.value for f in ExportFormat)
        raise StoreError(f"unknown export format {format!r}; use one of {known}") from None
    store = db if isinstance(db, Store) else Store.open(db, create=False)
    month = month.replace(day=1)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with store.reader() as con:
        _check_month(con, month, store.path)
        for table in EXPORT_TABLES:
            written.append(_copy(con, table, month, out, fmt))
    return written


def _check_month(con: duckdb.DuckDBPyConnection, month: dt.date, path: Path) -> None:
    rows = con.execute("SELECT count(*) FROM runs WHERE month = ?", [month]).fetchall()
    if not rows[0][0]:
        raise StoreError(f"{path} holds no run for {month:%Y-%m}; run the pipeline for that "
                         "month first")


def _copy(con: duckdb.DuckDBPyConnection, table: str, month: dt.date, out: Path,
          fmt: ExportFormat) -> Path:
    target = out / f"{table}.{fmt.value}"
    tmp = out / f".{table}.{fmt.value}.tmp"
    order = "run_id" if table == "runs" else "ALL"
    query = (f"SELECT * FROM {table} WHERE month = DATE '{month.isoformat()}' "
             f"ORDER BY {order}")
    path_literal = str(tmp).replace("'", "''")
    try:
        con.execute(f"COPY ({query}) TO '{path_literal}' ({_COPY_OPTIONS[fmt]})")
    except duckdb.Error as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"exporting {table} to {target} failed: {exc}") from exc
    tmp.replace(target)
    return target
