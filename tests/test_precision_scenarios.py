"""The false positives of issue 12's hand-checked sample, as scenario files.

``tests/scenarios/precision/*.toml`` (a folder the general scenario test does not read yet):
one file per false pattern of docs/detection-precision.md, rebuilt from the real findings
(each file says which, and what is invented). Files whose false positive comes only from
missing or stale reference data (no AS-to-organisation file, relationships of another year)
pass today once the right data is given; the others need the rw-2026.2 hijack rules of
phase 2 and are expected to fail until then (strict: a fix makes the test say so). Phase 2
moves them into tests/scenarios and drops the xfail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from routewatch.detect.scenario import check, load_scenario

FOLDER = Path(__file__).parent / "scenarios" / "precision"

#: file stem -> why it fails under rw-2026.1 (the phase-2 rule that fixes it). The coexisting
#: MOAS and the RIB dump spanning seconds pass since the month's fix (issue 10): routes of the
#: data's first RIB dump have no history and are judged only by RPKI (METHODOLOGY §1.5).
PHASE_2 = {
    "fp_m2_default_route": "a /0 still covers every prefix; one peer still establishes",
}

SCENARIOS = sorted(FOLDER.glob("*.toml"))


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.xfail(reason=PHASE_2[p.stem], strict=True))
     if p.stem in PHASE_2 else p for p in SCENARIOS],
    ids=[p.stem for p in SCENARIOS],
)  # fmt: skip
def test_false_positive_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    problems = check(scenario)
    assert not problems, f"{scenario.name}:\n" + "\n".join(problems)


def test_every_false_positive_scenario_says_where_it_comes_from() -> None:
    assert len(SCENARIOS) >= 6
    for path in SCENARIOS:
        text = path.read_text()
        assert "docs/detection-precision.md" in text, path.name
        assert ("finding" in text) or ("INVENTED" in text), path.name
