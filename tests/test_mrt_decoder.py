"""Unit tests of the MRT reader on small real files (tests/data/mrt, see its PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from routewatch.ingest.mrt import collector_from_name, read_elems
from routewatch.ingest.mrt.bgpdump import bgpdump_lines, community_text, ipv6_text
from routewatch.ingest.report import IngestReport
from routewatch.prefixes import parse_prefix
from routewatch.schemas import ELEMS

DATA = Path(__file__).parent / "data" / "mrt"
RRC06 = DATA / "ris-rrc06_updates.20150401.0000.gz"


def _table(path: Path, **kwargs: object) -> pa.Table:
    batches = list(read_elems(path, **kwargs))  # type: ignore[arg-type]
    return pa.Table.from_batches(batches, schema=ELEMS)


@pytest.mark.parametrize(
    ("name", "collector"),
    [
        ("ris-rrc21_updates.20160811.1600.gz", "rrc21"),
        ("route-views2_rib.20140523.0600_firstMB.bz2", "route-views2"),
        ("route-views.wide_updates.20161101.0000.bz2", "route-views.wide"),
        ("ris.rrc04.updates.1609476900.300.cache", "rrc04"),
        ("updates.20240914.2230.bz2", None),
        ("quagga_rib", None),
    ],
)
def test_collector_from_name(name: str, collector: str | None) -> None:
    assert collector_from_name(Path("/x") / name) == collector


def test_schema_and_first_announcement() -> None:
    table = _table(RRC06)
    assert table.schema.equals(ELEMS)
    first = table.slice(0, 1).to_pylist()[0]
    assert first["elem_type"] == "A"
    assert first["record_type"] == "BGP4MP"
    assert first["collector"] == "rrc06"
    assert first["peer_ip"] == "202.249.2.185"
    assert first["peer_asn"] == 25152
    assert first["prefix"] == "192.108.199.0/24"
    prefix = parse_prefix("192.108.199.0/24")
    assert (first["afi"], first["prefix_hi"], first["prefix_lo"], first["prefix_len"]) == (
        prefix.afi,
        prefix.hi,
        prefix.lo,
        prefix.length,
    )
    assert first["as_path"] == "25152 2914 1880"
    assert first["path_asns"] == [25152, 2914, 1880]
    assert first["origin_asns"] == [1880]
    assert first["origin_asn"] == 1880
    assert first["as_set"] is False
    assert first["origin"] == "IGP"
    assert first["next_hop"] == "202.249.2.185"
    assert first["local_pref"] is None and first["med"] is None
    assert community_text(first["communities"]) == "2914:420 2914:1214 2914:2213 2914:3200"
    assert first["path_id"] is None and first["old_state"] is None
    assert first["timestamp"].timestamp() == 1427846404


def test_withdrawals_states_and_ipv6() -> None:
    rows = _table(RRC06).to_pylist()
    states = [r for r in rows if r["elem_type"] == "S"]
    assert (states[0]["peer_ip"], states[0]["old_state"], states[0]["new_state"]) == (
        "202.249.2.146",
        3,
        2,
    )
    assert states[0]["prefix"] is None and states[0]["as_path"] is None
    withdrawn = [r for r in rows if r["elem_type"] == "W"]
    assert withdrawn[0]["prefix"] == "2620:110:9004::/48"
    assert withdrawn[0]["afi"] == 6 and withdrawn[0]["as_path"] is None
    v6 = [r for r in rows if r["elem_type"] == "A" and r["afi"] == 6]
    assert v6[0]["next_hop"] == "2001:200:0:fe00::9c1:0"


def test_report_counts_records_elems_and_bytes() -> None:
    report = IngestReport()
    n = sum(b.num_rows for b in read_elems(RRC06, report=report))
    assert report.files == [str(RRC06)]
    assert report.records["BGP4MP/MESSAGE_AS4"] == 791
    assert report.records["BGP4MP/STATE_CHANGE_AS4"] == 4
    assert sum(report.elems.values()) == n
    assert report.bytes_read > 0
    assert not report.partial


def test_small_batches_give_the_same_rows() -> None:
    big = _table(RRC06)
    batches = list(read_elems(RRC06, batch_size=100))
    assert max(b.num_rows for b in batches) <= 100
    assert pa.Table.from_batches(batches, schema=ELEMS).to_pylist() == big.to_pylist()


def test_collector_argument_wins() -> None:
    table = _table(RRC06, collector="rrc99")
    assert set(table.column("collector").to_pylist()) == {"rrc99"}
    assert set(_table(DATA / "quagga_rib").column("collector").to_pylist()) == {None}


def test_add_path_rib_and_extended_timestamps() -> None:
    rows = _table(DATA / "bview.ipv4_unicast_add_path.gz").to_pylist()
    assert rows[0]["record_type"] == "TABLE_DUMP2_AP"
    assert rows[0]["elem_type"] == "R"
    assert (rows[0]["prefix"], rows[0]["path_id"]) == ("10.0.10.0/24", 36)
    assert rows[0]["local_pref"] == 100
    et = _table(DATA / "updates.20240914.2230_peer-AS140684.bz2").slice(0, 1).to_pylist()[0]
    assert et["record_type"] == "BGP4MP_ET"
    assert et["timestamp"].timestamp() == pytest.approx(1726353018.908490)
    assert bgpdump_lines(next(read_elems(DATA / "updates.20240914.2230_peer-AS140684.bz2")))[
        0
    ].startswith("BGP4MP_ET|1726353018.908490|A|103.151.196.1|140684|103.188.233.0/24|")


def test_table_dump_v1_aggregator_and_record_offsets() -> None:
    rows = _table(DATA / "openbgpd_rib_table").to_pylist()
    assert {r["record_type"] for r in rows} == {"TABLE_DUMP"}
    aggregated = [r for r in rows if r["aggr_asn"] is not None]
    assert (aggregated[0]["aggr_asn"], aggregated[0]["aggr_ip"]) == (65000, "192.168.0.15")
    offsets = [r["record_offset"] for r in rows]
    assert offsets == sorted(offsets) and offsets[0] == 0


def test_bgpdump_ipv6_text() -> None:
    assert ipv6_text("2001:7f8:30:0:2:1:0:8447") == "2001:7f8:30::2:1:0:8447"
    assert ipv6_text("fe80::") == "fe80::"
    assert ipv6_text("::ffff:192.168.2.1") == "::ffff:192.168.2.1"
    assert ipv6_text("::192.168.1.2") == "::192.168.1.2"
    assert ipv6_text("2001:db8::1") == "2001:db8::1"
    assert ipv6_text("::1") == "::1"
    assert community_text([0xFFFFFF01, 0xFFFFFF02, 0xFFFFFF03, 0xFFFFFF04]) == (
        "no-export no-advertise local-AS 65535:65284"
    )
