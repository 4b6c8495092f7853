"""The dashboard and the ``/api/v1`` JSON/CSV API, as one Starlette (ASGI) app.

Role: :func:`create_app` builds the app over a store file; :func:`serve` runs it with uvicorn.
Every dashboard page is declared once, by its spec (:mod:`routewatch.web.pages`): the app adds
its HTML route and its JSON twin from it, both built from one dict (:mod:`routewatch.web.views`)
with the parameters the spec parses; the page renders the dict with a Jinja2 template and the
twin returns it as is. Tables
(:mod:`routewatch.web.tables`) are paginated JSON or CSV (``?format=csv`` or ``.csv``). Charts
and the map are drawn in the browser by vendored ECharts from the same dict, embedded in the
page; every asset comes from ``/static`` (the Content-Security-Policy forbids anything else),
so the dashboard works offline.

Routes (from the page and table specs)::

    /                    overview          /api/v1/overview
    /history             twelve months     /api/v1/history
    /compare             side by side      /api/v1/compare
    /asn/{asn}           network           /api/v1/networks/{asn}
    /incident/{id}       incident          /api/v1/incidents/{id}
    /methodology         methodology       /api/v1/methodology
    /search?q=           search            /api/v1/search
    /impact              does it matter?   /api/v1/impact
    /api/v1/{areas,readiness,networks,scores,incidents,findings,runs,coverage,
             cohort-impact,did-impact}[.csv]
    /api/v1/{overview,history,compare,impact}.csv, ?format=csv on those twins and on
    /api/v1/networks/{asn}: the page's trends (the impact page: its cohort comparisons)
    /api/v1/months, /api/v1/openapi.json, /static/...

Failure modes: a bad parameter is a 400 in the one error shape
(:class:`~routewatch.web.params.ApiError`), missing data a 404, a query over its time limit a
503, a store that cannot be read a 503 (``store-unavailable``); pages show the same error as
HTML. Database access is read-only, through :mod:`routewatch.store` only.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from routewatch.errors import StoreError
from routewatch.methodology import RW_2026_1
from routewatch.store import Store
from routewatch.web import params as p
from routewatch.web import views
from routewatch.web.openapi import openapi
from routewatch.web.pages import PAGES, Page
from routewatch.web.reader import Connections, Limits
from routewatch.web.tables import TABLES, TableSpec, json_default, table_page, to_csv

__all__ = ["create_app", "serve"]

_HERE = Path(__file__).parent
_LOG = logging.getLogger(__name__)
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'")
#: Headers of every response (pages, API, static files, errors): see :class:`_SecurityHeaders`.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: Pages and API documents change when a new snapshot is swapped in: always revalidate.
_NO_CACHE = "no-cache"
#: Static assets ship with the package and change only with it.
_STATIC_CACHE = "public, max-age=86400"
# ------------------------------------------------------------------------------ rendering
def _json(body: object, status: int = 200) -> Response:
    text = json.dumps(body, default=json_default, ensure_ascii=False, allow_nan=False)
    return Response(text, status, media_type="application/json")


def _csv(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


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
        self.pages: dict[object, Page] = {}

    def build(self, page: Page, request: Request, extra: tuple[str, ...] = ()) -> dict[str, Any]:
        """The page's dict for a request (parameters parsed by the page's spec)."""
        arguments = page.arguments(request.query_params, request.path_params, extra)
        with self.connections.reader() as r:
            return page.view(r, **arguments)

    def html(self, template: str, data: dict[str, Any], request: Request, twin: str,
             status: int = 200) -> HTMLResponse:
        page = self.env.get_template(template).render(
            d=data, data_json=_embed(data), json_url=twin, path=request.url.path,
            query=dict(request.query_params), actions=views.ACTIONS)
        return HTMLResponse(page, status)

    def page(self, page: Page) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            data = self.build(page, request, extra=("format",))
            query = str(request.url.query)
            return self.html(page.template, data, request, page.twin(request.path_params, query))
        self.pages[endpoint] = page
        return endpoint

    def api(self, page: Page, csv: bool = False) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            if not page.csv:
                return _json(self.build(page, request))
            wanted = p.FORMAT.value(request.query_params.get("format"))
            data = self.build(page, request, extra=("format",))
            if not csv and wanted != "csv":
                return _json(data)
            rows = data[page.csv]
            columns = list(dict.fromkeys(k for row in rows for k in row))
            return _csv(to_csv(rows, columns), f"routewatch-{page.name}-{data['as_of']}.csv")
        return endpoint

    def table(self, spec: TableSpec, csv: bool) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            query = dict(request.query_params)
            with self.connections.reader() as r:
                latest = views.latest_month(r)
                body = table_page(r, spec, query, request.url.path, latest)
            if csv or query.get("format") == "csv":
                name = f"routewatch-{spec.name}-{body['as_of'] or 'all'}.csv"
                return _csv(to_csv(body["data"], body["columns"]), name)
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
        """The one error shape (JSON under /api and /static, an HTML page elsewhere); a 405
        keeps its ``Allow`` header."""
        error = _as_api_error(exc)
        if error.status >= 500:
            _LOG.error("%s %s: %s", request.method, request.url.path, exc, exc_info=exc)
        if (request.url.path.startswith(("/api/", "/static/"))
                or request.query_params.get("format") == "json"):
            response: Response = _json(error.body(), error.status)
        else:
            data = {"page": "error", "as_of": None, "methodology": RW_2026_1.version,
                    **error.body()}
            response = self.html("error.html", data, request, self.twin_of(request),
                                 error.status)
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        return response

    def twin_of(self, request: Request) -> str:
        """The JSON twin of the page a request was routed to (the API description else)."""
        page = self.pages.get(request.scope.get("endpoint"))
        if page is None:
            return "/api/v1/openapi.json"
        return page.twin(request.path_params, str(request.url.query))


_HTTP_ERRORS = {
    404: ("not-found", "no such page; the API is described at /api/v1/openapi.json"),
    405: ("method-not-allowed", "this path answers only the methods in the Allow header "
          "(the dashboard and the API are read-only)"),
}


def _as_api_error(exc: Exception) -> p.ApiError:
    if isinstance(exc, p.ApiError):
        return exc
    if isinstance(exc, HTTPException):
        code, message = _HTTP_ERRORS.get(exc.status_code, ("http-error", str(exc.detail)))
        return p.ApiError(exc.status_code, code, message, None)
    if isinstance(exc, StoreError):
        return p.ApiError(503, "store-unavailable", str(exc), None)
    return p.ApiError(500, "internal-error", "an unexpected error; it has been logged", None)


# ------------------------------------------------------------------------------ headers, static
class _SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` and a Cache-Control on every response.

    Pages and API documents get ``no-cache`` (a new snapshot can be swapped in at any time),
    files under ``/static`` a day of public caching.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")
        cache = _STATIC_CACHE if static else _NO_CACHE

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = cache
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _Static(StaticFiles):
    """The packaged assets: a name with a NUL byte is a 404 (the OS refuses it), other
    methods than GET and HEAD a 405 with ``Allow``."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if "\x00" in path:
            return "", None
        return super().lookup_path(path)

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"Allow": "GET, HEAD"})
        return await super().get_response(path, scope)


# ------------------------------------------------------------------------------ the app
def create_app(db_path: Path | str, limits: Limits | None = None) -> Starlette:
    """The ASGI app over the store at ``db_path`` (opened read-only, per request)."""
    site = _Site(Store(Path(db_path)), limits or Limits())
    routes: list[BaseRoute] = [
        Route("/overview", lambda request: RedirectResponse("/", 308)),
        Route("/api/v1/openapi.json", lambda request: _json(openapi())),
        Route("/api/v1/months", site.months),
        Route("/api/v1", lambda request: _json(openapi())),
    ]
    for page in PAGES:
        routes.append(Route(page.html, site.page(page)))
        if page.csv and "{" not in page.api:
            routes.append(Route(page.api + ".csv", site.api(page, csv=True)))
        routes.append(Route(page.api, site.api(page)))
    for spec in TABLES.values():
        routes.append(Route(f"/api/v1/{spec.name}.csv", site.table(spec, csv=True)))
        routes.append(Route(f"/api/v1/{spec.name}", site.table(spec, csv=False)))
    routes.append(Mount("/static", _Static(directory=_HERE / "static"), name="static"))
    handlers: dict[Any, Any] = {p.ApiError: site.error, HTTPException: site.error,
                                StoreError: site.error, Exception: site.error}
    return Starlette(routes=routes, exception_handlers=handlers,
                     middleware=[Middleware(_SecurityHeaders)])


def serve(db_path: Path | str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the dashboard and API for the store at ``db_path`` until interrupted.

    Raises :class:`~routewatch.errors.StoreError` when the file is missing or not a
    routewatch database (checked before listening).
    """
    import uvicorn

    store = Store(Path(db_path))
    store.version()  # fails early, naming the file and the fix
    uvicorn.run(create_app(store.path), host=host, port=port, log_level="info")
