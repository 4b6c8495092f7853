"""Cohort comparisons and the before/after estimate (routewatch.metrics.impact).

Every panel here is CONSTRUCTED: the answers must be known exactly, and no real store holds
months in which networks joined MANRS or started signing. The constructions:

- cohorts whose shares are known (30 of 100 ready against 10 of 100), so the difference is
  0.2 and its 95 % interval is close to the normal one, 0.2 ± 1.96·√(0.3·0.7/100 + 0.1·0.9/100);
- pooled RPKI shares (1 valid pair of 1 and 0 of 9 give 0.1, not the mean of shares 0.5);
- panels where every network's outcome is a line: controls rise by one a month, treated
  networks the same minus 2 from the month they join, so the difference-in-differences is
  exactly −2 — and controls of another region rising five a month must not change it.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pyarrow as pa
import pytest

from routewatch.methodology import RW_2026_1
from routewatch.metrics.impact import (
    ASSUMPTIONS,
    OUTCOMES,
    TREATMENTS,
    ImpactRule,
    cohort_impact,
    did_impact,
    difference_in_differences,
    network_panel,
    size_band,
)
from routewatch.schemas import COHORT_IMPACT, DID_IMPACT, NETWORK_PANEL

MONTH = dt.date(2025, 1, 1)
MONTHS = [dt.date(2025, m, 1) for m in range(1, 7)]


def row(asn: int, month: dt.date = MONTH, **values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "month": month, "asn": asn, "seen": True, "region": "Europe", "pairs": 20,
        "pairs_rpki_valid": 0, "manrs": False, "rpki_signer": False, "covered": False,
        "incidents": 0, "filtering": 1.0, "anti_spoofing": None, "coordination": 0.0,
        "global_validation_irr": 0.5, "global_validation_rpki": 0.0,
    }  # fmt: skip
    base.update(values)
    return base


def panel(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=NETWORK_PANEL)


def one(table: pa.Table, **where: object) -> dict[str, object]:
    found = [r for r in table.to_pylist() if all(r[k] == v for k, v in where.items())]
    assert len(found) == 1, found
    return found[0]


def shares_panel() -> pa.Table:
    rows = [row(i, manrs=True, filtering=1.0 if i < 30 else 0.0) for i in range(100)]
    rows += [row(1000 + i, filtering=1.0 if i < 10 else 0.0) for i in range(100)]
    return panel(rows)


def test_ready_shares_with_intervals_and_sizes() -> None:
    got = one(cohort_impact(shares_panel(), RW_2026_1), cohort="manrs",
              measure="ready_share:filtering")
    assert (got["members"], got["others"], got["rest"]) == (100, 100, "non-manrs")
    assert (got["member_value"], got["other_value"]) == (0.3, 0.1)
    assert got["difference"] == pytest.approx(0.2)
    half = 1.96 * np.sqrt(0.3 * 0.7 / 100 + 0.1 * 0.9 / 100)
    assert got["difference_low"] == pytest.approx(0.2 - half, abs=0.02)
    assert got["difference_high"] == pytest.approx(0.2 + half, abs=0.02)
    member_half = 1.96 * np.sqrt(0.3 * 0.7 / 100)
    assert got["member_low"] == pytest.approx(0.3 - member_half, abs=0.02)
    assert (got["confidence"], got["replicates"], got["better"]) == (0.95, 1000, "higher")


def test_identical_values_give_a_point_interval_and_no_data_is_left_out() -> None:
    rows = [row(i, manrs=True, incidents=2, anti_spoofing=None) for i in range(5)]
    rows += [row(10 + i, incidents=0) for i in range(5)]
    rows += [row(99, seen=False, incidents=None)]  # not seen in BGP: not counted
    table = cohort_impact(panel(rows), RW_2026_1)
    got = one(table, cohort="manrs", measure="incidents_per_100_networks")
    assert (got["member_value"], got["member_low"], got["member_high"]) == (200.0, 200.0, 200.0)
    assert (got["members"], got["others"], got["difference"]) == (5, 5, 200.0)
    spoofing = one(table, cohort="manrs", measure="ready_share:anti-spoofing")
    assert (spoofing["members"], spoofing["member_value"], spoofing["difference"]) == (0, None,
                                                                                       None)
    assert table.schema.equals(COHORT_IMPACT)


def test_rpki_valid_share_is_pooled_over_pairs() -> None:
    rows = [row(1, rpki_signer=True, pairs=1, pairs_rpki_valid=1),
            row(2, rpki_signer=True, pairs=9, pairs_rpki_valid=0),
            row(3, pairs=0, pairs_rpki_valid=0)]  # announced nothing: left out
    got = one(cohort_impact(panel(rows), RW_2026_1), cohort="rpki-signer",
              measure="rpki_valid_share")
    assert (got["member_value"], got["members"], got["others"]) == (0.1, 2, 0)
    assert got["rest"] == "rpki-non-signer"


def test_seeded_and_independent_of_row_order() -> None:
    rows = shares_panel().to_pylist()
    first = cohort_impact(panel(rows), RW_2026_1)
    random.Random(7).shuffle(rows)
    assert cohort_impact(panel(rows), RW_2026_1).equals(first)
    other_seed = cohort_impact(panel(rows), RW_2026_1, ImpactRule(seed=1))
    assert not other_seed.equals(first)


def line_panel(noise: float = 0.0, extra_treated: int = 0) -> pa.Table:
    """Controls rise by 1 a month; treated networks too, minus 2 from the month they join."""
    jitter = np.random.default_rng(3)
    rows = []
    for asn in range(1, 41):  # controls, Europe, 10-99 pairs
        for i, month in enumerate(MONTHS):
            rows.append(row(asn, month, incidents=None,
                            filtering=5 + i + noise * jitter.normal()))
    for asn in range(41, 61):  # controls in Asia rise five a month: another stratum
        for i, month in enumerate(MONTHS):
            rows.append(row(asn, month, region="Asia", filtering=5 + 5 * i))
    joining = [(100, 3), (101, 3), (102, 2), (103, 4)]
    joining += [(400 + k, 1 + k % 4) for k in range(extra_treated)]
    for asn, joins in joining:
        for i, month in enumerate(MONTHS):
            member = i >= joins
            rows.append(row(asn, month, manrs=member,
                            filtering=5 + i - 2 * member + noise * jitter.normal()))
    for i, month in enumerate(MONTHS):  # treated in a stratum without controls
        rows.append(row(200, month, region="Africa", manrs=i >= 2, filtering=1.0))
        rows.append(row(300, month, manrs=True, filtering=9.0))  # participant throughout
    return panel(rows)


def test_difference_in_differences_recovers_the_constructed_effect() -> None:
    got = difference_in_differences(line_panel(), "joined-manrs", "filtering", MONTHS)
    assert got.reason is None
    assert (got.treated, got.unmatched, got.controls, got.strata) == (4, 1, 40, 1)
    assert got.estimate.value == -2.0
    assert (got.estimate.low, got.estimate.high) == (-2.0, -2.0)  # no noise: no spread
    assert got.months == tuple(MONTHS) and got.estimate.n == 4
    assert got.as_row(MONTHS[-1], "rw-2026.1")["first_month"] == MONTHS[0]


def test_difference_in_differences_interval_with_noise_has_the_expected_width() -> None:
    """With noise of sd 0.5 on every value and 40 treated networks, the estimate varies with
    sd 0.08 from one noise draw to the next (40 draws simulated once; the 95 % intervals
    covered -2 in all of them): the interval must be about 2 x 1.96 x 0.08 = 0.31 wide."""
    noisy = line_panel(noise=0.5, extra_treated=36)
    got = difference_in_differences(noisy, "joined-manrs", "filtering", MONTHS)
    assert got.treated == 40
    value, low, high = got.estimate.value, got.estimate.low, got.estimate.high
    assert value is not None and low is not None and high is not None
    assert value == pytest.approx(-2.0, abs=0.3) and low < value < high
    assert 0.2 < high - low < 0.45
    again = difference_in_differences(noisy, "joined-manrs", "filtering", MONTHS)
    assert again == got  # seeded


def test_no_treatment_or_too_few_months_say_why() -> None:
    got = difference_in_differences(line_panel(), "started-signing", "filtering", MONTHS)
    assert got.estimate.value is None
    assert got.reason == ("no network started signing between 2025-01 and 2025-06 with "
                          "filtering measured before and after")
    short = difference_in_differences(line_panel(), "joined-manrs", "filtering", MONTHS[:1])
    assert short.reason == "1 comparable month(s); a before and an after need two"


def test_started_signing_follows_the_vrp_snapshots_not_the_valid_pairs_seen() -> None:
    rows = []
    for i, month in enumerate(MONTHS):
        # a signer throughout whose valid announcement is only seen from April: not treated
        rows.append(row(1, month, rpki_signer=True, covered=i >= 3, filtering=float(i)))
        # a ROA of AS 2 appears in the snapshot of April: treated from April
        rows.append(row(2, month, rpki_signer=i >= 3, filtering=float(i) - (i >= 3)))
        rows.append(row(3, month, filtering=float(i)))  # never signs: the control
    got = difference_in_differences(panel(rows), "started-signing", "filtering", MONTHS)
    assert (got.treated, got.controls, got.estimate.value) == (1, 1, -1.0)


def test_every_treatment_and_outcome_has_a_row() -> None:
    table = did_impact(line_panel(), MONTHS, RW_2026_1)
    assert table.schema.equals(DID_IMPACT)
    assert table.num_rows == len(TREATMENTS) * len(OUTCOMES)
    assert one(table, treatment="joined-manrs", outcome="filtering")["estimate"] == -2.0
    assert any("Parallel trends" in a for a in ASSUMPTIONS)


def test_size_bands() -> None:
    assert [size_band(p) for p in (None, 0, 1, 9, 10, 999, 1000)] == [
        "none", "none", "1-9", "1-9", "10-99", "100-999", "1000+"]


def test_panel_from_the_stored_tables() -> None:
    asn_metrics = pa.table({
        "month": pa.array([MONTH, MONTH], pa.date32()), "asn": pa.array([1, 2], pa.uint32()),
        "seen": [True, False], "pairs": pa.array([3, None], pa.uint32()),
        "pairs_rpki_valid": pa.array([1, None], pa.uint32()),
        "incidents": pa.array([2, None], pa.uint32()),
    })  # fmt: skip
    scores = pa.table({
        "month": pa.array([MONTH] * 3, pa.date32()), "asn": pa.array([1, 1, 2], pa.uint32()),
        "action": ["filtering", "global-validation-rpki", "filtering"],
        "score": [0.9, 0.25, None],
    })  # fmt: skip
    networks = pa.table({
        "month": pa.array([MONTH], pa.date32()), "asn": pa.array([1], pa.uint32()),
        "region": ["Europe"], "manrs": [True], "rpki_signer": [True],
    })  # fmt: skip
    rows = network_panel(asn_metrics, scores, networks).to_pylist()
    assert rows[0] | {} == row(1, pairs=3, pairs_rpki_valid=1, incidents=2, manrs=True,
                               rpki_signer=True, covered=True, filtering=0.9,
                               coordination=None, global_validation_irr=None,
                               global_validation_rpki=0.25)
    assert (rows[1]["region"], rows[1]["manrs"], rows[1]["covered"]) == (None, False, False)
