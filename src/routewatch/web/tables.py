"""The API's tables: one paginated, filterable endpoint per stored table, JSON or CSV.

Role: :data:`TABLES` declares, per endpoint (``/api/v1/<name>``), the stored table, the
filters it takes (each a parser from :mod:`routewatch.web.params` and a parameterised SQL
condition) and its order. :func:`table_page` runs one page of it; :func:`to_csv` writes rows
as CSV (lists and structs as JSON text). The same declarations feed the OpenAPI description
(:mod:`routewatch.web.openapi`), so documentation and behaviour cannot drift apart.

JSON envelope::

    {"as_of": "2024-06", "methodology": "rw-2026.1", "table": "incidents",
     "filters": {...}, "columns": [...], "data": [...],
     "pagination": {"limit": 100, "offset": 0, "total": 1234, "next": "/api/v1/...?offset=100"}}
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from routewatch.methodology import RW_2026_1
from routewatch.web import params as p
from routewatch.web.reader import Reader, Row

__all__ = ["TABLES", "Filter", "TableSpec", "json_default", "table_page", "to_csv"]


@dataclass(frozen=True)
class Filter:
    """One query parameter of a table endpoint."""

    name: str
    parse: Callable[[str, str], object]
    sql: str  # a condition with one or more ``?`` placeholders, all bound to the value
    help: str
    schema: Mapping[str, object] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class TableSpec:
    """A table endpoint: the stored table, its filters and its order."""

    name: str
    table: str
    summary: str
    order: str
    filters: tuple[Filter, ...]
    monthly: bool = True
    exclude: tuple[str, ...] = ()


_ASN_SCHEMA: Mapping[str, object] = {"type": "string", "pattern": "^(AS)?[0-9]{1,10}$"}
_KIND = Filter("kind", p.parse_area_kind, "area_kind = ?", "area kind (world, economy, "
               "region, sub-region, rir, cohort)")
_AREA = Filter("area", lambda text, name: text, "area = ?",
               "area name (economy code, region name, cohort)")
_ACTION = Filter("action", p.parse_action, "action = ?", "scored action")
_METRIC = Filter("metric", p.parse_metric, "metric = ?", "incident metric M1 … M4C")

_ASN = Filter("asn", p.parse_asn, "asn = ?", "AS number", _ASN_SCHEMA)
_IN_ECONOMY = ("EXISTS (SELECT 1 FROM networks AS n WHERE n.month = {table}.month AND "
               "n.asn = {table}.asn AND coalesce(n.economy, 'unknown') = ?)")


def _choice(kind: str, values: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(text: str, parameter: str) -> str:
        if text not in values:
            raise p.ApiError(400, f"invalid-{kind}", f"one of {', '.join(values)}", parameter)
        return text
    return parse


_parse_rov = _choice("rov-state", ("valid", "invalid", "not-found"))
_parse_irr = _choice("irr-state", ("registered", "other-origin", "not-registered"))


def _parse_bool(text: str, parameter: str) -> bool:
    return _choice("boolean", ("true", "false"))(text.lower(), parameter) == "true"


TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (
    TableSpec("areas", "area_summaries", "State of routing security per area and month.",
              "area_kind, area", (_KIND, _AREA)),
    TableSpec("readiness", "area_readiness", "Band counts and shares per area, action, month.",
              "area_kind, area, action", (_KIND, _AREA, _ACTION)),
    TableSpec("networks", "networks", "Every measured network: name, economy, region, RIR, "
              "MANRS participation, RPKI signer.", "asn",
              (_ASN, Filter("economy", p.parse_economy, "coalesce(economy, 'unknown') = ?",
                            "economy code"),
               Filter("region", lambda text, name: text, "region = ?", "M49 region"),
               Filter("manrs", _parse_bool, "manrs = ?", "MANRS participant (true/false)",
                      {"type": "boolean"}))),
    TableSpec("metrics", "asn_metrics", "Metrics M1 … M8 of every measured network.",
              "asn", (_ASN, Filter("economy", p.parse_economy, _IN_ECONOMY.format(
                  table="asn_metrics"), "economy code of the network"))),
    TableSpec("pairs", "announced_pairs", "Every announced (prefix, origin) pair with its RPKI "
              "and IRR verdicts.", "prefix, origin_asn",
              (Filter("asn", p.parse_asn, "origin_asn = ?", "origin AS", _ASN_SCHEMA),
               Filter("prefix", p.parse_prefix, "prefix = ?", "the announced prefix"),
               Filter("rov_state", _parse_rov, "rov_state = ?", "valid, invalid, not-found"),
               Filter("irr_state", _parse_irr, "irr_state = ?",
                      "registered, other-origin, not-registered"))),
    TableSpec("scores", "action_scores", "Action scores and bands per network.",
              "asn, action",
              (_ASN, _ACTION,
               Filter("band", p.parse_band, "band = ?", "band"))),
    TableSpec("incidents", "incidents", "Incidents with their culprits and accomplices.",
              '"start", incident_id',
              (Filter("asn", p.parse_asn, "(asn = ? OR list_contains(culprit_asns, ?) OR "
                      "list_contains(accomplice_asns, ?))", "culprit or accomplice AS",
                      _ASN_SCHEMA),
               _METRIC,
               Filter("prefix", p.parse_prefix, "list_contains(prefixes, ?)",
                      "an announced prefix of the incident"))),
    TableSpec("findings", "findings", "Offending announcements with their evidence.",
              '"start", finding_id',
              (Filter("asn", p.parse_asn, "(culprit_asn = ? OR origin_asn = ? OR "
                      "accomplice_asn = ?)", "culprit, origin or accomplice AS", _ASN_SCHEMA),
               _METRIC,
               Filter("prefix", p.parse_prefix, "prefix = ?", "the announced prefix")),
              exclude=("prefix_hi", "prefix_lo")),
    TableSpec("runs", "runs", "Pipeline runs: status, methodology, reference snapshot dates.",
              "started", (), monthly=True),
)}

#: Query parameters every table endpoint takes besides its filters.
COMMON = ("month", "limit", "offset", "format")


def table_page(r: Reader, spec: TableSpec, query: Mapping[str, str], path: str,
               latest: dt.date | None) -> dict[str, Any]:
    """One page of a table endpoint (parameters validated; 400 on a bad one)."""
    p.check_known(query, {*COMMON, *(f.name for f in spec.filters)})
    month = p.parse_month(query["month"]) if "month" in query else latest
    limit = p.parse_limit(query.get("limit", "100"))
    offset = p.parse_offset(query.get("offset", "0"))
    if "format" in query and query["format"] not in ("json", "csv"):
        raise p.ApiError(400, "invalid-format", "json or csv", "format")
    where: list[str] = ["TRUE"]
    values: list[object] = []
    shown: dict[str, object] = {}
    if spec.monthly and month is not None:
        where.append("month = ?")
        values.append(month)
    for f in spec.filters:
        if f.name in query:
            value = f.parse(query[f.name], f.name)
            where.append(f.sql)
            values += [value] * f.sql.count("?")
            shown[f.name] = value
    condition = " AND ".join(where)
    exclude = f" EXCLUDE ({', '.join(spec.exclude)})" if spec.exclude else ""
    total = int(r.scalar(f'SELECT count(*) FROM "{spec.table}" WHERE {condition}', values))
    select = f'SELECT *{exclude} FROM "{spec.table}" WHERE {condition} ORDER BY {spec.order}'
    rows = r.rows(f"{select} LIMIT ? OFFSET ?", [*values, limit, offset])
    columns = list(rows[0]) if rows else r.names(select, values)
    version = _version(rows)
    following = None
    if offset + limit < total:
        following = path + "?" + urlencode({**query, "offset": offset + limit})
    return {"as_of": None if month is None else f"{month:%Y-%m}", "methodology": version,
            "table": spec.name, "filters": shown, "columns": columns, "data": rows,
            "pagination": {"limit": limit, "offset": offset, "total": total,
                           "next": following}}


def _version(rows: list[Row]) -> str:
    for row in rows:
        if row.get("methodology"):
            return str(row["methodology"])
    return RW_2026_1.version


def json_default(value: object) -> object:
    """JSON for the values DuckDB returns that :mod:`json` does not know."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, default=json_default, sort_keys=True)
    if isinstance(value, dt.date):
        return json_default(value)
    return value


def to_csv(rows: list[Row], columns: list[str]) -> str:
    """Rows as CSV with a header (also when there is no row); nested values as JSON text,
    null as empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()
