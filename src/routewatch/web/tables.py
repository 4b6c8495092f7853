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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from routewatch.methodology import RW_2026_1
from routewatch.store.queries import TABLE_QUERIES, Row, Rows, table_rows
from routewatch.store.shapes import row_schema
from routewatch.web import params as p
from routewatch.web.documents import AS_OF, array, obj, string_list

__all__ = ["COMMON", "TABLES", "TableSpec", "json_default", "table_page", "to_csv"]


@dataclass(frozen=True)
class TableSpec:
    """A table endpoint (``/api/v1/<name>`` and ``.csv``): its summary and its filters; the
    store's :data:`~routewatch.store.queries.TABLE_QUERIES` entry of the same name says how
    each filter selects rows."""

    name: str
    summary: str
    filters: tuple[p.Param, ...]

    def __post_init__(self) -> None:
        query = TABLE_QUERIES[self.name]
        if set(query.conditions) != {f.name for f in self.filters}:
            raise TypeError(f"table {self.name}: filters {[f.name for f in self.filters]} vs "
                            f"the store's conditions {sorted(query.conditions)}")

    @property
    def params(self) -> tuple[p.Param, ...]:
        """Every query parameter of the endpoint."""
        return (*COMMON, *self.filters)

    def response(self) -> dict[str, Any]:
        """The JSON Schema of the endpoint's JSON document."""
        query = TABLE_QUERIES[self.name]
        return obj({
            "as_of": AS_OF, "methodology": {"type": "string"}, "table": {"const": self.name},
            "filters": {"type": "object"}, "columns": string_list(),
            "data": array(row_schema(query.table, exclude=query.exclude)),
            "pagination": obj({"limit": {"type": "integer"}, "offset": {"type": "integer"},
                               "total": {"type": "integer"},
                               "next": {"type": ["string", "null"]}}),
        })


_ASN = p.Param("asn", "AS number", p.parse_asn, p.ASN.schema)
_AREA = p.Param("area", "area name (economy code, region name, cohort)", p.parse_text)
_PREFIX = p.Param("prefix", "the announced prefix (canonical, no host bits)", p.parse_prefix,
                  p.PREFIX_SCHEMA)
_ROV = ("valid", "invalid", "not-found")
_IRR = ("registered", "other-origin", "not-registered")
_COHORTS = ("manrs", "rpki-signer")
_TREATMENTS = ("joined-manrs", "started-signing")

#: Query parameters every table endpoint takes besides its filters.
COMMON: tuple[p.Param, ...] = (p.MONTH, p.LIMIT, p.OFFSET, p.FORMAT)

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (
    TableSpec("areas", "State of routing security per area and month.", (p.AREA_KIND, _AREA)),
    TableSpec("readiness", "Band counts and shares per area, action, month.",
              (p.AREA_KIND, _AREA, p.ACTION)),
    TableSpec("networks", "Every measured network: name, economy, region, RIR, MANRS "
              "participation, RPKI signer.",
              (_ASN, p.ECONOMY, p.Param("region", "M49 region", p.parse_text),
               p.Param("manrs", "MANRS participant (true/false)", p.parse_bool,
                       {"type": "boolean"}))),
    TableSpec("metrics", "Metrics M1 … M8 of every measured network.",
              (_ASN, p.Param("economy", "economy code of the network", p.parse_economy,
                             p.ECONOMY.schema))),
    TableSpec("pairs", "Every announced (prefix, origin) pair with its RPKI and IRR verdicts.",
              (p.Param("asn", "origin AS", p.parse_asn, p.ASN.schema), _PREFIX,
               p.Param("rov_state", ", ".join(_ROV), p.choice("rov-state", _ROV),
                       p.enum(_ROV)),
               p.Param("irr_state", ", ".join(_IRR), p.choice("irr-state", _IRR),
                       p.enum(_IRR)))),
    TableSpec("scores", "Action scores and bands per network.", (_ASN, p.ACTION, p.BAND)),
    TableSpec("incidents", "Incidents with their culprits and accomplices.",
              (p.Param("asn", "culprit or accomplice AS", p.parse_asn, p.ASN.schema),
               p.METRIC, p.Param("prefix", "an announced prefix of the incident",
                                 p.parse_prefix, p.PREFIX_SCHEMA))),
    TableSpec("findings", "Offending announcements with their evidence.",
              (p.Param("asn", "culprit, origin or accomplice AS", p.parse_asn, p.ASN.schema),
               p.METRIC, _PREFIX)),
    TableSpec("runs", "Pipeline runs: status, methodology, reference snapshot dates.", ()),
    TableSpec("coverage", "What every stored month was computed from: collectors, minutes "
              "of BGP update data, reference snapshot dates, inputs digest.", ()),
    TableSpec("cohort-impact", "MANRS participants and RPKI signers against the rest, per "
              "month and measure: values, bootstrap intervals, sample sizes.",
              (p.Param("cohort", "manrs or rpki-signer", p.choice("cohort", _COHORTS),
                       p.enum(_COHORTS)),
               p.Param("measure", "a measure, e.g. incidents_per_100_networks",
                       p.parse_text))),
    TableSpec("did-impact", "Before/after (difference in differences) for networks that "
              "joined MANRS or started signing, over the comparable months ending with the "
              "month.",
              (p.Param("treatment", "joined-manrs or started-signing",
                       p.choice("treatment", _TREATMENTS), p.enum(_TREATMENTS)),
               p.Param("outcome", "incidents or an action", p.parse_text))),
)}


def table_page(r: Rows, spec: TableSpec, query: Mapping[str, str], path: str,
               latest: dt.date | None) -> dict[str, Any]:
    """One page of a table endpoint (parameters validated; 400 on a bad one)."""
    p.check_known(query, (x.name for x in spec.params))
    month = p.MONTH.value(query.get("month")) or latest
    limit = p.LIMIT.value(query.get("limit"))
    offset = p.OFFSET.value(query.get("offset"))
    p.FORMAT.value(query.get("format"))
    shown = {f.name: f.value(query[f.name]) for f in spec.filters if f.name in query}
    total, columns, rows = table_rows(r, spec.name, month, shown, limit, offset)
    following = None
    if offset + limit < total:
        following = path + "?" + urlencode({**query, "offset": offset + limit})
    return {"as_of": None if month is None else f"{month:%Y-%m}", "methodology": _version(rows),
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
