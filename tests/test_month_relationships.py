"""Relationships of the month (issue 12 phase 2, P1; METHODOLOGY §1.6).

A month with no relationship snapshot close enough is judged with relationships inferred
from its own paths (AS-Rank over the month and its baseline, from the lake through the
engine's ``observed_paths``), without the links AS-Rank's last step defaults to peering; the
run records the inference instead of the far snapshot, and every hijack finding and every
leak decided by relationships names the inference and its period. A snapshot of the month
is used as it is. Real data: RIS rrc21 of 2016-08-11 with the TopoScope 2018-01 file (after
the month, so never used for it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from _data import shared_data
from routewatch.metrics import Window
from routewatch.pipeline import LocalEngine, MonthInputs, MrtInput, RefFile, run_month
from routewatch.pipeline.elems import ReadStats, ingest_inputs
from routewatch.pipeline.engine import TimeSpan
from routewatch.pipeline.references import INFERRED_SERIES, choose_month_relationships
from routewatch.reference.aspaths import PathCounter
from routewatch.reference.relinfer import Period, RelationshipSource, infer_relationships
from routewatch.store import Store

RRC21 = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
RELS = shared_data("asrel/toposcope_asrel_201801.txt")
MONTH = dt.date(2016, 8, 1)
PERIOD = "2016-07-25/2016-08-31"


def _rels(day: dt.date) -> RefFile:
    return RefFile(RELS, "as-relationships", "toposcope/as-rel", day)


def test_a_snapshot_of_the_month_is_used_and_a_far_one_is_not() -> None:
    window = Window.of(MONTH)
    near = choose_month_relationships([_rels(dt.date(2016, 7, 1))], window, 7)
    assert near.source is RelationshipSource.SNAPSHOT and near.snapshot == dt.date(2016, 7, 1)
    later = choose_month_relationships([_rels(dt.date(2018, 1, 1))], window, 7)
    assert later.source is RelationshipSource.INFERRED
    assert later.period == Period(dt.date(2016, 7, 25), dt.date(2016, 8, 31))


def test_the_month_is_judged_with_its_own_relationships(tmp_path: Path) -> None:
    inputs = MonthInputs(MONTH, (MrtInput(RRC21, "rrc21", "mrt"),), (_rels(dt.date(2018, 1, 1)),))
    result = run_month(inputs, tmp_path / "rw.duckdb", lake=tmp_path / "lake")
    assert result.run.snapshot_dates[INFERRED_SERIES] == dt.date(2016, 8, 31)
    assert "toposcope/as-rel" not in result.run.snapshot_dates
    assert not [g for g in result.run.snapshot_gaps if g.startswith("as-relationships")]
    assert "relationships" in result.stages
    findings = Store.open(result.db).table("findings", MONTH)
    hijacks = findings.filter(pc.equal(findings.column("metric"), "M2")).to_pylist()
    leaks = findings.filter(pc.and_(pc.equal(findings.column("metric"), "M1"),
                                    pc.equal(findings.column("decided_by"), "relationships")))
    assert hijacks and leaks.num_rows
    for row in [*hijacks, *leaks.to_pylist()]:
        reasons = [r.lower() for r in row["confidence_reasons"]]
        assert any(f"inferred as-rank:{PERIOD}" in r for r in reasons), row
    sources = {e["source"] for row in leaks.to_pylist() for e in row["edges"] if e["source"]}
    assert sources and all(s.endswith(f":{PERIOD}") for s in sources if "as-rank" in s.lower())
    assert not [s for s in sources if "/rest-p2p:" in s]


def _collapsed(table: pa.Table) -> list[tuple[int, tuple[int, ...], bool, int]]:
    """OBSERVED_PATHS rows with prepending collapsed and regrouped, sorted (done in Python)."""
    counts: dict[tuple[int, tuple[int, ...], bool], int] = {}
    for row in table.to_pylist():
        path = [a for i, a in enumerate(row["path_asns"]) if i == 0 or a != row["path_asns"][i - 1]]
        key = (row["peer_asn"], tuple(path), row["as_set"])
        counts[key] = counts.get(key, 0) + row["count"]
    return sorted((*k, n) for k, n in counts.items())


def test_the_lake_gives_inference_the_paths_a_reader_counts(tmp_path: Path) -> None:
    stats = ReadStats()
    elems = ingest_inputs([MrtInput(RRC21, "rrc21", "mrt")], tmp_path / "lake", stats)
    from_lake = LocalEngine().observed_paths(elems, TimeSpan(0, 0, 2**62))
    counter = PathCounter()
    for part in elems.paths:
        for batch in pq.ParquetFile(part).iter_batches():
            counter.add(batch)
    lake_rows = [(r["peer_asn"], tuple(r["path_asns"]), r["as_set"], r["count"])
                 for r in from_lake.to_pylist()]  # fmt: skip
    assert lake_rows == _collapsed(counter.table())  # same rows, and in this order
    period = Period(dt.date(2016, 8, 11), dt.date(2016, 8, 11))
    assert infer_relationships(from_lake, period).report.links > 1000
