"""Every scenario file under tests/scenarios is a rule or an exception of METHODOLOGY.md.

A scenario lists elems, reference rows and the exact findings expected; the test runs
detection over it and prints every difference. Then the same scenario is cut into 8 and 300
buckets and fed one elem, three elems and all elems at a time: every table must be the same
row for row (findings with every column and list, incidents, the routes alive at the window
start) and so must the elem counts.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from _tables import assert_same_table
from routewatch.detect.scenario import check, load_scenario

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.toml"))
CUTS = [(1, 1), (1, 3), (8, None), (8, 1), (300, None), (300, 3)]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    problems = check(scenario)
    assert not problems, f"{scenario.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_is_the_same_however_cut(path: Path) -> None:
    scenario = load_scenario(path)
    whole = scenario.run()
    for buckets, rows in CUTS:
        cut = scenario.run(buckets=buckets, batch_rows=rows)
        where = f"{path.stem}, {buckets} buckets, batches of {rows or 'all'}"
        assert_same_table(whole.findings, cut.findings, f"findings ({where})")
        assert_same_table(whole.incidents, cut.incidents, f"incidents ({where})")
        assert_same_table(whole.window_pairs, cut.window_pairs, f"window pairs ({where})")
        assert_same_table(whole.window_asns, cut.window_asns, f"window ASNs ({where})")
        assert asdict(whole.report.state) == asdict(cut.report.state), where
        assert asdict(whole.report.findings) == asdict(cut.report.findings), where


def test_there_are_scenarios_for_every_metric() -> None:
    text = " ".join(p.read_text() for p in SCENARIOS)
    for metric in ('"M1"', '"M2"', '"M3"', '"M4"', '"rpki-invalid"'):
        assert f"metric = {metric}" in text
