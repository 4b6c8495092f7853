"""Measurement: relationships inferred by routewatch (AS-Rank) against the published files.

What it does, in one run:

1. For each real path set of ``../shared/data/mrt`` (a whole RIB, or update streams), collects
   the distinct (collector peer, path) pairs with :class:`routewatch.reference.aspaths.
   PathCounter` and infers relationships and cones with
   :func:`routewatch.reference.relinfer.infer_relationships` (timed, process CPU seconds).
2. Compares every inferred link found in a reference file with it: the reference says p2c
   (provider → customer) or p2p; the inference says the same p2c, the reversed direction, or
   p2p. Printed per reference type (the share of the reference's p2c links inferred as the
   same p2c, reversed, or p2p; of its p2p links inferred p2p or p2c), with coverage (the
   share of inferred links the reference lists at all). References: TopoScope's 2018-01
   inference (``asrel/toposcope_asrel_201801.txt``, CAIDA serial-1 format; not CAIDA's own
   inference) and CAIDA's AS-taxonomy file of about 2006 (``asrel/caida-as-taxonomy_as_rel.txt``).
   The gap in years between the paths and each reference is printed: relationships change
   over time, so part of every disagreement is the Internet changing, not the inference.
3. A control row compares the two references with each other (about twelve years apart):
   what agreement time alone leaves.
4. Per inference step, the agreement with TopoScope over all path sets (which steps are
   reliable, which are fallbacks).

Run: ``.venv/bin/python benchmarks/relationships.py [--sets NAME,...] [--markdown]``. The
numbers in ``docs/relationship-inference.md`` come from this script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from routewatch.ingest.mrt import read_elems
from routewatch.reference import asrel
from routewatch.reference.aspaths import PathCounter
from routewatch.reference.bogons import iana_bogon_asns
from routewatch.reference.relinfer import Period, infer_relationships

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _data import corpus_root, refuse_missing

DATA = corpus_root()  # every stream of the corpus, not the repository's shorter copies
MRT = DATA / "mrt"


@dataclass(frozen=True)
class PathSet:
    """Real MRT files of one period and collector."""

    name: str
    files: tuple[Path, ...]
    day: dt.date
    what: str


SETS = (
    PathSet("rrc05-2002", (MRT / "ris/ris-rrc05_bview.20020722.2337.gz",), dt.date(2002, 7, 22),
            "RIS rrc05 full RIB (TABLE_DUMP v1)"),
    PathSet("rrc01-2010", (MRT / "ris/ris-rrc01_updates.20100827.0840.gz",), dt.date(2010, 8, 27),
            "RIS rrc01 updates, 5 min"),
    PathSet("jinx-2014", (MRT / "routeviews/route-views.jinx_rib.20140530.2200.bz2",
                          MRT / "routeviews/route-views.jinx_updates.20140530.2345.bz2"),
            dt.date(2014, 5, 30), "route-views.jinx full RIB + 15 min of updates"),
    PathSet("rv6-2015", (MRT / "routeviews/route-views6_rib.20150922.1200.bz2",),
            dt.date(2015, 9, 22), "route-views6 full IPv6 RIB"),
    PathSet("rrc21-2016", (MRT / "ris/ris-rrc21_updates.20160811.1600.gz",), dt.date(2016, 8, 11),
            "RIS rrc21 updates, 5 min"),
    PathSet("rrc04-2021", tuple(sorted((MRT / "series/rrc04_20210101").glob("*.cache"))),
            dt.date(2021, 1, 1), "RIS rrc04 updates, 50 x 5 min"),
    PathSet("rrc06-2021", tuple(sorted((MRT / "series/rrc06_20210102").glob("*.cache"))),
            dt.date(2021, 1, 2), "RIS rrc06 updates, 50 x 5 min"),
    PathSet("rrc12-2021", tuple(sorted((MRT / "series/rrc12_20210101").glob("*.cache"))),
            dt.date(2021, 1, 1), "RIS rrc12 updates, 12 x 5 min"),
    PathSet("rrc23-2022", (MRT / "ris/ris-rrc23_updates.20220421.0200.gz",
                           MRT / "ris/ris-rrc23_updates.20220501.2305.gz"),
            dt.date(2022, 5, 1), "RIS rrc23 updates, 2 x 5 min"),
    PathSet("sydney-2022", (MRT / "routeviews/route-views.sydney_updates.20220601.0230.bz2",),
            dt.date(2022, 6, 1), "route-views.sydney updates, 15 min"),
    PathSet("rrc01-2024", (MRT / "ris/ris-rrc01_updates.20241001.0055.gz",), dt.date(2024, 10, 1),
            "RIS rrc01 updates, 5 min"),
)  # fmt: skip

REFERENCES = (
    ("TopoScope 2018-01", DATA / "asrel/toposcope_asrel_201801.txt", dt.date(2018, 1, 1)),
    ("CAIDA ~2006", DATA / "asrel/caida-as-taxonomy_as_rel.txt", dt.date(2006, 1, 1)),
)

Links = dict[tuple[int, int], tuple[int, int, int, str]]


def _links(table: object) -> Links:
    """(min, max) -> (a, b, CAIDA relationship, source) of an AS_RELATIONSHIPS table."""
    out: Links = {}
    for row in table.to_pylist():  # type: ignore[attr-defined]
        a, b = int(row["asn_a"]), int(row["asn_b"])
        out[(min(a, b), max(a, b))] = (a, b, int(row["relationship"]), row["source"] or "")
    return out


def _kind(link: tuple[int, int, int, str], ref: tuple[int, int, int, str]) -> str:
    """The inferred link's type relative to the reference's direction: p2c, c2p or p2p."""
    if link[2] == 0:
        return "p2p"
    if ref[2] != -1:
        return "p2c"
    return "p2c" if link[:2] == ref[:2] else "c2p"


def compare(inferred: Links, reference: Links) -> dict[str, float | int]:
    """Coverage and agreement of ``inferred`` against ``reference`` (see module doc)."""
    cells: Counter[tuple[str, str]] = Counter()
    for key, link in inferred.items():
        ref = reference.get(key)
        if ref is None or ref[2] not in (-1, 0):
            continue
        cells[("p2c" if ref[2] == -1 else "p2p", _kind(link, ref))] += 1
    common = sum(cells.values())
    p2c = sum(n for (r, _), n in cells.items() if r == "p2c")
    p2p = sum(n for (r, _), n in cells.items() if r == "p2p")
    agree = cells[("p2c", "p2c")] + cells[("p2p", "p2p")]
    return {
        "links": len(inferred), "common": common,
        "coverage": common / len(inferred) if inferred else 0.0,
        "agree": agree / common if common else 0.0,
        "ref_p2c": p2c,
        "p2c_same": cells[("p2c", "p2c")] / p2c if p2c else 0.0,
        "p2c_reversed": cells[("p2c", "c2p")] / p2c if p2c else 0.0,
        "p2c_as_p2p": cells[("p2c", "p2p")] / p2c if p2c else 0.0,
        "ref_p2p": p2p,
        "p2p_same": cells[("p2p", "p2p")] / p2p if p2p else 0.0,
        "p2p_as_p2c": cells[("p2p", "p2c")] / p2p if p2p else 0.0,
    }  # fmt: skip


def _row(name: str, gap: str, vps: int | str, secs: str, m: dict[str, float | int]) -> str:
    return (f"| {name} | {gap} | {vps} | {m['links']:,} | {m['common']:,} ({m['coverage']:.0%}) "
            f"| **{m['agree']:.1%}** | {m['ref_p2c']:,}: {m['p2c_same']:.1%} / "
            f"{m['p2c_reversed']:.1%} / {m['p2c_as_p2p']:.1%} | {m['ref_p2p']:,}: "
            f"{m['p2p_same']:.1%} / {m['p2p_as_p2c']:.1%} | {secs} |")  # fmt: skip


def main() -> None:
    """Run the comparison and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", help="comma-separated path set names (default: all)")
    args = parser.parse_args()
    wanted = set(args.sets.split(",")) if args.sets else {s.name for s in SETS}
    refuse_missing("benchmarks/relationships.py", [
        DATA / "PROVENANCE.md", *(path for _, path, _ in REFERENCES),
        *(f for s in SETS if s.name in wanted for f in s.files)])
    references = [(name, _links(asrel.load_as_relationships([path]).table), day)
                  for name, path, day in REFERENCES]  # fmt: skip
    bogons = iana_bogon_asns().table
    print("| paths | gap to reference | peers | inferred links | in reference (coverage) "
          "| agree | ref p2c: same / reversed / p2p | ref p2p: p2p / p2c | CPU s |")
    print("|---|---|---|---|---|---|---|---|---|")
    steps: dict[str, Counter[str]] = {}
    for path_set in (s for s in SETS if s.name in wanted):
        counter = PathCounter()
        for path in path_set.files:
            for batch in read_elems(path, collector=path_set.name):
                counter.add(batch)
        paths = counter.table()
        started = time.process_time()
        result = infer_relationships(paths, Period(path_set.day, path_set.day),
                                     bogon_asns=bogons)  # fmt: skip
        seconds = f"{time.process_time() - started:.1f}"
        inferred = _links(result.relationships.table)
        vps = len(set(paths.column("peer_asn").to_pylist()))
        for name, ref, day in references:
            years = (path_set.day - day).days / 365.25
            gap = f"{name}, {years:+.1f} y"
            print(_row(path_set.name, gap, vps, seconds, compare(inferred, ref)))
            if name.startswith("TopoScope"):
                _count_steps(inferred, ref, steps)
    topo, caida = references[0][1], references[1][1]
    print(_row("control: CAIDA ~2006 as if inferred", "TopoScope 2018-01, +12 y", "-", "-",
               compare(caida, topo)))  # fmt: skip
    print("\n| step | links in TopoScope 2018-01 (all path sets) | agree |\n|---|---|---|")
    for step, cells in sorted(steps.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(cells.values())
        print(f"| {step} | {total:,} | {cells['agree'] / total:.1%} |")


def _count_steps(inferred: Links, ref: Links, steps: dict[str, Counter[str]]) -> None:
    for key, link in inferred.items():
        found = ref.get(key)
        if found is None or found[2] not in (-1, 0):
            continue
        step = link[3].split("/", 1)[1].split(":", 1)[0]
        same = _kind(link, found) == ("p2c" if found[2] == -1 else "p2p")
        steps.setdefault(step, Counter())["agree" if same else "disagree"] += 1


if __name__ == "__main__":
    main()
