"""Every scenario file under tests/scenarios is a rule or an exception of METHODOLOGY.md.

A scenario lists elems, reference rows and the exact findings expected; the test runs the
partitioned detection pipeline over it and prints every difference.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from routewatch.detect.scenario import check, load_scenario

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    problems = check(scenario)
    assert not problems, f"{scenario.name}:\n" + "\n".join(problems)


def test_there_are_scenarios_for_every_metric() -> None:
    text = " ".join(p.read_text() for p in SCENARIOS)
    for metric in ('"M1"', '"M2"', '"M3"', '"M4"', '"rpki-invalid"'):
        assert f"metric = {metric}" in text
