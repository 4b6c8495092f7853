"""Detection over real data: RIS rrc21, 2016-08-11 16:00-16:15, with the 2016-05-27 ROAs and
the nearest AS relationships (toposcope 2018-01; see TIMELINE.md for the gaps).

Each pinned result was checked by hand against the bgpdump text of the same file
(shared/data/mrt/bgpdump-expect/updates.20160811.1600.gz.bgp.gz), the ROA list and the
relationship file; the reason is written next to it.
"""

from __future__ import annotations

from typing import Any

import pytest

from _data import shared_data

MRT = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
ROAS = shared_data("rpki/rcynic-scan_roas_roa_list_20160527.txt")
RELS = shared_data("asrel/toposcope_asrel_201801.txt")


@pytest.fixture(scope="module")
def result() -> Any:
    from routewatch.detect.engine import detect
    from routewatch.detect.scenario import parse_time
    from routewatch.pipeline import build_references, mrt_stream

    refs = build_references({"vrps": [ROAS], "as-relationships": [RELS]})
    window = (parse_time("2016-08-11T16:00:00Z"), parse_time("2016-08-11T16:15:00Z"))
    return detect(mrt_stream([MRT]), refs, window=window)


def _findings(result: Any, **match: object) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = result.findings.to_pylist()
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


def test_private_asn_behind_26077_is_m4_of_26077(result: Any) -> None:
    # bgpdump: at 16:00:33 peer AS24482 and at 16:00:52 peer AS58308 switch
    # 107.178.10.0/24 to "... 174 26077 64514": private AS64514 behind AS26077, which
    # Cogent (AS174) passes on. Culprit = first non-bogon AS after the bogon towards the
    # collector (26077); accomplice = its upstream 174; two peer ASes -> reported.
    rows = _findings(result, metric="M4", prefix="107.178.10.0/24")
    assert [(r["culprit_asn"], r["accomplice_asn"], r["peak_visibility"]) for r in rows] == [
        (26077, 174, 2)
    ]
    assert rows[0]["bogons"][0]["value"] == "64514"
    assert rows[0]["bogons"][0]["category"] == "full"


def test_rpki_invalid_as_for_22368(result: Any) -> None:
    # ROA list: 200.93.128.0/19-24 names AS19429 only; AS22368 announces 200.93.150.0/24
    # (path "... 12956 3816 22368") -> invalid, reason "as"; no other origin conflicts, so
    # it is an RPKI problem of AS22368, not a hijack.
    rows = _findings(result, metric="rpki-invalid", prefix="200.93.150.0/24")
    assert len(rows) == 1
    row = rows[0]
    assert (row["culprit_asn"], row["rov_state"], row["rov_reason"]) == (22368, "invalid", "as")
    assert {(v["prefix"], v["asn"], v["role"]) for v in row["rov_vrps"]} == {
        ("200.93.128.0/19", 19429, "unmatched-as")
    }
    assert not _findings(result, metric="M2", prefix="200.93.150.0/24")


def test_hairpin_leak_by_62282(result: Any) -> None:
    # 194.0.19.0/24 "... 6939 49550 62282 8764 51172 44358": the 2018 relationships say
    # 8764|62282|-1 and 49550|62282|-1 -> AS62282 passes a route of its provider AS8764 to
    # its provider AS49550: RFC 7908 type 1, accomplice AS49550 (accepted from a customer).
    rows = _findings(result, metric="M1", culprit_asn=62282, prefix="194.0.19.0/24")
    assert rows and all(r["accomplice_asn"] == 49550 for r in rows)
    assert rows[0]["labels"] == ["type-1-hairpin"]
    assert rows[0]["decided_by"] == "relationships"
    edges = {(e["asn_a"], e["asn_b"], e["relation"]) for e in rows[0]["edges"]}
    assert edges == {(8764, 62282, "provider"), (62282, 49550, "customer")}


def test_route_state_counts_are_consistent(result: Any) -> None:
    state = result.report.state
    # 41,234 elems in the file; 22 of them are session state changes (bgpdump STATE lines)
    assert state.rib + state.announce + state.withdraw + state.state == 41234
    assert state.state == 22
    assert state.duplicates > 0


# --------------------------------------------------------------------------------------------
# RIS rrc04, 2021-01-01 04:55-09:00 (50 update files), AFRINIC VRPs of 2022-01-02 (the nearest;
# ROAs created after 2021-01-01 are in it too — see the notes) and the 2018-01 relationships.
# The window starts at 05:00, so 04:55-05:00 is the baseline.
# --------------------------------------------------------------------------------------------
SERIES = [
    shared_data(f"mrt/series/rrc04_20210101/ris.rrc04.updates.{start}.300.cache")
    for start in range(1609476900, 1609491900, 300)
]
AFRINIC = shared_data("rpki/ripe-archive_afrinic-tal_roas_20220102.csv")


@pytest.fixture(scope="module")
def rrc04() -> Any:
    from routewatch.detect.engine import detect
    from routewatch.detect.scenario import parse_time
    from routewatch.pipeline import build_references, mrt_stream

    refs = build_references({"vrps": [AFRINIC], "as-relationships": [RELS]})
    window = (parse_time("2021-01-01T05:00:00Z"), parse_time("2021-01-01T09:00:00Z"))
    return detect(mrt_stream(SERIES), refs, window=window)


def test_documentation_asns_behind_132717(rrc04: Any) -> None:
    # From 06:53:43 paths such as "29222 174 9498 9829 132717 132717 132717 132717 65542
    # 65544" carry AS65542 and AS65544 (RFC 5398 documentation ASNs) behind AS132717: the
    # first non-bogon AS after them towards the collector is 132717 (culprit); its upstream
    # 9829 is its provider in the relationship file (9829|132717|-1), so M4C counts.
    rows = _findings(rrc04, metric="M4", prefix="117.239.162.0/24")
    assert [(r["culprit_asn"], r["accomplice_asn"], r["accomplice_relation"]) for r in rows] == [
        (132717, 9829, "customer")
    ]
    assert {b["value"] for b in rows[0]["bogons"]} == {"65542", "65544"}
    incidents = rrc04.incidents.to_pylist()
    assert any(i["metric"] == "M4C" and i["asn"] == 9829 for i in incidents)


def test_rpki_invalid_38001(rrc04: Any) -> None:
    # 154.16.236.0/24 from AS38001 (07:18:21-07:22:06): the ROA 154.16.0.0/16-24 AS61317
    # (valid since 2019-04-02, so it existed then) covers it and names another AS -> invalid,
    # reason "as". (The 2022 snapshot also holds a 2021-03-31 ROA for AS133752, shown as
    # evidence too: the snapshot-date gap TIMELINE.md warns about.)
    rows = _findings(rrc04, metric="rpki-invalid", prefix="154.16.236.0/24")
    assert len(rows) == 1
    assert (rows[0]["culprit_asn"], rows[0]["rov_reason"]) == (38001, "as")
    assert ("154.16.0.0/16", 61317) in {(v["prefix"], v["asn"]) for v in rows[0]["rov_vrps"]}
    assert rows[0]["end"] is not None  # withdrawn inside the window
