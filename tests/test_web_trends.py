"""Trend labels and "Does it make a difference?" in the pages, their JSON twins and CSV.

Two stores: the CONSTRUCTED eight months of ``tests/trend_fixture.py`` (known answers:
incidents rise one a month, 2024-03 comes from another collector, sixteen networks join
MANRS in 2024-05), and the demo store (``routewatch demo``: real samples of seven months,
none six of them comparable — the pages must say so, and the cohort comparisons are real).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from _demo_db import demo_db
from routewatch.store.analysis import AREA_TRENDS, NETWORK_TRENDS
from routewatch.web.app import create_app
from trend_fixture import build_trend_store
from web_fixture import HIJACKER

LEFT_OUT = [{"month": "2024-03-01", "reason": "collectors route-views2, not rrc00"}]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("trends") / "rw.duckdb"
    build_trend_store(db)
    with TestClient(create_app(db)) as c:
        yield c


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _trend(trends: list[dict[str, object]], metric: str) -> dict[str, object]:
    (found,) = [t for t in trends if t["metric"] == metric]
    return found


def test_history_twin_has_a_trend_per_metric_with_its_evidence(client: TestClient) -> None:
    body = client.get("/api/v1/history?month=2024-08").json()
    assert [t["metric"] for t in body["trends"]] == [m.key for m in AREA_TRENDS]
    rising = _trend(body["trends"], "incidents_per_100_networks")
    assert rising["direction"] == "worsening" and rising["better"] == "lower"
    assert rising["months"] == 7 and rising["months_excluded"] == LEFT_OUT
    assert isinstance(rising["p_value"], float) and rising["p_value"] < 0.05
    assert isinstance(rising["slope_per_month"], float) and rising["slope_per_month"] > 0
    assert str(rising["text"]).startswith("worsening (p = ")
    flat = _trend(body["trends"], "incidents_m3")  # one bogon a month throughout
    assert (flat["direction"], flat["p_value"]) == ("no significant change", 1.0)
    assert body["coverage"]["2024-03"] == "route-views2: 44,640 min"
    assert [x["coverage"] for x in body["series"]][:3] == [
        "rrc00: 44,640 min", "rrc00: 41,760 min", "route-views2: 44,640 min"]


def test_fewer_than_six_comparable_months_give_no_trend_and_say_why(client: TestClient) -> None:
    body = client.get("/api/v1/overview?month=2024-05").json()
    found = _trend(body["trends"], "incidents_per_100_networks")
    assert found["direction"] == "no trend" and found["p_value"] is None
    assert found["reason"] == ("4 comparable months in the last 12, fewer than the 6 a trend "
                               "needs (left out: 2024-03: collectors route-views2, not rrc00)")


def test_trends_as_csv_from_every_page_twin(client: TestClient) -> None:
    rows = _csv(client.get("/api/v1/history.csv?month=2024-08").text)
    assert [r["metric"] for r in rows] == [m.key for m in AREA_TRENDS]
    assert rows[0]["direction"] == "worsening" and float(rows[0]["p_value"]) < 0.05
    assert client.get("/api/v1/history?month=2024-08&format=csv").text == \
        client.get("/api/v1/history.csv?month=2024-08").text
    compare = _csv(client.get("/api/v1/compare.csv?areas=cohort:manrs,cohort:non-manrs").text)
    assert {r["area"] for r in compare} == {"cohort:manrs", "cohort:non-manrs"}
    network = client.get(f"/api/v1/networks/{HIJACKER}?format=csv")
    assert network.headers["content-type"].startswith("text/csv")
    assert [r["metric"] for r in _csv(network.text)] == [m.key for m in NETWORK_TRENDS]
    overview = client.get("/api/v1/overview.csv?area=world")
    assert "attachment" in overview.headers["content-disposition"]
    assert client.get("/api/v1/history?format=xml").status_code == 400
    assert client.get("/api/v1/methodology?format=csv").status_code == 400  # JSON only


def test_pages_show_the_labels(client: TestClient) -> None:
    history = client.get("/history?month=2024-08").text
    assert 'id="trends-table"' in history and 'class="trend worsening"' in history
    assert "collectors route-views2, not rrc00" in history
    overview = client.get("/?month=2024-05").text
    assert 'class="trend no-trend"' in overview and "fewer than the 6 a trend needs" in overview
    assert "2024-03 · route-views2: 44,640 min" in overview  # months labelled with coverage
    compare = client.get("/compare").text
    assert 'id="compare-trends"' in compare and "worsening" in compare
    network = client.get(f"/asn/{HIJACKER}").text
    assert "Is it getting better for AS" in network and 'id="trends-table"' in network


def test_impact_page_twin_and_csv(client: TestClient) -> None:
    body = client.get("/api/v1/impact?month=2024-08").json()
    assert {(x["cohort"], x["measure"]) for x in body["cohorts"]} >= {
        ("manrs", "incidents_per_100_networks"), ("rpki-signer", "rpki_valid_share")}
    first = body["cohorts"][0]
    assert first["members"] + first["others"] > 0 and first["confidence"] == 0.95
    joined = [x for x in body["did"] if x["treatment"] == "joined-manrs"]
    assert {x["outcome"] for x in joined} == {"incidents", "filtering", "global-validation-irr",
                                              "global-validation-rpki"}
    incidents = next(x for x in joined if x["outcome"] == "incidents")
    assert incidents["treated"] == 16 and incidents["months"] == 7
    assert incidents["low"] <= incidents["estimate"] <= incidents["high"]
    signing = next(x for x in body["did"] if x["treatment"] == "started-signing")
    assert signing["estimate"] is None and "no network started signing" in signing["reason"]
    assert any(a.startswith("Parallel trends") for a in body["assumptions"])
    assert len(body["series"]) > len(body["cohorts"])  # every month, for the charts
    rows = _csv(client.get("/api/v1/impact.csv?month=2024-08").text)
    assert len(rows) == len(body["cohorts"]) and "difference_low" in rows[0]
    page = client.get("/impact?month=2024-08").text
    assert "Does it make a difference?" in page and 'id="did-table"' in page
    assert "What the estimate assumes" in page and 'id="impact-chart-1"' in page


def test_impact_tables_and_coverage_in_the_api(client: TestClient) -> None:
    cohorts = client.get("/api/v1/cohort-impact?month=2024-08&cohort=manrs").json()
    assert cohorts["pagination"]["total"] == 7 and cohorts["table"] == "cohort-impact"
    did = _csv(client.get("/api/v1/did-impact.csv?month=2024-08&treatment=joined-manrs").text)
    assert len(did) == 4
    coverage = client.get("/api/v1/coverage").json()["data"]
    assert [r["collectors"] for r in coverage][:3] == [["rrc00"], ["rrc00"], ["route-views2"]]
    spec = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/impact" in spec and "/api/v1/impact.csv" in spec
    names = [x["name"] for x in spec["/api/v1/history"]["get"]["parameters"]]
    assert "format" in names
    assert "text/csv" in spec["/api/v1/history"]["get"]["responses"]["200"]["content"]


@pytest.mark.slow
def test_the_demo_months_are_not_comparable_and_the_pages_say_so() -> None:
    db, _ = demo_db()
    with TestClient(create_app(db)) as c:
        may = c.get("/api/v1/history?month=2022-05").json()
        found = _trend(may["trends"], "incidents_per_100_networks")
        assert found["direction"] == "no trend" and found["months_used"] == [
            "2022-04-01", "2022-05-01"]
        june = c.get("/api/v1/overview?month=2022-06").json()
        left = _trend(june["trends"], "rpki_valid_share")["months_excluded"]
        assert {"month": "2022-04-01", "reason":
                "collectors rrc23, not route-views.sydney"} in left
        assert june["coverage"]["2022-06"] == "route-views.sydney: 15 min"
        august = c.get("/api/v1/impact?month=2016-08").json()
        signers = [x for x in august["cohorts"] if x["cohort"] == "rpki-signer"
                   and x["measure"] == "rpki_valid_share"]
        assert signers and signers[0]["members"] > 20 and signers[0]["others"] > 100
        assert signers[0]["member_low"] <= signers[0]["member_value"] <= \
            signers[0]["member_high"]
        assert c.get("/impact?month=2016-08").status_code == 200


def test_the_same_months_give_the_same_impact_tables(tmp_path: Path) -> None:
    """Two builds of the constructed store give the same rows (seeded bootstraps)."""
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    a, b = build_trend_store(first), build_trend_store(second)
    for table in ("cohort_impact", "did_impact", "month_coverage"):
        assert a.table(table).equals(b.table(table)), table
