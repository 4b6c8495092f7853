"""The OpenAPI 3.1 description of ``/api/v1``, built from the same declarations the app runs.

Role: :func:`openapi` turns :data:`routewatch.web.tables.TABLES` and :data:`PAGES` (the JSON
twins of the dashboard pages) into the document served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from routewatch import __version__
from routewatch.web.params import MAX_LIMIT
from routewatch.web.tables import TABLES

__all__ = ["PAGES", "PageSpec", "openapi"]


@dataclass(frozen=True)
class PageSpec:
    """A JSON twin of a dashboard page: its API path, HTML path and query parameters."""

    path: str
    html: str
    summary: str
    query: tuple[tuple[str, str], ...] = ()
    path_params: tuple[tuple[str, str], ...] = ()


_MONTH = ("month", "month YYYY-MM (default: the newest with data)")
PAGES: tuple[PageSpec, ...] = (
    PageSpec("/api/v1/overview", "/", "Overview of an area: incidents, RPKI/IRR shares, "
             "readiness, world map, top culprits.",
             (_MONTH, ("area", "area kind:name, e.g. economy:NL, region:Europe (default "
                       "world)"), ("action", "action coloured on the map"))),
    PageSpec("/api/v1/history", "/history", "The rolling twelve months of an area.",
             (_MONTH, ("area", "area kind:name"))),
    PageSpec("/api/v1/compare", "/compare", "Two or more areas or cohorts side by side.",
             (_MONTH, ("areas", "comma-separated areas, e.g. cohort:manrs,cohort:non-manrs"))),
    PageSpec("/api/v1/networks/{asn}", "/asn/{asn}", "One network: scores, incidents with "
             "evidence, what to fix, history.", (_MONTH,), (("asn", "AS number"),)),
    PageSpec("/api/v1/incidents/{incident_id}", "/incident/{incident_id}",
             "One incident with its findings, AS paths, peers, verdicts and edges.", (),
             (("incident_id", "incident id"),)),
    PageSpec("/api/v1/methodology", "/methodology", "The methodology parameters.",
             (("version", "methodology version (default the current one)"),)),
    PageSpec("/api/v1/search", "/search", "Search networks, prefixes, economies, regions.",
             (("q", "ASN, prefix, economy code or name, region"),)),
)

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["status", "code", "message", "parameter"],
        "properties": {
            "status": {"type": "integer"},
            "code": {"type": "string", "examples": ["invalid-asn", "invalid-month",
                                                     "unknown-parameter", "not-found"]},
            "message": {"type": "string", "description": "what was expected"},
            "parameter": {"type": ["string", "null"]},
        },
    }},
}


def _param(name: str, where: str, description: str, schema: object = None) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path",
            "description": description, "schema": schema or {"type": "string"}}


def _responses(csv: bool) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {"200": {"description": "OK", "content": content},
            "400": {"description": "a malformed parameter", **error},
            "404": {"description": "no such month, area, network or incident", **error}}


def openapi() -> dict[str, Any]:
    """The OpenAPI document."""
    paths: dict[str, Any] = {}
    for spec in TABLES.values():
        parameters = [
            _param("month", "query", "month YYYY-MM (default: the newest with data)"),
            _param("limit", "query", f"rows per page, 1 … {MAX_LIMIT} (default 100)",
                   {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
            _param("offset", "query", "rows to skip", {"type": "integer", "minimum": 0}),
            _param("format", "query", "json (default) or csv",
                   {"type": "string", "enum": ["json", "csv"]}),
            *[_param(f.name, "query", f.help, f.schema) for f in spec.filters],
        ]
        operation = {"summary": spec.summary, "parameters": parameters,
                     "responses": _responses(csv=True)}
        paths[f"/api/v1/{spec.name}"] = {"get": operation}
        paths[f"/api/v1/{spec.name}.csv"] = {"get": {**operation, "summary": spec.summary
                                                     + " (CSV)"}}
    for page in PAGES:
        parameters = [_param(n, "path", d) for n, d in page.path_params]
        parameters += [_param(n, "query", d) for n, d in page.query]
        paths[page.path] = {"get": {"summary": page.summary, "parameters": parameters,
                                    "description": f"JSON twin of the page {page.html}",
                                    "responses": _responses(csv=False)}}
    paths["/api/v1/months"] = {"get": {"summary": "Months with data.",
                                       "responses": _responses(csv=False)}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "routewatch API", "version": f"v1 (routewatch {__version__})",
                 "description": "Routing-security measurements per network, economy, region "
                 "and month. Every JSON document has as_of (the month) and methodology (the "
                 "version of the rules); lists are paginated; every table is also CSV."},
        "paths": paths,
        "components": {"schemas": {"Error": _ERROR}},
    }
