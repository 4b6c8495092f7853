"""The Apache Spark engine: a run's detection and aggregations on a cluster, same tables.

Role: :class:`SparkEngine` implements :class:`~routewatch.pipeline.engine.Engine` with the
very functions the local engine runs — no rule is implemented twice:

- **ingest**: one task per MRT file (``mapInArrow`` over the file list) writes the file's
  parts and manifest into the lake exactly as ``routewatch ingest`` does;
- **detection**: the run's lake parts are read by Spark (one read per collector, the
  collector added as a column), cut to ``[data_start, window_end)``; every row is sent to
  the buckets :meth:`routewatch.detect.partition.Buckets.targets` names (``mapInArrow``,
  the explode: short prefixes to every bucket they cover, state changes to every bucket);
  ``repartition`` by bucket, sorted within partitions by the total elem order
  (:mod:`routewatch.ingest.order`), and ``groupBy(bucket).applyInArrow`` (streaming form)
  (blocks holding more than the setting ``spark-split-share`` of the elems are cut finer
  first: skew)
  feeds each bucket's elems to a :class:`~routewatch.detect.engine.PartitionRun`. The
  reference snapshots are broadcast once. Each bucket returns its findings, window routes
  (Arrow IPC, so the FINDINGS schema comes back exactly) and report; the driver combines
  them with :func:`routewatch.detect.engine.combine` (sort, confidence, incidents).
- **aggregations**: announced pairs and AS visibility are Spark ``groupBy`` aggregations over
  the window's RIB entries and announcements plus the routes alive at the window start, the
  same query as :func:`routewatch.store.lake.announced_pairs` / ``asn_visibility``; the
  observed paths relationship inference reads, as :func:`routewatch.store.lake.observed_paths`.

Spark changes Parquet's types on read (uint64 → decimal(20,0), uint32 → bigint, uint8 →
smallint, dictionaries → strings): :func:`to_lake_types` converts batches back at the seam,
:func:`to_spark_types` converts Arrow tables the driver hands to Spark.

Inputs: a :class:`~routewatch.pipeline.elems.LakeSlice` whose lake every executor can read
(a local folder on one machine, a shared file system on a cluster). Outputs: the tables of
:class:`~routewatch.pipeline.engine.MonthDetection`, identical to the local engine's.

Failure modes: without pyspark or without Java a :class:`~routewatch.errors.ConfigError`
names the fix (``pip install 'routewatch[spark]'``; Debian ``openjdk-17-jre-headless``);
a bucket whose elems reach it out of the total order raises
:class:`~routewatch.errors.InputError` (never silently different results); Spark's own
failures propagate as :class:`~routewatch.errors.RoutewatchError` naming the master.
"""

from __future__ import annotations

import io
import os
import pickle
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from routewatch import settings
from routewatch.detect import ALL_KINDS, Detection, Kind, References
from routewatch.detect.engine import DetectReport, PartitionRun, RunOutput, combine, run_limits
from routewatch.detect.partition import Buckets, fine_blocks
from routewatch.errors import ConfigError, InputError, RoutewatchError
from routewatch.ingest.lake import IngestManifest
from routewatch.ingest.merge import continues_order, order_keys
from routewatch.ingest.order import ORDER_KEYS
from routewatch.methodology import Methodology
from routewatch.pipeline.elems import (
    DETECT_COLUMNS,
    Ingested,
    LakeSlice,
    MrtInput,
    manifest_of,
)
from routewatch.pipeline.engine import MonthDetection, TimeSpan
from routewatch.schemas import ASN_VISIBILITY, OBSERVED_PATHS, ORDERED_ELEMS, WINDOW_PAIRS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkEngine", "spark_session", "to_lake_types", "to_spark_types"]

#: What the buckets send back: one row per (bucket, part), the part as Arrow IPC or pickle.
_OUT = "bucket int, part string, payload binary"
_PAIR_KEYS = ("afi", "prefix_hi", "prefix_lo", "prefix_len", "origin_asn")
#: The announced pairs as :func:`routewatch.store.lake.announced_pairs` gives them.
PAIRS = pa.schema([*(WINDOW_PAIRS.field(n) for n in ("prefix", *_PAIR_KEYS)),
                   pa.field("peer_asns", pa.uint32())])  # fmt: skip
_INSTALL = "pip install 'routewatch[spark]' (or 'make install' in a checkout)"
_JAVA = ("install Java 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set "
         "JAVA_HOME")  # fmt: skip


def _require_spark() -> None:
    """Raise a :class:`ConfigError` naming the fix when pyspark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"the Spark engine needs pyspark, which is not installed: {_INSTALL}"
                          ) from exc
    home = os.environ.get("JAVA_HOME")
    java = shutil.which("java") or (shutil.which("java", path=str(Path(home) / "bin"))
                                    if home else None)  # fmt: skip
    if java is None:
        raise ConfigError(f"the Spark engine needs Java, which is not on PATH: {_JAVA}")


def spark_session(master: str, conf: Mapping[str, str] | None = None) -> SparkSession:
    """A Spark session on ``master`` (the active one when it runs there already).

    Executors run this Python (unless ``PYSPARK_PYTHON`` names another), in UTC; the setting
    ``spark-numba-cache`` becomes their ``NUMBA_CACHE_DIR`` so they load compiled kernels.
    """
    _require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        if active.sparkContext.master == master:
            for key, value in (conf or {}).items():
                active.conf.set(key, value)
            return active
        active.stop()
    # executors run this Python unless told otherwise (spark-submit sets PYSPARK_PYTHON from
    # spark.pyspark.python; a cluster whose Python lives elsewhere sets either)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master).appName("routewatch")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.showConsoleProgress", "false"))  # fmt: skip
    cache = str(settings.get("spark-numba-cache"))
    if cache:
        builder = builder.config("spark.executorEnv.NUMBA_CACHE_DIR", cache)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise RoutewatchError(f"could not start Spark on master {master!r}: {exc}; check the "
                              "master URL (--spark-master) and that Java runs") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


# ------------------------------------------------------------------------------ type seam
def to_lake_types(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A batch Spark produced, in the lake's types (``schema``): decimal(20,0) → uint64,
    bigint → uint32, smallint → uint8, strings → dictionaries, lists element-wise."""
    columns = [batch.column(f.name) for f in schema]
    return pa.RecordBatch.from_arrays(
        [c if c.type == f.type else c.cast(f.type) for c, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _spark_type(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_uint64(kind):
        return pa.decimal128(20, 0)
    if pa.types.is_uint32(kind):
        return pa.int64()
    if pa.types.is_uint16(kind):
        return pa.int32()
    if pa.types.is_uint8(kind):
        return pa.int16()
    if pa.types.is_dictionary(kind):
        return _spark_type(kind.value_type)
    if pa.types.is_list(kind):
        return pa.list_(_spark_type(kind.value_type))
    return kind


def to_spark_types(table: pa.Table) -> pa.Table:
    """An Arrow table in the types Spark stores (the inverse of :func:`to_lake_types`)."""
    schema = pa.schema([pa.field(f.name, _spark_type(f.type), f.nullable) for f in table.schema])
    return table.cast(schema)


def _ipc(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _from_ipc(payload: bytes) -> pa.Table:
    return pa.ipc.open_stream(payload).read_all()


# ------------------------------------------------------------------------------ the engine
@dataclass
class SparkEngine:
    """Apache Spark on ``master`` (``local[N]``, ``spark://HOST:PORT``, ``yarn``, ``k8s://``):
    detection cut into ``buckets`` buckets, one ``applyInArrow`` group each."""

    master: str = field(default_factory=lambda: str(settings.get("spark-master")))
    buckets: int = field(default_factory=lambda: int(settings.get("spark-buckets")))
    conf: Mapping[str, str] = field(default_factory=dict)
    split_share: float = field(default_factory=lambda: float(settings.get("spark-split-share")))
    name: str = "spark"

    def session(self) -> SparkSession:
        """The Spark session this engine runs in (started on first use)."""
        return spark_session(self.master, self.conf)

    def ingest(self, files: Sequence[MrtInput], lake: Path) -> Iterator[Ingested]:
        """One Spark task per file (``mapInArrow`` over the file list): each reads its MRT
        file and writes its parts and manifest into ``lake`` exactly as ``routewatch
        ingest`` does (:func:`~routewatch.pipeline.elems.manifest_of`; a file already there
        is not read again). The lake must be a folder every executor writes (one machine, or
        a shared file system at the same path). The tasks run at once (one job); outcomes
        come when all have finished, in the order of ``files``."""
        if not files:
            return
        spark = self.session()
        rows = [(i, str(f.path), f.collector, f.kind, f.file_id) for i, f in enumerate(files)]
        listing = spark.createDataFrame(spark.sparkContext.parallelize(rows, len(rows)),
                                        "index long, path string, collector string, "
                                        "kind string, file_id string")  # fmt: skip
        done = listing.mapInArrow(_IngestTask(str(lake)).run,
                                  "index long, manifest string, error string")  # fmt: skip
        # collect, not toLocalIterator: that runs one job per partition, one file at a time
        for row in sorted(done.collect(), key=lambda r: int(r["index"])):
            mrt = files[int(row["index"])]
            if row["error"] is not None:
                yield mrt, InputError(str(row["error"]))
            else:
                yield mrt, IngestManifest.from_json(str(row["manifest"]))

    def detect(self, elems: LakeSlice, refs: References, method: Methodology, span: TimeSpan,
               kinds: frozenset[Kind] = ALL_KINDS) -> Detection:
        """Findings and incidents of the window (elems from ``span.data_start`` on)."""
        from pyspark.sql import functions as F  # noqa: N812
        from pyspark.sql.types import BooleanType, IntegerType, StructField, StructType

        spark = self.session()
        report = DetectReport()
        window = (span.window_start, span.window_end)
        if not elems.parts:
            return combine([], report, refs, method, window)
        frame = _elems_frame(spark, elems, DETECT_COLUMNS, span.data_start, span.window_end)
        is_state = ~F.col("afi").isin(4, 6) | F.col("afi").isNull()
        seen = frame.agg(
            F.min(F.unix_micros("timestamp")).alias("first"),
            F.max(F.unix_micros("timestamp")).alias("last"),
            F.sum(is_state.cast("long")).alias("states"),
            F.sum((is_state & (F.coalesce(F.col("new_state"), F.lit(0)) != 6)).cast("long"))
            .alias("resets"),
        ).first()
        if seen is None or seen["first"] is None:
            return combine([], report, refs, method, window)
        report.first_time, report.last_time = int(seen["first"]), int(seen["last"])
        report.state.state += int(seen["states"])
        report.state.resets += int(seen["resets"])
        fine = self._fine_blocks(frame, method) if self.buckets > 1 else frozenset()
        # the limits are the driver's settings (executors see no --config file)
        per_run, slack_us = run_limits(self.buckets)
        shared = spark.sparkContext.broadcast(refs)
        task = _BucketTask(shared, method, kinds, self.buckets, span.window_start,
                           report.first_time, per_run, slack_us, fine)  # fmt: skip
        schema = StructType([*frame.schema.fields, StructField("bucket", IntegerType(), False),
                             StructField("owned", BooleanType(), False)])  # fmt: skip
        exploded = frame.mapInArrow(task.explode, schema)
        grouped = (exploded.repartition("bucket")
                   .sortWithinPartitions("bucket", *ORDER_KEYS)
                   .groupBy("bucket").applyInArrow(task.run, _OUT))  # fmt: skip
        try:
            outputs = _outputs(grouped.toArrow(), report)
        finally:
            shared.destroy()  # a month's references, not kept for the next month
        return combine(outputs, report, refs, method, window)

    def _fine_blocks(self, frame: DataFrame, method: Methodology) -> frozenset[int]:
        """The blocks holding more than ``split_share`` of the prefix elems (skew)."""
        from pyspark.sql import functions as F  # noqa: N812

        if self.split_share >= 1:
            return frozenset()
        plan = Buckets.of(self.buckets, method)
        v4 = F.floor(F.col("prefix_hi") / F.lit(2 ** (64 - plan.bits_v4)))
        v6 = F.floor(F.col("prefix_hi") / F.lit(2 ** (64 - plan.bits_v6))) + F.lit(2**32)
        block = F.when(F.col("afi") == 6, v6).otherwise(v4).cast("decimal(20,0)")
        counts = (frame.filter(F.col("afi").isin(4, 6)).groupBy(block.alias("block")).count()
                  .toArrow())  # fmt: skip
        blocks = np.asarray(counts.column("block").cast(pa.uint64()).to_numpy())
        return fine_blocks(blocks, np.asarray(counts.column("count").to_numpy()),
                           self.split_share)  # fmt: skip

    def aggregate(self, elems: LakeSlice, span: TimeSpan, found: Detection) -> MonthDetection:
        """The announced pairs and AS visibility of the window, as Spark aggregations."""
        from pyspark.sql import functions as F  # noqa: N812

        spark = self.session()
        live_pairs = spark.createDataFrame(to_spark_types(
            found.window_pairs.select(["prefix", *_PAIR_KEYS, "peer_asn"])))  # fmt: skip
        live_asns = spark.createDataFrame(to_spark_types(found.window_asns))
        if elems.parts:
            columns = ("prefix", *_PAIR_KEYS, "peer_asn", "elem_type", "path_asns")
            window = _elems_frame(spark, elems, columns, span.window_start, span.window_end,
                                  collector=False).filter(F.col("elem_type").isin("R", "A"))
            announced = (window.filter(F.col("origin_asn").isNotNull())
                         .select(*live_pairs.columns).unionByName(live_pairs))  # fmt: skip
            paths = (window.select(F.explode("path_asns").alias("asn"), "peer_asn")
                     .unionByName(live_asns))  # fmt: skip
        else:
            announced, paths = live_pairs, live_asns
        pairs = announced.groupBy(*_PAIR_KEYS).agg(
            F.min("prefix").alias("prefix"), F.count_distinct("peer_asn").alias("peer_asns"))
        visibility = paths.groupBy("asn").agg(F.count_distinct("peer_asn").alias("peer_asns"))
        return MonthDetection(found, _collected(pairs, PAIRS, _PAIR_KEYS),
                              _collected(visibility, ASN_VISIBILITY, ("asn",)))  # fmt: skip


    def observed_paths(self, elems: LakeSlice, span: TimeSpan) -> pa.Table:
        """OBSERVED_PATHS of the baseline and window (as
        :func:`routewatch.store.lake.observed_paths`), aggregated and sorted by Spark."""
        from pyspark.sql import functions as F  # noqa: N812

        if not elems.parts:
            return OBSERVED_PATHS.empty_table()
        frame = _elems_frame(self.session(), elems, ("peer_asn", "path_asns", "as_set",
                             "elem_type"), span.data_start, span.window_end, collector=False)
        collapsed = F.expr("filter(path_asns, (a, i) -> i = 0 OR a != path_asns[i - 1])")
        paths = (frame.filter(F.col("elem_type").isin("R", "A") & F.col("path_asns").isNotNull())
                 .select("peer_asn", collapsed.alias("path_asns"),
                         F.coalesce(F.col("as_set"), F.lit(False)).alias("as_set"))
                 .groupBy("peer_asn", "path_asns", "as_set").count()
                 .orderBy("peer_asn", "path_asns", "as_set"))  # fmt: skip
        return _collected(paths, OBSERVED_PATHS, ())


def _elems_frame(spark: SparkSession, elems: LakeSlice, columns: Sequence[str], start: int,
                 end: int, collector: bool = True) -> DataFrame:
    """The slice's elems with ``start <= timestamp < end`` (microseconds): one read per
    collector, the collector (the manifest's, not the folder's) added as a column."""
    from pyspark.sql import functions as F  # noqa: N812

    by_collector: dict[str, list[str]] = {}
    for relative, name, _ in elems.parts:
        by_collector.setdefault(name, []).append(str(elems.lake / relative))
    wanted = [c for c in columns if c != "collector"]
    read = [*wanted, "timestamp"] if "timestamp" not in wanted else wanted
    frames = []
    for name in sorted(by_collector):
        frame = spark.read.parquet(*by_collector[name]).select(*read).filter(
            (F.col("timestamp") >= F.timestamp_micros(F.lit(start)))
            & (F.col("timestamp") < F.timestamp_micros(F.lit(end))))  # fmt: skip
        if collector:
            frame = frame.withColumn("collector", F.lit(name))
        frames.append(frame.select(*[c for c in columns if collector or c != "collector"]))
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def _collected(frame: DataFrame, schema: pa.Schema, keys: Sequence[str]) -> pa.Table:
    """A Spark aggregation back on the driver in ``schema``'s types, sorted by ``keys`` (none:
    in Spark's order)."""
    table = frame.toArrow().select(schema.names)
    table = pa.table([table.column(f.name).cast(f.type) for f in schema], schema=schema)
    return table.sort_by([(k, "ascending") for k in keys]) if keys else table


def _outputs(rows: pa.Table, report: DetectReport) -> list[RunOutput]:
    """The buckets' outputs, in bucket order; their reports merged into ``report``."""
    parts: dict[int, dict[str, bytes]] = {}
    for bucket, part, payload in zip(*(rows.column(n).to_pylist()
                                       for n in ("bucket", "part", "payload")), strict=True):
        parts.setdefault(int(bucket), {})[str(part)] = payload
    outputs = []
    for bucket in sorted(parts):
        got = parts[bucket]
        report.merge(pickle.loads(got["report"]))
        outputs.append(RunOutput(_from_ipc(got["findings"]), _from_ipc(got["pairs"]),
                                 _from_ipc(got["asns"])))  # fmt: skip
    return outputs


@dataclass(frozen=True)
class _IngestTask:
    """What an executor runs to ingest its files (pickled to it)."""

    lake: str

    def run(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Each listed file into the lake: its manifest as JSON, or why it is unreadable."""
        for batch in batches:
            index: list[int] = []
            manifests: list[str | None] = []
            errors: list[str | None] = []
            for row in batch.to_pylist():
                mrt = MrtInput(Path(row["path"]), row["collector"], row["kind"],
                               file_id=row["file_id"])  # fmt: skip
                index.append(row["index"])
                try:
                    manifests.append(manifest_of(mrt, Path(self.lake)).to_json())
                    errors.append(None)
                except InputError as exc:
                    manifests.append(None)
                    errors.append(str(exc))
            yield pa.RecordBatch.from_pydict({
                "index": pa.array(index, pa.int64()),
                "manifest": pa.array(manifests, pa.string()),
                "error": pa.array(errors, pa.string()),
            })  # fmt: skip


@dataclass(frozen=True)
class _BucketTask:
    """What executors run: the explode and the per-bucket detection (pickled to them)."""

    refs: Any  # a Broadcast[References]: sent once per executor
    method: Methodology
    kinds: frozenset[Kind]
    buckets: int
    window_start: int
    data_start: int
    per_run: int  # held spans that trigger compaction, and the slack (run_limits)
    slack_us: int
    fine: frozenset[int] = frozenset()

    @property
    def plan(self) -> Buckets:
        return Buckets.of(self.buckets, self.method, self.fine)

    def explode(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Every row once per bucket it goes to (:meth:`Buckets.targets`), with ``bucket``
        and ``owned``; state changes go to every bucket."""
        plan = self.plan
        every = np.arange(plan.count, dtype=np.int64)
        keys = pa.schema([ORDERED_ELEMS.field(n) for n in ("afi", "prefix_hi", "prefix_len")])
        for batch in batches:
            rows, bucket, owned = plan.targets(to_lake_types(batch, keys), lambda _: every)
            out = batch.take(pa.array(rows))
            out = out.append_column(pa.field("bucket", pa.int32(), False),
                                    pa.array(bucket.astype(np.int32), pa.int32()))
            yield out.append_column(pa.field("owned", pa.bool_(), False), pa.array(owned))

    def run(self, key: tuple[pa.Scalar, ...], batches: Iterator[pa.RecordBatch]
            ) -> Iterator[pa.RecordBatch]:
        """One bucket's elems (in the total order) through :class:`PartitionRun`."""
        bucket = int(key[0].as_py())
        run = PartitionRun(self.refs.value, self.method, self.window_start, self.per_run,
                           self.slack_us, bucket=bucket, buckets=self.plan,
                           data_start=self.data_start)  # fmt: skip
        schema = pa.schema([ORDERED_ELEMS.field(n) for n in DETECT_COLUMNS])
        last: tuple[int, int, int] | None = None
        prefixes = False
        for batch in batches:
            if batch.num_rows == 0:
                continue
            elems = to_lake_types(batch, schema)
            after = continues_order(order_keys(elems), last)
            if after is None:
                raise InputError(f"bucket {bucket} received its elems out of the total elem "
                                 f"order {ORDER_KEYS}; the Spark plan must sort within "
                                 "partitions after repartitioning by bucket")  # fmt: skip
            last = after
            afi = elems.column("afi")
            prefixes = prefixes or bool(pc.any(pc.is_in(afi, pa.array([4, 6], afi.type))).as_py())
            run.feed(elems, np.asarray(batch.column("owned").to_numpy(zero_copy_only=False)))
        if not prefixes:  # only state changes: the local engine never starts this bucket
            return
        report = DetectReport()
        output = run.output(self.window_start, self.kinds, report)
        parts = {"findings": _ipc(output.findings), "pairs": _ipc(output.window_pairs),
                 "asns": _ipc(output.window_asns), "report": pickle.dumps(report)}
        yield pa.RecordBatch.from_pydict({
            "bucket": pa.array([bucket] * len(parts), pa.int32()),
            "part": pa.array(list(parts), pa.string()),
            "payload": pa.array(list(parts.values()), pa.binary()),
        })  # fmt: skip

