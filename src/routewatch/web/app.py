"""The dashboard and the ``/api/v1`` JSON/CSV API, as one Starlette (ASGI) app.

Role: :func:`create_app` builds the app over a store file; :func:`serve` runs it with uvicorn.
Every dashboard page is built from one dict (:mod:`routewatch.web.views`); the page renders
it with a Jinja2 template and its JSON twin under ``/api/v1`` returns it as is. Tables
(:mod:`routewatch.web.tables`) are paginated JSON or CSV (``?format=csv`` or ``.csv``). Charts
and the map are drawn in the browser by vendored ECharts from the same dict, embedded in the
page; every asset comes from ``/static`` (the Content-Security-Policy forbids anything else),
so the dashboard works offline.

Routes::

    /                    overview          /api/v1/overview
    /history             twelve months     /api/v1/history
    /compare             side by side      /api/v1/compare
    /asn/{asn}           network           /api/v1/networks/{asn}
    /incident/{id}       incident          /api/v1/incidents/{id}
    /methodology         methodology       /api/v1/methodology
    /search?q=           search            /api/v1/search
    /api/v1/{areas,readiness,networks,scores,incidents,findings,runs}[.csv]
    /api/v1/months, /api/v1/openapi.json, /static/...

Failure modes: a bad parameter is a 400 in the one error shape
(:class:`~routewatch.web.params.ApiError`), missing data a 404, a query over its time limit a
503, a store that cannot be read a 503 (``store-unavailable``); pages show the same error as
HTML. Database access is read-only, through :mod:`routewatch.store` only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from routewatch.errors import StoreError
from routewatch.methodology import RW_2026_1
from routewatch.metrics import Action
from routewatch.store import Store
from routewatch.web import params as p
from routewatch.web import views
from routewatch.web.openapi import PAGES, openapi
from routewatch.web.reader import Connections, Limits, Reader
from routewatch.web.tables import TABLES, TableSpec, json_default, table_page, to_csv

__all__ = ["create_app", "serve"]

_HERE = Path(__file__).parent
_LOG = logging.getLogger(__name__)
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'")
_HEADERS = {"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"}
_DEFAULT_ACTION = Action.GLOBAL_VALIDATION_RPKI.value

PageBuilder = Callable[[Reader, Request], dict[str, Any]]


# ------------------------------------------------------------------------------ page dicts
def _query(request: Request, known: set[str]) -> dict[str, str]:
    query = dict(request.query_params)
    p.check_known(query, known | {"format"})
    return {k: v for k, v in query.items() if k != "format"}


def _month(query: dict[str, str]) -> Any:
    return p.parse_month(query["month"]) if query.get("month") else None


def _overview(r: Reader, request: Request) -> dict[str, Any]:
    q = _query(request, {"month", "area", "action"})
    area = p.parse_area(q["area"]) if q.get("area") else p.Area("world", "world")
    action = p.parse_action(q["action"]) if q.get("action") else _DEFAULT_ACTION
    return views.overview_view(r, _month(q), area, action)


def _history(r: Reader, request: Request) -> dict[str, Any]:
    q = _query(request, {"month", "area"})
    area = p.parse_area(q["area"]) if q.get("area") else p.Area("world", "world")
    return views.history_view(r, _month(q), area)


def _compare(r: Reader, request: Request) -> dict[str, Any]:
    q = _query(request, {"month", "areas"})
    areas = p.parse_areas(q.get("areas") or next(iter(views.PRESETS.values())))
    return views.compare_view(r, _month(q), areas)


def _network(r: Reader, request: Request) -> dict[str, Any]:
    q = _query(request, {"month"})
    return views.network_view(r, p.parse_asn(request.path_params["asn"]), _month(q))


def _incident(r: Reader, request: Request) -> dict[str, Any]:
    _query(request, set())
    ident = str(request.path_params["incident_id"])
    if not ident or len(ident) > 64 or not all(c.isalnum() or c in "-_.:" for c in ident):
        raise p.ApiError(400, "invalid-incident-id", "an incident id such as 3f2a9c0d1e4b5a69 "
                         "(letters, digits, - _ . :)", "incident_id")
    return views.incident_view(r, ident)


def _methodology(r: Reader, request: Request) -> dict[str, Any]:
    q = _query(request, {"version"})
    return views.methodology_view(r, q.get("version"))


def _search(r: Reader, request: Request) -> dict[str, Any]:
    q = _query(request, {"q"})
    return views.search_view(r, q.get("q", ""))


_BUILDERS: dict[str, PageBuilder] = {
    "overview": _overview, "history": _history, "compare": _compare, "network": _network,
    "incident": _incident, "methodology": _methodology, "search": _search,
}


# ------------------------------------------------------------------------------ rendering
def _json(body: object, status: int = 200) -> Response:
    text = json.dumps(body, default=json_default, ensure_ascii=False, allow_nan=False)
    return Response(text, status, media_type="application/json", headers=_HEADERS)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(_HERE / "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(pct=_pct, num=_num, score=_score, when=_when, duration=_duration,
                       asns=_asns)
    return env


def _pct(value: object) -> str:
    return "—" if not isinstance(value, int | float) else f"{100 * value:.1f} %"


def _num(value: object) -> str:
    if not isinstance(value, int | float):
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _score(value: object) -> str:
    return "—" if not isinstance(value, int | float) else f"{value:.2f}"


def _when(value: object) -> str:
    text = json_default(value) if value is not None else ""
    return str(text).replace("T", " ").replace("Z", " UTC") if text else "open"


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int | float):
        return "—"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"


def _asns(values: object) -> str:
    return ", ".join(f"AS{v}" for v in values) if isinstance(values, list) and values else "—"


def _embed(data: dict[str, Any]) -> str:
    """The page dict as JSON safe inside ``<script type="application/json">``."""
    text = json.dumps(data, default=json_default, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Site:
    """The app's state: the store, the query limits, the templates."""

    def __init__(self, store: Store, limits: Limits) -> None:
        self.connections = Connections(store, limits)
        self.env = _environment()

    def build(self, kind: str, request: Request) -> dict[str, Any]:
        with self.connections.reader() as r:
            return _BUILDERS[kind](r, request)

    def html(self, template: str, data: dict[str, Any], request: Request,
             status: int = 200) -> HTMLResponse:
        twin = _twin(request)
        page = self.env.get_template(template).render(
            d=data, data_json=_embed(data), json_url=twin, path=request.url.path,
            query=dict(request.query_params), actions=views.ACTIONS)
        return HTMLResponse(page, status, headers=_HEADERS)

    def page(self, kind: str) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            return self.html(f"{kind}.html", self.build(kind, request), request)
        return endpoint

    def api(self, kind: str) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            return _json(self.build(kind, request))
        return endpoint

    def table(self, spec: TableSpec, csv: bool) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            query = dict(request.query_params)
            with self.connections.reader() as r:
                latest = views.latest_month(r)
                body = table_page(r, spec, query, request.url.path, latest)
            if csv or query.get("format") == "csv":
                name = f"routewatch-{spec.name}-{body['as_of'] or 'all'}.csv"
                text = to_csv(body["data"], body["columns"])
                return Response(text, media_type="text/csv; charset=utf-8",
                                headers={**_HEADERS, "Content-Disposition":
                                         f'attachment; filename="{name}"'})
            return _json(body)
        return endpoint

    def months(self, request: Request) -> Response:
        p.check_known(dict(request.query_params), set())
        with self.connections.reader() as r:
            found = views.months_with_data(r)
        return _json({"as_of": f"{found[-1]:%Y-%m}" if found else None,
                      "methodology": RW_2026_1.version,
                      "data": [f"{m:%Y-%m}" for m in found]})

    def error(self, request: Request, exc: Exception) -> Response:
        """The one error shape (JSON under /api, an HTML page elsewhere)."""
        error = _as_api_error(exc)
        if error.status >= 500:
            _LOG.error("%s %s: %s", request.method, request.url.path, exc, exc_info=exc)
        if request.url.path.startswith("/api/") or request.query_params.get("format") == "json":
            return _json(error.body(), error.status)
        data = {"page": "error", "as_of": None, "methodology": RW_2026_1.version,
                **error.body()}
        return self.html("error.html", data, request, error.status)


def _twin(request: Request) -> str:
    path = request.url.path
    for page in PAGES:
        prefix = page.html.split("{", 1)[0]
        if page.html == path or ("{" in page.html and path.startswith(prefix)
                                 and prefix != "/"):
            twin = page.path.split("{", 1)[0] + path[len(prefix):]
            return twin + (f"?{request.url.query}" if request.url.query else "")
    return "/api/v1/openapi.json"


def _as_api_error(exc: Exception) -> p.ApiError:
    if isinstance(exc, p.ApiError):
        return exc
    if isinstance(exc, HTTPException):
        code = "not-found" if exc.status_code == 404 else "http-error"
        message = ("no such page; the API is described at /api/v1/openapi.json"
                   if exc.status_code == 404 else str(exc.detail))
        return p.ApiError(exc.status_code, code, message, None)
    if isinstance(exc, StoreError):
        return p.ApiError(503, "store-unavailable", str(exc), None)
    return p.ApiError(500, "internal-error", "an unexpected error; it has been logged", None)


# ------------------------------------------------------------------------------ the app
def create_app(db_path: Path | str, limits: Limits | None = None) -> Starlette:
    """The ASGI app over the store at ``db_path`` (opened read-only, per request)."""
    site = _Site(Store(Path(db_path)), limits or Limits())
    routes: list[BaseRoute] = [
        Route("/", site.page("overview")),
        Route("/overview", lambda request: RedirectResponse("/", 308)),
        Route("/history", site.page("history")),
        Route("/compare", site.page("compare")),
        Route("/asn/{asn}", site.page("network")),
        Route("/incident/{incident_id}", site.page("incident")),
        Route("/methodology", site.page("methodology")),
        Route("/search", site.page("search")),
        Route("/api/v1/openapi.json", lambda request: _json(openapi())),
        Route("/api/v1/months", site.months),
        Route("/api/v1", lambda request: _json(openapi())),
    ]
    for kind, page in zip(_BUILDERS, PAGES, strict=True):
        routes.append(Route(page.path, site.api(kind)))
    for spec in TABLES.values():
        routes.append(Route(f"/api/v1/{spec.name}.csv", site.table(spec, csv=True)))
        routes.append(Route(f"/api/v1/{spec.name}", site.table(spec, csv=False)))
    routes.append(Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"))
    handlers: dict[Any, Any] = {p.ApiError: site.error, HTTPException: site.error,
                                StoreError: site.error, Exception: site.error}
    return Starlette(routes=routes, exception_handlers=handlers)


def serve(db_path: Path | str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the dashboard and API for the store at ``db_path`` until interrupted.

    Raises :class:`~routewatch.errors.StoreError` when the file is missing or not a
    routewatch database (checked before listening).
    """
    import uvicorn

    store = Store(Path(db_path))
    store.version()  # fails early, naming the file and the fix
    uvicorn.run(create_app(store.path), host=host, port=port, log_level="info")
