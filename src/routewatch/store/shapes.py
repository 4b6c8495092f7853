"""JSON Schemas of the stored tables' rows, as the JSON API renders them.

Role: :func:`row_schema` describes one row of a stored table (every column, or some) in JSON
Schema, derived from the table's definition in :mod:`routewatch.store.migrations` — the
schema is created in an in-memory DuckDB once per process and read back as Arrow types and
``NOT NULL`` flags — so an API document that returns stored rows declares exactly their
columns and types. Rendering follows the web app's JSON encoder: dates as ``YYYY-MM-DD``,
timestamps as ISO 8601 text, lists as arrays, structs as objects; nullable columns allow
``null``.

Failure modes: :class:`~routewatch.errors.StoreError` for a table the schema does not have.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import duckdb
import pyarrow as pa

from routewatch.errors import StoreError
from routewatch.store.migrations import migrate

__all__ = ["arrow_to_json", "row_schema"]


@cache
def _columns() -> dict[str, list[tuple[str, pa.DataType, bool]]]:
    """Table -> [(column, Arrow type, nullable)] of the current schema."""
    con = duckdb.connect()
    try:
        migrate(con)
        out: dict[str, list[tuple[str, pa.DataType, bool]]] = {}
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables"
                                            ).fetchall()]
        for table in tables:
            nullable = dict(con.execute(
                "SELECT column_name, is_nullable = 'YES' FROM information_schema.columns "
                "WHERE table_name = ?", [table]).fetchall())
            schema = con.sql(f'SELECT * FROM "{table}" LIMIT 0').to_arrow_table().schema
            out[table] = [(f.name, f.type, bool(nullable[f.name])) for f in schema]
        return out
    finally:
        con.close()


def arrow_to_json(kind: pa.DataType, nullable: bool = True) -> dict[str, Any]:
    """The JSON Schema of values of one Arrow type as the API writes them."""
    schema: dict[str, Any]
    if pa.types.is_boolean(kind):
        schema = {"type": "boolean"}
    elif pa.types.is_integer(kind):
        schema = {"type": "integer"}
    elif pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        schema = {"type": "number"}
    elif pa.types.is_timestamp(kind):
        schema = {"type": "string", "format": "date-time"}
    elif pa.types.is_date(kind):
        schema = {"type": "string", "format": "date"}
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        schema = {"type": "array", "items": arrow_to_json(kind.value_type)}
    elif pa.types.is_struct(kind):
        schema = {"type": "object", "properties": {
            kind.field(i).name: arrow_to_json(kind.field(i).type) for i in range(kind.num_fields)}}
    else:
        schema = {"type": "string"}
    if nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def row_schema(table: str, exclude: Iterable[str] = (), only: Iterable[str] | None = None,
               required: bool = True) -> dict[str, Any]:
    """The JSON Schema of one row of ``table`` (columns in ``only``, minus ``exclude``); every
    listed column is required unless ``required`` is false."""
    columns = _columns().get(table)
    if columns is None:
        raise StoreError(f"no stored table {table!r}; tables: {', '.join(sorted(_columns()))}")
    skip, keep = set(exclude), None if only is None else list(only)
    chosen = [c for c in columns if c[0] not in skip and (keep is None or c[0] in keep)]
    if keep is not None:
        chosen.sort(key=lambda c: keep.index(c[0]))
    schema: dict[str, Any] = {"type": "object", "properties": {
        name: arrow_to_json(kind, nullable) for name, kind, nullable in chosen}}
    if required:
        schema["required"] = [name for name, _, _ in chosen]
    return schema
