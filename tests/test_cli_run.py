"""``routewatch demo`` end to end over the bundled real samples, and ``run`` without data.

The demo runs the whole pipeline (ingest → detect → metrics → store) offline over the real
samples of seven months (routewatch/demo/PROVENANCE.md). The results pinned for 2016-08 — RIS
rrc21 updates of 2016-08-11 16:00 with the 2016-05-27 ROA list, the 2018-01 relationships,
RIR delegations, IRR, PeeringDB and Spoofer samples — were checked by hand against the
bgpdump text of the same file (see tests/test_detect_real.py for the reasoning behind each
verdict).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from _demo_db import demo_db
from routewatch.cli.main import cli
from routewatch.store import Store

DATA_TABLES = ("findings", "incidents", "asn_metrics", "action_scores", "area_readiness",
               "area_summaries", "networks", "announced_pairs", "month_coverage")  # fmt: skip
AUGUST = dt.date(2016, 8, 1)


def _counts(db: Path) -> dict[str, int]:
    store = Store.open(db, create=False)
    return {name: store.table(name).num_rows for name in DATA_TABLES}


def test_demo_stores_every_month_labelled_with_its_coverage() -> None:
    db, output = demo_db()
    for month, coverage in (("2014-05", "route-views.jinx: 15 min, rrc06: 5 min"),
                            ("2016-08", "rrc21: 5 min"), ("2021-01", "rrc06: 60 min"),
                            ("2022-04", "rrc23: 5 min"), ("2022-05", "rrc23: 5 min"),
                            ("2022-06", "route-views.sydney: 15 min"),
                            ("2024-10", "rrc01: 5 min")):
        assert f"routewatch {month}: run" in output
        assert f"  {month}  partial   run {month}-" in output
        assert f"({coverage})" in output
    assert "months: 7 partial" in output
    rows = Store.open(db, create=False).table("month_coverage").to_pylist()
    assert [(f"{r['month']:%Y-%m}", r["collectors"], r["bgp_minutes"]) for r in rows
            if r["month"].year == 2022] == [("2022-04", ["rrc23"], 5.0),
                                             ("2022-05", ["rrc23"], 5.0),
                                             ("2022-06", ["route-views.sydney"], 15.0)]


def test_demo_stores_real_results_and_is_idempotent() -> None:
    db, _ = demo_db()
    store = Store.open(db, create=False)
    runs = store.table("runs").to_pylist()
    assert len(runs) >= 7 and {r["status"] for r in runs} == {"partial"}
    (august,) = [r for r in runs if r["month"] == AUGUST]
    dates = json.loads(august["snapshot_dates"])
    assert dates["rpki/rcynic"] == "2016-05-27"  # closest before, not the 2017-04-13 list
    # the only relationship file (2018-01) is after the month: relationships are inferred
    # from the month's own paths (issue 12), so neither its date nor its gap is the run's
    assert dates["inferred/as-rel"] == "2016-08-31" and "toposcope/as-rel" not in dates
    gaps = json.loads(august["snapshot_gaps"])
    assert not [g for g in gaps if g.startswith("as-relationships")]
    assert "bgp: data covers 2016-08-11 16:00 to 2016-08-11 16:04 UTC only; incidents still " \
        "open then end there" in gaps
    labels = store.query("SELECT labels FROM incidents WHERE asn = 26077 AND month = ?",
                         [AUGUST]).to_pylist()
    assert labels == [{"labels": ["open-at-data-end"]}]  # weight of 5 minutes, not 20 days
    incidents = store.query("SELECT metric, asn, prefixes FROM incidents WHERE month = ?",
                            [AUGUST]).to_pylist()
    metrics = {r["metric"] for r in incidents}
    assert {"M1", "M1C", "M4", "M4C", "rpki-invalid"} <= metrics
    # private AS64514 behind AS26077 (Cogent AS174 passes it on): M4 of 26077, M4C of 174
    assert {"metric": "M4", "asn": 26077, "prefixes": ["107.178.10.0/24"]} in incidents
    assert {"metric": "M4C", "asn": 174, "prefixes": ["107.178.10.0/24"]} in incidents
    bands = {r["band"] for r in store.table("action_scores", AUGUST).to_pylist()[:5000]}
    assert {"ready", "no-data"} <= bands
    invalid = store.query("SELECT origin_asn, rov_reason FROM announced_pairs WHERE prefix = "
                          "'200.93.150.0/24' AND month = ?", [AUGUST]).to_pylist()
    assert invalid == [{"origin_asn": 22368, "rov_reason": "as"}]
    before = _counts(db)
    assert before["incidents"] > 0 and store.table("asn_metrics", AUGUST).num_rows > 40_000
    again = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(db)])
    assert again.exit_code == 0, again.output
    assert "months: 7 skipped" in again.output  # the same files: nothing to recompute
    assert _counts(db) == before
    assert store.table("runs").num_rows == len(runs)


def test_run_offline_without_cached_data_says_what_to_do(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTEWATCH_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, ["run", "--month", "2016-08", "--collectors", "rrc21",
                                      "--offline", "--db", str(tmp_path / "rw.duckdb")])
    assert result.exit_code != 0
    assert "no BGP data for 2016-08" in str(result.exception)
    runs = Store.open(tmp_path / "rw.duckdb", create=False).table("runs").to_pylist()
    assert [r["status"] for r in runs] == ["failed"]


def test_run_help_states_the_default_volume() -> None:
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    assert "rrc00,route-views2" in result.output and "GB" in result.output


def _cache_file(cache_dir: Path, source: str, collector: str, kind: str, when: str,
                path: Path) -> None:
    """Put a real file into the download cache as the plan item it stands for."""
    import hashlib

    from routewatch.sources import Cache, Window, get_source
    from routewatch.sources.cache import Fields

    start = dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC)
    items = get_source(source).plan(Window(start, start), collector, kinds=(kind,))
    data = path.read_bytes()
    cache = Cache(cache_dir)
    with cache.temporary() as temp:
        temp.write_bytes(data)
        fields = Fields(items[0].url, hashlib.sha256(data).hexdigest(), len(data),
                        items[0].as_of, start)
        cache.commit(temp, items[0], fields)


def test_run_offline_over_the_cache_is_partial_and_says_why(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from routewatch.demo import data_dir

    cache = tmp_path / "cache"
    monkeypatch.setenv("ROUTEWATCH_CACHE_DIR", str(cache))
    _cache_file(cache, "ris", "rrc21", "updates", "2016-08-11T16:00",
                data_dir() / "ris-rrc21_updates.20160811.1600.gz")
    _cache_file(cache, "rpki", "ripencc", "vrps", "2016-08-01T00:00",
                data_dir() / "rcynic-scan_roas_roa_list_20160527.txt.gz")
    result = CliRunner().invoke(cli, ["run", "--month", "2016-08", "--collectors", "rrc21",
                                      "--offline", "--db", str(tmp_path / "rw.duckdb")])
    assert result.exit_code == 3, result.output
    # the baseline's RIB (2016-07-25) and 38 days of five-minute files: one is in the cache
    assert ("bgp (rrc21): 10944 of 10945 files not available (baseline from 2016-07-25 and "
            "the month)") in result.output
    assert "baseline: BGP data starts 2016-08-11 16:00 UTC, not 7 days before" in result.output
    assert "rpki/ripencc             2016-08-01" in result.output
    assert "rpki-invalid" in result.output
