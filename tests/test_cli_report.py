"""``routewatch report`` / ``area`` / ``export`` / ``methodology`` over the demo store.

Golden files live in ``tests/golden/report/``; regenerate them after a deliberate output
change with ``ROUTEWATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_cli_report.py`` and
review the diff. AS22368 is pinned because it shows every part of a report: an RPKI-invalid
announcement (200.93.150.0/24 under a ROA for AS19429 only), a not-found pair, and pairs
without IRR route objects.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import _golden
from _demo_db import demo_db
from routewatch.cli.main import cli


def invoke(*args: str) -> Result:
    db, _ = demo_db()
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


def check_golden(name: str, text: str) -> None:
    _golden.check_golden("report", name, text)


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_report_golden(fmt: str) -> None:
    result = invoke("report", "--asn", "22368", "--month", "2016-08", "--format", fmt)
    assert result.exit_code == 0, result.output
    check_golden(f"as22368.{fmt}", result.output)


def test_report_says_what_to_fix() -> None:
    doc = json.loads(invoke("report", "--asn", "22368", "--month", "2016-08", "--format",
                            "json").output)
    assert doc["network"]["economy"] == "CO" and doc["network"]["rpki_signer"] is True
    bands = {s["action"]: s["band"] for s in doc["scores"]}
    assert bands == {"filtering": "ready", "anti-spoofing": "no-data", "coordination": "lagging",
                     "global-validation-irr": "lagging", "global-validation-rpki": "aspiring"}
    first = doc["to_fix"][0]
    assert (first["prefix"], first["rov"], first["rov_reason"]) == ("200.93.150.0/24", "invalid",
                                                                    "as")
    assert "create a ROA for AS22368" in first["fix"]
    assert doc["incidents"][0]["metric"] == "rpki-invalid"
    assert "AS19429" in doc["incidents"][0]["evidence"]


def test_report_of_an_unknown_network_is_an_error() -> None:
    result = invoke("report", "--asn", "4200000001")
    assert result.exit_code == 1 or isinstance(result.exception, Exception)
    assert "not among the networks measured" in str(result.exception)


def test_area_side_by_side() -> None:
    result = invoke("area", "CO", "rpki-signer", "world", "--month", "2016-08", "--format",
                    "json")
    assert result.exit_code == 0, result.output
    areas = json.loads(result.output)["areas"]
    assert [(a["area_kind"], a["area"]) for a in areas] == [
        ("economy", "CO"), ("cohort", "rpki-signer"), ("world", "world")]
    world = areas[2]
    assert world["incidents"]["M4"] == 1 and world["networks"] > 40_000
    assert set(world["readiness"]) == {"filtering", "anti-spoofing", "coordination",
                                       "global-validation-irr", "global-validation-rpki"}
    text = invoke("area", "CO", "world", "--month", "2016-08").output
    assert "economy:CO" in text and "world:world" in text


def test_export_and_methodology(tmp_path: Path) -> None:
    result = invoke("export", "--month", "2016-08", "--format", "json", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    incidents = json.loads((tmp_path / "incidents.json").read_text())
    assert any(i["metric"] == "M4" and i["asn"] == 26077 for i in incidents)
    shown = CliRunner().invoke(cli, ["methodology"]).output
    assert "min_peer_asns        = 2" in shown and "invalid_penalty      = 10.0" in shown
