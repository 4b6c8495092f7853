"""RIR delegation statistics: parsing real files, CIDR splitting, lookups, administrative bogons.

Real data: every file of shared/data/rir (five RIR series, delegated and delegated-extended)
and excerpts of them in tests/data/ref/rir (see its PROVENANCE.md). The only invented input
is one ARIN-style ASN-range line, because no sample has an ASN range.
"""

from __future__ import annotations

import bz2
import datetime as dt
import functools
import gzip
import lzma
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _data import shared_data
from routewatch.errors import ImplausibleInputError
from routewatch.prefixes import parse_prefix
from routewatch.reference.base import RefKind, Snapshot
from routewatch.reference.registry import (
    DELEGATED_FORMAT,
    Registry,
    administrative_bogons,
    ipv4_range_to_prefixes,
    load_delegations,
    m49_regions,
    sniff_delegated,
)
from routewatch.reference.sniff import detect
from routewatch.schemas import BOGON_ASNS, BOGON_PREFIXES, DELEGATIONS

HERE = Path(__file__).resolve().parent / "data" / "ref" / "rir"
LACNIC = HERE / "delegated-lacnic-extended-20230323.excerpt"
RIPE = HERE / "delegated-ripencc-20140630.excerpt"
APNIC = HERE / "delegated-apnic-201701.excerpt"

#: header end dates of the shared files (the as-of date routewatch must report)
SHARED_AS_OF = {
    "delegated-afrinic-20140630": dt.date(2014, 6, 30),
    "delegated-afrinic-extended-20210406": dt.date(2021, 4, 6),
    "delegated-afrinic-extended-20230323": dt.date(2023, 3, 23),
    "delegated-afrinic-extended-20240105": dt.date(2024, 1, 5),
    "delegated-apnic-20140630": dt.date(2014, 6, 30),
    "delegated-apnic-201701": dt.date(2016, 12, 13),
    "delegated-lacnic-20140627": dt.date(2014, 6, 27),
    "delegated-lacnic-extended-20210405": dt.date(2021, 4, 5),
    "delegated-lacnic-extended-20230323": dt.date(2023, 3, 22),
    "delegated-ripencc-20140630": dt.date(2014, 6, 30),
}


# ------------------------------------------------------------------------------------------
# real files
# ------------------------------------------------------------------------------------------


def rir(name: str) -> Path:
    """A delegated file of the shared corpus (``tests/_data.py``)."""
    return shared_data(f"rir/{name}")


@functools.cache
def shared(name: str) -> Snapshot:
    """Each shared file is loaded once per test session."""
    return load_delegations([rir(name)])


@pytest.mark.parametrize("name", sorted(SHARED_AS_OF))
def test_every_shared_file_loads_cleanly(name: str) -> None:
    snapshot = shared(name)
    assert snapshot.kind is RefKind.DELEGATIONS
    assert snapshot.format == "rir-delegated"
    assert snapshot.as_of == SHARED_AS_OF[name]
    assert snapshot.problems == []  # includes: header record count == records read
    assert snapshot.table.schema.equals(DELEGATIONS, check_metadata=True)
    assert set(pc.unique(snapshot.table.column("type")).to_pylist()) == {"asn", "ipv4", "ipv6"}


@pytest.mark.parametrize("name", sorted(SHARED_AS_OF))
def test_every_shared_file_is_detected(name: str) -> None:
    assert detect(rir(name)) is DELEGATED_FORMAT


def test_ipv4_ranges_split_into_cidrs_cover_exactly_the_addresses() -> None:
    table = shared("delegated-ripencc-20140630").table
    ipv4 = table.filter(pc.equal(table.column("afi"), 4))
    total = int(pc.sum(pc.power(2, pc.subtract(32, pc.cast(ipv4.column("prefix_len"),
                                                                  "int64")))).as_py())
    expected = 0
    with rir("delegated-ripencc-20140630").open() as stream:
        for line in stream:
            fields = line.split("|")
            if len(fields) >= 7 and fields[2] == "ipv4" and fields[1] != "*":
                expected += int(fields[4])
    assert total == expected
    assert ipv4.num_rows > 85681 - 26416 - 9333  # more rows than IPv4 records: some split


# ------------------------------------------------------------------------------------------
# excerpts: record details
# ------------------------------------------------------------------------------------------


def test_extended_records_with_and_without_opaque_id() -> None:
    table = load_delegations([LACNIC], min_records=10).table
    rows = {(r["type"], r["asn_first"] or r["prefix"]): r for r in table.to_pylist()}
    assert rows[("asn", 278)]["cc"] == "MX"
    assert rows[("asn", 278)]["opaque_id"] == "31986"
    assert rows[("asn", 278)]["date"] == dt.date(1989, 3, 31)
    reserved = rows[("ipv4", "24.152.20.0/22")]
    assert (reserved["cc"], reserved["status"], reserved["date"]) == (None, "reserved", None)
    available = rows[("ipv4", "177.39.96.0/22")]  # a 7-field line: no opaque-id at all
    assert (available["status"], available["opaque_id"]) == ("available", None)


def test_non_power_of_two_range_becomes_several_prefixes() -> None:
    table = load_delegations([RIPE], min_records=10).table
    lines = table.filter(pc.equal(table.column("line"), 11))  # 46.175.64.0 + 6144
    assert lines.column("prefix").to_pylist() == ["46.175.64.0/20", "46.175.80.0/21"]
    assert set(lines.column("cc").to_pylist()) == {"UA"}


def test_apnic_preamble_and_empty_country() -> None:
    snapshot = load_delegations([APNIC], min_records=10)
    assert snapshot.as_of == dt.date(2016, 12, 13)
    table = snapshot.table
    empty_cc = table.filter(pc.equal(table.column("prefix"), "2401:4600::/32"))
    assert empty_cc.column("cc").to_pylist() == [None]


def test_header_count_mismatch_is_reported_on_the_header_line() -> None:
    snapshot = load_delegations([LACNIC], min_records=10)
    assert len(snapshot.problems) == 1
    problem = snapshot.problems[0]
    assert (problem.file, problem.line) == (str(LACNIC), 1)
    assert "86237" in problem.detail


def test_malformed_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    lines = RIPE.read_text().splitlines()
    bad = [
        "ripencc|FR|ipv4|2.0.0.0|1048576|20100712",  # too few fields
        "ripencc|FR|ipv5|2.0.0.0|256|20100712|allocated",  # unknown type
        "ripencc|FR|ipv4|2.0.0.0|256|20100712|stolen",  # unknown status
        "ripencc|FR|ipv4|300.0.0.0|256|20100712|allocated",  # bad address
        "ripencc|FR|asn|12x|1|20100712|allocated",  # bad number
        "ripencc|FR|ipv4|2.0.0.0|256|2010-07-12|allocated",  # bad date
        "example|FR|asn|1|1|20100712|allocated",  # unknown registry
    ]
    path = tmp_path / "delegated-ripencc-broken"
    path.write_text("\n".join(lines[:20] + bad + lines[20:]) + "\n")
    snapshot = load_delegations([path], min_records=10)
    record_problems = [p for p in snapshot.problems if p.line > 1]
    assert [p.line for p in record_problems] == list(range(21, 21 + len(bad)))
    good = load_delegations([RIPE], min_records=10).table
    assert snapshot.table.num_rows == good.num_rows


def test_empty_and_tiny_inputs_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "delegated-arin-extended-latest"
    empty.write_text("")
    with pytest.raises(ImplausibleInputError, match="0 delegation records"):
        load_delegations([empty])
    with pytest.raises(ImplausibleInputError, match="123 delegation records, fewer than the 200"):
        load_delegations([LACNIC], min_records=200)
    assert load_delegations([LACNIC]).table.num_rows > 0  # default threshold 100


@pytest.mark.parametrize(
    "compress",
    [gzip.compress, bz2.compress, lzma.compress, zstandard.ZstdCompressor().compress],
    ids=["gzip", "bzip2", "xz", "zstd"],
)
def test_compressed_files_read_transparently(tmp_path: Path, compress: object) -> None:
    assert callable(compress)
    packed = tmp_path / "delegated.cache"
    packed.write_bytes(compress(LACNIC.read_bytes()))
    assert detect(packed) is DELEGATED_FORMAT
    assert load_delegations([packed], min_records=10).table.equals(
        load_delegations([LACNIC], min_records=10).table
    )


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress],
                         ids=["gzip", "bzip2", "xz"])
def test_cut_off_compressed_file_keeps_what_was_read(tmp_path: Path, compress: object) -> None:
    assert callable(compress)
    packed = compress(rir("delegated-lacnic-extended-20230323").read_bytes())
    path = tmp_path / "delegated-lacnic-latest.cut"
    path.write_bytes(packed[: len(packed) // 2])
    assert detect(path) is DELEGATED_FORMAT  # the head still decompresses
    snapshot = load_delegations([path])
    assert 1000 < snapshot.table.num_rows < 86237
    assert any("cut off or corrupt" in p.detail for p in snapshot.problems)
    assert any("header announces 86237 records" in p.detail for p in snapshot.problems)


def test_sniffer_rejects_other_pipe_formats() -> None:
    assert sniff_delegated(LACNIC.read_bytes()[:4096], "x")
    assert not sniff_delegated(b"1|2|-1|bgp\n3|4|0|mlp\n", "as-rel2.txt")
    assert not sniff_delegated(b"ASN,Holder,Country\n", "x.csv")


def test_ipv4_range_to_prefixes_examples() -> None:
    assert ipv4_range_to_prefixes(0, 1 << 32) == [(0, 0)]
    assert ipv4_range_to_prefixes(0x0A000000, 768) == [(0x0A000000, 23), (0x0A000200, 24)]
    assert ipv4_range_to_prefixes(0x0A000100, 768) == [(0x0A000100, 24), (0x0A000200, 23)]


@given(st.integers(0, (1 << 32) - 1), st.integers(1, 1 << 24))
def test_ipv4_range_to_prefixes_covers_exactly(start: int, count: int) -> None:
    count = min(count, (1 << 32) - start)
    prefixes = ipv4_range_to_prefixes(start, count)
    cursor = start
    for network, length in prefixes:
        size = 1 << (32 - length)
        assert network == cursor and network % size == 0
        cursor += size
    assert cursor == start + count
    assert len(prefixes) <= 64


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_real_lines_never_crash(tmp_path: Path, data: st.DataObject) -> None:
    lines = LACNIC.read_text().splitlines()
    index = data.draw(st.integers(1, len(lines) - 1))
    junk = data.draw(st.text(alphabet="0123456789|.:/abcdefxyzAZ -", max_size=40))
    cut = data.draw(st.integers(0, len(lines[index])))
    lines[index] = lines[index][:cut] + junk
    path = tmp_path / "mutated"
    path.write_text("\n".join(lines) + "\n")
    snapshot = load_delegations([path], min_records=1)
    assert snapshot.table.num_rows > 0


# ------------------------------------------------------------------------------------------
# lookups
# ------------------------------------------------------------------------------------------


def test_economy_of_is_vectorised_and_marks_unknowns() -> None:
    registry = Registry.build(load_delegations([LACNIC, RIPE, APNIC], min_records=10))
    result = registry.economy_of(np.array([278, 676, 173, 6064, 4294967295], dtype=np.uint32))
    assert result.cc.tolist() == ["MX", "AR", "JP", "", ""]
    assert result.rir.tolist() == ["lacnic", "lacnic", "apnic", "lacnic", ""]
    assert result.status.tolist() == ["allocated", "allocated", "allocated", "available", ""]


def test_assigned_asns_are_allocated_or_assigned_only() -> None:
    snapshot = load_delegations([LACNIC], min_records=10)
    assigned = Registry.build(snapshot).assigned_asns()
    assert 278 in assigned and 6064 not in assigned and 6065 not in assigned
    assert assigned.dtype == np.uint32 and np.all(np.diff(assigned.astype(np.int64)) > 0)


def test_asn_ranges_expand_and_look_up(tmp_path: Path) -> None:
    # Invented ARIN-style range line (no sample holds an ASN range): 16 ASNs from 64496.
    path = tmp_path / "delegated-arin-invented"
    path.write_text(RIPE.read_text() + "arin|US|asn|64496|16|20200101|assigned|invented\n")
    registry = Registry.build(load_delegations([path], min_records=10))
    assert set(range(64496, 64512)) <= set(registry.assigned_asns().tolist())
    lookup = registry.economy_of([64495, 64496, 64511, 64512])
    assert lookup.cc.tolist() == ["", "US", "US", ""]


def test_region_and_rir_of_economies() -> None:
    registry = Registry.build(load_delegations([LACNIC, RIPE], min_records=10))
    brazil = registry.region_of("BR")
    assert brazil is not None
    assert (brazil.region, brazil.sub_region, brazil.intermediate_region) == (
        "Americas", "Latin America and the Caribbean", "South America")
    assert registry.region_of("EU") is None and registry.region_of("ZZ") is None
    assert registry.rir_of("BR") == "lacnic" and registry.rir_of("FR") == "ripencc"
    assert registry.rir_of("JP") is None
    region, sub_region = registry.regions_of(np.array(["BR", "FR", "EU", "BR", ""]))
    assert region.tolist() == ["Americas", "Europe", "", "Americas", ""]
    assert sub_region.tolist()[:2] == ["Latin America and the Caribbean", "Western Europe"]


def test_status_of_prefixes() -> None:
    registry = Registry.build(load_delegations([LACNIC], min_records=10))
    texts = ["24.152.20.0/24", "24.152.20.0/22", "24.152.0.0/24", "24.152.0.0/16",
             "8.8.8.0/24"]
    prefixes = [parse_prefix(t) for t in texts]
    status = registry.status_of_prefixes(
        np.array([p.afi for p in prefixes], dtype=np.uint8),
        np.array([p.hi for p in prefixes], dtype=np.uint64),
        np.array([p.length for p in prefixes], dtype=np.uint8),
    )
    assert status.tolist() == ["reserved", "reserved", "allocated", "", ""]


def test_m49_covers_every_economy_in_the_shared_files() -> None:
    regions = m49_regions()
    assert len(regions) == 249
    codes = {cc for name in SHARED_AS_OF for cc in pc.unique(shared(name).table.column("cc"))
             .to_pylist()} - {None}
    assert codes - set(regions) == {"EU", "AP"}  # RIR pseudo-codes, not economies


def test_m49_rows_are_complete() -> None:
    for code, region in m49_regions().items():
        assert len(code) == 2 and region.m49.isdigit() and len(region.m49) == 3
        assert code == "AQ" or (region.region and region.sub_region)


# ------------------------------------------------------------------------------------------
# administrative bogons
# ------------------------------------------------------------------------------------------


def test_administrative_bogons_are_available_and_reserved_space() -> None:
    snapshot = load_delegations([LACNIC], min_records=10)
    prefixes, asns = administrative_bogons(snapshot)
    assert prefixes.schema.equals(BOGON_PREFIXES)
    assert asns.schema.equals(BOGON_ASNS)
    assert set(prefixes.column("category").to_pylist()) == {"administrative"}
    assert "24.152.20.0/22" in prefixes.column("prefix").to_pylist()
    assert set(prefixes.column("reason").to_pylist()) == {"lacnic reserved", "lacnic available"}
    assert set(prefixes.column("source").to_pylist()) == {"rir-delegated:lacnic"}
    table = snapshot.table
    free = pc.is_in(table.column("status"), pa.array(["available", "reserved"]))
    free_asns = table.filter(pc.and_(free, pc.equal(table.column("type"), "asn")))
    assert asns.num_rows == free_asns.num_rows == 10
    assert 6065 in asns.column("asn_first").to_pylist()
