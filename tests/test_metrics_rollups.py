"""Roll-ups to economies, regions, RIRs and cohorts (METHODOLOGY §6)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from routewatch.methodology import RW_2026_1 as METHOD
from routewatch.methodology import Action
from routewatch.metrics.rollups import asn_areas, compute_rollups
from routewatch.metrics.scores import (
    Window,
    compute_action_scores,
    compute_asn_metrics,
)
from routewatch.reference.registry import Registry
from routewatch.schemas import (
    ANNOUNCED_PAIRS,
    AREA_READINESS,
    AREA_SUMMARIES,
    ASN_AREAS,
    DELEGATIONS,
    INCIDENTS,
    IRR_AUT_NUMS,
    PEERINGDB_NETWORKS,
    SPOOFABLE_PREFIXES,
)

JUNE = Window.of("2024-06")
T0 = dt.datetime(2024, 6, 3, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _incident(metric: str, asn: int, start: dt.datetime, hours: float) -> dict[str, object]:
    return {
        "incident_id": f"{metric}{asn}{start}", "methodology": METHOD.version, "metric": metric,
        "asn": asn, "scored": True, "start": start, "end": start + hours * HOUR,
        "window_start": JUNE.start, "window_end": JUNE.end, "duration_s": 0.0, "weight": 0.0,
        "peak_visibility": 4,
    }


def _pair(prefix: str, origin: int, rov: str, irr: str) -> dict[str, object]:
    return {"month": JUNE.month, "methodology": METHOD.version, "prefix": prefix,
            "origin_asn": origin, "peer_asns": 4, "rov_state": rov, "irr_state": irr}


INCIDENT_ROWS = pa.Table.from_pylist(
    [
        _incident("M2", 2, T0, 13),  # AS2: 0.90
        *[_incident("M2", 3, T0 + i * 2 * HOUR, 1) for i in range(6)],  # AS3: 0.40
        _incident("M3C", 5, T0, 2),  # AS5: 0.95
    ],
    schema=INCIDENTS,
)
PAIRS = pa.Table.from_pylist(
    [
        _pair("192.0.2.0/25", 1, "valid", "registered"),
        _pair("192.0.2.128/25", 1, "valid", "registered"),
        _pair("198.51.100.0/24", 2, "invalid", "not-registered"),
        _pair("203.0.113.0/24", 3, "not-found", "registered"),
        _pair("2001:db8::/32", 5, "valid", "not-registered"),
    ],
    schema=ANNOUNCED_PAIRS,
)
AREAS = pa.Table.from_pylist(
    [
        {"asn": 1, "economy": "NL", "region": "Europe", "sub_region": "Western Europe",
         "rir": "ripencc", "manrs": True, "rpki_signer": True},
        {"asn": 2, "economy": "NL", "region": "Europe", "sub_region": "Western Europe",
         "rir": "ripencc", "manrs": False, "rpki_signer": False},
        {"asn": 3, "economy": "DE", "region": "Europe", "sub_region": "Western Europe",
         "rir": "ripencc", "manrs": False, "rpki_signer": False},
        {"asn": 4, "economy": "US", "region": "Americas", "sub_region": "Northern America",
         "rir": "arin", "manrs": False, "rpki_signer": False},
    ],
    schema=ASN_AREAS,
)  # AS5 has no delegation: unknown everywhere


def _rollups(previous: pa.Table | None = None) -> tuple[pa.Table, pa.Table]:
    metrics = compute_asn_metrics(
        incidents=INCIDENT_ROWS, pairs=PAIRS, spoofer=SPOOFABLE_PREFIXES.empty_table(),
        peeringdb=PEERINGDB_NETWORKS.empty_table(), aut_nums=IRR_AUT_NUMS.empty_table(),
        assigned=[4], window=JUNE, method=METHOD,
    )
    scores = compute_action_scores(metrics, METHOD)
    out = compute_rollups(asn_metrics=metrics, action_scores=scores, incidents=INCIDENT_ROWS,
                          areas=AREAS, window=JUNE, method=METHOD, previous_readiness=previous)
    return out.readiness, out.summaries


def _one(table: pa.Table, kind: str, area: str, action: str | None = None) -> dict[str, object]:
    mask = pc.and_(pc.equal(table.column("area_kind"), kind), pc.equal(table.column("area"), area))
    if action is not None:
        mask = pc.and_(mask, pc.equal(table.column("action"), action))
    rows = table.filter(mask).to_pylist()
    assert len(rows) == 1, (kind, area, action)
    return rows[0]


def test_readiness_counts_shares_and_means_exclude_no_data() -> None:
    readiness, _ = _rollups()
    world = _one(readiness, "world", "world", Action.FILTERING)
    assert (world["networks"], world["ready"], world["aspiring"], world["lagging"],
            world["no_data"]) == (5, 3, 0, 1, 1)
    assert world["ready_share"] == 0.75
    assert world["lagging_share"] == 0.25
    assert world["mean_score"] == pytest.approx((1 + 0.9 + 0.4 + 0.95) / 4)
    nl = _one(readiness, "economy", "NL", Action.FILTERING)
    assert (nl["ready"], nl["ready_share"], nl["mean_score"]) == (2, 1.0, pytest.approx(0.95))
    us = _one(readiness, "economy", "US", Action.FILTERING)
    assert (us["no_data"], us["ready_share"], us["mean_score"]) == (1, None, None)
    assert _one(readiness, "economy", "unknown", Action.FILTERING)["ready"] == 1


def test_regions_sub_regions_rirs_and_cohorts() -> None:
    readiness, _ = _rollups()
    assert _one(readiness, "region", "Europe", Action.FILTERING)["networks"] == 3
    assert _one(readiness, "sub-region", "Northern America", Action.FILTERING)["no_data"] == 1
    assert _one(readiness, "rir", "ripencc", Action.FILTERING)["lagging"] == 1
    manrs = _one(readiness, "cohort", "manrs", Action.FILTERING)
    rest = _one(readiness, "cohort", "non-manrs", Action.FILTERING)
    assert (manrs["networks"], manrs["ready_share"]) == (1, 1.0)
    assert (rest["networks"], rest["ready_share"]) == (4, pytest.approx(2 / 3))
    assert _one(readiness, "cohort", "rpki-signer", Action.GLOBAL_VALIDATION_RPKI)["ready"] == 1


def test_every_kind_adds_up_to_the_world() -> None:
    readiness, summaries = _rollups()
    filtering = readiness.filter(pc.equal(readiness.column("action"), "filtering"))
    for kind in ("economy", "region", "sub-region", "rir"):
        rows = filtering.filter(pc.equal(filtering.column("area_kind"), kind))
        assert sum(rows.column("networks").to_pylist()) == 5, kind
    cohorts = summaries.filter(pc.equal(summaries.column("area_kind"), "cohort"))
    assert sum(cohorts.column("networks").to_pylist()) == 10  # each ASN in both cohorts


def test_state_of_routing_security() -> None:
    _, summaries = _rollups()
    world = _one(summaries, "world", "world")
    assert (world["incidents_m2"], world["incidents_m3c"], world["incidents_m1"]) == (7, 1, 0)
    assert world["networks_involved"] == 3
    assert world["incidents_per_100_networks"] == pytest.approx(7 / 5 * 100)
    assert world["pairs"] == 5
    assert (world["rpki_valid_share"], world["rpki_invalid_share"],
            world["rpki_not_found_share"], world["irr_registered_share"]) == (0.6, 0.2, 0.2, 0.6)
    us = _one(summaries, "economy", "US")
    assert (us["pairs"], us["rpki_valid_share"], us["incidents_per_100_networks"]) == (0, None,
                                                                                     0.0)
    manrs = _one(summaries, "cohort", "manrs")
    assert (manrs["incidents_per_100_networks"], manrs["rpki_valid_share"]) == (0.0, 1.0)
    assert _one(summaries, "cohort", "non-manrs")["incidents_per_100_networks"] == 175.0


def test_change_of_the_ready_share_since_last_month() -> None:
    first, _ = _rollups()
    assert first.column("ready_share_change").null_count == first.num_rows
    last_month = first.set_column(
        first.column_names.index("ready_share"), "ready_share",
        pa.array([0.5] * first.num_rows, pa.float64()),
    )
    readiness, _ = _rollups(previous=last_month)
    assert _one(readiness, "world", "world", Action.FILTERING)["ready_share_change"] == 0.25
    assert _one(readiness, "economy", "US", Action.FILTERING)["ready_share_change"] is None


def test_outputs_follow_their_schemas() -> None:
    readiness, summaries = _rollups()
    assert readiness.schema == AREA_READINESS
    assert summaries.schema == AREA_SUMMARIES
    assert set(readiness.column("month").to_pylist()) == {JUNE.month}
    assert set(summaries.column("methodology").to_pylist()) == {METHOD.version}
    assert readiness.column("area_kind").to_pylist()[0] == "world"


def test_asn_areas_from_delegations() -> None:
    delegations = pa.Table.from_pylist(
        [
            {"registry": "ripencc", "cc": "NL", "type": "asn", "status": "assigned",
             "asn_first": 1, "asn_last": 2, "line": 1},
            {"registry": "lacnic", "cc": "BR", "type": "asn", "status": "allocated",
             "asn_first": 10, "asn_last": 10, "line": 2},
        ],
        schema=DELEGATIONS,
    )
    areas = asn_areas([10, 2, 99], Registry.build(delegations), manrs_asns=[2],
                      signer_asns=[10, 0, 99])
    rows = {r["asn"]: r for r in areas.to_pylist()}
    assert rows[2]["economy"] == "NL" and rows[2]["sub_region"] == "Western Europe"
    assert rows[10]["region"] == "Americas" and rows[10]["rir"] == "lacnic"
    assert rows[99]["economy"] is None and rows[99]["rpki_signer"]
    assert rows[2]["manrs"] and not rows[10]["manrs"]
    assert areas.schema == ASN_AREAS
