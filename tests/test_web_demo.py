"""Every page and table of the dashboard over the demo database (``routewatch demo``: the real
pipeline over the bundled real sample), so real-data quirks (RIR pseudo-economies such as EU,
networks without a name or an economy, open incidents) are covered, not only the fixture."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from _demo_db import demo_db
from routewatch.web.app import create_app
from routewatch.web.tables import TABLES


@pytest.mark.slow
def test_every_page_and_table_renders_the_demo() -> None:
    db, _ = demo_db()
    with TestClient(create_app(db)) as c:
        overview = c.get("/api/v1/overview").json()
        culprit = overview["top_culprits"][0]["asn"]
        incident = c.get("/api/v1/incidents?limit=1").json()["data"][0]["incident_id"]
        urls = ["/", "/history", "/compare", f"/asn/{culprit}", f"/incident/{incident}",
                "/methodology", "/search?q=AS3356", "/search?q=US",
                "/compare?areas=cohort:rpki-signer,cohort:rpki-non-signer",
                *[f"/?area={o['key']}" for o in overview["area_options"][::25]],
                *[f"/api/v1/{name}.csv" for name in TABLES]]
        for url in urls:
            response = c.get(url)
            assert response.status_code == 200, (url, response.text[:300])
        assert overview["summary"]["networks"] > 1000
        assert overview["map"], "the demo has economies to draw"
