"""AS relationships, customer cones, AS-to-organisation: real excerpts, hand-built cases, lookup.

Real inputs live in ``tests/data/ref/asrel`` (excerpts of ``shared/data/asrel``, see the
PROVENANCE.md there). No real CAIDA serial-2, ppdc-ases or as-org2info file is among the
shared samples: the ``handmade_*`` files are written by hand in the documented formats, with
RFC 5398 documentation ASNs, and say so in their header comments (the JSON Lines
as-org2info sample says so in PROVENANCE.md: that format has no comment lines).
"""

from __future__ import annotations

import contextlib
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
from routewatch.reference import asrel
from routewatch.reference.asrel import ConeSource, Rel, Relationships
from routewatch.reference.base import RefKind
from routewatch.reference.sniff import detect, load_any
from routewatch.schemas import AS_ORGS, AS_RELATIONSHIPS, AS_TAXONOMY, CUSTOMER_CONES

DATA = Path(__file__).parent / "data" / "ref" / "asrel"
TOPOSCOPE = DATA / "toposcope_asrel_201801.head.txt"
MIRRORED = DATA / "toposcope_asrel_201801.mirrored-peers.txt"
TAXONOMY_REL = DATA / "caida-as-taxonomy_as_rel.as24-33-38.txt"
TAXONOMY_ATTR = DATA / "caida-as-taxonomy_as2attr.head.txt"
SERIAL_2 = DATA / "handmade_20180101.as-rel2.txt"
CONES = DATA / "handmade_20180101.ppdc-ases.txt"
ORGS = DATA / "handmade_20180101.as-org2info.txt"
#: The same records in CAIDA's JSON Lines edition, MADE BY HAND from the documented format
#: (no real ``as-org2info.jsonl`` is in shared/data); see PROVENANCE.md next to it.
ORGS_JSONL = DATA / "handmade_20180101.as-org2info.jsonl"


def write(tmp_path: Path, text: str, name: str = "rels.txt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def u32(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.uint32)


# --------------------------------------------------------------------------------------------
# Relationship files
# --------------------------------------------------------------------------------------------


def test_toposcope_serial_1_lines() -> None:
    snap = asrel.load_as_relationships([TOPOSCOPE])
    assert snap.kind is RefKind.AS_RELATIONSHIPS and snap.format == "caida-as-rel"
    assert snap.table.schema.equals(AS_RELATIONSHIPS)  # metadata adds the file names
    assert snap.table.num_rows == 200 and snap.problems == []
    assert snap.as_of == dt.date(2018, 1, 1)  # from "201801" in the file name
    first = snap.table.slice(0, 2).to_pylist()
    assert first == [
        {"asn_a": 33491, "asn_b": 63206, "relationship": -1, "source": None},
        {"asn_a": 4181, "asn_b": 14746, "relationship": 0, "source": None},
    ]
    rels = Relationships.build(snap.table)
    assert rels.relation(
        u32(33491, 63206, 4181, 14746), u32(63206, 33491, 14746, 4181)
    ).tolist() == [
        Rel.P2C,
        Rel.C2P,
        Rel.P2P,
        Rel.P2P,
    ]
    assert rels.source(u32(33491), u32(63206)) == [TOPOSCOPE.name]


def test_a_peering_listed_from_both_ends_is_kept_once() -> None:
    snap = asrel.load_as_relationships([MIRRORED])  # 4436|12956|0 and 12956|4436|0, ...
    assert snap.table.num_rows == 2 and snap.problems == []


def test_as_taxonomy_file_is_normalised_to_caida_convention() -> None:
    snap = asrel.load_as_relationships([TAXONOMY_REL])
    assert snap.format == "caida-as-taxonomy-rel" and snap.problems == []
    assert snap.table.num_rows == 17  # 34 lines, every link from both ends
    assert snap.as_of is None  # no date in the name: the caller must say
    rels = Relationships.build(snap.table)
    # "24 10343 1": 24 is provider of 10343; "24 297 -1": 24 is customer of 297
    assert rels.relation(u32(24, 24, 293), u32(10343, 297, 24)).tolist() == [
        Rel.P2C,
        Rel.C2P,
        Rel.P2P,
    ]


def test_as_taxonomy_degrees_agree_with_the_companion_attribute_file() -> None:
    """as2attr lists each AS's inferred provider, peer and customer counts: an oracle."""
    rels = Relationships.build(asrel.load_as_relationships([TAXONOMY_REL]).table)
    attrs, problems = asrel.read_as_taxonomy([TAXONOMY_ATTR])
    assert attrs.schema.equals(AS_TAXONOMY) and attrs.num_rows == 40 and problems == []
    for row in attrs.to_pylist():
        if row["asn"] in (24, 33, 38):  # the excerpt holds every link of these three
            got = (len(rels.providers(row["asn"])), len(rels.peers(row["asn"])))
            assert got == (row["providers"], row["peers"])
            assert len(rels.customers(row["asn"])) == row["customers"]
    ames = attrs.slice(16, 1).to_pylist()[0]
    assert ames["asn"] == 24 and ames["as_class"] == "t2" and ames["slash24s"] == 256


@pytest.mark.slow
def test_full_as_taxonomy_degrees_agree_for_every_as() -> None:
    rel_path, attr_path = (
        shared_data("asrel/caida-as-taxonomy_as_rel.txt"),
        shared_data("asrel/caida-as-taxonomy_as2attr.txt"),
    )
    snap = asrel.load_as_relationships([rel_path])
    assert snap.table.num_rows == 42568 and snap.problems == []
    rels = Relationships.build(snap.table)
    attrs, _ = asrel.read_as_taxonomy([attr_path])
    assert attrs.num_rows == 19537
    for asn, p, q, c in zip(
        *(attrs.column(n).to_pylist() for n in ("asn", "providers", "peers", "customers")),
        strict=True,
    ):
        assert (len(rels.providers(asn)), len(rels.peers(asn)), len(rels.customers(asn))) == (
            p,
            q,
            c,
        )


@pytest.mark.slow
def test_full_toposcope_file() -> None:
    path = shared_data("asrel/toposcope_asrel_201801.txt")
    snap = asrel.load_as_relationships([path])
    # 276,382 lines; 157 peerings are listed from both ends and kept once
    assert snap.table.num_rows == 276382 - 157 and snap.problems == []


def test_serial_2_keeps_the_source_column() -> None:
    snap = asrel.load_as_relationships([SERIAL_2])
    assert snap.format == "caida-as-rel2" and snap.table.num_rows == 5
    rels = Relationships.build(snap.table)
    assert rels.source(u32(64496, 64500, 1), u32(64497, 64498, 2)) == ["bgp", "mlp", None]


EDGE_CASES = """\
# hand-built: one case per line, line numbers below
1|2|-1
2|1|-1
3|4|0
4|3|0
1|2
a|b|-1
5|6|1
7|7|0
4294967296|1|0
5|6|-1|bgp|extra

  8|9|-1
"""


def test_malformed_and_conflicting_lines_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, EDGE_CASES)
    snap = asrel.load_as_relationships([path], dialect=asrel.Dialect.SERIAL_1)
    rows = [(r["asn_a"], r["asn_b"], r["relationship"]) for r in snap.table.to_pylist()]
    assert rows == [(1, 2, -1), (3, 4, 0), (8, 9, -1)]  # the first of conflicting lines wins
    by_line = {p.line: p.detail for p in snap.problems}
    assert sorted(by_line) == [3, 6, 7, 8, 9, 10, 11]
    assert "conflicts with 1|2|-1" in by_line[3] and "line 2" in by_line[3]
    assert "3 '|'-separated fields" in by_line[6]
    assert "relationship 1 is not" in by_line[8]
    assert "itself" in by_line[9]
    assert "out of range" in by_line[10]


def test_empty_input_is_refused(tmp_path: Path) -> None:
    for text in ("", "# only a comment\n"):
        path = write(tmp_path, text)
        with pytest.raises(ImplausibleInputError, match="0 rows of as-relationships"):
            asrel.load_as_relationships([path], dialect=asrel.Dialect.SERIAL_1)
    with pytest.raises(ImplausibleInputError, match="fewer than the 201 expected"):
        asrel.load_as_relationships([TOPOSCOPE], min_rows=201)


def test_unrecognised_file_is_reported_not_guessed(tmp_path: Path) -> None:
    path = write(tmp_path, "hello world\n")
    with pytest.raises(ImplausibleInputError):
        asrel.load_as_relationships([path])
    table, problems, _ = asrel.read_as_relationships([path])
    assert table.num_rows == 0 and "file skipped" in problems[0].detail


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("20180101.as-rel.txt.bz2", dt.date(2018, 1, 1)),
        ("asrel_201801.txt", dt.date(2018, 1, 1)),
        ("20231001.as-org2info.txt.gz", dt.date(2023, 10, 1)),
        ("as_rel.txt", None),
        ("20181399.as-rel.txt", None),
    ],
)
def test_as_of_from_file_name(name: str, day: dt.date | None) -> None:
    assert asrel.as_of_from_name(name) == day


# --------------------------------------------------------------------------------------------
# Cones and organisations
# --------------------------------------------------------------------------------------------


def test_customer_cones_file() -> None:
    snap = asrel.load_customer_cones([CONES])
    assert snap.kind is RefKind.CUSTOMER_CONES and snap.table.schema.equals(CUSTOMER_CONES)
    assert snap.table.to_pylist()[1] == {"asn": 64497, "members": [64497, 64499]}
    assert snap.as_of == dt.date(2018, 1, 1)
    rels = Relationships.build(asrel.load_as_relationships([SERIAL_2]).table, cones=snap.table)
    assert rels.cone_source is ConeSource.PPDC_ASES
    assert rels.in_cone(64496, 64499) and not rels.in_cone(64497, 64498)
    assert rels.in_cone(64500, 64500)  # an AS is in its own cone, listed or not
    assert rels.cone(64496).tolist() == [64496, 64497, 64498, 64499]


def test_cones_computed_from_p2c_edges_without_a_cones_file() -> None:
    rels = Relationships.build(asrel.load_as_relationships([SERIAL_2]).table)
    assert rels.cone_source is ConeSource.P2C_CLOSURE
    assert rels.cone(64496).tolist() == [64496, 64497, 64498, 64499]  # 64499 via 64497
    assert not rels.in_cone(64496, 64500)  # a peer of a customer is not in the cone
    assert rels.cone(1).tolist() == [1]


def test_as_org2info_sections_are_joined() -> None:
    snap = asrel.load_as_orgs([ORGS])
    assert snap.kind is RefKind.AS_ORGS and snap.table.schema.equals(AS_ORGS)
    assert snap.problems == [] and snap.as_of == dt.date(2018, 1, 1)
    rows = {r["asn"]: r for r in snap.table.to_pylist()}
    assert rows[64496] == {
        "asn": 64496,
        "org_id": "EXAMPLE-1-ARIN",
        "org_name": "Example Networks, Inc.",
        "as_name": "EXAMPLE-AS",
        "country": "US",
        "source": "ARIN",
    }
    assert rows[65536]["org_id"] == rows[64498]["org_id"] == "ORG-EX2-RIPE"


def test_as_org2info_problems(tmp_path: Path) -> None:
    text = (
        "1|20170101|BEFORE-ANY-HEADER|X|x|ARIN\n"  # line 1
        "# format:org_id|changed|org_name|country|source\n"
        "ORG-A|20170101|Pipe | in the name|US|ARIN\n"  # a '|' inside the name is kept
        "ORG-B|20170101\n"  # line 4: too few fields
        "# format:aut|changed|aut_name|org_id|opaque_id|source\n"
        "64496|20170101|A-AS|ORG-A||ARIN\n"
        "ASX|20170101|BAD|ORG-A||ARIN\n"  # line 7
        "64497|20170101|ORPHAN|ORG-MISSING||ARIN\n"  # line 8
    )
    snap = asrel.load_as_orgs([write(tmp_path, text, "orgs.txt")])
    assert {p.line for p in snap.problems} == {1, 4, 7, 8}
    rows = {r["asn"]: r for r in snap.table.to_pylist()}
    assert rows[64496]["org_name"] == "Pipe | in the name"
    assert rows[64497]["org_name"] is None and rows[64497]["org_id"] == "ORG-MISSING"
    with pytest.raises(ImplausibleInputError):
        asrel.load_as_orgs([write(tmp_path, "# format:aut|changed\n", "empty.txt")])


def sibling_sets(orgs: pa.Table) -> set[frozenset[int]]:
    """The sibling sets a Relationships index answers for every pair of the table's ASes."""
    rels = Relationships.build(AS_RELATIONSHIPS.empty_table(), orgs)
    asns = sorted(set(orgs.column("asn").to_pylist()))
    a, b = np.meshgrid(np.array(asns, np.uint32), np.array(asns, np.uint32))
    same = rels.siblings(a.ravel(), b.ravel()).reshape(a.shape)
    return {frozenset([asns[i]] + [asns[j] for j in np.flatnonzero(row)])
            for i, row in enumerate(same)}  # fmt: skip


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_as_org2info_jsonl_gives_the_pipe_formats_rows_and_siblings(
    tmp_path: Path, compress: bool
) -> None:
    path = tmp_path / ("20180101.as-org2info.jsonl" + (".gz" if compress else ""))
    data = ORGS_JSONL.read_bytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    fmt = detect(path)
    assert fmt.name == "caida-as-org2info-jsonl" and fmt.kind is RefKind.AS_ORGS
    jsonl = load_any([path], RefKind.AS_ORGS)
    pipe = asrel.load_as_orgs([ORGS])
    assert jsonl.format == "caida-as-org2info-jsonl" and jsonl.problems == []
    assert jsonl.as_of == dt.date(2018, 1, 1)
    assert jsonl.table.equals(pipe.table)
    expected = {frozenset({64496, 64497}), frozenset({64498, 65536}), frozenset({64500})}
    assert sibling_sets(jsonl.table) == sibling_sets(pipe.table) == expected


def test_as_org2info_jsonl_problems_name_the_line(tmp_path: Path) -> None:
    lines = ORGS_JSONL.read_text().splitlines()
    broken = [
        lines[0],
        '{"asn":"64496","name":"NO-ORG","type":"ASN"}',  # line 2: no organizationId
        '{"asn":"AS1","organizationId":"EXAMPLE-1-ARIN","type":"ASN"}',  # line 3
        '{"organizationId":"X","type":"Person"}',  # line 4: unknown type
        '{"asn":"64497","organizationId":"EXAMPLE-1-A',  # line 5: cut off
        "[1, 2]",  # line 6: not an object
        lines[4],
        '{"asn":"64499","organizationId":"ORG-MISSING","type":"ASN"}',  # line 8
    ]
    path = write(tmp_path, "\n".join(broken) + "\n", "orgs.jsonl")
    snap = asrel.load_as_orgs([path])
    assert {p.line for p in snap.problems} == {2, 3, 4, 5, 6, 8}
    rows = {r["asn"]: r for r in snap.table.to_pylist()}
    assert rows[64497]["org_name"] == "Example Networks, Inc."
    assert rows[64499]["org_id"] == "ORG-MISSING" and rows[64499]["org_name"] is None


# --------------------------------------------------------------------------------------------
# Lookup
# --------------------------------------------------------------------------------------------


def test_siblings_from_organisations_override_the_relationship() -> None:
    rels = Relationships.build(
        asrel.load_as_relationships([SERIAL_2]).table, asrel.load_as_orgs([ORGS]).table
    )
    a, b = u32(64496, 64496, 64498, 64500, 64496), u32(64497, 64498, 65536, 65536, 64496)
    # 64496 and 64497 share EXAMPLE-1-ARIN: the file's p2c edge becomes a sibling edge
    assert rels.relation(a, b).tolist() == [Rel.SIBLING, Rel.P2C, Rel.SIBLING, Rel.P2P, 127]
    assert rels.siblings(a, b).tolist() == [True, False, True, False, False]
    assert rels.source(a, b) == [
        "as2org:EXAMPLE-1-ARIN",
        "bgp",
        "as2org:ORG-EX2-RIPE",
        "bgp",
        None,
    ]


def test_sibling_links_of_older_caida_files(tmp_path: Path) -> None:
    path = write(tmp_path, "10 20 2\n20 10 2\n10 30 1\n", "as_rel.txt")
    rels = Relationships.build(asrel.load_as_relationships([path]).table)
    assert rels.relation(u32(10, 20, 10), u32(20, 10, 30)).tolist() == [2, 2, 1]
    assert rels.siblings(u32(20), u32(10)).tolist() == [True]


def test_neighbours_are_sorted_and_directional() -> None:
    rels = Relationships.build(asrel.load_as_relationships([SERIAL_2]).table)
    assert rels.customers(64496).tolist() == [64497, 64498]
    assert rels.providers(64499).tolist() == [64497]
    assert rels.peers(64500).tolist() == [64498, 65536]
    assert rels.providers(64496).tolist() == [] and rels.customers(7).tolist() == []


def test_unknown_edges_and_an_empty_table() -> None:
    empty = Relationships.build(AS_RELATIONSHIPS.empty_table())
    assert empty.relation(u32(1, 2), u32(2, 1)).tolist() == [Rel.UNKNOWN, Rel.UNKNOWN]
    assert empty.source(u32(1), u32(2)) == [None] and empty.providers(1).tolist() == []
    assert empty.relation(u32(), u32()).tolist() == []


def test_the_first_table_row_wins_when_tables_are_concatenated() -> None:
    table = pa.Table.from_pylist(
        [
            {"asn_a": 1, "asn_b": 2, "relationship": -1, "source": "first"},
            {"asn_a": 2, "asn_b": 1, "relationship": 0, "source": "second"},
        ],
        schema=AS_RELATIONSHIPS,
    )
    rels = Relationships.build(table)
    assert rels.relation(u32(1), u32(2)).tolist() == [Rel.P2C]
    assert rels.source(u32(2), u32(1)) == ["first"]


@settings(max_examples=100, deadline=None)
@given(
    edges=st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.sampled_from([-1, 0])), max_size=40
    ),
    pairs=st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14)), max_size=30),
)
def test_relation_agrees_with_a_dictionary(
    edges: list[tuple[int, int, int]], pairs: list[tuple[int, int]]
) -> None:
    expected: dict[tuple[int, int], int] = {}
    rows = []
    for a, b, rel in edges:
        if a == b or (a, b) in expected:
            continue
        expected[(a, b)] = Rel.P2C if rel == -1 else Rel.P2P
        expected[(b, a)] = Rel.C2P if rel == -1 else Rel.P2P
        rows.append({"asn_a": a, "asn_b": b, "relationship": rel, "source": None})
    rels = Relationships.build(pa.Table.from_pylist(rows, schema=AS_RELATIONSHIPS))
    a = u32(*(p[0] for p in pairs))
    b = u32(*(p[1] for p in pairs))
    assert rels.relation(a, b).tolist() == [expected.get(p, Rel.UNKNOWN) for p in pairs]


# --------------------------------------------------------------------------------------------
# Formats and robustness
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (TOPOSCOPE, "caida-as-rel"),
        (MIRRORED, "caida-as-rel"),
        (SERIAL_2, "caida-as-rel2"),
        (TAXONOMY_REL, "caida-as-taxonomy-rel"),
        (CONES, "caida-ppdc-ases"),
        (ORGS, "caida-as-org2info"),
        (ORGS_JSONL, "caida-as-org2info-jsonl"),
    ],
)
def test_formats_are_sniffed_from_content(path: Path, name: str) -> None:
    fmt = detect(path)
    assert fmt.name == name
    assert fmt.load([path]).table.num_rows > 0


REAL_LINES = (
    TOPOSCOPE.read_text().splitlines()[:40]
    + TAXONOMY_REL.read_text().splitlines()
    + SERIAL_2.read_text().splitlines()
    + ORGS.read_text().splitlines()
    + CONES.read_text().splitlines()
    + ORGS_JSONL.read_text().splitlines()
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(REAL_LINES)
    for _ in range(draw(st.integers(1, 10))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["cut", "insert", "drop", "swap"]))
        if action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif action == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.text(max_size=8)) + lines[i][at:]
        elif action == "drop" and len(lines) > 1:
            del lines[i]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated())
def test_mutated_real_lines_never_crash_the_parsers(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("mut") / "mutated.txt"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    # universal newlines: a lone "\r" ends a line too, so count both as an upper bound
    n_lines = text.count("\n") + text.count("\r") + 2
    for dialect in asrel.Dialect:
        table, problems, _ = asrel.read_as_relationships([path], dialect)
        table.validate(full=True)
        assert all(0 <= p.line <= n_lines for p in problems)
        Relationships.build(table).relation(u32(1), u32(2))
    for load in (asrel.load_as_orgs, asrel.load_customer_cones):
        with contextlib.suppress(ImplausibleInputError):  # all lines may be broken
            load([path]).table.validate(full=True)
    with contextlib.suppress(ImplausibleInputError):
        asrel.read_as_taxonomy([path])


def test_relationship_codes_outside_the_schema_give_unknown() -> None:
    table = pa.Table.from_pylist(
        [{"asn_a": 1, "asn_b": 2, "relationship": 1, "source": None}], schema=AS_RELATIONSHIPS
    )
    rels = Relationships.build(table)
    assert rels.relation(u32(1, 2), u32(2, 1)).tolist() == [Rel.UNKNOWN, Rel.UNKNOWN]


def test_cut_off_compressed_file_keeps_what_was_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)  # distinct lines, so that the stream does not compress away
    pairs = rng.integers(1, 400000, size=(20000, 2))
    text = "".join(f"{a}|{b}|{-1 if a % 2 else 0}\n" for a, b in pairs if a != b)
    packed = gzip.compress(text.encode())
    path = tmp_path / "20180101.as-rel.txt.gz"
    path.write_bytes(packed[: len(packed) // 2])
    snap = asrel.load_as_relationships([path])
    assert 0 < snap.table.num_rows < 20000
    assert any("cut off" in p.detail for p in snap.problems)
