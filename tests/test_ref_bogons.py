"""Bogons: the packaged IANA registries against ROUTING-REFERENCE.md's lists, the real IANA
address-space and Team Cymru samples, ASN ranges, and the longest-match lookups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routewatch.errors import ImplausibleInputError
from routewatch.prefixes import covers, format_prefix, parse_prefix
from routewatch.reference.base import RefKind
from routewatch.reference.bogons import (
    BogonIndex,
    iana_bogon_asns,
    iana_bogon_prefixes,
    load_cymru_fullbogons,
    load_iana_address_space,
    load_iana_as_numbers,
    load_iana_special_registry,
)
from routewatch.reference.sniff import detect
from routewatch.schemas import BOGON_ASNS, BOGON_PREFIXES

DATA = Path(__file__).parent / "data" / "ref" / "bogons"
CYMRU4_HEAD = DATA / "team-cymru_fullbogons-ipv4_20240310_head80.txt"
CYMRU4_TAIL = DATA / "team-cymru_fullbogons-ipv4_20240310_tail20.txt"
CYMRU6_HEAD = DATA / "team-cymru_fullbogons-ipv6_20240310_head80.txt"
CYMRU6_2022 = DATA / "team-cymru_fullbogons-ipv6_20220316_head12.txt"
IANA4 = DATA / "iana_ipv4-address-space_2020.csv"
IANA6 = DATA / "iana_ipv6-unicast-address-assignments_2020.csv"


@pytest.fixture(scope="module")
def iana() -> BogonIndex:
    return BogonIndex.build(iana_bogon_prefixes().table, iana_bogon_asns().table)


def categorise(index: BogonIndex, prefixes: list[str]) -> list[str]:
    parsed = [parse_prefix(p) for p in prefixes]
    codes, rows = index.prefix_category(
        np.array([p.afi for p in parsed], dtype=np.uint8),
        np.array([p.hi for p in parsed], dtype=np.uint64),
        np.array([p.lo for p in parsed], dtype=np.uint64),
        np.array([p.length for p in parsed], dtype=np.uint8),
    )
    assert all((c == 0) == (r == -1) for c, r in zip(codes, rows, strict=True))
    return [("none", "full", "administrative")[c] for c in codes]


# ROUTING-REFERENCE.md "Bogons", copied list by list.
REFERENCE_V4 = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "224.0.0.0/4",
]
REFERENCE_V6 = [
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "3fff::/20",
    "fc00::/7",
    "fe80::/10",
    "4000::/2",
    "8000::/1",
    "::/3",
]
NOT_BOGONS = [
    "192.31.196.0/24",
    "192.175.48.0/24",
    "192.52.193.0/24",
    "64:ff9b::/96",
    "2620:4f:8000::/48",
    "2001:4:112::/48",
    "8.8.8.0/24",
    "1.1.1.0/24",
    "2a00:1450::/32",
    "2001:4860::/32",
    "2002::/16",
]


def test_reference_lists_are_full_bogons(iana: BogonIndex) -> None:
    assert categorise(iana, REFERENCE_V4 + REFERENCE_V6) == ["full"] * 29


def test_globally_reachable_exceptions_are_not_bogons(iana: BogonIndex) -> None:
    assert categorise(iana, NOT_BOGONS) == ["none"] * len(NOT_BOGONS)


@pytest.mark.parametrize(
    ("prefix", "category", "rule"),
    [
        ("10.1.2.0/24", "full", "inside a private-use block"),
        ("192.0.0.9/32", "none", "PCP anycast is globally reachable inside 192.0.0.0/24"),
        ("192.0.0.8/32", "full", "dummy address: not reachable"),
        ("192.31.196.128/25", "none", "more specific of AS112 stays exempt"),
        ("2001::/32", "full", "TEREDO's N/A flag: 2001::/23 decides"),
        ("2001:20::/28", "none", "ORCHIDv2 is globally reachable"),
        ("2001:10::/28", "full", "ORCHID (v1) was terminated"),
        ("64:ff9b:1::/64", "full", "local-use NAT64 prefix"),
        ("0.0.0.0/0", "none", "the default route contains bogons but is not inside one"),
        ("2000::/16", "full", "inside 2000::/3 but never allocated by IANA (2020 registry)"),
        ("2d00::/8", "full", "IANA RESERVED"),
        ("2c0f:f000::/20", "none", "AFRINIC space"),
    ],
)
def test_packaged_iana_set(iana: BogonIndex, prefix: str, category: str, rule: str) -> None:
    assert categorise(iana, [prefix]) == [category], rule


def test_rows_carry_reason_and_source() -> None:
    snap = iana_bogon_prefixes()
    assert snap.table.schema.equals(BOGON_PREFIXES)
    rows = snap.table.to_pylist()
    assert all(r["reason"] and r["source"] for r in rows)
    as112 = next(r for r in rows if r["prefix"] == "192.175.48.0/24")
    assert as112["category"] == "exempt" and "RFC7534" in as112["reason"]
    assert snap.as_of == dt.date(2024, 7, 1)  # newest allocation in the packaged registries


def test_real_address_space_samples() -> None:
    snap = load_iana_address_space([IANA4, IANA6])
    table = {r["prefix"]: r for r in snap.table.to_pylist()}
    # adjacent /8s of one designation are merged: 240/8..255/8 -> 240.0.0.0/4
    assert table["240.0.0.0/4"]["reason"] == "IANA RESERVED: Future use"
    assert table["224.0.0.0/4"]["reason"] == "IANA RESERVED: Multicast"
    assert table["0.0.0.0/8"]["reason"] == "IANA RESERVED: IANA - Local Identification"
    assert table["127.0.0.0/8"]["category"] == "full"
    assert "3ffe::/16" in table and "2d00::/8" in table
    assert "8000::/1" in table and "4000::/2" in table
    assert not any(r.startswith("2a00:") for r in table)  # RIPE NCC's /12
    assert snap.problems == []


def test_cymru_full_vs_administrative() -> None:
    snap = load_cymru_fullbogons([CYMRU4_HEAD, CYMRU4_TAIL, CYMRU6_HEAD])
    assert snap.kind is RefKind.BOGON_PREFIXES and snap.format == "team-cymru-fullbogons"
    assert snap.as_of == dt.date(2024, 3, 10)  # "# last updated 1710089701"
    table = {r["prefix"]: r for r in snap.table.to_pylist() if r["category"] != "exempt"}
    assert table["10.0.0.0/8"]["category"] == "full"
    assert table["23.135.225.0/24"]["category"] == "administrative"  # RIR-held, unassigned
    # 224.0.0.0/4 spans sixteen IANA /8 rows: still inside IANA's full set
    assert table["224.0.0.0/4"]["category"] == "full"
    assert table["::/10"]["category"] == "full"  # outside 2000::/3
    assert all("Team Cymru" in r["source"] for r in table.values())


def test_cymru_2022_list_keeps_nat64_reachable() -> None:
    """In 2022 Cymru listed ::/8, which contains 64:ff9b::/96; the appended IANA exempt row
    keeps the well-known NAT64 prefix unflagged."""
    snap = load_cymru_fullbogons([CYMRU6_2022], min_rows=5)
    index = BogonIndex.build(snap.table)
    assert categorise(index, ["::/8", "64:ff9b::/96", "64:ff9b::c000:200/120"]) == [
        "full",
        "none",
        "none",
    ]


def test_tiny_cymru_input_is_refused() -> None:
    with pytest.raises(ImplausibleInputError, match="fullbogon prefixes"):
        load_cymru_fullbogons([CYMRU6_2022])


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (CYMRU4_HEAD, "team-cymru-fullbogons"),
        (CYMRU4_TAIL, "team-cymru-fullbogons"),  # no header: prefixes + "bogon" in the name
        (IANA4, "iana-address-space-csv"),
        (IANA6, "iana-address-space-csv"),
    ],
)
def test_formats_are_sniffed(path: Path, name: str) -> None:
    assert detect(path).name == name


def test_packaged_registries_are_sniffed() -> None:
    from importlib import resources

    base = resources.files("routewatch.reference.data")
    for name, fmt in (
        ("iana-ipv4-special-registry-1.csv", "iana-special-registry-csv"),
        ("iana-ipv6-special-registry-1.csv", "iana-special-registry-csv"),
        ("as-numbers-2.csv", "iana-as-numbers-csv"),
    ):
        assert detect(Path(str(base.joinpath(name)))).name == fmt


# --- ASNs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asn", "category"),
    [
        (0, "full"),
        (1, "none"),
        (112, "none"),  # AS112 is special-purpose but routed
        (23456, "full"),
        (64495, "none"),
        (64496, "full"),
        (64511, "full"),
        (64512, "full"),
        (65534, "full"),
        (65535, "full"),
        (65536, "full"),
        (65551, "full"),
        (65552, "full"),
        (131071, "full"),
        (131072, "none"),
        (400000, "none"),
        (404381, "full"),  # IANA unallocated (2026-09)
        (4199999999, "full"),
        (4200000000, "full"),
        (4294967294, "full"),
        (4294967295, "full"),
    ],
)
def test_asn_categories(iana: BogonIndex, asn: int, category: str) -> None:
    codes, rows = iana.asn_category(np.array([asn], dtype=np.uint32))
    assert ("none", "full", "administrative")[codes[0]] == category
    if category == "full":
        assert iana.asns.slice(int(rows[0]), 1).to_pylist()[0]["reason"]


def test_iana_as_numbers_format(tmp_path: Path) -> None:
    path = tmp_path / "as-numbers-2.csv"
    path.write_text(
        "Number,Description,WHOIS,RDAP,Reference,Registration Date\n"
        "0-65535,See Sub-registry 16-bit AS numbers,,,[RFC1930],\n"
        "65536-65551,Reserved for use in documentation and sample code,,,[RFC5398],2008-12\n"
        "131072-132095,Assigned by APNIC,whois.apnic.net,https://rdap.apnic.net/,,2007-01-01\n"
        "132096-x,Assigned by ARIN,,,,\n"
        "399261-4199999999,Unallocated,,,,\n"
        "4294967295,Reserved,,,[RFC7300],\n"
    )
    snap = load_iana_as_numbers([path])
    assert snap.table.schema.equals(BOGON_ASNS)
    assert [(r["asn_first"], r["asn_last"]) for r in snap.table.to_pylist()] == [
        (65536, 65551),
        (399261, 4199999999),
        (4294967295, 4294967295),
    ]
    assert [p.line for p in snap.problems] == [5]


def test_administrative_asn_rows_lose_to_full() -> None:
    asns = pa.table(
        {
            "asn_first": pa.array([64500, 64496], pa.uint32()),
            "asn_last": pa.array([64600, 64511], pa.uint32()),
            "category": ["administrative", "full"],
            "reason": ["RIR reserved", "documentation"],
            "source": ["test", "test"],
        },
        schema=BOGON_ASNS,
    )
    index = BogonIndex.build(iana_bogon_prefixes().table, asns)
    codes, rows = index.asn_category(np.array([64505, 64550, 64601], dtype=np.uint32))
    assert codes.tolist() == [1, 2, 0] and rows.tolist() == [1, 0, -1]


def test_special_registry_loader_needs_its_header(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Prefix,Designation\n10.0.0.0/8,x\n")
    with pytest.raises(ImplausibleInputError):
        load_iana_special_registry([path])


# --- property: longest match equals a brute-force scan ------------------------------------------


def _brute(rows: list[dict[str, object]], prefix: str) -> str:
    query = parse_prefix(prefix)
    inside = [r for r in rows if covers(parse_prefix(str(r["prefix"])), query)]
    if not inside:
        return "none"
    longest = max(int(str(r["prefix_len"])) for r in inside)
    best = [r for r in inside if r["prefix_len"] == longest]
    order = {"exempt": 0, "full": 1, "administrative": 2}
    category = min((str(r["category"]) for r in best), key=order.__getitem__)
    return "none" if category == "exempt" else category


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 255),
            st.integers(0, 16),
            st.sampled_from(["full", "administrative", "exempt"]),
        ),
        min_size=1,
        max_size=20,
    ),
    st.lists(st.tuples(st.integers(0, 255), st.integers(0, 24)), min_size=1, max_size=20),
)
def test_longest_match_property(
    entries: list[tuple[int, int, str]], queries: list[tuple[int, int]]
) -> None:
    def text(bits: int, length: int) -> str:
        value = (0x0A000000 | (bits << 16)) << 32  # 10.<bits>.0.0 area
        p = parse_prefix(format_prefix(4, value, 0, 8 + length))
        return format_prefix(*p)

    rows = [
        {"prefix": text(b, n), "category": c, "reason": "r", "source": "s"} for b, n, c in entries
    ]
    for row in rows:
        p = parse_prefix(str(row["prefix"]))
        row |= {"afi": p.afi, "prefix_hi": p.hi, "prefix_lo": p.lo, "prefix_len": p.length}
    table = pa.Table.from_pylist(rows, schema=BOGON_PREFIXES)
    index = BogonIndex.build(table)
    asked = [text(b, n) for b, n in queries]
    assert categorise(index, asked) == [_brute(rows, q) for q in asked]


def test_empty_prefix_table_matches_nothing() -> None:
    """An index over no bogon prefixes (e.g. ASN-only checks) answers 'none', not a crash."""
    import numpy as np

    from routewatch import schemas
    from routewatch.reference.bogons import BogonIndex

    index = BogonIndex.build(schemas.BOGON_PREFIXES.empty_table(), schemas.BOGON_ASNS.empty_table())
    codes, rows = index.prefix_category(
        np.array([4], np.uint8), np.array([10 << 56], np.uint64), np.array([0], np.uint64),
        np.array([8], np.uint8),
    )
    assert codes.tolist() == [0] and rows.tolist() == [-1]


def test_special_registry_allocation_date_with_no_such_month(tmp_path: Path) -> None:
    """Fuzz case iana-special-registry-csv:242 (the transcribed registry with ``2015-03``
    mutated to ``2015-00``) raised ValueError: now the date is a problem on its line, every
    row loads and the registry's date comes from the other rows."""
    real = DATA / "iana-ipv4-special-registry-1_transcribed.csv"
    lines = real.read_text().splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("192.0.0.8/32,"))
    lines[at] = lines[at].replace(",2015-03,", ",2015-00,")
    newest = next(n for n, line in enumerate(lines) if ",2017-02," in line)
    lines[newest] = lines[newest].replace(",2017-02,", ",2017-13,")
    path = tmp_path / real.name
    path.write_text("\n".join(lines) + "\n")
    snap = load_iana_special_registry([path])
    assert snap.table.to_pylist() == load_iana_special_registry([real]).table.to_pylist()
    assert [(p.line, p.detail.split(";")[0]) for p in snap.problems] == [
        (at + 1, "allocation date 2015-00 is not a month"),
        (newest + 1, "allocation date 2017-13 is not a month"),
    ]
    assert snap.as_of is not None and snap.as_of < dt.date(2017, 2, 1)


@pytest.mark.parametrize(
    "stamp",
    [
        "1710084294967296701",  # fuzz case team-cymru-fullbogons:374 (was OSError, EOVERFLOW)
        "1710099999999999999999999999999701",  # fuzz case 545 (was OverflowError)
    ],
)
def test_cymru_last_updated_that_is_no_time(tmp_path: Path, stamp: str) -> None:
    """The real 2024-03-10 list with its ``# last updated`` epoch mutated as the fuzz cases
    did: a problem on line 1, every prefix loaded, the date taken from the file name."""
    path = tmp_path / CYMRU4_HEAD.name
    path.write_text(CYMRU4_HEAD.read_text().replace("1710089701", stamp, 1))
    snap = load_cymru_fullbogons([path])
    assert snap.table.to_pylist() == load_cymru_fullbogons([CYMRU4_HEAD]).table.to_pylist()
    assert [(p.line, p.detail.split(" is ")[0]) for p in snap.problems] == [
        (1, f"'# last updated {stamp}'")
    ]
    assert snap.as_of == dt.date(2024, 3, 10)
