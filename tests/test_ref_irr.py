"""IRR loader and lookup: real RPSL excerpts, hand-built edge cases, mutation robustness.

Real inputs live in ``tests/data/ref/irr`` (excerpts of ``shared/data/irr``, see the
PROVENANCE.md there); the full shared dumps are read by the tests marked ``slow`` when present.
Hand-built RPSL below documents one edge case per object; every line number asserted is the
line of that text.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _data import shared_data
from routewatch.errors import ImplausibleInputError
from routewatch.prefixes import Prefix, covers, parse_prefix
from routewatch.reference import irr
from routewatch.reference.base import RefKind
from routewatch.reference.sniff import detect
from routewatch.schemas import IRR_AS_SETS, IRR_AUT_NUMS, IRR_ROUTES

DATA = Path(__file__).parent / "data" / "ref" / "irr"
ROUTES = DATA / "ripe-nonauth.db.route.head.txt"
ROUTES6 = DATA / "ripe-nonauth.db.route6.head.txt"
AUT_NUMS = DATA / "ripe-nonauth.db.aut-num.excerpt.txt"
AS_SETS = DATA / "ripe.db.as-set.excerpt.txt"
DACOTEC = DATA / "ripe_as-set_AS-DACOTEC.txt"


def write(tmp_path: Path, text: str, name: str = "x.db") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# --------------------------------------------------------------------------------------------
# Real excerpts
# --------------------------------------------------------------------------------------------


def test_route_objects_of_a_real_dump() -> None:
    snap = irr.load_irr_routes([ROUTES])
    assert snap.kind is RefKind.IRR_ROUTES and snap.format == "rpsl-route"
    assert snap.table.schema.equals(IRR_ROUTES, check_metadata=True)
    assert snap.table.num_rows == 12 and snap.problems == []
    first = snap.table.slice(0, 1).to_pylist()[0]
    assert first["prefix"] == "63.105.192.0/20" and first["origin"] == 4663
    assert first["source"] == "RIPE-NONAUTH" and first["authoritative"] is False
    assert first["mnt_by"] == ["AS4663-RIPE-MNT"]
    assert first["last_modified"] == dt.datetime(2018, 9, 4, 15, 33, 15, tzinfo=dt.UTC)
    assert (first["afi"], first["prefix_len"]) == (4, 20)
    assert first["prefix_hi"] == parse_prefix("63.105.192.0/20").hi
    newest = max(snap.table.column("last_modified").to_pylist())
    assert snap.as_of == newest.date()


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    packed = tmp_path / "ripe-nonauth.db.route.bin"  # the content decides, not the name
    packed.write_bytes(gzip.compress(ROUTES.read_bytes()))
    assert irr.load_irr_routes([packed]).table.equals(irr.load_irr_routes([ROUTES]).table)


def test_route6_objects() -> None:
    table = irr.load_irr_routes([ROUTES6]).table
    assert table.num_rows == 6
    assert set(table.column("prefix").to_pylist()) == {
        "2002::/16",
        "2001:500:e::/48",
        "2001:500:f::/48",
    }
    assert set(table.column("afi").to_pylist()) == {6}
    assert 559 in table.column("origin").to_pylist()


def test_aut_nums_with_continuation_lines_and_contacts() -> None:
    snap = irr.load_irr_aut_nums([AUT_NUMS])
    assert snap.table.schema.equals(IRR_AUT_NUMS, check_metadata=True) and snap.problems == []
    rows = {r["asn"]: r for r in snap.table.to_pylist()}
    assert sorted(rows) == [1801, 2561, 6879, 12222, 17175]
    # AS2561: multi-line descr/import/default; "as-name: FRCU-EUN" inside a remarks: value is
    # not an attribute; the inline "# WARNING" comment is cut from mnt-by.
    assert rows[2561]["as_name"] == "UNSPECIFIED"
    assert rows[2561]["mnt_by"] == ["RIPE-NCC-AN-MNT"]
    assert rows[2561]["contact_roles"] == ["admin-c", "tech-c", "notify"]
    assert rows[1801]["contact_roles"] == ["admin-c", "tech-c"]
    assert rows[17175]["org"] == "ORG-NSS1-RIPE"
    assert all(not r["authoritative"] for r in rows.values())


def test_aut_num_of_a_real_whois_answer_without_final_newline() -> None:
    path = shared_data("irr/ripe_aut-num_AS3257.txt")
    snap = irr.load_irr_aut_nums([path])
    (row,) = snap.table.to_pylist()
    assert row["asn"] == 3257 and row["as_name"] == "GTT-BACKBONE"
    assert row["org"] == "ORG-GCI2-RIPE" and row["source"] == "RIPE" and row["authoritative"]
    assert row["contact_roles"] == ["admin-c", "tech-c"]
    assert row["mnt_by"] == ["RIPE-NCC-END-MNT", "AS3257-ROUTE-MNT"]
    assert snap.as_of == dt.date(2023, 7, 21)


def test_as_sets_members_comments_continuations_and_latin1() -> None:
    snap = irr.load_irr_as_sets([AS_SETS, DACOTEC])
    assert snap.table.schema.equals(IRR_AS_SETS, check_metadata=True) and snap.problems == []
    sets = {r["name"]: r for r in snap.table.to_pylist()}
    # three members: lines, a comma list of 9 ASNs
    assert len(sets["AS-TMPEBONECWIX"]["member_asns"]) == 24
    # "members: AS15995 # VB" - inline comments are not members
    assert sets["AS-OMNITEL"]["members"][:2] == ["AS5522", "AS15995"]
    # members continued on indented lines; names are case-insensitive (stored upper case)
    level3 = sets["AS-LEVEL3-ORIGINS"]
    assert level3["member_asns"] == [3356, 9057, 9225, 10753, 11213]
    assert level3["member_sets"] == [
        "AS-LEVEL3-ORIGINS-AP",
        "AS-LEVEL3-ORIGINS-EU",
        "AS-LEVEL3-ORIGINS-NA",
    ]
    # hierarchical names; '+' continuation lines of descr do not disturb the object
    grnet = sets["AS5408:AS-GRNET-CUSTOMERS-BEHIND-CUSTOMERS"]
    assert grnet["member_sets"] == [
        "AS3323:AS-TO-GRNET",
        "AS8643:AS-TO-GRNET",
        "AS8522:AS-TO-GRNET",
    ]
    assert sets["AS-GEFOEKOM"]["mbrs_by_ref"] == ["GEFOEKOM-MNT"]
    # AS-DACOTEC appears twice: Latin-1 in the RIPE dump excerpt, UTF-8 in the rpsl-rs copy
    dacotec = [r for r in snap.table.to_pylist() if r["name"] == "AS-DACOTEC"]
    assert len(dacotec) == 2 and dacotec[0]["member_asns"] == dacotec[1]["member_asns"] == [5430]
    assert all(r["authoritative"] and r["source"] == "RIPE" for r in sets.values())


def test_latin1_bytes_are_decoded_as_latin1(tmp_path: Path) -> None:
    path = tmp_path / "latin1.db"
    path.write_bytes(b"aut-num: AS64496\nas-name: G\xf6ttingen-NET\nsource: RIPE\n")
    (row,) = irr.load_irr_aut_nums([path]).table.to_pylist()
    assert row["as_name"] == "Göttingen-NET"


def test_formats_are_sniffed_from_content() -> None:
    assert detect(ROUTES).name == "rpsl-route"
    assert detect(ROUTES6).name == "rpsl-route"
    assert detect(AUT_NUMS).name == "rpsl-aut-num"
    assert detect(AS_SETS).name == "rpsl-as-set"
    assert detect(DACOTEC).name == "rpsl-as-set"
    loaded = detect(AUT_NUMS).load([AUT_NUMS])
    assert loaded.kind is RefKind.IRR_AUT_NUMS and loaded.table.num_rows == 5


def test_sniffers_refuse_other_formats() -> None:
    for sniff in (irr._sniff_routes, irr._sniff_aut_nums, irr._sniff_as_sets):
        assert not sniff(b"3356|1|-1\n174|3356|0\n", "20180101.as-rel.txt")
        assert not sniff(b"", "empty")
        assert not sniff(b'{"route": "192.0.2.0/24"}', "x.json")


# --------------------------------------------------------------------------------------------
# Hand-built edge cases
# --------------------------------------------------------------------------------------------

EDGE_CASES = """\
% header comment (RIPE style)
# header comment (RADB style)

ROUTE:   192.0.2.0/24
Origin:  AS64496   # an inline comment after the origin
# a comment line inside the object
source:  RADB
last-modified: 2024-05-01T12:00:00Z

route:   2001:db8::/32
origin:  AS64497
source:  RIPE

route6:  192.0.2.0/24
origin:  AS64497
source:  RIPE

route:   198.51.100.0/24
descr:   no origin at all
source:  ARIN

route:   198.51.100.0/24
origin:  ASX
source:  ARIN

route:   203.0.113.77/24
origin:  AS1.10
source:  ARIN
changed: noc@example.net 20010101
changed: noc@example.net 20030405

route:   203.0.113.0/25
origin:  AS64498

    continuation outside an object
this line has no colon
route:   203.0.113.128/25
origin:  AS64499
source:  ARIN-NONAUTH
descr:   the object after a broken line still counts
last-modified: 2025-01-02T03:04:05Z"""


def test_edge_cases_are_read_or_reported_with_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, EDGE_CASES)
    dump = irr.read_rpsl([path])
    rows = dump.routes.to_pylist()
    assert [(r["prefix"], r["origin"], r["source"]) for r in rows] == [
        ("192.0.2.0/24", 64496, "RADB"),  # upper-case names, comments inside the object
        ("203.0.113.0/24", 65546, "ARIN"),  # host bits cleared (reported), asdot origin
        ("203.0.113.128/25", 64499, "ARIN-NONAUTH"),  # object at EOF without blank line
    ]
    assert [r["authoritative"] for r in rows] == [False, True, False]
    # no last-modified: the newest changed: date
    assert rows[1]["last_modified"] == dt.datetime(2003, 4, 5, tzinfo=dt.UTC)
    by_line = {p.line: p.detail for p in dump.problems}
    assert sorted(by_line) == [10, 14, 18, 23, 26, 32, 35, 36]
    assert "not a prefix of its family" in by_line[10]  # route: with an IPv6 prefix
    assert "not a prefix of its family" in by_line[14]  # route6: with an IPv4 prefix
    assert "without origin" in by_line[18]  # reported at the object's first line
    assert "AS number" in by_line[23]  # reported at the origin: line
    assert "host bits" in by_line[26]  # kept as 203.0.113.0/24, reported
    assert "without source" in by_line[32]
    assert "continuation line outside an object" in by_line[35]
    assert "not an attribute line" in by_line[36]
    assert all(p.file == "x.db" for p in dump.problems)
    assert dump.newest == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_default_source_applies_to_objects_without_one(tmp_path: Path) -> None:
    path = write(tmp_path, "route: 203.0.113.0/25\norigin: AS64498\n")
    snap = irr.load_irr_routes([path], default_source="ALTDB")
    assert snap.table.column("source").to_pylist() == ["ALTDB"] and snap.problems == []
    assert snap.as_of is None  # no date anywhere in the dump


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = write(tmp_path, "route: 192.0.2.0/24\r\norigin: AS64496\r\nsource: RIPE\r\n\r\n")
    assert irr.load_irr_routes([path]).table.column("origin").to_pylist() == [64496]


def test_as_of_given_by_the_caller_wins() -> None:
    snap = irr.load_irr_routes([ROUTES], as_of=dt.date(2024, 1, 23))
    assert snap.as_of == dt.date(2024, 1, 23)


@pytest.mark.parametrize("text", ["", "% only a comment\n", "mntner: FOO-MNT\nsource: RIPE\n"])
def test_empty_input_is_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ImplausibleInputError, match="0 route/route6 objects"):
        irr.load_irr_routes([path])


def test_the_plausibility_threshold_is_a_parameter() -> None:
    assert irr.load_irr_routes([ROUTES], min_rows=12).table.num_rows == 12
    with pytest.raises(ImplausibleInputError, match="fewer than the 13 expected"):
        irr.load_irr_routes([ROUTES], min_rows=13)


def test_cut_off_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    packed = gzip.compress(ROUTES.read_bytes() * 20)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    snap = irr.load_irr_routes([path])
    assert 0 < snap.table.num_rows < 240
    assert any("cut off" in p.detail for p in snap.problems)


def test_problem_list_is_capped(tmp_path: Path) -> None:
    path = write(tmp_path, "no colon here\n" * 50)
    dump = irr.read_rpsl([path], max_problems=10)
    assert len(dump.problems) == 11 and dump.problems[-1].detail == "40 more problems not listed"


# --------------------------------------------------------------------------------------------
# Lookup
# --------------------------------------------------------------------------------------------

#: (prefix, origin, source) of a hand-built route table; row numbers are list positions.
INDEX_ROWS = [
    ("192.0.2.0/24", 64496, "RIPE"),  # 0
    ("192.0.2.0/24", 64497, "RADB"),  # 1  same prefix, other origin
    ("198.51.100.0/22", 64498, "ARIN"),  # 2
    ("2001:db8::/32", 64499, "RIPE"),  # 3
    ("2001:db8:1::/48", 64500, "RIPE"),  # 4
    ("2001:db8::1/128", 64501, "RIPE"),  # 5  uses the low 64 bits
    ("0.0.0.0/0", 64502, "RADB"),  # 6  a default route object
]


def route_table(rows: list[tuple[str, int, str]]) -> pa.Table:
    prefixes = [parse_prefix(p) for p, _, _ in rows]
    columns = {
        "prefix": [p for p, _, _ in rows],
        "afi": [p.afi for p in prefixes],
        "prefix_hi": [p.hi for p in prefixes],
        "prefix_lo": [p.lo for p in prefixes],
        "prefix_len": [p.length for p in prefixes],
        "origin": [o for _, o, _ in rows],
        "source": [s for _, _, s in rows],
        "authoritative": [s in irr.AUTHORITATIVE_SOURCES for _, _, s in rows],
        "mnt_by": [None] * len(rows),
        "last_modified": [None] * len(rows),
    }
    return pa.Table.from_pydict(columns, schema=IRR_ROUTES)


def query(index: irr.IrrIndex, pairs: list[tuple[str, int | None]]) -> irr.IrrResult:
    prefixes = [parse_prefix(p) for p, _ in pairs]
    return index.status(
        np.array([p.afi for p in prefixes], np.uint8),
        np.array([p.hi for p in prefixes], np.uint64),
        np.array([p.lo for p in prefixes], np.uint64),
        np.array([p.length for p in prefixes], np.uint8),
        np.array([o or 0 for _, o in pairs], np.uint32),
        np.array([o is not None for _, o in pairs], np.bool_),
    )


#: query, origin (None: no RFC 6811 origin), expected state, matched rows, covering rows
LOOKUP_CASES = [
    ("192.0.2.0/24", 64496, "registered", [0], [0, 1, 6]),
    ("192.0.2.128/25", 64497, "registered", [1], [0, 1, 6]),  # more specific: no maxLength
    ("192.0.2.0/24", 64510, "other-origin", [], [0, 1, 6]),
    ("192.0.2.0/24", None, "other-origin", [], [0, 1, 6]),  # AS_SET origin matches nothing
    ("198.51.100.0/21", 64498, "other-origin", [], [6]),  # only the default covers a /21
    ("203.0.113.0/24", 64502, "registered", [6], [6]),  # via 0.0.0.0/0
    ("2001:db8:1:2::/64", 64499, "registered", [3], [3, 4]),
    ("2001:db8:1::/48", 64500, "registered", [4], [3, 4]),
    ("2001:db8::1/128", 64501, "registered", [5], [3, 5]),
    ("2001:db8::2/128", 64501, "other-origin", [], [3]),
    ("2001:db9::/32", 64499, "not-registered", [], []),
    # 32.1.13.184 has the same leading bits as 2001:db8::, but families never mix
    ("32.1.13.184/29", 64499, "other-origin", [], [6]),
]


def test_lookup_states_and_evidence() -> None:
    index = irr.IrrIndex.build(route_table(INDEX_ROWS))
    result = query(index, [(p, o) for p, o, *_ in LOOKUP_CASES])
    assert [s.value for s in result.states()] == [c[2] for c in LOOKUP_CASES]
    for i, (_, _, _, matched, covering) in enumerate(LOOKUP_CASES):
        assert sorted(result.matched(i).tolist()) == matched, LOOKUP_CASES[i]
        assert sorted(result.covering(i).tolist()) == covering, LOOKUP_CASES[i]
    assert index.routes.column("source")[int(result.matched(1)[0])].as_py() == "RADB"


def test_lookup_without_objects_and_without_queries() -> None:
    empty = irr.IrrIndex.build(route_table([]))
    assert empty.status([4], [0], [0], [24], [1], [True]).states() == [irr.IrrState.NOT_REGISTERED]
    index = irr.IrrIndex.build(route_table(INDEX_ROWS))
    result = index.status([], [], [], [], [], [])
    assert result.state.shape == (0,) and result.covering_offsets.tolist() == [0]


def test_lookup_refuses_ragged_arrays() -> None:
    index = irr.IrrIndex.build(route_table(INDEX_ROWS))
    with pytest.raises(ValueError, match="same length"):
        index.status([4, 4], [0], [0], [24], [1], [True])


def test_state_codes_map_to_the_wire_strings() -> None:
    assert [s.value for s in irr.IRR_STATES] == ["not-registered", "other-origin", "registered"]


prefix_text = st.one_of(
    st.builds(
        lambda a, n: f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}/{n}",
        st.sampled_from([0xC0000200, 0xC00002F0, 0xC6336400, 0x0A000000, 0xC0000000]),
        st.integers(0, 32),
    ),
    st.builds(
        lambda h, n: f"2001:db8:{h:x}::/{n}",
        st.sampled_from([0, 1, 0x8000, 0xFFFF]),
        st.integers(0, 128),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    objects=st.lists(st.tuples(prefix_text, st.integers(1, 4)), max_size=25),
    queries=st.lists(st.tuples(prefix_text, st.one_of(st.none(), st.integers(1, 4))), max_size=25),
)
def test_lookup_agrees_with_brute_force(
    objects: list[tuple[str, int]], queries: list[tuple[str, int | None]]
) -> None:
    index = irr.IrrIndex.build(route_table([(p, o, "RIPE") for p, o in objects]))
    result = query(index, queries)
    parsed = [(parse_prefix(p), o) for p, o in objects]
    for i, (text, origin) in enumerate(queries):
        q: Prefix = parse_prefix(text)
        covering = sorted(j for j, (p, _) in enumerate(parsed) if covers(p, q))
        matched = [j for j in covering if origin is not None and parsed[j][1] == origin]
        state = 2 if matched else 1 if covering else 0
        assert sorted(result.covering(i).tolist()) == covering
        assert sorted(result.matched(i).tolist()) == matched
        assert int(result.state[i]) == state


def test_lookup_on_the_real_dump() -> None:
    index = irr.IrrIndex.build(irr.load_irr_routes([ROUTES, ROUTES6]).table)
    result = query(
        index,
        [
            ("63.105.192.0/20", 4663),
            ("63.105.200.0/24", 4663),
            ("63.105.200.0/24", 64496),
            ("2002:c000:204::/48", 559),
            ("63.105.0.0/16", 4663),
        ],
    )
    assert [s.value for s in result.states()] == [
        "registered",
        "registered",
        "other-origin",
        "registered",
        "not-registered",
    ]


# --------------------------------------------------------------------------------------------
# Robustness
# --------------------------------------------------------------------------------------------

REAL_LINES = (
    ROUTES.read_text().splitlines()[:60]
    + AUT_NUMS.read_text().splitlines()[30:80]
    + AS_SETS.read_text(encoding="latin-1").splitlines()[120:160]
)


@st.composite
def mutated_dump(draw: st.DrawFn) -> bytes:
    lines = list(REAL_LINES)
    for _ in range(draw(st.integers(1, 12))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["cut", "insert", "drop", "dup", "bytes", "swap"]))
        if action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif action == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.text(max_size=12)) + lines[i][at:]
        elif action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = draw(st.binary(max_size=40)).decode("latin-1")
        if not lines:
            lines = [""]
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=mutated_dump())
def test_mutated_real_lines_never_crash_the_parser(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("mut") / "mutated.db"
    path.write_bytes(content)
    dump = irr.read_rpsl([path])
    n_lines = content.count(b"\n") + 1
    assert all(1 <= p.line <= n_lines + 1 for p in dump.problems)
    for table in (dump.routes, dump.aut_nums, dump.as_sets):
        table.validate(full=True)


@settings(max_examples=60, deadline=None)
@given(content=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_parser(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("bytes") / "noise"
    path.write_bytes(content)
    irr.read_rpsl([path])


# --------------------------------------------------------------------------------------------
# The full shared dumps
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "table", "count"),
    [
        ("ripe-nonauth.db.route.gz", "routes", 52082),
        ("ripe-nonauth.db.route6.gz", "routes", 1356),
        ("ripe-nonauth.db.aut-num.gz", "aut_nums", 2109),
        ("ripe.db.as-set.gz", "as_sets", 25174),
    ],
)
def test_full_shared_dumps(name: str, table: str, count: int) -> None:
    path = shared_data(f"irr/{name}")
    dump = irr.read_rpsl([path])
    assert getattr(dump, table).num_rows == count  # PROVENANCE.md object counts
    assert dump.problems == []


def test_the_authoritative_registries_can_be_chosen(tmp_path: Path) -> None:
    path = write(tmp_path, "route: 192.0.2.0/24\norigin: AS64496\nsource: IDNIC\n")
    assert irr.load_irr_routes([path]).table.column("authoritative").to_pylist() == [False]
    chosen = irr.AUTHORITATIVE_SOURCES | {"IDNIC"}
    snap = irr.load_irr_routes([path], authoritative_sources=chosen)
    assert snap.table.column("authoritative").to_pylist() == [True]
