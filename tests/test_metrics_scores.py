"""Per-ASN metrics and action scores against METHODOLOGY §4–§5 and its worked examples."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from routewatch.methodology import RW_2026_1 as METHOD
from routewatch.methodology import Action
from routewatch.metrics.scores import (
    Window,
    clipped_durations,
    compute_action_scores,
    compute_asn_metrics,
    incident_weights,
    m5_score,
    m7_scores,
    weigh_incidents,
)
from routewatch.schemas import (
    ANNOUNCED_PAIRS,
    ASN_METRICS,
    INCIDENTS,
    IRR_AUT_NUMS,
    PEERINGDB_NETWORKS,
    SPOOFABLE_PREFIXES,
)

JUNE = Window.of("2024-06")
T0 = dt.datetime(2024, 6, 10, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


def incident(metric: str, asn: int | None, start: dt.datetime, end: dt.datetime | None,
             visibility: int = 5) -> dict[str, object]:
    """One INCIDENTS row (weight and duration deliberately wrong: metrics recomputes them)."""
    return {
        "incident_id": f"{metric}-{asn}-{start.isoformat()}",
        "methodology": METHOD.version,
        "metric": metric,
        "asn": asn,
        "scored": metric not in {"M1", "M1C"},
        "start": start,
        "end": end,
        "window_start": JUNE.start,
        "window_end": JUNE.end,
        "duration_s": -1.0,
        "weight": -1.0,
        "peak_visibility": visibility,
    }


def incidents(*rows: dict[str, object]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=INCIDENTS)


def pair(prefix: str, origin: int, rov: str, irr: str, peers: int = 5) -> dict[str, object]:
    return {"month": JUNE.month, "methodology": METHOD.version, "prefix": prefix,
            "origin_asn": origin, "peer_asns": peers, "rov_state": rov, "irr_state": irr}


def metrics(
    incident_rows: pa.Table | None = None,
    pairs: list[dict[str, object]] | None = None,
    spoofer: list[dict[str, object]] | None = None,
    peeringdb: list[dict[str, object]] | None = None,
    aut_nums: list[dict[str, object]] | None = None,
    assigned: tuple[int, ...] = (),
) -> pa.Table:
    return compute_asn_metrics(
        incidents=incident_rows if incident_rows is not None else INCIDENTS.empty_table(),
        pairs=pa.Table.from_pylist(pairs or [], schema=ANNOUNCED_PAIRS),
        spoofer=pa.Table.from_pylist(spoofer or [], schema=SPOOFABLE_PREFIXES),
        peeringdb=pa.Table.from_pylist(peeringdb or [], schema=PEERINGDB_NETWORKS),
        aut_nums=pa.Table.from_pylist(aut_nums or [], schema=IRR_AUT_NUMS),
        assigned=assigned,
        window=JUNE,
        method=METHOD,
    )


def row_of(table: pa.Table, asn: int) -> dict[str, object]:
    rows = [r for r in table.to_pylist() if r["asn"] == asn]
    assert len(rows) == 1, f"expected one row for AS{asn}"
    return rows[0]


def score_of(scores: pa.Table, asn: int, action: Action) -> tuple[float | None, str]:
    for r in scores.to_pylist():
        if r["asn"] == asn and r["action"] == action.value:
            return r["score"], r["band"]
    raise AssertionError(f"no {action} score for AS{asn}")


# ------------------------------------------------------------------------------ weights
def test_weights_of_the_worked_example_sum_to_3_5() -> None:
    durations = np.array([29 * 60, 13 * 3600, 25 * 3600], dtype=np.int64) * 1_000_000
    weights = incident_weights(durations, METHOD)
    assert weights.tolist() == [0.5, 1.0, 2.0]
    assert weights.sum() == 3.5


@pytest.mark.parametrize(
    ("duration", "weight"),
    [
        (dt.timedelta(0), 0.5),
        (30 * MIN - dt.timedelta(microseconds=1), 0.5),
        (30 * MIN, 1.0),
        (24 * HOUR - dt.timedelta(microseconds=1), 1.0),
        (24 * HOUR, 2.0),
        (48 * HOUR, 3.0),
        (30 * 24 * HOUR, 31.0),
    ],
)
def test_weight_edges(duration: dt.timedelta, weight: float) -> None:
    micros = np.array([duration // dt.timedelta(microseconds=1)], dtype=np.int64)
    assert incident_weights(micros, METHOD).tolist() == [weight]
    assert METHOD.weight(int(micros[0])) == weight


def test_worked_example_from_an_incidents_table() -> None:
    table = incidents(
        incident("M2", 65001, T0, T0 + 29 * MIN),
        incident("M2", 65001, T0 + 2 * HOUR, T0 + 15 * HOUR),
        incident("M2", 65001, T0 + 20 * HOUR, T0 + 45 * HOUR),
    )
    assert row_of(metrics(table), 65001)["m2"] == 3.5


def test_clipping_to_the_window() -> None:
    before = dt.datetime(2024, 5, 31, 12, tzinfo=dt.UTC)
    late = dt.datetime(2024, 6, 30, 23, 45, tzinfo=dt.UTC)
    weighed = weigh_incidents(
        incidents(
            # starts 12 h before June, ends 20 min into it: 20 min inside -> 0.5
            incident("M3", 1, before, JUNE.start + 20 * MIN),
            # still open at the end of June, started 15 min before the end -> 0.5
            incident("M3", 2, late, None),
            # open since May: the whole month counts (30 days -> 31)
            incident("M3", 3, before, None),
            # wholly before the window, ends exactly at its start: not counted
            incident("M3", 4, before, JUNE.start),
            # starts at the window's end: not counted
            incident("M3", 5, JUNE.end, None),
        ),
        JUNE,
        METHOD,
    )
    got = dict(zip(weighed.column("asn").to_pylist(), weighed.column("weight").to_pylist(),
                   strict=True))
    assert got == {1: 0.5, 2: 0.5, 3: 31.0}
    durations = dict(zip(weighed.column("asn").to_pylist(),
                         weighed.column("duration_s").to_pylist(), strict=True))
    assert durations[1] == 20 * 60
    assert durations[2] == 15 * 60


def test_clipped_durations_counts_a_zero_length_span_inside_the_window() -> None:
    start = np.array([JUNE.start_us + 10], dtype=np.int64)
    durations, inside = clipped_durations(start, start.copy(), np.array([False]), JUNE)
    assert inside.tolist() == [True]
    assert durations.tolist() == [0]


def test_weights_from_detection_are_recomputed_not_trusted() -> None:
    table = incidents(incident("M4", 7, T0, T0 + 2 * HOUR))
    assert weigh_incidents(table, JUNE, METHOD).column("weight").to_pylist() == [1.0]


# ------------------------------------------------------------------------------ Action 1
def test_each_metric_sums_per_asn_and_c_metrics_go_to_the_accomplice() -> None:
    table = incidents(
        incident("M1", 10, T0, T0 + HOUR),
        incident("M1C", 20, T0, T0 + HOUR),
        incident("M2", 10, T0, T0 + 10 * MIN),
        incident("M2C", 20, T0, T0 + 10 * MIN),
        incident("M3", 10, T0, T0 + 25 * HOUR),
        incident("M3C", 20, T0, T0 + 25 * HOUR),
        incident("M4", 10, T0, T0 + HOUR),
        incident("M4C", 20, T0, T0 + HOUR),
        incident("rpki-invalid", 10, T0, T0 + HOUR),
        incident("M3-administrative", 10, T0, T0 + HOUR),
    )
    out = metrics(table)
    ten, twenty = row_of(out, 10), row_of(out, 20)
    assert (ten["m1"], ten["m2"], ten["m3"], ten["m4"]) == (1.0, 0.5, 2.0, 1.0)
    assert (ten["m1c"], ten["m2c"], ten["m3c"], ten["m4c"]) == (0.0, 0.0, 0.0, 0.0)
    assert (twenty["m1c"], twenty["m2c"], twenty["m3c"], twenty["m4c"]) == (1.0, 0.5, 2.0, 1.0)
    assert ten["incidents"] == 4


def test_undetermined_culprit_and_low_visibility_count_against_nobody() -> None:
    table = incidents(
        incident("M2", None, T0, T0 + HOUR),
        incident("M2", 30, T0, T0 + HOUR, visibility=1),
    )
    out = metrics(table)
    assert 30 not in out.column("asn").to_pylist()
    assert out.num_rows == 0


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], 1.0),
        ([("M2", 13 * HOUR)], 0.90),  # one own incident under a day
        ([("M2", 29 * MIN)], 0.95),  # one under 30 minutes
        ([("M2C", 13 * HOUR)], 0.95),  # one customer incident under a day
        ([("M3", 13 * HOUR), ("M4C", 29 * MIN)], 0.875),
        ([("M1", 13 * HOUR), ("M1C", 13 * HOUR)], 1.0),  # M1 shown, not scored
        ([("M2", 25 * 24 * HOUR)], 0.0),  # clipped at zero
    ],
)
def test_action1_score(rows: list[tuple[str, dt.timedelta]], expected: float) -> None:
    victim = [incident(m, 40, T0, T0 + d) for m, d in rows]
    pairs = [pair("192.0.2.0/24", 40, "valid", "registered")]
    scores = compute_action_scores(metrics(incidents(*victim), pairs=pairs), METHOD)
    assert score_of(scores, 40, Action.FILTERING)[0] == pytest.approx(expected)


def test_action1_edges_land_in_the_right_band() -> None:
    pairs = [pair("192.0.2.0/24", 40, "valid", "registered")]
    scores = compute_action_scores(
        metrics(incidents(incident("M2", 40, T0, T0 + HOUR)), pairs=pairs), METHOD)
    assert score_of(scores, 40, Action.FILTERING) == (0.9, "ready")
    five = [incident("M2", 40, T0 + i * 2 * HOUR, T0 + i * 2 * HOUR + HOUR) for i in range(5)]
    scores = compute_action_scores(metrics(incidents(*five), pairs=pairs), METHOD)
    assert score_of(scores, 40, Action.FILTERING) == (0.5, "aspiring")


# ------------------------------------------------------------------------------ Action 2
@pytest.mark.parametrize(("x", "expected"), [(0, 1.00), (1, 0.49), (2, 0.36), (4, 0.24)])
def test_m5_reproduces_the_manrs_values(x: int, expected: float) -> None:
    assert round(m5_score(x, METHOD), 2) == expected


def test_m5_from_spoofer_rows_and_no_test_is_no_data() -> None:
    spoofer = [
        {"asn": 50, "month": JUNE.month, "sessions": 2, "tested_prefixes": ["a", "b", "c"],
         "spoofable_prefixes": ["a", "b"]},
        {"asn": 50, "month": JUNE.month, "sessions": 1, "tested_prefixes": ["b"],
         "spoofable_prefixes": ["b"]},
        {"asn": 51, "month": JUNE.month, "sessions": 1, "tested_prefixes": ["z"],
         "spoofable_prefixes": []},
        {"asn": 52, "month": dt.date(2024, 5, 1), "sessions": 1, "tested_prefixes": ["y"],
         "spoofable_prefixes": ["y"]},
    ]
    out = metrics(spoofer=spoofer, assigned=(50, 51, 52))
    assert row_of(out, 50)["spoofer_spoofable_prefixes"] == 2
    assert round(row_of(out, 50)["m5"], 2) == 0.36
    assert row_of(out, 51)["m5"] == 1.0
    assert row_of(out, 52)["m5"] is None
    scores = compute_action_scores(out, METHOD)
    assert score_of(scores, 52, Action.ANTI_SPOOFING) == (None, "no-data")
    assert score_of(scores, 51, Action.ANTI_SPOOFING) == (1.0, "ready")


# ------------------------------------------------------------------------------ Action 3
def test_m8_counts_noc_technical_policy_and_registry_contacts_not_abuse() -> None:
    def pdb(asn: int, roles: list[str]) -> dict[str, object]:
        return {"asn": asn, "contact_roles": roles, "ix_count": 0, "ix_ids": [], "ix_names": []}

    def aut(asn: int, roles: list[str], authoritative: bool) -> dict[str, object]:
        return {"asn": asn, "contact_roles": roles, "source": "RIPE",
                "authoritative": authoritative}

    out = metrics(
        peeringdb=[pdb(1, ["NOC"]), pdb(2, ["Policy", "Abuse"]), pdb(3, ["Abuse"]),
                   pdb(4, ["Technical"])],
        aut_nums=[aut(5, ["admin-c", "tech-c"], True), aut(6, ["abuse-c"], True),
                  aut(7, ["tech-c"], False), aut(3, ["abuse-c", "notify"], True)],
        assigned=(1, 2, 3, 4, 5, 6, 7, 8),
    )
    m8 = {r["asn"]: r["m8"] for r in out.to_pylist()}
    assert m8 == {1: 1.0, 2: 1.0, 3: 0.0, 4: 1.0, 5: 1.0, 6: 0.0, 7: 0.0, 8: 0.0}
    assert row_of(out, 5)["contact_sources"] == ["ripe"]
    scores = compute_action_scores(out, METHOD)
    assert score_of(scores, 8, Action.COORDINATION) == (0.0, "lagging")


# ------------------------------------------------------------------------------ Action 4
def test_m7_scores_and_the_invalid_penalty() -> None:
    assert m7_scores(0, 0, 0, 0, METHOD) == (None, None)
    assert m7_scores(4, 4, 0, 3, METHOD) == (0.75, 1.0)
    irr, rpki = m7_scores(100, 99, 1, 100, METHOD)
    assert (irr, rpki) == (1.0, pytest.approx(0.89))  # one invalid costs 10x a not-found
    assert m7_scores(100, 99, 0, 0, METHOD)[1] == pytest.approx(0.99)
    assert m7_scores(10, 9, 1, 0, METHOD)[1] == 0.0  # 0.9 - 1.0 clipped at zero


def test_m7_from_announced_pairs() -> None:
    pairs = [
        pair("192.0.2.0/24", 60, "valid", "registered"),
        pair("198.51.100.0/24", 60, "invalid", "other-origin"),
        pair("203.0.113.0/24", 60, "not-found", "registered"),
        pair("203.0.113.0/24", 60, "not-found", "registered"),  # duplicate row, one pair
        pair("2001:db8::/32", 60, "valid", "not-registered", peers=1),  # one peer: ignored
        pair("2001:db8:1::/48", 61, "valid", "registered", peers=1),
    ]
    out = metrics(pairs=pairs, assigned=(62,))
    sixty = row_of(out, 60)
    assert (sixty["pairs"], sixty["pairs_rpki_valid"], sixty["pairs_rpki_invalid"],
            sixty["pairs_rpki_not_found"], sixty["pairs_irr_registered"]) == (3, 1, 1, 1, 2)
    assert sixty["m7irr"] == pytest.approx(2 / 3)
    assert sixty["m7rpki"] == 0.0  # 1/3 - 10/3 < 0
    assert 61 not in out.column("asn").to_pylist()  # seen by one peer ASN only
    scores = compute_action_scores(out, METHOD)
    assert score_of(scores, 62, Action.GLOBAL_VALIDATION_RPKI) == (None, "no-data")
    assert score_of(scores, 62, Action.GLOBAL_VALIDATION_IRR) == (None, "no-data")


def test_assigned_but_unseen_networks_have_no_routing_data() -> None:
    out = metrics(assigned=(64500,))
    row = row_of(out, 64500)
    assert (row["seen"], row["rir_assigned"]) == (False, True)
    assert row["m2"] is None and row["pairs"] is None
    scores = compute_action_scores(out, METHOD)
    assert score_of(scores, 64500, Action.FILTERING) == (None, "no-data")
    assert score_of(scores, 64500, Action.COORDINATION) == (0.0, "lagging")


def test_a_seen_network_without_incidents_scores_one() -> None:
    out = metrics(pairs=[pair("192.0.2.0/24", 70, "valid", "registered")])
    scores = compute_action_scores(out, METHOD)
    assert score_of(scores, 70, Action.FILTERING) == (1.0, "ready")
    assert score_of(scores, 70, Action.GLOBAL_VALIDATION_RPKI) == (1.0, "ready")


# ------------------------------------------------------------------------------ shapes
def test_outputs_follow_their_schemas_and_are_stamped() -> None:
    out = metrics(incidents(incident("M2", 80, T0, T0 + HOUR)), assigned=(81,))
    assert out.schema == ASN_METRICS
    assert set(out.column("month").to_pylist()) == {JUNE.month}
    assert set(out.column("methodology").to_pylist()) == {METHOD.version}
    scores = compute_action_scores(out, METHOD)
    assert scores.num_rows == 2 * len(Action)
    assert set(scores.column("methodology").to_pylist()) == {METHOD.version}


def test_empty_inputs_give_empty_tables() -> None:
    out = metrics()
    assert out.num_rows == 0
    assert compute_action_scores(out, METHOD).num_rows == 0


def test_window_of_a_month() -> None:
    december = Window.of(dt.date(2023, 12, 17))
    assert december.month == dt.date(2023, 12, 1)
    assert december.end == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert Window.of("2024-03").previous() == Window.of("2024-02")
    assert JUNE.end_us - JUNE.start_us == 30 * 86_400 * 1_000_000
