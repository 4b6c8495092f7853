"""The dashboard and the versioned JSON/CSV API (read-only over the store).

Data flow::

    Store (read-only connection per request, bounded queries: reader.py)
      └─► views.py: one dict per page ──► templates/*.html (Jinja2) + static/app.js (ECharts)
                                      └─► /api/v1/<page>  (the page's JSON twin)
      └─► tables.py: paginated tables ──► /api/v1/<table>[.csv]
    openapi.py describes /api/v1 from the same declarations; params.py parses every parameter
    and owns the one error shape. app.py wires the routes; ``serve`` runs uvicorn.
"""

from __future__ import annotations

from routewatch.web.app import create_app, serve

__all__ = ["create_app", "serve"]
