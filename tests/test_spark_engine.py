"""The Spark engine gives the local engine's tables, and its seam converts types exactly.

Real data, real Spark (``local[2]``, one session for the module): the bundled demo month is
run with the local engine and with Spark at 997 records per Arrow batch and one shuffle
partition, and at 20,000 records and eight partitions, and every table of the three stores
is compared row for row; then the same on a real standalone master and worker started on
127.0.0.1 from the pyspark package (always stopped at the end). (The months of
``test_month_exact.py`` run with Spark there, beside their local cuts.) The type seam is
checked on a real RIS update file ingested into a lake: what Spark reads, converted back,
equals what pyarrow reads. MRT files ingested by Spark (one task per file) give the lake
``routewatch ingest`` writes, part for part and manifest for manifest. Without pyspark or
Java the engine says what to install.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from _data import shared_data
from _spark import spark_cut, spark_session_stopped, standalone_cluster
from _tables import assert_same_table
from routewatch import settings
from routewatch.detect.partition import Buckets, fine_blocks
from routewatch.errors import ConfigError
from routewatch.ingest.lake import MANIFEST_DIR, IngestManifest, ingest_file
from routewatch.pipeline import (
    LocalEngine,
    MrtInput,
    ReadStats,
    demo_inputs,
    ingest_inputs,
    run_month,
)
from routewatch.pipeline.elems import DETECT_COLUMNS
from routewatch.pipeline.spark import SparkEngine, spark_session, to_lake_types, to_spark_types

__all__ = ["spark_session_stopped", "standalone_cluster"]  # the module's fixtures
from routewatch.schemas import ORDERED_ELEMS
from test_month_exact import _tables

RRC21 = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
RRC06 = shared_data("mrt/ris/ris-rrc06_updates.20140530.2215.gz")
#: the two cuts of the issue: Arrow batch size, shuffle partitions (and buckets)
CUTS = [(997, 1, 8), (20_000, 8, 300)]
pytestmark = pytest.mark.usefixtures("spark_session_stopped")


@pytest.fixture(scope="module")
def demo_local(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pa.Table]]:
    """The demo month's lake and its tables from the local engine."""
    folder = tmp_path_factory.mktemp("demo")
    inputs = demo_inputs()
    run_month(inputs, folder / "local.duckdb", lake=folder / "lake", engine=LocalEngine())
    local = _tables(folder / "local.duckdb", inputs.month)
    assert local["findings"].num_rows > 0 and local["announced_pairs"].num_rows > 1000
    return folder / "lake", local


def assert_same_month(db: Path, local: dict[str, pa.Table], what: str) -> None:
    """Every table of the demo month in ``db`` equals the local engine's, row for row."""
    for name, rows in _tables(db, demo_inputs().month).items():
        expected = local[name]
        if "run_id" in rows.column_names:  # every run has its own id
            rows, expected = rows.drop_columns(["run_id"]), expected.drop_columns(["run_id"])
        assert_same_table(expected, rows, f"demo: {name} ({what})")


@pytest.mark.parametrize("cut", CUTS, ids=["997-records-1-partition", "20000-records-8-partitions"])
def test_demo_month_tables_are_the_same_on_spark(
    cut: tuple[int, int, int], demo_local: tuple[Path, dict[str, pa.Table]], tmp_path: Path
) -> None:
    lake, local = demo_local
    what, engine = spark_cut(*cut)
    run_month(demo_inputs(), tmp_path / "spark.duckdb", lake=lake, engine=engine)
    assert_same_month(tmp_path / "spark.duckdb", local, what)


def test_spark_types_are_converted_back_exactly(tmp_path: Path) -> None:
    manifest = ingest_file(RRC21, tmp_path / "lake", collector="rrc21").manifest
    part = tmp_path / "lake" / manifest.parts[0]
    columns = [c for c in DETECT_COLUMNS if c != "collector"] + ["prefix", "origin_asn"]
    schema = pa.schema([ORDERED_ELEMS.field(c) for c in columns])
    want = pq.read_table(part, columns=columns).cast(schema)
    spark = spark_session("local[2]")
    got = spark.read.parquet(str(part)).select(*columns).toArrow()
    # what Spark changed: uint64 -> decimal(20,0), uint32 -> bigint, uint8 -> smallint,
    # dictionaries -> strings
    assert got.schema.field("prefix_hi").type == pa.decimal128(20, 0)
    assert got.schema.field("peer_asn").type == pa.int64()
    assert got.schema.field("afi").type == pa.int16()
    assert got.schema.field("elem_type").type == pa.string()
    back = pa.Table.from_batches([to_lake_types(b, schema) for b in got.to_batches()], schema)
    assert want.num_rows > 10_000 and back.schema.equals(schema)
    assert_same_table(_decoded(want), _decoded(back), "a lake part read by Spark, converted back")
    # and the driver's tables go to Spark and come back unchanged
    names = ["elem_type", "prefix_hi", "path_asns", "peer_asn"]
    sub = pa.schema([schema.field(n) for n in names])
    there = spark.createDataFrame(to_spark_types(want.select(names))).toArrow()
    again = pa.Table.from_batches([to_lake_types(b, sub) for b in there.to_batches()], sub)
    assert again.schema.equals(sub)
    assert_same_table(_decoded(want.select(names)), _decoded(again), "a table sent to Spark, back")
    assert pc.max(want.column("prefix_hi")).as_py() > 2**63  # the top bit is used


def test_spark_ingests_one_task_per_file_as_routewatch_ingest(tmp_path: Path) -> None:
    files = [MrtInput(RRC21, "rrc21", "updates"), MrtInput(RRC06, "rrc06", "updates"),
             # a real file that is no MRT: not one record readable, a problem file
             MrtInput(shared_data("PROVENANCE.md"), "rrc00", "updates")]
    stats_here, stats_there = ReadStats(), ReadStats()
    here = ingest_inputs(files, tmp_path / "here", stats_here)
    there = ingest_inputs(files, tmp_path / "there", stats_there,
                          ingester=SparkEngine("local[2]").ingest)
    assert there.parts == here.parts and len(here.parts) >= 2
    assert stats_there == stats_here and stats_here.problem_files == ["PROVENANCE.md"]
    for relative, _, _ in here.parts:
        want = pq.read_table(here.lake / relative)
        assert_same_table(want, pq.read_table(there.lake / relative), relative)
    for manifest in sorted((tmp_path / "here" / MANIFEST_DIR).glob("*.json")):
        mine = IngestManifest.from_json(manifest.read_text())
        theirs = IngestManifest.from_json((tmp_path / "there" / MANIFEST_DIR / manifest.name)
                                          .read_text())  # fmt: skip
        assert replace(theirs, ingested_at="") == replace(mine, ingested_at="")


def test_skewed_blocks_are_cut_finer(tmp_path: Path) -> None:
    manifest = ingest_file(RRC21, tmp_path / "lake", collector="rrc21").manifest
    elems = pq.read_table(tmp_path / "lake" / manifest.parts[0], columns=["afi", "prefix_hi"])
    elems = elems.filter(pc.is_in(elems.column("afi"), pa.array([4, 6], pa.uint8())))
    afi = elems.column("afi").to_numpy()
    hi = elems.column("prefix_hi").to_numpy()
    plain = Buckets(64)
    blocks, counts = np.unique(plain.block_ids(afi, hi), return_counts=True)
    share = float(settings.get("spark-split-share"))
    fine = fine_blocks(blocks, counts, share)
    # real data is skewed: some /8 holds more than the share (and each of those is cut)
    assert fine and all(counts[blocks == b][0] > share * counts.sum() for b in fine)
    cut = Buckets(64, fine=fine)
    for block in (int(blocks[np.argmax(counts)]), max(b for b in fine if b < 256)):
        inside = plain.block_ids(afi, hi) == block  # the biggest block, the biggest IPv4 one
        assert block in fine and len(np.unique(plain.owner(afi[inside], hi[inside]))) == 1
        assert len(np.unique(cut.owner(afi[inside], hi[inside]))) > 1  # spread over buckets
    # a /7 over a cut IPv4 /8 reaches every bucket of the prefixes inside it (exactness)
    covering = cut.covered(4, (block & ~1) << 56, 7).tolist()
    assert set(covering) >= set(cut.owner(afi[inside], hi[inside]).tolist())


def _decoded(table: pa.Table) -> pa.Table:
    """Dictionary columns as their values (two dictionaries may encode the same values)."""
    return pa.table([c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
                     for c in table.columns], names=table.column_names)  # fmt: skip


def test_without_java_the_message_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr("pyspark.sql.SparkSession.getActiveSession", lambda: None)
    with pytest.raises(ConfigError, match="openjdk-17-jre-headless"):
        spark_session("local[1]")


def test_without_pyspark_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    with pytest.raises(ConfigError, match=r"routewatch\[spark\]"):
        SparkEngine("local[1]").session()


def test_demo_month_on_a_standalone_cluster(
    standalone_cluster: str, demo_local: tuple[Path, dict[str, pa.Table]], tmp_path: Path
) -> None:
    lake, local = demo_local
    what, engine = spark_cut(5_000, 4, 16, master=standalone_cluster)
    run_month(demo_inputs(), tmp_path / "cluster.duckdb", lake=lake, engine=engine)
    assert engine.session().sparkContext.master == standalone_cluster
    assert_same_month(tmp_path / "cluster.duckdb", local, what)
