"""The dashboard in a real browser: Debian's Chromium driven by Playwright for Python.

Runs the app with uvicorn on 127.0.0.1 over the test store (``tests/web_fixture.py``) and
checks that every page loads without console errors, that charts and the map draw SVG with
content, that filters change the data, that links between pages work, and that the page asks
nothing of any other host (offline). Screenshots go to ``test-artifacts/screenshots/``.

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium``); fails, never skips, without it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _live_server import live_server
from web_fixture import HIJACKER, build_store

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("ROUTEWATCH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("web") / "rw.duckdb"
    build_store(db)
    with live_server(db) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} not found: the browser tests need Debian's Chromium; run "
                    "'apt-get install -y chromium' (or set ROUTEWATCH_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Visit:
    """A page plus every console error, page error and off-site request it produced."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.base_url = base_url
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.offsite: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", self._request)

    def _request(self, request: Any) -> None:
        url = str(request.url)
        if not (url.startswith(self.base_url) or url.startswith("data:")):
            self.offsite.append(url)

    def open(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == 200, path
        self.page.wait_for_load_state("networkidle")
        return self.page

    def check(self, shot: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
        assert self.errors == [], self.errors
        assert self.offsite == [], f"requests outside the server: {self.offsite}"


@pytest.fixture
def visit(browser: Any, base_url: str) -> Iterator[Visit]:
    v = Visit(browser, base_url)
    yield v
    v.page.close()


def _svg_shapes(page: Any, chart_id: str) -> int:
    """SVG paths drawn in a chart, after checking its series hold data points."""
    page.wait_for_selector(f"#{chart_id} svg path", state="attached", timeout=15_000)
    points = page.eval_on_selector(f"#{chart_id}", _POINTS)
    assert points > 0, f"chart {chart_id} has no data points"
    return int(page.eval_on_selector_all(f"#{chart_id} svg path", "els => els.length"))


#: Non-null data points over every series of the ECharts instance of an element.
_POINTS = """el => echarts.getInstanceByDom(el).getOption().series
    .map(s => (s.data || []).filter(v => v !== null && v !== undefined
        && !(Array.isArray(v) && v.includes(null))).length)
    .reduce((a, b) => a + b, 0)"""


def test_overview_draws_map_and_charts(visit: Visit) -> None:
    page = visit.open("/")
    assert _svg_shapes(page, "map-chart") > 150  # 177 countries of countries-110m
    for chart in ("incidents-chart", "rov-chart", "readiness-chart"):
        assert _svg_shapes(page, chart) > 3, chart
    visit.check("overview")


#: (longitude, latitude, land?) probes of the world map: open sea on the latitudes where
#: polygons crossing the antimeridian used to draw bands across the map (Fiji at -16/-17,
#: Russia's Chukotka and Wrangel Island at 65-71), and land on both sides of the line and
#: at the pole (Russia, Chukotka, Fiji's Vanua Levu, Antarctica by the South Pole).
MAP_PROBES = [(-30.0, -16.3, False), (-30.0, -16.5, False), (-140.0, -16.3, False),
              (-10.0, 66.0, False), (-10.0, 68.5, False), (-35.0, 71.0, True),
              (100.0, 62.0, True), (-174.0, 66.5, True), (179.0, -16.7, True),
              (0.0, -86.0, True), (120.0, -88.0, True)]

#: The element under each probe, the map zoomed in on it (8x) so that thin islands and thin
#: bands are several pixels tall: the SVG path of a country, or the map's background.
_UNDER = """(el, probes) => {
    const chart = echarts.getInstanceByDom(el);
    chart.setOption({series: [{}, {data: []}]});  // hide the bubbles: probe the land only
    const box = el.getBoundingClientRect();
    return probes.map(([lon, lat]) => {
        chart.setOption({geo: {center: [lon, lat], zoom: 8}});
        chart.getZr().flush();
        const [x, y] = chart.convertToPixel({geoIndex: 0}, [lon, lat]);
        const hit = document.elementFromPoint(box.left + x, box.top + y);
        return hit ? hit.tagName.toLowerCase() : null;
    });
}"""


def test_the_map_draws_no_band_across_it(visit: Visit) -> None:
    """Polygons that cross the antimeridian (Russia, Fiji) or go round the pole (Antarctica)
    are cut at ±180°: open sea stays sea, land on both sides of the line stays land."""
    page = visit.open("/")
    _svg_shapes(page, "map-chart")
    visit.check("overview-map")
    under = page.eval_on_selector("#map-chart", _UNDER, [[lon, lat] for lon, lat, _ in
                                                         MAP_PROBES])
    wrong = [(lon, lat, "land" if land else "sea", hit)
             for (lon, lat, land), hit in zip(MAP_PROBES, under, strict=True)
             if (hit == "path") != land]
    assert wrong == [], f"map probes on the wrong side: {wrong}"


def test_area_filter_changes_the_data(visit: Visit) -> None:
    page = visit.open("/")
    world = page.inner_text("#networks-measured")
    option = page.eval_on_selector(
        "#area-select", "s => [...s.options].map(o => o.value).find(v => v.startsWith('economy:'))")
    with page.expect_navigation():
        page.select_option("#area-select", option)
    page.wait_for_load_state("networkidle")
    assert f"area={option.replace(':', '%3A')}" in page.url
    assert page.inner_text("#networks-measured") != world
    assert option.split(":")[1] in page.inner_text("#area-label")
    _svg_shapes(page, "map-chart")
    visit.check("overview-economy")


def test_culprit_and_incident_links(visit: Visit) -> None:
    page = visit.open("/")
    with page.expect_navigation():
        page.click(f"#culprits-table a[href^='/asn/{HIJACKER}']")
    assert f"/asn/{HIJACKER}" in page.url
    assert _svg_shapes(page, "scores-chart") > 3
    _svg_shapes(page, "history-chart")
    visit.check("network")
    with page.expect_navigation():
        page.click("#incidents-table a[href^='/incident/']")
    page.wait_for_load_state("networkidle")
    assert "/incident/" in page.url
    assert _svg_shapes(page, "timeline-chart") > 0
    assert page.locator("#peers-table tbody tr").count() >= 2
    visit.check("incident")


@pytest.mark.parametrize("path,shot,charts", [
    ("/history", "history", ("ready-chart", "incidents-chart", "rov-chart")),
    ("/compare", "compare", ("ready-chart", "incidents-chart", "rov-chart")),
    ("/methodology", "methodology", ()),
    (f"/search?q=AS{HIJACKER}", "search", ()),
])
def test_other_pages(visit: Visit, path: str, shot: str, charts: tuple[str, ...]) -> None:
    page = visit.open(path)
    for chart in charts:
        assert _svg_shapes(page, chart) > 3, chart
    visit.check(shot)


def test_search_box_leads_to_the_network(visit: Visit) -> None:
    page = visit.open("/methodology")
    page.fill("header input[name=q]", str(HIJACKER))
    with page.expect_navigation():
        page.press("header input[name=q]", "Enter")
    with page.expect_navigation():
        page.click(f"#results a[href='/asn/{HIJACKER}']")
    assert page.url.endswith(f"/asn/{HIJACKER}")
    assert page.title().startswith(f"AS{HIJACKER}")
    visit.check("search-to-network")
