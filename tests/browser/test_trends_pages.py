"""Trend labels and "Does it make a difference?" in a real browser (Debian's Chromium).

Over the CONSTRUCTED eight months of ``tests/trend_fixture.py`` (incidents rise one a month;
2024-03 comes from another collector; sixteen networks join MANRS in 2024-05): the history,
overview, comparison and network pages show a trend label per metric with its p-value,
slope and months (or why there is none), and the impact page draws its month-by-month
charts and lists the before/after estimates with their assumptions. Screenshots go to
``test-artifacts/screenshots/`` (``trends-*.png``, ``impact.png``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from _live_server import live_server
from browser.test_dashboard import Visit, _svg_shapes, browser  # noqa: F401 (fixture)
from trend_fixture import build_trend_store
from web_fixture import HIJACKER

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def trend_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("trend-web") / "rw.duckdb"
    build_trend_store(db)
    with live_server(db) as url:
        yield url


@pytest.fixture
def visit(browser: Any, trend_url: str) -> Iterator[Visit]:  # noqa: F811
    v = Visit(browser, trend_url)
    yield v
    v.page.close()


def _labels(page: Any, table: str) -> dict[str, str]:
    """metric -> the trend label shown in a trends table."""
    return dict(page.eval_on_selector_all(
        f"#{table} tbody tr",
        "rows => rows.map(r => [r.dataset.metric, r.querySelector('.trend').textContent])"))


def test_history_shows_a_label_per_metric(visit: Visit) -> None:
    page = visit.open("/history?month=2024-08")
    labels = _labels(page, "trends-table")
    assert labels["incidents_per_100_networks"] == "worsening"
    assert labels["incidents_m3"] == "no significant change"
    row = page.inner_text("#trends-table tr[data-metric=incidents_per_100_networks]")
    assert "collectors route-views2, not rrc00" in row and "7" in row
    assert "route-views2: 44,640 min" in page.inner_text("#history-table")
    for chart in ("ready-chart", "incidents-chart", "rov-chart"):
        assert _svg_shapes(page, chart) > 3, chart
    visit.check("trends-history")


def test_overview_says_why_there_is_no_trend(visit: Visit) -> None:
    page = visit.open("/?month=2024-05")
    labels = _labels(page, "trends-table")
    assert set(labels.values()) == {"no trend"}
    assert "fewer than the 6 a trend needs" in page.inner_text("#trends-table")
    visit.check("trends-overview-too-few")


def test_comparison_and_network_show_labels(visit: Visit) -> None:
    page = visit.open("/compare?month=2024-08")
    assert page.locator("#compare-trends .trend.worsening").count() >= 2
    visit.check("trends-compare")
    page = visit.open(f"/asn/{HIJACKER}?month=2024-08")
    assert len(_labels(page, "trends-table")) == 6
    visit.check("trends-network")


def test_impact_page_draws_and_explains(visit: Visit) -> None:
    page = visit.open("/impact?month=2024-08")
    for chart in ("impact-chart-1", "impact-chart-2", "impact-chart-3"):
        assert _svg_shapes(page, chart) > 3, chart
    assert page.locator("#cohort-manrs tbody tr").count() == 7
    assert page.locator("#cohort-rpki-signer tbody tr").count() == 7
    did = page.inner_text("#did-table")
    assert "joined MANRS" in did and "no network started signing" in did
    assert page.locator("#assumptions li").count() >= 5
    with page.expect_navigation():
        page.select_option("#month-select", "2024-05")
    page.wait_for_load_state("networkidle")
    assert "month=2024-05" in page.url
    visit.check("impact")
