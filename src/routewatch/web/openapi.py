"""The OpenAPI 3.1 description of ``/api/v1``, derived from the specs the app runs.

Role: :func:`openapi` turns the page specs (:data:`routewatch.web.pages.PAGES`, the JSON twins
of the dashboard pages) and the table specs (:data:`routewatch.web.tables.TABLES`) into the
document served at ``/api/v1/openapi.json``: every path with its parameters (the JSON Schema
each parser enforces: pattern, enum, range), its 200 response schema, and the error responses
the server can give (400 a malformed or unknown parameter, 404 no such data, 405 another
method, 503 a query over its time limit or a store that cannot be read), all in the one error
shape. Pure; built once per process.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import cache
from typing import Any

from routewatch import __version__
from routewatch.web import params as p
from routewatch.web.documents import ERROR, string_list
from routewatch.web.pages import PAGES
from routewatch.web.tables import TABLES

__all__ = ["openapi"]

_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_ERRORS = {
    "400": "a malformed or unknown parameter",
    "404": "no such month, area, network or incident",
    "503": "a query over its time limit, or a store that cannot be read",
}
_MONTHS = {"type": "object", "required": ["as_of", "methodology", "data"], "properties": {
    "as_of": {"type": ["string", "null"]}, "methodology": {"type": "string"},
    "data": string_list()}}


def _responses(json: dict[str, Any], csv: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": json}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    out: dict[str, Any] = {"200": {"description": "OK", "content": content}}
    for status, description in _ERRORS.items():
        out[status] = {"description": description, "content": _ERROR_REF}
    return out


def _operation(summary: str, params: Iterable[p.Param], response: dict[str, Any],
               csv: bool = False, description: str = "") -> dict[str, Any]:
    operation = {"summary": summary, "parameters": [x.openapi() for x in params],
                 "responses": _responses(response, csv)}
    if description:
        operation["description"] = description
    return {"get": operation}


@cache
def _document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for spec in TABLES.values():
        response = spec.response()
        paths[f"/api/v1/{spec.name}"] = _operation(spec.summary, spec.params, response, True)
        paths[f"/api/v1/{spec.name}.csv"] = _operation(spec.summary + " (CSV)", spec.params,
                                                       response, True)
    for page in PAGES:
        response = dict(page.response or {})
        twin = f"JSON twin of the page {page.html}"
        if page.csv:
            twin += f"; ?format=csv gives its {page.csv} as CSV"
        paths[page.api] = _operation(page.summary, page.api_params, response, bool(page.csv),
                                     twin)
        if page.csv and "{" not in page.api:
            paths[page.api + ".csv"] = _operation(
                page.summary + f" (its {page.csv} as CSV)", page.params, response, True,
                f"the {page.csv} of the JSON twin {page.api} as CSV")
    paths["/api/v1/months"] = _operation("Months with data.", (), _MONTHS)
    paths["/api/v1"] = _operation("This document.", (), {"type": "object"})
    paths["/api/v1/openapi.json"] = _operation("This document.", (), {"type": "object"})
    return {
        "openapi": "3.1.0",
        "info": {"title": "routewatch API", "version": f"v1 (routewatch {__version__})",
                 "description": "Routing-security measurements per network, economy, region "
                 "and month. Every JSON document has as_of (the month) and methodology (the "
                 "version of the rules); lists are paginated; every table is also CSV. "
                 "Parameters are checked exactly as their schemas say (patterns with the "
                 "semantics of Python's re.search); the format ip-prefix is an IPv4 or IPv6 "
                 "prefix in canonical form with no host bits set."},
        "paths": paths,
        "components": {"schemas": {"Error": ERROR}},
    }


def openapi() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy)."""
    return copy.deepcopy(_document())
