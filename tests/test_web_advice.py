"""One rule and one set of words for "what to fix": ``routewatch report``, the network page and
its JSON twin list the same announced pairs with the same advice (metrics/advice.py).

Over the demo store's 2016-08 (the real pipeline over the bundled real RIS sample): AS22368 has an
RPKI-invalid pair (200.93.150.0/24 under a ROA for AS19429 only), not-found pairs and pairs
without IRR objects; the other networks are the demo's with the most pairs to fix.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from _demo_db import demo_db
from routewatch.cli.main import cli
from routewatch.metrics.advice import advise, needs_fixing
from routewatch.store import Store
from routewatch.web.app import create_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    db, _ = demo_db()
    with TestClient(create_app(db)) as c:
        yield c


def _networks() -> list[int]:
    """AS22368 and the three demo networks with the most pairs to fix (at most 500 each,
    the page's cap), one of them with not-found pairs only."""
    db, _ = demo_db()
    rows = Store(db).query(
        "SELECT origin_asn, count(*) AS n, bool_and(rov_state = 'not-found') AS nf "
        "FROM announced_pairs WHERE month = DATE '2016-08-01' AND "
        "(rov_state <> 'valid' OR irr_state <> 'registered') "
        "GROUP BY origin_asn HAVING count(*) <= 500 ORDER BY n DESC, origin_asn").to_pylist()
    picked = [22368, *[r["origin_asn"] for r in rows[:2]],
              next(r["origin_asn"] for r in rows if r["nf"])]
    return list(dict.fromkeys(picked))


def _cli(asn: int) -> list[tuple[str, str, str]]:
    db, _ = demo_db()
    out = CliRunner().invoke(cli, ["report", "--asn", str(asn), "--month", "2016-08",
                                   "--format", "json", "--db", str(db)])
    assert out.exit_code == 0, out.output
    return [(f["prefix"], f"{f['rov']}/{f['irr']}", f["fix"])
            for f in json.loads(out.output)["to_fix"]]


def _api(client: TestClient, asn: int) -> list[tuple[str, str, str]]:
    body = client.get(f"/api/v1/networks/{asn}?month=2016-08").json()
    return [(a["prefix"], f"{a['rov_state']}/{a['irr_state']}", "; ".join(a["advice"]))
            for a in body["to_fix"]["announcements"]]


def _page(client: TestClient, asn: int) -> list[tuple[str, str, str]]:
    text = client.get(f"/asn/{asn}?month=2016-08").text
    table = text[text.index('id="fix-table"'):]
    table = table[:table.index("</table>")]
    rows = []
    for row in re.findall(r"<tr><td>(.*?)</td><td>AS\d+</td><td>(.*?)</td><td>(.*?)</td>"
                          r"<td>(.*?)</td></tr>", table):
        prefix, rov, irr, fix = (html.unescape(x) for x in row)
        rows.append((prefix, f"{rov.split(' ')[0]}/{irr}", fix))
    return rows


def test_report_page_and_api_list_the_same_pairs_with_the_same_words(
        client: TestClient) -> None:
    for asn in _networks():
        listed = _cli(asn)
        assert listed, asn
        assert _api(client, asn) == listed, asn
        assert _page(client, asn) == listed, asn


def test_not_found_pairs_are_listed_because_they_lower_m7rpki(client: TestClient) -> None:
    body = client.get("/api/v1/networks/22368?month=2016-08").json()
    states = {a["rov_state"] for a in body["to_fix"]["announcements"]}
    assert states >= {"invalid", "not-found"}
    fixes = body["to_fix"]["announcements"]
    assert [a["rov_state"] for a in fixes] == sorted(
        (a["rov_state"] for a in fixes), key=["invalid", "not-found", "valid"].index)
    assert len(fixes) == body["to_fix"]["listed"]


def test_the_words_name_the_rpki_reason() -> None:
    """Constructed pairs, one per state and reason."""
    def words(rov: str, reason: str | None, irr: str, prefix: str = "192.0.2.0/24") -> str:
        return " | ".join(advise(prefix, 64500, rov, reason, irr).advice)

    assert words("invalid", "as", "registered").startswith(
        "RPKI invalid: ROAs cover 192.0.2.0/24 for other ASes only; create a ROA for AS64500")
    assert "shorter prefixes" in words("invalid", "as-length", "registered")
    length = words("invalid", "length", "registered")
    assert "does not allow /24" in length and "RFC 9319" in length
    assert "wrong origin" not in length
    assert words("not-found", "none", "registered") == (
        "no ROA covers 192.0.2.0/24: create a ROA for AS64500 (max length /24)")
    assert words("valid", "none", "not-registered", "2001:db8::/32") == (
        "no IRR route6 object: create one for 2001:db8::/32 with origin AS64500")
    assert "other origins only" in words("valid", "none", "other-origin")
    assert words("valid", "none", "registered") == ""
    assert needs_fixing("not-found", "registered") and needs_fixing("valid", "other-origin")
    assert not needs_fixing("valid", "registered")
