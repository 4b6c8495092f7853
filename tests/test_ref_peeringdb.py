"""PeeringDB API responses, full dumps and the CAIDA IXP dataset -> contacts and IXPs per ASN.

Real data: the PeeringDB API samples and CAIDA IXP files of shared/data/peeringdb and their
copies/excerpts in tests/data/ref/peeringdb. The poc response
(``peeringdb-api_poc.invented.json``) is INVENTED in the real API format, because no sample
has contacts; so is the small dump built in ``test_full_dump_with_every_object_type``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _data import shared_data
from routewatch.errors import ImplausibleInputError
from routewatch.reference.peeringdb import (
    CAIDA_IXP_FORMAT,
    PEERINGDB_FORMAT,
    load_caida_ixps,
    load_peeringdb,
)
from routewatch.reference.sniff import detect
from routewatch.schemas import PEERINGDB_NETWORKS

HERE = Path(__file__).resolve().parent / "data" / "ref" / "peeringdb"
NET = HERE / "peeringdb-api_net.json"
IX = HERE / "peeringdb-api_ix.json"
NETIXLAN = HERE / "peeringdb-api_netixlan.excerpt.json"
POC = HERE / "peeringdb-api_poc.invented.json"  # invented, see module docstring
CAIDA_IXS = HERE / "caida_ixs_201910.excerpt.jsonl"
CAIDA_ASNS = HERE / "caida_ix-asns_201910.excerpt.jsonl"



def rows_by_asn(paths: list[Path]) -> dict[int, dict[str, object]]:
    return {row["asn"]: row for row in load_peeringdb(paths).table.to_pylist()}


def test_net_response_gives_one_row_per_network() -> None:
    snapshot = load_peeringdb([NET])
    assert snapshot.table.schema.equals(PEERINGDB_NETWORKS)
    assert snapshot.table.num_rows == 10
    assert snapshot.as_of == dt.date(2021, 8, 24)  # meta.generated 1629845909
    assert snapshot.problems == []
    row = rows_by_asn([NET])[20940]
    assert (row["name"], row["net_id"]) == ("Akamai Technologies", 2)


def test_contacts_by_role_from_poc_objects() -> None:
    snapshot = load_peeringdb([NET, POC])
    rows = {row["asn"]: row for row in snapshot.table.to_pylist()}
    assert rows[20940]["contact_roles"] == ["Abuse", "NOC", "Policy"]  # net 2
    assert rows[31800]["contact_roles"] == ["Technical"]  # net 3: phone only still counts
    assert rows[3303]["contact_roles"] == ["Abuse"]  # net 5: abuse only
    assert rows[6079]["contact_roles"] == []  # net 7: neither email nor phone
    assert rows[7843]["contact_roles"] == []  # net 9: the poc is deleted
    assert [(p.line, "net_id 99" in p.detail) for p in snapshot.problems] == [(94, True)]


def test_poc_order_does_not_matter() -> None:
    assert load_peeringdb([POC, NET]).table.equals(load_peeringdb([NET, POC]).table)


def test_ixp_presence_from_netixlan_with_ix_names() -> None:
    rows = rows_by_asn([NET, IX, NETIXLAN])
    akamai = rows[20940]
    assert akamai["ix_count"] == len(akamai["ix_ids"]) == 38  # 40 netixlans, 38 distinct IXPs
    names = dict(zip(akamai["ix_ids"], akamai["ix_names"], strict=True))
    assert names[1] == "Equinix Ashburn"  # from the ix object
    assert names[31] == "DE-CIX Frankfurt: DE-CIX Frankfurt Peering LAN"  # netixlan name
    assert rows[4436]["ix_count"] == 0  # a net object without netixlans


def test_real_netixlan_counts_distinct_ixps() -> None:
    data = json.loads(shared_data("peeringdb/peeringdb-api_netixlan.json").read_text())["data"]
    expected = {o["asn"]: {o["ix_id"] for o in data} for o in data}
    for asn in expected:
        expected[asn] = {o["ix_id"] for o in data if o["asn"] == asn}
    rows = rows_by_asn([shared_data("peeringdb/peeringdb-api_netixlan.json"),
                        shared_data("peeringdb/peeringdb-api_ix.json")])
    assert {asn: set(row["ix_ids"]) for asn, row in rows.items()} == expected


def test_net_with_embedded_poc_set_and_netixlan_set(tmp_path: Path) -> None:
    # depth=2 net objects embed their pocs and netixlans (shape invented from the API docs).
    net = json.loads(NET.read_text())["data"][0]
    pocs = json.loads(POC.read_text())["data"][:2]
    net["poc_set"] = [{k: v for k, v in p.items() if k != "net_id"} for p in pocs]
    net["netixlan_set"] = [{"ix_id": 26, "name": "AMS-IX", "ixlan_id": 26}]
    path = tmp_path / "net-depth2.json"
    path.write_text(json.dumps({"data": [net], "meta": {}}))
    row = load_peeringdb([path]).table.to_pylist()[0]
    assert row["contact_roles"] == ["Abuse", "NOC"]
    assert (row["ix_ids"], row["ix_names"]) == ([26], ["AMS-IX"])


def test_full_dump_with_every_object_type(tmp_path: Path) -> None:
    # A dump keys each object type; built here from the real samples + the invented pocs.
    dump = {
        kind: {"data": json.loads(path.read_text())["data"]}
        for kind, path in (("net", NET), ("ix", IX), ("netixlan", NETIXLAN), ("poc", POC))
    }
    path = tmp_path / "peeringdb_2_dump_2021_09_01.json.gz"
    path.write_bytes(gzip.compress(json.dumps(dump, indent=1).encode()))
    assert detect(path) is PEERINGDB_FORMAT
    from_dump = load_peeringdb([path])
    from_api = load_peeringdb([NET, IX, NETIXLAN, POC])
    assert from_dump.table.equals(from_api.table)
    assert len(from_dump.problems) == 1  # the orphan poc again


def test_malformed_object_is_reported_with_its_line(tmp_path: Path) -> None:
    text = NET.read_text().replace('"asn": 22822', '"asn": "twenty"', 1)
    path = tmp_path / "net.json"
    path.write_text(text)
    snapshot = load_peeringdb([path])
    assert snapshot.table.num_rows == 9
    (problem,) = snapshot.problems
    line_of_object = text[: text.index('"asn": "twenty"')].rfind("\t\t{")
    assert problem.line == text.count("\n", 0, line_of_object) + 1
    assert "net object" in problem.detail


def test_broken_json_keeps_the_objects_before_the_break(tmp_path: Path) -> None:
    text = NET.read_text()
    path = tmp_path / "net.json"
    path.write_text(text[: len(text) // 2])
    snapshot = load_peeringdb([path])
    assert 0 < snapshot.table.num_rows < 10
    assert "malformed JSON" in snapshot.problems[0].detail


def test_empty_response_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "net.json"
    path.write_text('{"data": [], "meta": {}}')
    with pytest.raises(ImplausibleInputError, match="0 PeeringDB objects"):
        load_peeringdb([path])


def test_caida_ixp_dataset() -> None:
    snapshot = load_caida_ixps([CAIDA_IXS, CAIDA_ASNS])
    assert snapshot.format == "caida-ixp-jsonl"
    assert snapshot.as_of == dt.date(2019, 10, 1)
    assert snapshot.problems == []
    rows = {row["asn"]: row for row in snapshot.table.to_pylist()}
    assert rows[24206]["ix_ids"] == [903]
    assert rows[24206]["ix_names"] == ["4b42 Internet Exchange Point"]
    assert rows[24206]["contact_roles"] == []


def test_caida_real_files_load_and_count() -> None:
    ixs = shared_data("peeringdb/caida_ixs_201910.json")
    asns = shared_data("peeringdb/caida_ix-asns_201910.json")
    snapshot = load_caida_ixps([ixs, asns])
    members = {(o["asn"], o["ix_id"]) for o in map(json.loads, asns.read_text().splitlines())}
    assert snapshot.table.num_rows == len({asn for asn, _ in members})
    assert sum(snapshot.table.column("ix_count").to_pylist()) == len(members)
    assert detect(ixs) is CAIDA_IXP_FORMAT and detect(asns) is CAIDA_IXP_FORMAT


@pytest.mark.parametrize("name", ["peeringdb-api_net.json", "peeringdb-api_ix.json",
                                  "peeringdb-api_netixlan.json"])
def test_api_samples_are_detected(name: str) -> None:
    assert detect(shared_data(f"peeringdb/{name}")) is PEERINGDB_FORMAT


def test_bad_caida_lines_are_reported(tmp_path: Path) -> None:
    lines = CAIDA_ASNS.read_text().splitlines()
    lines[3] = '{"asn": 1, "ipv4": []}'  # no ix_id
    lines[5] = "{not json"
    path = tmp_path / "ix-asns_201910.jsonl"
    path.write_text("# comment line\n" + "\n".join(lines) + "\n")
    snapshot = load_caida_ixps([path])
    assert [p.line for p in snapshot.problems] == [5, 7]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_documents_never_crash(tmp_path: Path, data: st.DataObject) -> None:
    text = NET.read_text()
    start = data.draw(st.integers(0, len(text) - 1))
    junk = data.draw(st.text(alphabet='{}[]",:0123456789abc \n', max_size=20))
    path = tmp_path / "net.json"
    path.write_text(text[:start] + junk + text[start + len(junk):])
    with contextlib.suppress(ImplausibleInputError):
        load_peeringdb([path])
