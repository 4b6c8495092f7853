"""The one exemption rule (detect/exemptions.py) as the methodology sets it.

The scenario ``m2_irr_authoritative.toml`` (in tests/scenarios, so the scenario, bucket and
compaction tests run it under rw-2026.2) is run here under rw-2026.1 too: there every IRR
route object exempts, authoritative or not. And the rule compaction folds by is the rule
detection judges by: the same function, asked directly.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from routewatch.detect.exemptions import Exemption, exemption, pair_exemption
from routewatch.detect.scenario import check, load_scenario
from routewatch.detect.verdicts import References
from routewatch.methodology import RW_2026_1, RW_2026_2

SCENARIO = Path(__file__).parent / "scenarios" / "m2_irr_authoritative.toml"


def test_rw_2026_1_lets_any_irr_object_exempt() -> None:
    scenario = replace(load_scenario(SCENARIO), method=RW_2026_1, expect=[])
    assert check(scenario) == []
    assert load_scenario(SCENARIO).method is RW_2026_2


def test_only_authoritative_objects_exempt_under_rw_2026_2() -> None:
    args = {"bogon_origin": False, "rov": 0, "irr": 2}
    assert pair_exemption(RW_2026_1, **args, irr_authoritative=False) is Exemption.IRR_REGISTERED
    assert pair_exemption(RW_2026_2, **args, irr_authoritative=False) is None
    assert pair_exemption(RW_2026_2, **args, irr_authoritative=True) is Exemption.IRR_REGISTERED


def test_exemptions_are_checked_in_the_documented_order() -> None:
    refs = References()
    common = {"x": 64511, "rov": 1, "irr": 2, "irr_authoritative": True, "others": [64500],
              "upstreams": {64500}}  # fmt: skip
    assert exemption(RW_2026_2, refs, bogon_origin=True, **common) is Exemption.BOGON_ORIGIN
    assert exemption(RW_2026_2, refs, bogon_origin=False, **common) is Exemption.RPKI_VALID
    none = {**common, "rov": 0, "irr": 0}
    assert exemption(RW_2026_2, refs, bogon_origin=False, **none) is Exemption.ORIGIN_IS_UPSTREAM
    alone = {**none, "upstreams": set()}
    assert exemption(RW_2026_2, refs, bogon_origin=False, **alone) is None
