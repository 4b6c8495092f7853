"""The dashboard and the versioned JSON/CSV API (read-only over the store).

Data flow::

    pages.py: one spec per page (paths, template, view, parameters, response schema)
      ├─► app.py: the HTML route and the /api/v1 JSON twin, parameters parsed by the spec
      └─► openapi.py: /api/v1/openapi.json (parameter schemas, response schemas, errors)
    views.py: one dict per page, from the store's read queries (routewatch.store.queries)
      ──► templates/*.html (Jinja2) + static/app.js (ECharts), and the JSON twin as is
    tables.py: paginated tables ──► /api/v1/<table>[.csv]
    params.py declares and parses every parameter and owns the one error shape;
    reader.py runs the store's queries bounded and timed. ``serve`` runs uvicorn.

Imports: the store (:mod:`routewatch.store`, its read queries and row schemas), the
methodology (:mod:`routewatch.methodology`), the vocabulary and advice of the scores
(:mod:`routewatch.metrics.vocabulary`, :mod:`routewatch.metrics.advice`), the errors, and
its own modules; no SQL lives here.
"""

from __future__ import annotations

from routewatch.web.app import create_app, serve

__all__ = ["create_app", "serve"]
