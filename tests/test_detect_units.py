"""Unit checks of the detection building blocks: methodology, route state, ASPA, partitions,
incident merging and the CLI's incident listing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from routewatch.detect.engine import detect
from routewatch.detect.leaks import aspa_verify
from routewatch.detect.partition import Buckets
from routewatch.detect.scenario import elems_batch, load_scenario
from routewatch.detect.state import RouteState, peak_visibility
from routewatch.detect.verdicts import References
from routewatch.errors import ConfigError
from routewatch.methodology import RW_2026_1, methodology

MIN = 60_000_000
HOUR = 60 * MIN


def test_methodology_weights_and_edges() -> None:
    m = RW_2026_1
    assert m.weight(29 * MIN) + m.weight(13 * HOUR) + m.weight(25 * HOUR) == 3.5
    assert m.weight(30 * MIN) == 1.0
    assert m.weight(24 * HOUR - 1) == 1.0
    assert m.weight(24 * HOUR) == 2.0
    assert m.weight(0) == 0.5
    assert m.action1_score(1.0, 0.0) == pytest.approx(0.90)
    assert m.action1_score(0.5, 0.0) == pytest.approx(0.95)
    assert [round(m.spoofer_score(x), 2) for x in (0, 1, 2, 4)] == [1.0, 0.49, 0.36, 0.24]
    assert m.band(0.9) == "ready" and m.band(0.5) == "aspiring" and m.band(None) == "no-data"
    text = m.describe()
    assert text.splitlines()[0].startswith("version") and "rw-2026.1" in text
    assert "min_peer_asns" in text and "establish_hours" in text


def test_unknown_methodology_names_known_versions() -> None:
    with pytest.raises(ConfigError, match=r"rw-2026\.1"):
        methodology("rw-1999")


STREAM = """
2021-01-01T00:00:00Z  R  rrc00 192.0.2.1 2914  192.0.2.0/24   2914 100
2021-01-01T00:01:00Z  A  rrc00 192.0.2.1 2914  192.0.2.0/24   2914 100
2021-01-01T00:02:00Z  A  rrc00 192.0.2.1 2914  192.0.2.0/24   2914 3356 100
2021-01-01T00:03:00Z  W  rrc00 192.0.2.1 2914  198.51.100.0/24
2021-01-01T00:04:00Z  A  rrc00 192.0.2.1 2914  198.51.100.0/24 2914 200
2021-01-01T00:04:00Z  A  rrc00 192.0.2.2 6939  198.51.100.0/24 6939 200
2021-01-01T00:05:00Z  S  rrc00 192.0.2.1 2914  6 1
2021-01-01T00:06:00Z  A  rrc00 192.0.2.2 6939  198.51.100.0/24 6939 200 200 200
"""


def test_route_state_rules() -> None:
    state = RouteState()
    closed = state.feed(elems_batch(STREAM))
    c = state.counts
    assert (c.rib, c.announce, c.withdraw) == (1, 5, 1)
    assert c.duplicates == 1  # the 00:01 re-announcement of the RIB route
    assert c.withdraw_unknown == 1
    assert c.reset_removed == 2
    # state changes are counted once by the splitter, not by each partition's route state
    assert (c.state, c.resets) == (0, 0)
    whole = detect([elems_batch(STREAM)], References()).report.state
    assert (whole.rib, whole.announce, whole.withdraw, whole.state, whole.resets) == (1, 5, 1, 1, 1)
    # closed: RIB route replaced at 00:02 (implicit withdrawal); peer 1's two routes at the
    # reset; peer 2's route replaced by the prepended path at 00:06
    assert len(closed) == 4
    assert sorted((closed.end - closed.start).tolist()) == [1 * MIN, 2 * MIN, 2 * MIN, 3 * MIN]
    still = state.finish()
    assert len(still) == 1 and still.end.tolist() == [-1]
    assert state.live_routes == 1
    path = state.catalog.path(int(still.path[0]))
    assert path == (6939, 200, 200, 200)


def test_peak_visibility_counts_peer_asns_not_sessions() -> None:
    group = np.array([0, 0, 0, 1], np.int64)
    start = np.array([0, 5, 5, 0], np.int64)
    end = np.array([10, 10, 10, 3], np.int64)
    asn = np.array([2914, 2914, 6939, 1], np.int64)
    peak, _ = peak_visibility(group, start, end, asn, 2)
    assert peak.tolist() == [2, 1]
    # a route replaced at the same instant is not counted twice
    peak, _ = peak_visibility(np.array([0, 0]), np.array([0, 5]), np.array([5, 9]),
                              np.array([7, 7]), 1)  # fmt: skip
    assert peak.tolist() == [1]


def test_aspa_reference_example() -> None:
    # ROUTING-REFERENCE.md: N = 5, max_up 4, max_down 2, min_up 3, min_down 1 -> unknown
    a1, a2, a3, a4, a5 = 1, 2, 3, 4, 5
    aspas = {a1: frozenset({a2}), a2: frozenset({a3}), a4: frozenset({99})}
    v = aspa_verify([a1, a2, a3, a4, a5], aspas)
    assert (v.n, v.max_up, v.max_down, v.min_up, v.min_down) == (5, 4, 2, 3, 1)
    assert v.state == "unknown"


def test_aspa_no_attestation_does_not_stop_a_max_ramp() -> None:
    # the pitfall: stopping max_up at "no attestation" would make this invalid
    v = aspa_verify([1, 2, 3, 4], {1: frozenset({2})})
    assert (v.max_up, v.min_up, v.max_down, v.min_down) == (4, 2, 4, 1)
    assert v.state == "unknown"


def test_buckets_send_short_covers_everywhere_and_count_each_elem_once() -> None:
    plan = Buckets.of(64, RW_2026_1)
    batch = elems_batch("""
2021-01-01T00:00:00Z  A  rrc00 192.0.2.1 2914  10.1.0.0/16    2914 100
2021-01-01T00:00:00Z  A  rrc00 192.0.2.1 2914  11.0.0.0/8     2914 100
2021-01-01T00:00:00Z  A  rrc00 192.0.2.1 2914  8.0.0.0/6      2914 100
2021-01-01T00:00:00Z  A  rrc00 192.0.2.1 2914  2001:db8::/32  2914 100
2021-01-01T00:01:00Z  S  rrc00 192.0.2.1 2914  6 1
""")
    active: set[int] = set()
    split = plan.split(batch, active)
    owner = plan.owner_of_table(batch)
    covered = plan.covered(4, 8 << 56, 6)  # 8.0.0.0/6 covers the /8 blocks 8, 9, 10 and 11
    assert set(covered.tolist()) == set(plan.of_blocks(np.arange(8, 12, dtype=np.uint64)).tolist())
    for bucket, rows in split.rows.items():
        mine = split.owned[bucket]
        # every owned row is owned by this bucket, and only the /6 is sent as a copy
        assert (owner[rows[mine]] == bucket).all()
        assert set(rows[~mine].tolist()) <= {2, 4}
        assert 4 in rows.tolist()  # the reset reaches every bucket that holds routes
    assert sorted(active) == sorted(split.rows)
    owned_rows = np.concatenate([r[split.owned[b]] for b, r in split.rows.items()])
    assert sorted(owned_rows.tolist()) == [0, 1, 2, 3]  # each prefix elem owned exactly once
    assert (split.states, split.resets) == (1, 1)
    whole = Buckets.of(1, RW_2026_1).split(batch, set())
    assert list(whole.rows) == [0] and whole.owned[0].tolist() == [True] * 4 + [False]


def test_detection_is_deterministic() -> None:
    s = load_scenario(Path(__file__).parent / "scenarios" / "m3_m4_bogons.toml")
    assert s.run().findings.equals(s.run().findings)
    assert s.run().incidents.equals(s.run().incidents)


def test_no_reference_data_gives_no_verdicts() -> None:
    s = load_scenario(Path(__file__).parent / "scenarios" / "m1_valley_relationships.toml")
    result = detect([s.elems], References(), window=s.window)
    assert result.findings.num_rows == 0


def test_incidents_command_formats(tmp_path: Path) -> None:
    from routewatch.cli.detect import incidents

    s = load_scenario(Path(__file__).parent / "scenarios" / "weights_29m_13h_25h.toml")
    result = s.run()
    pq.write_table(result.incidents, tmp_path / "incidents.parquet")
    runner = CliRunner()
    text = runner.invoke(incidents, ["--in", str(tmp_path), "--asn", "666", "--kind", "M2"])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].split() == ["asn", "metric", "start", "end", "duration", "weight",
                                "visibility", "prefixes", "sample_path"]  # fmt: skip
    assert len(lines) == 4 and "0h29m" in lines[1] and "1d01h00m" in lines[3]
    data = json.loads(runner.invoke(incidents, ["--in", str(tmp_path), "--format", "json",
                                                "--kind", "hijack"]).output)  # fmt: skip
    assert sorted(r["weight"] for r in data if r["metric"] == "M2") == [0.5, 1.0, 2.0, 5.0]
    assert all(isinstance(r["prefixes"], list) for r in data)
    assert [r["end"] for r in data if r["asn"] == 667] == [None]
    csv_out = runner.invoke(incidents, ["--in", str(tmp_path), "--format", "csv"]).output
    assert csv_out.splitlines()[0].startswith("incident_id,asn,metric,scored,start,end")


def test_spans_export_and_visibility_series() -> None:
    from routewatch.detect.engine import PartitionRun
    from routewatch.detect.export import paths_table, spans_table, visibility_series
    from routewatch.schemas import ROUTE_PATHS, ROUTE_SPANS

    s = load_scenario(Path(__file__).parent / "scenarios" / "state_session_reset.toml")
    run = PartitionRun(s.refs)
    run.feed(s.elems)
    spans = run.spans()
    table = spans_table(spans, run.catalog)
    assert table.schema.equals(ROUTE_SPANS) and table.num_rows == len(spans)
    assert paths_table(run.catalog).schema.equals(ROUTE_PATHS)
    horizon = int(spans.start.max()) + HOUR
    group = np.zeros(len(spans), np.int64)
    _, _, count = visibility_series(group, spans.start, spans.end_or(horizon),
                                    run.catalog.peer_asns()[spans.peer])  # fmt: skip
    # 2 peer ASes; 6939 withdraws at 01:10; 2914's reset at 01:20; its table is back at 01:30
    assert count.tolist() == [2, 1, 0, 1, 0]


def test_type1_suspects_are_reported_not_scored() -> None:
    # METHODOLOGY defines M2 by the origin; a fake first hop (ARTEMIS type-1) is its own kind
    from routewatch.detect.incidents import SCORED_METRICS

    s = load_scenario(Path(__file__).parent / "scenarios" / "m2_type1_fake_first_hop.toml")
    result = s.run()
    rows = [r for r in result.findings.to_pylist() if r["metric"] == "hijack-type1-suspect"]
    assert [(r["culprit_asn"], r["segment"], r["rov_state"]) for r in rows] == [
        (64666, [64666, 64500], "valid")
    ]
    edges = [(e["asn_a"], e["asn_b"], e["relation"], e["source"]) for e in rows[0]["edges"]]
    assert edges == [
        (64666, 64500, "unknown", "none"),
        (174, 64500, "provider", "baseline"),
        (3356, 64500, "provider", "baseline"),
    ]
    assert "hijack-type1-suspect" not in SCORED_METRICS
    incidents = result.incidents.to_pylist()
    assert {(i["metric"], i["asn"], i["scored"]) for i in incidents} == {
        ("hijack-type1-suspect", 64666, False)
    }
