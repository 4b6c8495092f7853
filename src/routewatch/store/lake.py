"""Queries over the Parquet lake of elems with DuckDB's ``read_parquet``.

Role: bulk elems never enter the database file; they stay in the lake written by
:mod:`routewatch.ingest.lake` (``LAKE/elems/collector=<name>/date=<YYYY-MM-DD>/*.parquet``)
and are read in place. :func:`query_lake` runs SQL against a view ``elems`` over the lake
(hive partitioning, so ``collector`` and ``date`` are columns and filters on them skip whole
folders); :func:`read_elems` is the common case of "these columns, these days, these
collectors".

Failure modes: :class:`~routewatch.errors.StoreError` when the lake holds no Parquet file
(naming the folder and the command that fills it) or DuckDB rejects the query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from routewatch.errors import StoreError

__all__ = ["lake_glob", "query_lake", "read_elems"]


def lake_glob(lake: Path | str) -> str:
    """The ``read_parquet`` glob of a lake's elems."""
    return str(Path(lake) / "elems" / "**" / "*.parquet")


def query_lake(lake: Path | str, sql: str, params: Sequence[object] = ()) -> pa.Table:
    """Run ``sql`` (which reads the view ``elems``) over the lake; the result as Arrow."""
    root = Path(lake) / "elems"
    if not any(root.glob("**/*.parquet")):
        raise StoreError(f"no Parquet elems under {root}; run 'routewatch ingest' first")
    pattern = lake_glob(lake).replace("'", "''")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            "CREATE VIEW elems AS SELECT * FROM read_parquet("
            f"'{pattern}', hive_partitioning = true, union_by_name = true)"
        )
        result = con.sql(sql, params=list(params) or None)
        return result.to_arrow_table() if result is not None else pa.table({})
    except duckdb.Error as exc:
        raise StoreError(f"query over the lake {root} failed: {exc}") from exc
    finally:
        con.close()


def read_elems(
    lake: Path | str,
    *,
    columns: Sequence[str] = ("*",),
    start: dt.date | None = None,
    end: dt.date | None = None,
    collectors: Sequence[str] = (),
) -> pa.Table:
    """Elems of the days ``start`` … ``end`` (inclusive) and the given collectors, in time
    order; every day and collector when not given."""
    where: list[str] = ["TRUE"]
    params: list[object] = []
    if start is not None:
        where.append("date >= ?")
        params.append(start)
    if end is not None:
        where.append("date <= ?")
        params.append(end)
    if collectors:
        where.append("collector IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(collectors))
    select = ", ".join(c if c == "*" else f'"{c}"' for c in columns)
    sql = f"SELECT {select} FROM elems WHERE {' AND '.join(where)} ORDER BY timestamp"
    return query_lake(lake, sql, params)
