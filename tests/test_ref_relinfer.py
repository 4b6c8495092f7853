"""Relationship inference (AS-Rank), the choice between snapshot and inference, path counting.

Two kinds of input:

- INVENTED: a small Internet written for this test (three tier-1s, regional providers, a
  multihomed customer, stubs and two peerings outside the clique; stubs numbered from the
  private-use range of RFC 6996), whose collector peers' paths
  are computed here with the usual export rules (customer routes to everyone, peer and
  provider routes to customers only; prefer customer, then peer, then provider routes, then
  the shorter path, then the lower neighbour). The true relationships are known, so the test
  checks every one the paths reveal.
- REAL: the RIS rrc05 RIB of 2002-07-22 (36 peers) against the CAIDA AS-taxonomy relationships
  of about 2006 (both in shared/data; four years apart, so perfect agreement is not expected:
  the floor is the agreement measured when this was written, 88 %, minus a margin), and the
  RIS rrc21 updates of 2016-08-11 for path counting.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pytest

from _data import shared_data
from routewatch import settings
from routewatch.errors import ImplausibleInputError
from routewatch.ingest.mrt import read_elems
from routewatch.reference import asrel, relinfer
from routewatch.reference.aspaths import PathCounter
from routewatch.reference.asrel import Rel, Relationships
from routewatch.reference.bogons import iana_bogon_asns
from routewatch.reference.relinfer import Period, RelationshipSource, choose_relationships
from routewatch.schemas import AS_RELATIONSHIPS, CUSTOMER_CONES, OBSERVED_PATHS

PERIOD = Period(dt.date(2021, 1, 1), dt.date(2021, 1, 31))

# ------------------------------------------------------------------ the invented Internet
TIER1 = (174, 1299, 3356)
REGIONAL = (6939, 9002, 12389, 20940)
SMALL = (8220, 8359)
_stubs = iter(range(64600, 64800))
#: provider -> customers: each tier-1 serves stubs and two regionals, each regional stubs and
#: a small ISP or another regional, each small ISP stubs; 12389 is multihomed
CUSTOMERS: dict[int, tuple[int, ...]] = {
    174: (6939, 9002, *(next(_stubs) for _ in range(10))),
    1299: (9002, 20940, *(next(_stubs) for _ in range(10))),
    3356: (6939, 20940, 12389, *(next(_stubs) for _ in range(10))),
    6939: (8220, *(next(_stubs) for _ in range(8))),
    9002: (12389, *(next(_stubs) for _ in range(8))),
    12389: (8359, *(next(_stubs) for _ in range(8))),
    20940: (*(next(_stubs) for _ in range(8)),),
    8220: (*(next(_stubs) for _ in range(7)),),
    8359: (*(next(_stubs) for _ in range(7)),),
}
#: peerings outside the clique
PEERS = ((6939, 9002), (12389, 20940))
VANTAGE = (174, 1299, 3356, 6939, 12389, 8220, 64700)


def _relations() -> dict[tuple[int, int], int]:
    rel: dict[tuple[int, int], int] = {}
    for i, a in enumerate(TIER1):
        for b in TIER1[i + 1 :]:
            rel[(a, b)] = rel[(b, a)] = Rel.P2P
    for a, b in PEERS:
        rel[(a, b)] = rel[(b, a)] = Rel.P2P
    for p, cs in CUSTOMERS.items():
        for c in cs:
            rel[(p, c)], rel[(c, p)] = Rel.P2C, Rel.C2P
    return rel


TRUTH = _relations()
ASES = sorted({a for a, _ in TRUTH})


def _routes_to(origin: int) -> dict[int, list[int]]:
    """Every AS's best path (itself first) to ``origin``: customer routes are exported to
    everyone, peer and provider routes only to customers; an AS prefers routes from customers,
    then peers, then providers, then the shorter path, then the lower neighbour."""
    best: dict[int, tuple[int, list[int]]] = {origin: (0, [origin])}
    preference = {Rel.C2P: 0, Rel.P2P: 1, Rel.P2C: 2}  # by the sender's role to the receiver
    changed = True
    while changed:
        changed = False
        for (a, x), role in sorted(TRUTH.items()):  # a offers its route to x
            if a not in best or x == origin:
                continue
            kind, path = best[a]
            if x in path or (kind != 0 and role != Rel.P2C):
                continue
            offer = (preference[role], len(path) + 1, a)
            current = best.get(x)
            if current is None or offer < (current[0], len(current[1]), current[1][1]):
                best[x] = (offer[0], [x, *path])
                changed = True
    return {x: path for x, (_, path) in best.items()}


def observed(paths: Iterable[tuple[int, list[int]]]) -> pa.Table:
    rows = [{"peer_asn": vp, "path_asns": path, "as_set": False, "count": 1} for vp, path in paths]
    return pa.Table.from_pylist(rows, schema=OBSERVED_PATHS)


def invented_paths() -> pa.Table:
    rows = []
    for origin in ASES:
        routes = _routes_to(origin)
        rows += [(vp, routes[vp]) for vp in VANTAGE if vp in routes]
    return observed(rows)


def inferred_relations(table: pa.Table) -> dict[tuple[int, int], int]:
    rels = Relationships.build(table)
    out = {}
    for a, b in TRUTH:
        code = int(rels.relation(np.array([a], np.uint32), np.array([b], np.uint32))[0])
        if code != Rel.UNKNOWN:
            out[(a, b)] = code
    return out


def test_invented_internet_relationships_are_recovered() -> None:
    result = relinfer.infer_relationships(invented_paths(), PERIOD)
    got = inferred_relations(result.relationships.table)
    assert set(result.report.clique) == set(TIER1)
    assert got, "no relationship inferred"
    wrong = {k: (v, TRUTH[k]) for (a, b), v in got.items() if a < b and v != TRUTH[(k := (a, b))]}
    # Two customer links are seen only as a collector peer's first hop (1299–9002, 3356–20940):
    # no path shows the provider passing the customer's routes to another AS (its peers reach
    # the customer directly or, on a tie, through the lower-numbered peer), so nothing tells
    # them from peerings and AS-Rank's last step makes them peer links. Every other link is
    # right.
    assert wrong == {(1299, 9002): (Rel.P2P, Rel.P2C), (3356, 20940): (Rel.P2P, Rel.P2C)}, wrong
    # every link the paths show is decided
    assert result.report.links == len(got) // 2


def test_inferred_rows_name_method_step_and_period() -> None:
    result = relinfer.infer_relationships(invented_paths(), PERIOD)
    table = result.relationships.table
    assert table.schema.equals(AS_RELATIONSHIPS)
    sources = set(table.column("source").to_pylist())
    assert all(s.startswith("as-rank/") and s.endswith(":2021-01-01/2021-01-31") for s in sources)
    steps = {s.split("/")[1].split(":")[0] for s in sources}
    assert "clique" in steps and steps <= {s.value for s in relinfer.Step}
    snap = result.relationships
    assert snap.as_of == dt.date(2021, 1, 31) and snap.format == "inferred-as-rank"
    provenance = Relationships.build(table).provenance
    assert provenance.inferred and provenance.period == (PERIOD.first, PERIOD.last)
    assert "2021-01-01/2021-01-31" in provenance.describe()


def _customer_closure(asn: int) -> set[int]:
    out: set[int] = set()
    todo = [asn]
    while todo:
        for c in CUSTOMERS.get(todo.pop(), ()):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def test_cones_are_provider_peer_observed() -> None:
    result = relinfer.infer_relationships(invented_paths(), PERIOD)
    cones = result.cones.table
    assert cones.schema.equals(CUSTOMER_CONES)
    by_asn = {r["asn"]: set(r["members"]) for r in cones.to_pylist()}
    # 9002 passes 12389, 8359 and their customers to its provider 174: all in 9002's cone
    assert by_asn[9002] == _customer_closure(9002)
    assert 6939 not in by_asn[9002]  # a peer is never in the cone
    for asn, members in by_asn.items():
        assert members <= _customer_closure(asn), asn  # nothing outside the true cone
    rels = Relationships.build(result.relationships.table, cones=cones)
    assert rels.in_cone(9002, 64670) and not rels.in_cone(6939, 64670)


def test_sanitising_discards_sets_loops_and_reserved_asns() -> None:
    good = [(174, [174, 6939, 8220])] * 3
    table = observed([*good, (174, [174, 3356, 174, 9002]), (174, [174, 64512, 9002])])
    sets = pa.Table.from_pylist(
        [{"peer_asn": 174, "path_asns": [174, 9002, 1, 2], "as_set": True, "count": 1}],
        schema=OBSERVED_PATHS,
    )
    result = relinfer.infer_relationships(
        pa.concat_tables([table, sets]), PERIOD, bogon_asns=iana_bogon_asns().table
    )
    assert result.report.discarded == {"as-set": 1, "loop": 1, "reserved-asn": 1}
    prepended = observed([(174, [174, 174, 6939, 6939, 8220])])
    collapsed = relinfer.infer_relationships(prepended, PERIOD)
    assert collapsed.report.links == 2


def test_no_usable_path_is_an_error_naming_the_period() -> None:
    with pytest.raises(ImplausibleInputError, match="2021-01-01/2021-01-31"):
        relinfer.infer_relationships(observed([(174, [174])]), PERIOD)


# ------------------------------------------------------------------ real data
def test_real_rib_agrees_with_caida_relationships() -> None:
    counter = PathCounter()
    for batch in read_elems(shared_data("mrt/ris/ris-rrc05_bview.20020722.2337.gz"),
                            collector="rrc05"):  # fmt: skip
        counter.add(batch)
    paths = counter.table()
    result = relinfer.infer_relationships(
        paths, Period(dt.date(2002, 7, 22), dt.date(2002, 7, 22)),
        bogon_asns=iana_bogon_asns().table,
    )  # fmt: skip
    caida = asrel.load_as_relationships([shared_data("asrel/caida-as-taxonomy_as_rel.txt")])
    truth = {}
    for row in caida.table.to_pylist():
        a, b, r = row["asn_a"], row["asn_b"], row["relationship"]
        truth[(min(a, b), max(a, b))] = (a, b, r)
    same = common = 0
    for row in result.relationships.table.to_pylist():
        a, b, r = row["asn_a"], row["asn_b"], row["relationship"]
        found = truth.get((min(a, b), max(a, b)))
        if found is None or found[2] == 2:
            continue
        common += 1
        same += r == found[2] and (r == 0 or (a, b) == found[:2])
    assert common > 5000
    assert same / common > 0.85, f"{same}/{common} agree"


def test_path_counter_counts_distinct_peer_paths() -> None:
    path = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
    counter = PathCounter()
    expected: Counter[tuple[int, tuple[int, ...], bool]] = Counter()
    for batch in read_elems(path, collector="rrc21"):
        counter.add(batch)
        rows = batch.to_pylist()
        for row in rows:
            if row["elem_type"] in ("R", "A") and row["path_asns"] is not None:
                expected[(row["peer_asn"], tuple(row["path_asns"]), bool(row["as_set"]))] += 1
    table = counter.table()
    assert table.schema.equals(OBSERVED_PATHS)
    got = {(r["peer_asn"], tuple(r["path_asns"]), r["as_set"]): r["count"]
           for r in table.to_pylist()}  # fmt: skip
    assert got == dict(expected)
    assert len(got) > 5000


# ------------------------------------------------------------------ snapshot or inference
@pytest.mark.parametrize(
    ("snapshots", "source", "used"),
    [
        ([dt.date(2021, 1, 1), dt.date(2020, 12, 1)], RelationshipSource.SNAPSHOT, "2021-01-01"),
        ([dt.date(2020, 10, 1)], RelationshipSource.SNAPSHOT, "2020-10-01"),  # 3 months
        ([dt.date(2020, 9, 1)], RelationshipSource.INFERRED, None),  # 4 months: too old
        ([dt.date(2021, 2, 1)], RelationshipSource.INFERRED, None),  # only after the month
        ([], RelationshipSource.INFERRED, None),
        ([dt.date(2021, 1, 31), dt.date(2021, 2, 1)], RelationshipSource.SNAPSHOT, "2021-01-31"),
    ],
)
def test_choose_relationships(snapshots: list[dt.date], source: RelationshipSource,
                              used: str | None) -> None:  # fmt: skip
    gap = int(settings.get("relationships-max-gap-months"))  # the default: three months
    choice = choose_relationships(dt.date(2021, 1, 1), snapshots, max_gap_months=gap,
                                  baseline_days=7)  # fmt: skip
    assert choice.source is source
    if used is None:
        assert choice.snapshot is None
        assert choice.period == Period(dt.date(2020, 12, 25), dt.date(2021, 1, 31))
        assert choice.reason.startswith("inferred from the paths of 2020-12-25/2021-01-31")
    else:
        assert choice.snapshot == dt.date.fromisoformat(used) and choice.period is None


def test_choose_relationships_says_why() -> None:
    old = choose_relationships(dt.date(2008, 2, 1), [dt.date(2006, 1, 1), dt.date(2018, 1, 1)],
                               max_gap_months=3, baseline_days=7)  # fmt: skip
    assert "2006-01-01" in old.reason and "25 months" in old.reason
    future = choose_relationships(dt.date(2008, 2, 1), [dt.date(2018, 1, 1)],
                                  max_gap_months=3, baseline_days=7)  # fmt: skip
    assert "after it" in future.reason
    wide = choose_relationships(dt.date(2008, 2, 1), [dt.date(2006, 1, 1)],
                                max_gap_months=30, baseline_days=7)  # fmt: skip
    assert wide.source is RelationshipSource.SNAPSHOT
