"""Queries over the Parquet lake of elems with DuckDB's ``read_parquet``.

Role: bulk elems never enter the database file; they stay in the lake written by
:mod:`routewatch.ingest.lake` (``LAKE/elems/collector=<name>/date=<YYYY-MM-DD>/*.parquet``)
and are read in place. :func:`query_lake` runs SQL against a view ``elems`` over the lake
(hive partitioning, so ``collector`` and ``date`` are columns and filters on them skip whole
folders); :func:`read_elems` is the common case of "these columns, these days, these
collectors". :func:`announced_pairs`, :func:`asn_visibility` and :func:`observed_paths` are a
month's aggregations over the parts of its run's files: out of core (DuckDB spills to disk
past the setting ``aggregate-memory``), so their memory does not grow with the month.

Failure modes: :class:`~routewatch.errors.StoreError` when the lake holds no Parquet file
(naming the folder and the command that fills it) or DuckDB rejects the query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from routewatch import settings
from routewatch.errors import StoreError
from routewatch.schemas import OBSERVED_PATHS

__all__ = [
    "announced_pairs",
    "asn_visibility",
    "lake_glob",
    "observed_paths",
    "query_lake",
    "read_elems",
]


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


def _connect(scratch: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{settings.get('aggregate-memory')}'")
    con.execute(f"SET temp_directory = '{str(scratch).replace(chr(39), chr(39) * 2)}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def _window_sql(parts: Sequence[Path], select: str) -> str:
    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in parts)
    return (f"SELECT {select} FROM read_parquet([{files}], hive_partitioning = false) "
            "WHERE elem_type IN ('R', 'A') AND epoch_us(timestamp) >= $start "
            "AND epoch_us(timestamp) < $end")  # fmt: skip


def _aggregate(parts: Sequence[Path], live: pa.Table | None, sql: str, start: int, end: int,
               scratch: Path) -> pa.Table:
    con = _connect(scratch)
    try:
        if live is not None:
            con.register("live", live)
        result = con.sql(sql, params={"start": start, "end": end})
        return result.to_arrow_table() if result is not None else pa.table({})
    except duckdb.Error as exc:
        raise StoreError(f"aggregating {len(parts)} lake parts failed: {exc}") from exc
    finally:
        con.close()


def announced_pairs(
    parts: Sequence[Path], start: int, end: int, live: pa.Table, scratch: Path
) -> pa.Table:
    """(prefix, origin) pairs announced in ``[start, end)`` (microseconds) with the number of
    distinct peer ASNs that had each: RIB entries and announcements of the window in the
    ``parts``, plus the routes alive at the window start (``live``,
    :data:`~routewatch.schemas.WINDOW_PAIRS`). Sorted by prefix bits and origin; columns
    ``prefix, afi, prefix_hi, prefix_lo, prefix_len, origin_asn, peer_asns``.
    """
    keys = "afi, prefix_hi, prefix_lo, prefix_len, origin_asn"
    columns = f"prefix, {keys}, peer_asn"
    inner = _window_sql(parts, columns) + " AND origin_asn IS NOT NULL" if parts else None
    union = f"({inner}) UNION ALL " if inner else ""
    sql = (f"SELECT min(prefix) AS prefix, {keys}, count(DISTINCT peer_asn)::UINTEGER AS "
           f"peer_asns FROM ({union}SELECT {columns} FROM live) GROUP BY {keys} "
           f"ORDER BY {keys}")  # fmt: skip
    return _aggregate(parts, live, sql, start, end, scratch)


def asn_visibility(
    parts: Sequence[Path], start: int, end: int, live: pa.Table, scratch: Path
) -> pa.Table:
    """Distinct peer ASNs that saw each AS anywhere in a path in ``[start, end)``: the
    window's RIB entries and announcements in ``parts`` plus ``live``
    (:data:`~routewatch.schemas.WINDOW_ASNS`). Columns ``asn, peer_asns``, sorted by AS."""
    inner = _window_sql(parts, "unnest(path_asns) AS asn, peer_asn") if parts else None
    union = f"({inner}) UNION ALL " if inner else ""
    sql = (f"SELECT asn, count(DISTINCT peer_asn)::UINTEGER AS peer_asns FROM ({union}"
           "SELECT asn, peer_asn FROM live) GROUP BY asn ORDER BY asn")  # fmt: skip
    return _aggregate(parts, live, sql, start, end, scratch)


def observed_paths(parts: Sequence[Path], start: int, end: int, scratch: Path) -> pa.Table:
    """Distinct (collector peer AS, path with prepending collapsed, AS_SET flag) of the RIB
    entries and announcements in ``[start, end)`` with how often each was seen: the
    :data:`~routewatch.schemas.OBSERVED_PATHS` table relationship inference reads, sorted by
    peer and path (the same table whatever the order of the parts)."""
    if not parts:
        return OBSERVED_PATHS.empty_table()
    collapsed = "list_filter(path_asns, lambda a, i: i = 1 OR a != path_asns[i - 1])"
    inner = _window_sql(parts, f"peer_asn, {collapsed} AS path_asns, "
                        "coalesce(as_set, false) AS as_set") + " AND path_asns IS NOT NULL"
    sql = (f"SELECT peer_asn, path_asns, as_set, count(*)::UBIGINT AS count FROM ({inner}) "
           "GROUP BY ALL ORDER BY peer_asn, path_asns, as_set")  # fmt: skip
    table = _aggregate(parts, None, sql, start, end, scratch)
    return table.cast(OBSERVED_PATHS)
