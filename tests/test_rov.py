"""RFC 6811 origin validation: real VRPs, documented edge cases, evidence, and a property test
against a brute-force validator that checks every VRP against every route."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routewatch.prefixes import format_prefix, parse_prefix
from routewatch.reference.rov import (
    REASON_CODES,
    STATE_CODES,
    RovReason,
    RovState,
    VrpIndex,
)
from routewatch.reference.rpki import load_rcynic_scan_roas, load_ripe_archive_csv
from routewatch.schemas import VRPS

DATA = Path(__file__).parent / "data" / "ref" / "rpki"


def vrps(*rows: tuple[str, int, int]) -> pa.Table:
    """A VRPS table from (prefix, maxLength, ASN) rows."""
    parsed = [parse_prefix(p) for p, _, _ in rows]
    return pa.table(
        {
            "prefix": [format_prefix(*p) for p in parsed],
            "afi": pa.array([p.afi for p in parsed], pa.uint8()),
            "prefix_hi": pa.array([p.hi for p in parsed], pa.uint64()),
            "prefix_lo": pa.array([p.lo for p in parsed], pa.uint64()),
            "prefix_len": pa.array([p.length for p in parsed], pa.uint8()),
            "max_length": pa.array([m for _, m, _ in rows], pa.uint8()),
            "asn": pa.array([a for _, _, a in rows], pa.uint32()),
            "ta": pa.nulls(len(rows), pa.string()),
            "expires": pa.nulls(len(rows), pa.timestamp("s", tz="UTC")),
        },
        schema=VRPS,
    )


def check(index: VrpIndex, routes: list[tuple[str, int | None]]) -> list[tuple[str, str]]:
    """(state, reason) of (prefix, origin) routes; origin None = AS_SET / no origin."""
    parsed = [parse_prefix(p) for p, _ in routes]
    result = index.validate(
        np.array([p.afi for p in parsed], dtype=np.uint8),
        np.array([p.hi for p in parsed], dtype=np.uint64),
        np.array([p.lo for p in parsed], dtype=np.uint64),
        np.array([p.length for p in parsed], dtype=np.uint8),
        np.array([o or 0 for _, o in routes], dtype=np.uint32),
        np.array([o is not None for _, o in routes]),
    )
    return [(result.state_of(i).value, result.reason_of(i).value) for i in range(len(routes))]


# --- real VRPs -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def afrinic() -> VrpIndex:
    """79 real VRPs of the RIPE NCC archive, AFRINIC TA, 2022-01-02 (see PROVENANCE.md)."""
    path = DATA / "ripe-archive_afrinic-tal_roas_20220102_excerpt.csv"
    return VrpIndex.build(load_ripe_archive_csv([path], min_rows=1).table)


@pytest.mark.parametrize(
    ("route", "origin", "expected"),
    [
        # AS37119 holds 105.168.0.0/13 (maxLength 13), 105.168.0.0/14 (14), 105.172.0.0/14
        # (14) and the /16s 105.168, .169, .172, .173 and .175 (16).
        ("105.168.0.0/14", 37119, ("valid", "none")),
        ("105.168.0.0/13", 37119, ("valid", "none")),
        ("105.168.0.0/16", 37119, ("valid", "none")),
        # 105.170.0.0/16 has no /16 VRP: the AS matches the /13 and /14, both too short.
        ("105.170.0.0/16", 37119, ("invalid", "length")),
        # another AS for the exact /14: a VRP allows the length but names AS37119.
        ("105.168.0.0/14", 64496, ("invalid", "as")),
        # another AS and too long for every covering VRP: both wrong.
        ("105.170.0.0/16", 64496, ("invalid", "as-length")),
        # 105.176.0.0/16 is outside 105.168.0.0/13: nothing covers it.
        ("105.176.0.0/16", 37119, ("not-found", "none")),
        # the AS0 ROA for 2001:43f8::/48 (maxLength 128) invalidates any origin ...
        ("2001:43f8::/48", 37062, ("invalid", "as")),
        ("2001:43f8::/64", 327844, ("invalid", "as")),
        # ... but only inside its prefix: 2001:43f8:1::/48 has its own ROA for AS327844.
        ("2001:43f8:1::/48", 327844, ("valid", "none")),
        # AS37062's 2001:43f8:400::/40 with maxLength 128: any more specific is valid.
        ("2001:43f8:400::/128", 37062, ("valid", "none")),
        # a path ending in an AS_SET has no origin: covered -> invalid.
        ("105.168.0.0/14", None, ("invalid", "as")),
    ],
)
def test_real_afrinic_vrps(
    afrinic: VrpIndex, route: str, origin: int | None, expected: tuple[str, str]
) -> None:
    assert check(afrinic, [(route, origin)]) == [expected]


def test_real_rcynic_vrps() -> None:
    """Line 2 of the 2017-05-11 rcynic snapshot: AS52488 200.3.144.0/23-24 2801:190::/40-44."""
    path = DATA / "rcynic-scan_roas_2017-05-11T142755Z_head40.txt"
    index = VrpIndex.build(load_rcynic_scan_roas([path], min_rows=1).table)
    assert check(
        index,
        [
            ("200.3.145.0/24", 52488),  # inside the /23, at its maxLength
            ("200.3.145.0/25", 52488),  # one bit too long
            ("2801:190:f0::/44", 52488),  # IPv6 at maxLength 44
            ("2801:190::/48", 52488),  # longer than 44
            ("2801:190::/40", 64496),  # another AS
        ],
    ) == [
        ("valid", "none"),
        ("invalid", "length"),
        ("valid", "none"),
        ("invalid", "length"),
        ("invalid", "as"),
    ]


def test_evidence_lists_the_vrps_routinator_would(afrinic: VrpIndex) -> None:
    route = parse_prefix("105.170.0.0/16")
    result = afrinic.validate([4], [route.hi], [route.lo], [16], [37119])
    covering = afrinic.vrps.take(result.covering_vrps(0)).column("prefix").to_pylist()
    assert sorted(covering) == ["105.168.0.0/13", "105.168.0.0/14"]
    assert len(result.matched_vrps(0)) == 0
    assert len(result.unmatched_as_vrps(0)) == 0
    by_length = afrinic.vrps.take(result.unmatched_length_vrps(0))
    assert by_length.column("asn").to_pylist() == [37119, 37119]


def test_unmatched_as_follows_routinator_regardless_of_length() -> None:
    """10.1.2.128/25 from AS64498: 0.0.0.0/0 (AS64503) and 10.1.0.0/16 (AS64499) name
    other ASes although neither allows /25 -> unmatched-as; 10.0.0.0/8 names AS64498 but
    stops at /16 -> unmatched-length."""
    p = parse_prefix("10.1.2.128/25")
    result = EDGE.validate([4], [p.hi], [p.lo], [25], [64498])
    names = EDGE.vrps.column("prefix").to_pylist()
    assert sorted(names[r] for r in result.unmatched_as_vrps(0)) == ["0.0.0.0/0", "10.1.0.0/16"]
    assert [names[r] for r in result.unmatched_length_vrps(0)] == ["10.0.0.0/8"]
    assert len(result.matched_vrps(0)) == 0


def test_evidence_table_for_many_routes() -> None:
    routes = [(r, o) for r, o, _, _ in EDGE_CASES]
    parsed = [parse_prefix(r) for r, _ in routes]
    result = EDGE.validate(
        [p.afi for p in parsed],
        [p.hi for p in parsed],
        [p.lo for p in parsed],
        [p.length for p in parsed],
        [o or 0 for _, o in routes],
        [o is not None for _, o in routes],
    )
    table = result.evidence()
    assert table.column_names == ["route", "vrp_row", "role"]
    for i in range(len(routes)):
        mine = table.filter(pc.equal(table["route"], i))
        assert sorted(mine["vrp_row"].to_pylist()) == sorted(result.covering_vrps(i).tolist())
        roles = set(mine["role"].to_pylist())
        assert ("matched" in roles) == (result.state_of(i) is RovState.VALID)
    assert result.evidence([3, 3]).num_rows == 2 * result.evidence([3]).num_rows


# --- hand-built edge cases, one documented rule each -----------------------------------------

EDGE = VrpIndex.build(
    vrps(
        ("192.0.2.0/24", 24, 64496),  # plain VRP
        ("198.51.100.0/24", 24, 0),  # AS0 only (RFC 7607)
        ("203.0.113.0/24", 24, 0),  # AS0 ...
        ("203.0.113.0/24", 25, 64497),  # ... plus a real VRP for the same prefix
        ("10.0.0.0/8", 16, 64498),  # short prefix, maxLength 16
        ("10.1.0.0/16", 24, 64499),  # nested VRP of another AS
        ("2001:db8::/32", 48, 64500),
        ("2001:db8:0:1::/64", 128, 64501),  # lengths > 64 use the low word
        ("2001:db8:0:1:8000::/65", 65, 64502),
        ("0.0.0.0/0", 0, 64503),  # a default-route VRP covers all of IPv4, not IPv6
        ("192.0.2.0/24", 24, 64496),  # an exact duplicate changes nothing
    )
)


EDGE_CASES: list[tuple[str, int | None, tuple[str, str], str]] = [
    ("192.0.2.0/24", 64496, ("valid", "none"), "exact match"),
    ("192.0.2.0/25", 64496, ("invalid", "length"), "maxLength 24 < 25, same AS"),
    ("192.0.0.0/16", 64496, ("invalid", "as-length"), "less specific: only 0/0 (max 0) covers"),
    ("198.51.100.0/24", 64496, ("invalid", "as"), "AS0 VRP alone invalidates"),
    ("198.51.100.0/24", 0, ("invalid", "as"), "origin 0 never matches an AS0 VRP"),
    ("203.0.113.0/25", 64497, ("valid", "none"), "AS0 loses to a matching VRP"),
    ("203.0.113.0/26", 64497, ("invalid", "length"), "AS matches, too long"),
    ("10.1.2.0/24", 64499, ("valid", "none"), "nested VRP matches"),
    ("10.1.2.0/24", 64498, ("invalid", "length"), "outer VRP names it, length fails"),
    ("10.2.0.0/16", 64498, ("valid", "none"), "outer VRP at its maxLength"),
    ("10.2.0.0/17", 64499, ("invalid", "as-length"), "neither AS nor length fit"),
    ("10.1.0.0/16", None, ("invalid", "as"), "no origin (AS_SET), length allowed"),
    ("10.1.2.128/25", None, ("invalid", "as-length"), "no origin, too long for all"),
    ("2001:db8:0:1::/64", 64501, ("valid", "none"), "IPv6 /64"),
    ("2001:db8:0:1::1/128", 64501, ("valid", "none"), "IPv6 /128 under maxLength 128"),
    ("2001:db8:0:1:8000::/65", 64502, ("valid", "none"), "IPv6 /65 VRP"),
    ("2001:db8:0:1:8000::/66", 64502, ("invalid", "length"), "/66 under maxLength 65"),
    ("2001:db8:0:1::/65", 64502, ("invalid", "as"), "sibling of the /65; the /64 allows it"),
    ("2001:db8::/48", 64500, ("valid", "none"), "IPv6 /48 under a /32"),
    ("2001:db9::/32", 64500, ("not-found", "none"), "next /32: uncovered"),
    ("::/0", 64503, ("not-found", "none"), "an IPv4 VRP never covers IPv6"),
    ("0.0.0.0/0", 64503, ("valid", "none"), "the default route itself"),
    ("255.255.255.255/32", 64503, ("invalid", "length"), "top of IPv4: 0/0's AS, too long"),
]


@pytest.mark.parametrize(("route", "origin", "expected", "rule"), EDGE_CASES)
def test_edge_cases(route: str, origin: int | None, expected: tuple[str, str], rule: str) -> None:
    assert check(EDGE, [(route, origin)]) == [expected], rule


def test_unknown_family_is_not_found() -> None:
    result = EDGE.validate([0, 5], [0, 0], [0, 0], [0, 8], [64503, 64503])
    assert [result.state_of(i) for i in range(2)] == [RovState.NOT_FOUND] * 2


def test_codes_map_to_wire_strings() -> None:
    assert [s.value for s in STATE_CODES] == ["not-found", "valid", "invalid"]
    assert [r.value for r in REASON_CODES] == ["none", "as", "length", "as-length"]
    routes = [("192.0.2.0/24", 64496), ("192.0.2.0/25", 64496)]
    parsed = [parse_prefix(p) for p, _ in routes]
    result = EDGE.validate(
        [p.afi for p in parsed],
        [p.hi for p in parsed],
        [p.lo for p in parsed],
        [p.length for p in parsed],
        [a for _, a in routes],
    )
    assert result.states().to_pylist() == ["valid", "invalid"]
    assert result.reasons().to_pylist() == ["none", "length"]
    assert result.reason_of(1) is RovReason.LENGTH


def test_validate_elems_treats_null_origin_as_as_set() -> None:
    p = parse_prefix("10.1.0.0/16")
    elems = pa.table(
        {
            "afi": pa.array([4, 4], pa.uint8()),
            "prefix_hi": pa.array([p.hi, p.hi], pa.uint64()),
            "prefix_lo": pa.array([0, 0], pa.uint64()),
            "prefix_len": pa.array([16, 16], pa.uint8()),
            "origin_asn": pa.array([64499, None], pa.uint32()),
        }
    )
    result = EDGE.validate_elems(elems)
    assert result.states().to_pylist() == ["valid", "invalid"]


def test_mismatched_columns_name_the_fix() -> None:
    with pytest.raises(ValueError, match="one table"):
        EDGE.validate([4, 4], [0], [0], [8], [1])


def test_order_of_routes_does_not_matter() -> None:
    routes = [(r, o) for r, o, _, _ in EDGE_CASES]
    forward = check(EDGE, routes)
    backward = check(EDGE, routes[::-1])
    assert forward == backward[::-1]


# --- property: the index agrees with a brute-force RFC 6811 validator -------------------------


def brute_force(table: pa.Table, route: tuple[int, int, int, int], origin: int | None) -> tuple:
    """RFC 6811 by checking every VRP (ROUTING-REFERENCE.md definitions, nothing clever)."""
    afi, hi, lo, length = route
    covered = as_match = length_ok = False
    for v in table.to_pylist():
        if v["afi"] != afi or v["prefix_len"] > length:
            continue
        width = 32 if afi == 4 else 128
        shift = width - v["prefix_len"]
        route_bits = ((hi << 64) | lo) >> (128 - width)
        vrp_bits = ((v["prefix_hi"] << 64) | v["prefix_lo"]) >> (128 - width)
        if route_bits >> shift != vrp_bits >> shift:
            continue
        covered = True
        same_as = origin is not None and v["asn"] != 0 and v["asn"] == origin
        fits = length <= v["max_length"]
        if same_as and fits:
            return ("valid", "none")
        as_match |= same_as
        length_ok |= fits
    if not covered:
        return ("not-found", "none")
    return ("invalid", "length" if as_match else ("as" if length_ok else "as-length"))


def _prefix(afi: int, bits: int, length: int) -> str:
    """A prefix in a small corner of the address space so that VRPs and routes collide."""
    if afi == 4:
        value = (0xC0000200 | (bits & 0xFF)) << 32  # 192.0.2.x
        return format_prefix(4, value & _mask(length), 0, length)
    value = (0x20010DB8 << 96) | ((bits & 0xFFFF) << 64) | (bits >> 16)
    return format_prefix(6, (value >> 64) & _mask(min(length, 64)), value & _low(length), length)


def _mask(length: int) -> int:
    return ((1 << 64) - 1) ^ ((1 << (64 - min(length, 64))) - 1)


def _low(length: int) -> int:
    return 0 if length <= 64 else ((1 << 64) - 1) ^ ((1 << (128 - length)) - 1)


vrp_rows = st.lists(
    st.tuples(
        st.sampled_from([4, 6]),
        st.integers(0, 1 << 20),
        st.integers(0, 32),
        st.integers(0, 8),
        st.sampled_from([0, 64496, 64497, 64498]),
    ),
    min_size=1,
    max_size=25,
)
routes = st.lists(
    st.tuples(
        st.sampled_from([4, 6]),
        st.integers(0, 1 << 20),
        st.integers(0, 32),
        st.sampled_from([None, 64496, 64497, 64498]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(vrp_rows, routes)
def test_index_agrees_with_brute_force(
    rows: list[tuple[int, int, int, int, int]], queries: list[tuple[int, int, int, int | None]]
) -> None:
    built = []
    for afi, bits, length, extra, asn in rows:
        length = length if afi == 4 else 32 + 3 * length
        width = 32 if afi == 4 else 128
        built.append((_prefix(afi, bits, length), min(width, length + extra), asn))
    table = vrps(*built)
    index = VrpIndex.build(table)
    cases = []
    for afi, bits, length, origin in queries:
        length = 16 + length // 2 if afi == 4 else 32 + 3 * length
        cases.append((_prefix(afi, bits, length), origin))
    got = check(index, cases)
    for (prefix, origin), answer in zip(cases, got, strict=True):
        assert answer == brute_force(table, tuple(parse_prefix(prefix)), origin), prefix
