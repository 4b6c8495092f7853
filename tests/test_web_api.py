"""The API and the pages in process (Starlette TestClient) over a store built by the real
metrics and store code (tests/web_fixture.py): envelopes, pagination, CSV, JSON twins, the
OpenAPI description, bounded read-only queries, and ``routewatch serve``."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from routewatch.cli.main import main
from routewatch.methodology import RW_2026_1
from routewatch.store import Store
from routewatch.web.app import create_app
from routewatch.web.params import ApiError
from routewatch.web.reader import Limits, open_reader
from routewatch.web.tables import TABLES
from web_fixture import HIJACKER, MONTHS, VICTIM, build_store

LATEST = f"{MONTHS[-1]:%Y-%m}"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web-api") / "rw.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as c:
        yield c


def _page_data(html: str) -> object:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html,
                      re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.parametrize("page,twin", [
    ("/", "/api/v1/overview"),
    (f"/?area=cohort:manrs&month={MONTHS[1]:%Y-%m}&action=filtering",
     f"/api/v1/overview?area=cohort:manrs&month={MONTHS[1]:%Y-%m}&action=filtering"),
    ("/history?area=region:Americas", "/api/v1/history?area=region:Americas"),
    ("/compare", "/api/v1/compare"),
    (f"/asn/{HIJACKER}", f"/api/v1/networks/{HIJACKER}"),
    ("/methodology", "/api/v1/methodology"),
    ("/search?q=JP", "/api/v1/search?q=JP"),
])
def test_every_page_embeds_exactly_its_json_twin(client: TestClient, page: str,
                                                 twin: str) -> None:
    html = client.get(page)
    assert html.status_code == 200
    assert f'href="{twin.replace("&", "&amp;")}" id="json-twin"' in html.text
    assert _page_data(html.text) == client.get(twin).json()
    assert "default-src 'self'" in html.headers["content-security-policy"]


def test_pages_stamp_month_and_methodology(client: TestClient) -> None:
    for url in ("/api/v1/overview", "/api/v1/history", "/api/v1/compare",
                f"/api/v1/networks/{VICTIM}"):
        body = client.get(url).json()
        assert body["as_of"] == LATEST, url
        assert body["methodology"] == RW_2026_1.version, url


def test_overview_matches_the_stored_rollups(client: TestClient, db: Path) -> None:
    body = client.get(f"/api/v1/overview?month={LATEST}").json()
    stored = Store(db).query("SELECT networks, incidents_m2 FROM area_summaries WHERE "
                             "area_kind = 'world' AND month = ?", [MONTHS[-1]]).to_pylist()[0]
    assert body["summary"]["networks"] == stored["networks"]
    m2 = next(x for x in body["incidents_by_metric"] if x["metric"] == "M2")
    assert m2["incidents"] == stored["incidents_m2"]
    assert body["readiness"][0]["action"] == "filtering"
    assert {"JP", "BR"} <= {r["economy"] for r in body["map"]}
    assert all(r["numeric"].isdigit() for r in body["map"])
    assert HIJACKER in [c["asn"] for c in body["top_culprits"]]


def test_filters_change_the_overview(client: TestClient) -> None:
    world = client.get("/api/v1/overview").json()
    japan = client.get("/api/v1/overview?area=economy:JP").json()
    assert japan["area"]["key"] == "economy:JP"
    assert japan["summary"]["networks"] < world["summary"]["networks"]
    assert [r["economy"] for r in japan["map"] if r["in_area"]] == ["JP"]


def test_top_culprits_follow_the_area(client: TestClient) -> None:
    def culprits(area: str) -> list[int]:
        body = client.get("/api/v1/overview", params={"area": area}).json()
        return [c["asn"] for c in body["top_culprits"]]

    assert HIJACKER in culprits("economy:BR")
    assert HIJACKER in culprits("region:Americas")
    assert HIJACKER not in culprits("economy:JP")


def test_history_covers_the_months(client: TestClient) -> None:
    body = client.get("/api/v1/history").json()
    assert [s["month"] for s in body["series"]] == [f"{m:%Y-%m}" for m in MONTHS]
    assert set(body["series"][0]["ready_share"]) == set(body["actions"])


def test_comparison_of_cohorts(client: TestClient) -> None:
    body = client.get("/api/v1/compare?areas=cohort:rpki-signer,cohort:rpki-non-signer,"
                      "economy:BR").json()
    assert [a["key"] for a in body["areas"]] == ["cohort:rpki-signer", "cohort:rpki-non-signer",
                                                 "economy:BR"]
    assert all(len(a["readiness"]) == 5 for a in body["areas"])


def test_network_page_has_scores_incidents_and_what_to_fix(client: TestClient) -> None:
    body = client.get(f"/api/v1/networks/AS{HIJACKER}").json()
    assert body["asn"] == HIJACKER
    about = body["about"]
    assert (about["name"], about["economy"], about["economy_name"], about["rir"]) == (
        "Hijack Test Telecom", "BR", "Brazil", "lacnic")
    assert len(body["scores"]) == 5
    assert [(i["metric"], i["role"], i["counted"]) for i in body["incidents"]] == [
        ("M2", "culprit", True), ("M2C", "culprit", False)]  # M2C counts for the upstream
    hijack = body["incidents"][0]  # its confidence class and every reason, for the page
    assert hijack["confidence"] in ("high", "medium", "low")
    assert hijack["confidence_reasons"][-1].startswith("total ")
    page = client.get(f"/asn/{HIJACKER}").text
    assert f'title="{"; ".join(hijack["confidence_reasons"])}"' in html.unescape(page)
    fix = body["to_fix"]["announcements"][0]
    assert fix["rov_state"] == "invalid"
    assert any("create a ROA" in a for a in fix["advice"])
    assert [h["month"] for h in body["history"]] == [f"{m:%Y-%m}" for m in MONTHS]
    assert client.get(body["downloads"]["incidents.csv"]).status_code == 200


def test_incident_page_has_the_evidence(client: TestClient) -> None:
    network = client.get(f"/api/v1/networks/{HIJACKER}").json()
    ident = network["incidents"][0]["incident_id"]
    body = client.get(f"/api/v1/incidents/{ident}").json()
    assert body["incident"]["culprit_asns"] == [HIJACKER]
    finding = body["findings"][0]
    assert finding["rov_state"] == "invalid"
    assert finding["rov_vrps"][0]["asn"] == VICTIM
    assert finding["edges"] and finding["witnesses"]
    assert max(p["peers"] for p in body["timeline"]) == 3
    assert body["timeline"][-1]["peers"] == 0
    assert len(body["peers"]) == 3
    page = client.get(f"/incident/{ident}")
    assert page.status_code == 200
    reasons = body["incident"]["confidence_reasons"]
    assert reasons and all(f"<li>{html.escape(r)}</li>" in page.text for r in reasons)


def test_search_by_asn_prefix_economy_and_region(client: TestClient) -> None:
    def urls(q: str) -> list[str]:
        return [r["url"] for r in client.get("/api/v1/search", params={"q": q}).json()["results"]]

    assert urls(f"AS{HIJACKER}") == [f"/asn/{HIJACKER}"]
    network = client.get(f"/api/v1/networks/{HIJACKER}").json()
    prefix = network["incidents"][0]["prefixes"][0]
    assert any(u.startswith("/incident/") for u in urls(prefix))
    assert "/?area=economy:JP" in urls("japan")
    assert "/?area=region:Asia" in urls("asia")
    assert f"/asn/{HIJACKER}" in urls("hijack test")
    assert urls("") == []
    assert client.get("/api/v1/search", params={"q": "10.0.0.1/8x"}).status_code == 400


def test_methodology_comes_from_the_object(client: TestClient) -> None:
    body = client.get("/api/v1/methodology").json()
    assert body["version"] == RW_2026_1.version
    values = {p["name"]: p["value"] for p in body["parameters"]}
    assert values["min_peer_asns"] == RW_2026_1.min_peer_asns
    assert [w["weight"] for w in body["weights"]] == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_is_json_and_csv(client: TestClient, name: str) -> None:
    body = client.get(f"/api/v1/{name}?limit=5").json()
    assert body["as_of"] == LATEST
    assert body["methodology"] == RW_2026_1.version
    assert set(body["pagination"]) == {"limit", "offset", "total", "next"}
    assert len(body["data"]) == min(5, body["pagination"]["total"]) > 0
    for url in (f"/api/v1/{name}.csv?limit=5", f"/api/v1/{name}?limit=5&format=csv"):
        response = client.get(url)
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == len(body["data"])
        assert list(rows[0]) == list(body["data"][0])


def test_an_empty_table_still_has_its_csv_header(client: TestClient) -> None:
    response = client.get("/api/v1/incidents.csv?asn=64511")
    assert response.text.splitlines()[0].startswith("month,incident_id,methodology,metric")
    assert len(response.text.splitlines()) == 1


def test_public_surface() -> None:
    import routewatch.web

    assert routewatch.web.__all__ == ["create_app", "serve"]


def test_pagination_walks_every_row(client: TestClient) -> None:
    url: str | None = "/api/v1/scores?limit=100"
    seen = 0
    total = None
    while url:
        body = client.get(url).json()
        total = body["pagination"]["total"]
        seen += len(body["data"])
        url = body["pagination"]["next"]
    assert seen == total


def test_table_filters(client: TestClient) -> None:
    rows = client.get(f"/api/v1/incidents?asn={HIJACKER}&month={MONTHS[0]:%Y-%m}").json()
    assert sorted(r["metric"] for r in rows["data"]) == ["M2", "M2C"]
    assert all(HIJACKER in r["culprit_asns"] for r in rows["data"])
    assert rows["as_of"] == f"{MONTHS[0]:%Y-%m}"
    scores = client.get("/api/v1/scores?action=filtering&band=ready").json()["data"]
    assert scores and {(r["action"], r["band"]) for r in scores} == {("filtering", "ready")}
    kinds = client.get("/api/v1/areas?kind=cohort&limit=10").json()["data"]
    assert {r["area"] for r in kinds} == {"manrs", "non-manrs", "rpki-signer", "rpki-non-signer"}


def test_values_are_bound_not_spliced(client: TestClient) -> None:
    evil = client.get("/api/v1/areas", params={"area": "x' OR '1'='1"}).json()
    assert evil["pagination"]["total"] == 0


def test_openapi_describes_every_api_route(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    app = client.app
    assert hasattr(app, "routes")
    api = {r.path for r in app.routes if isinstance(r, Route) and r.path.startswith("/api/v1/")}
    assert api - {"/api/v1/openapi.json"} <= set(spec["paths"])


def test_queries_are_capped_and_time_limited(db: Path) -> None:
    with open_reader(Store(db), Limits(timeout=5, row_cap=7)) as r:
        assert len(r.rows("SELECT * FROM range(100)")) == 7
    with open_reader(Store(db), Limits(timeout=0.2)) as r, pytest.raises(ApiError) as caught:
        r.rows("SELECT count(*) FROM range(100000000) AS a, range(100000) AS b "
               "WHERE a.range + b.range = -1")
    assert (caught.value.status, caught.value.code) == (503, "query-timeout")


def test_the_app_never_writes_the_store(client: TestClient, db: Path) -> None:
    before = (db.stat().st_mtime_ns, db.stat().st_size)
    for url in ("/", "/api/v1/incidents", f"/asn/{HIJACKER}", "/api/v1/scores.csv"):
        client.get(url)
    assert (db.stat().st_mtime_ns, db.stat().st_size) == before


def test_static_assets_are_shipped(client: TestClient) -> None:
    for asset in ("vendor/echarts.min.js", "vendor/topojson-client.min.js",
                  "vendor/countries-110m.json", "vendor/echarts.LICENSE", "app.js",
                  "iso3166-alpha2-numeric.json"):
        assert client.get(f"/static/{asset}").status_code == 200, asset
    mapping = client.get("/static/iso3166-alpha2-numeric.json").json()
    assert (mapping["NL"], mapping["BR"], mapping["JP"]) == ("528", "076", "392")


def test_serve_refuses_a_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--db", str(tmp_path / "none.duckdb"), "--port", "0"])
    assert exited.value.code == 1
    assert "run the pipeline" in capsys.readouterr().err


def test_a_new_snapshot_is_served_without_a_restart(tmp_path: Path) -> None:
    import datetime as dt

    from routewatch.store import RunInfo, RunStatus
    from web_fixture import month_tables, networks, registry

    db = tmp_path / "rw.duckdb"
    store = build_store(db)
    with TestClient(create_app(db)) as c:
        assert c.get("/api/v1/months").json()["data"][-1] == LATEST
        reg = registry()
        july = dt.date(2024, 7, 1)
        store.write_snapshot(july, month_tables(july, reg, networks(reg)), RunInfo(
            run_id="july", month=july, started=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
            status=RunStatus.COMPLETE, methodology=RW_2026_1.version))
        assert c.get("/api/v1/months").json()["data"][-1] == "2024-07"
        assert c.get("/api/v1/overview").json()["as_of"] == "2024-07"
