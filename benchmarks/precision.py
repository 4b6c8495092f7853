"""Measurement: incidents per hour by type on every real BGP stream of shared/data.

What it does, in one run:

1. For each stream (RIS and RouteViews update files, one with its collector's RIB), reads the
   elems with routewatch's MRT reader and runs :func:`routewatch.detect.engine.detect` with
   the reference data closest in time that shared/data holds (the pipeline's rule: the
   latest snapshot before the stream, else the earliest after it; printed per stream): ROAs,
   relationships, the RIPE-NONAUTH IRR route objects (2023-10, the only IRR dump here) and
   the packaged IANA bogon registries. No AS-to-organisation file exists here.
2. Prints, per stream, incidents per hour of data by metric, the M1 incidents whose
   confidence is ``high`` (``detect/confidence.py``; M1 is never scored, this is the part a
   reader would be asked to trust), the scored M2 incidents per collector-day (what moves a
   network's Action 1 score), and a second table of the M2 findings by the evidence that
   decided them and their ARTEMIS label, and the share of M1 findings whose valley runs
   between two networks of one organisation (:data:`SIBLING_GROUPS`).
3. ``--methodology rw-2026.2`` gives the "after" column of ``docs/detection-precision.md``
   (confidence classes; phase 2 adds the hijack exemptions under the same version);
   ``--relationships infer`` judges each stream with relationships inferred from its own
   paths (AS-Rank) instead of the 2018 file, ``infer-observed`` the same without the links
   AS-Rank only defaults to p2p (its last step: nothing in the paths decided them);
   ``--dump DIR`` writes each stream's findings and incidents as Parquet (the hand-checked
   sample was drawn from them).

Hours are the stream's own span (first to last elem; for the RIB stream, the updates that
follow the RIB: the RIB is its baseline). Five-minute files make the per-hour figures a
multiple of twelve; they are rates, not counts of a real hour.

Run: ``.venv/bin/python benchmarks/precision.py [--streams NAME,...] [--methodology V]
[--relationships toposcope|infer|none] [--dump DIR]``. Machine load does not change the
numbers (only the run time).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from routewatch.detect.engine import Detection, detect
from routewatch.detect.verdicts import References
from routewatch.ingest.mrt import read_elems
from routewatch.methodology import methodology
from routewatch.pipeline.references import build_references
from routewatch.reference.aspaths import PathCounter
from routewatch.reference.asrel import Relationships
from routewatch.reference.bogons import iana_bogon_asns
from routewatch.reference.relinfer import Period, infer_relationships

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _data import corpus_root, refuse_missing

DATA = corpus_root()  # every stream of the corpus, not the repository's shorter copies
MRT = DATA / "mrt"
RCYNIC_2016 = DATA / "rpki/rcynic-scan_roas_roa_list_20160527.txt"
RCYNIC_2017 = DATA / "rpki/rcynic-scan_roas_2017-06-01T172044Z.txt"
AFRINIC_2022 = DATA / "rpki/ripe-archive_afrinic-tal_roas_20220102.csv"
TOPOSCOPE = DATA / "asrel/toposcope_asrel_201801.txt"
IRR = (DATA / "irr/ripe-nonauth.db.route.gz", DATA / "irr/ripe-nonauth.db.route6.gz")
METRICS = ("M1", "M1C", "M2", "M2C", "M3", "M4", "rpki-invalid", "hijack-type1-suspect")


@dataclass(frozen=True)
class Stream:
    """One collector's real elems: update files, optionally the RIB before them."""

    name: str
    collector: str
    updates: tuple[Path, ...]
    vrps: Path
    rib: Path | None = None


def _series(folder: str) -> tuple[Path, ...]:
    return tuple(sorted((MRT / "series" / folder).glob("*.cache")))


STREAMS = (
    Stream("rrc01-2010-08-27", "rrc01", (MRT / "ris/ris-rrc01_updates.20100827.0840.gz",),
           RCYNIC_2016),
    Stream("jinx-2014-05-30", "route-views.jinx",
           (MRT / "routeviews/route-views.jinx_updates.20140530.2345.bz2",), RCYNIC_2016,
           MRT / "routeviews/route-views.jinx_rib.20140530.2200.bz2"),
    Stream("rrc21-2016-08-11", "rrc21", (MRT / "ris/ris-rrc21_updates.20160811.1600.gz",),
           RCYNIC_2016),
    Stream("rrc04-2021-01-01", "rrc04", _series("rrc04_20210101"), RCYNIC_2017),
    Stream("rrc06-2021-01-02", "rrc06", _series("rrc06_20210102"), RCYNIC_2017),
    Stream("rrc12-2021-01-01", "rrc12", _series("rrc12_20210101"), RCYNIC_2017),
    Stream("rrc23-2022-04-21", "rrc23", (MRT / "ris/ris-rrc23_updates.20220421.0200.gz",),
           AFRINIC_2022),
    Stream("rrc23-2022-05-01", "rrc23", (MRT / "ris/ris-rrc23_updates.20220501.2305.gz",),
           AFRINIC_2022),
    Stream("sydney-2022-06-01", "route-views.sydney",
           (MRT / "routeviews/route-views.sydney_updates.20220601.0230.bz2",), AFRINIC_2022),
    Stream("rrc01-2024-10-01", "rrc01", (MRT / "ris/ris-rrc01_updates.20241001.0055.gz",),
           AFRINIC_2022),
)  # fmt: skip


def _elems(stream: Stream) -> tuple[list[pa.RecordBatch], int, int]:
    """Time-ordered batches, and the first and last update time (us)."""
    tables = [pa.Table.from_batches(list(read_elems(p, collector=stream.collector)))
              for p in ((stream.rib,) if stream.rib else ()) + stream.updates]  # fmt: skip
    table = pa.concat_tables(tables).combine_chunks()
    table = table.take(pc.sort_indices(table, [("timestamp", "ascending")]))
    updates = pa.concat_tables(tables[1:] if stream.rib else tables)
    ts = updates.column("timestamp").cast(pa.int64())
    first, last = int(pc.min(ts).as_py()), int(pc.max(ts).as_py())
    return table.to_batches(max_chunksize=65536), first, last


def _references(stream: Stream, relationships: str, batches: list[pa.RecordBatch],
                day: dt.date) -> tuple[References, str]:  # fmt: skip
    rels = (TOPOSCOPE,) if relationships == "toposcope" else ()
    refs = build_references({"vrps": (stream.vrps,), "irr-routes": IRR,
                             "as-relationships": rels})  # fmt: skip
    used = f"VRPs {stream.vrps.name}; rels {TOPOSCOPE.name if rels else relationships}"
    if relationships.startswith("infer"):
        counter = PathCounter()
        for batch in batches:
            counter.add(batch)
        inferred = infer_relationships(counter.table(), Period(day, day),
                                       bogon_asns=iana_bogon_asns().table)  # fmt: skip
        table = inferred.relationships.table
        if relationships == "infer-observed":  # AS-Rank's fallback links count as unknown
            observed = pc.invert(pc.match_substring(table.column("source"), "/rest-p2p:"))
            table = table.filter(observed)
        refs = dataclasses.replace(
            refs, relationships=Relationships.build(table, None, inferred.cones.table))
    return refs, used


#: Networks of one organisation among the most-named leakers (names: CAIDA as2attr ~2006,
#: RIPE-NONAUTH aut-num; corporate history: CenturyLink bought Level 3 in 2017, Level 3 Global
#: Crossing in 2011; Cisco OpenDNS and ScanSafe). No AS-to-organisation file is in shared/data,
#: so this list stands in for one to count how many leak valleys run between siblings.
SIBLING_GROUPS: dict[str, frozenset[int]] = {
    "Lumen": frozenset({209, 3356, 3549, 3910, 4323}),
    "Telstra": frozenset({1221, 4637}),
    "US DoD NIC": frozenset({306, 357, 367, 531, 575, 721, 1501, 1554, 1555, 27064, 27065}),
    "Cisco": frozenset({25605, 36692}),
    "CNNIC": frozenset({24151, 24406}),
}


def _sibling_valleys(result: Detection) -> tuple[int, int]:
    """(M1 findings, those whose valley has a step between two ASes of one SIBLING_GROUP)."""
    group = {asn: name for name, members in SIBLING_GROUPS.items() for asn in members}
    rows = [r["segment"] for r in result.findings.select(["metric", "segment"]).to_pylist()
            if r["metric"] == "M1"]  # fmt: skip
    hits = sum(1 for seg in rows if any(a in group and group[a] == group.get(b)
                                        for a, b in itertools.pairwise(seg)))  # fmt: skip
    return len(rows), hits


def _rates(result: Detection, hours: float) -> dict[str, float]:
    metrics = Counter(result.incidents.column("metric").to_pylist())
    rates = {m: metrics.get(m, 0) / hours for m in METRICS}
    scored = [i for i in result.incidents.select(["metric", "scored"]).to_pylist()
              if i["metric"] == "M2" and i["scored"]]  # fmt: skip
    rates["scored M2/day"] = len(scored) * 24 / hours
    confident = [i for i in result.incidents.select(["metric", "confidence"]).to_pylist()
                 if i["metric"] == "M1" and i["confidence"] == "high"]  # fmt: skip
    rates["M1 high"] = len(confident) / hours
    return rates


def _m2_shapes(result: Detection) -> Counter[str]:
    rows = result.findings.select(["metric", "decided_by", "labels"]).to_pylist()
    return Counter(f"{r['decided_by']} {'exact' if 'exact' in r['labels'] else 'sub-prefix'}"
                   for r in rows if r["metric"] == "M2")  # fmt: skip


def main() -> None:
    """Run every stream and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", help="comma-separated stream names (default: all)")
    parser.add_argument("--methodology", default="rw-2026.1")
    parser.add_argument("--relationships", choices=("toposcope", "infer", "infer-observed",
                                                    "none"), default="toposcope")
    parser.add_argument("--dump", type=Path, help="write findings and incidents here")
    args = parser.parse_args()
    method = methodology(args.methodology)
    wanted = set(args.streams.split(",")) if args.streams else {s.name for s in STREAMS}
    chosen = [s for s in STREAMS if s.name in wanted]
    refuse_missing("benchmarks/precision.py", [
        DATA / "PROVENANCE.md", RCYNIC_2016, RCYNIC_2017, AFRINIC_2022, TOPOSCOPE, *IRR,
        *(f for s in chosen for f in (*s.updates, *((s.rib,) if s.rib else ())))])
    print(f"methodology {method.version}, relationships: {args.relationships}\n")
    print("| stream | data | peer ASes | references | " + " | ".join(METRICS)
          + " | M1 of confidence high | scored M2 per collector-day |")
    print("|---|---|---|---|" + "---|" * (len(METRICS) + 2))
    shapes: dict[str, Counter[str]] = {}
    siblings: dict[str, tuple[int, int]] = {}
    for stream in chosen:
        batches, first, last = _elems(stream)
        day = dt.datetime.fromtimestamp(first / 1e6, dt.UTC).date()
        refs, used = _references(stream, args.relationships, batches, day)
        result = detect(batches, refs, method=method, window=(first, last))
        hours = max(last - first, 1) / 3.6e9
        peers = len({int(p) for b in batches for p in pc.unique(b.column("peer_asn")).to_pylist()})
        rates = _rates(result, hours)
        cells = " | ".join(f"{rates[m]:,.1f}" for m in METRICS)
        print(f"| {stream.name} | {hours * 60:,.0f} min | {peers} | {used} | {cells} | "
              f"{rates['M1 high']:,.1f} | **{rates['scored M2/day']:,.0f}** |", flush=True)
        shapes[stream.name] = _m2_shapes(result)
        siblings[stream.name] = _sibling_valleys(result)
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            pq.write_table(result.findings, args.dump / f"{stream.name}.findings.parquet")
            pq.write_table(result.incidents, args.dump / f"{stream.name}.incidents.parquet")
    kinds = sorted({k for c in shapes.values() for k in c})
    print("\nM2 findings by deciding evidence and shape:\n")
    print("| stream | " + " | ".join(kinds) + " |\n|---|" + "---|" * len(kinds))
    for name, counts in shapes.items():
        print(f"| {name} | " + " | ".join(str(counts.get(k, 0)) for k in kinds) + " |")
    print("\nM1 findings whose valley runs between two networks of one organisation "
          f"({', '.join(SIBLING_GROUPS)}):\n\n| stream | M1 findings | sibling valley | share |"
          "\n|---|---|---|---|")
    for name, (total, hits) in siblings.items():
        print(f"| {name} | {total:,} | {hits:,} | {hits / max(total, 1):.0%} |")
    total, hits = (sum(v[i] for v in siblings.values()) for i in (0, 1))
    print(f"| all | {total:,} | {hits:,} | {hits / max(total, 1):.0%} |")


if __name__ == "__main__":
    main()
