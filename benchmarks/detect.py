"""Benchmark: elems/s through route state and every detector, one core.

What it does, in one run:

1. Reads real update streams once with routewatch's MRT reader: RIS rrc21 2016-08-11 16:00
   and the RIS rrc04 series of 2021-01-01 (50 consecutive 5-minute files), merged in time
   order. Reading is not timed (``benchmarks/mrt.py`` measures it).
2. Repeats the stream to ``--elems`` elems (default 6,000,000, so compaction runs): copy k
   is shifted k times the stream's duration later, so route state sees a long stream with
   real churn, real duplicates and session resets, and the live table stays the size of the
   real one.
3. Times :func:`routewatch.detect.engine.detect` over it — route state, bogons, leaks,
   hijacks, ROV, event building and incidents — with the 2016-05-27 ROAs, the 2018-01
   relationships and the packaged IANA bogon registries, single-threaded
   (``NUMBA_NUM_THREADS=1``). Reference loading is timed separately.
4. Prints elems per CPU second (process time, so other load on the machine does not count;
   wall time is printed too), findings, incidents and spans (the floor is 500,000 elems/s).
5. ``--memory N,N,...``: memory against stream length. The stream is written once to a
   Parquet file; for each length and for compaction on (the default setting) and off, a
   fresh child process streams it from disk (batch by batch, copy after copy) into
   detection and reports the RSS before detection (imports, references, compiled kernels:
   ``RSS0``), how far detection raised the peak above it (``detect MB``, from VmHWM reset
   through /proc/self/clear_refs), all spans and the spans held at the end (kept closed
   spans + ghosts, live routes not counted).

Run: ``.venv/bin/python benchmarks/detect.py [--elems N] [--buckets N]
[--memory 1000000,3000000,6000000,12000000]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from routewatch.detect.engine import detect
from routewatch.ingest.mrt import read_elems
from routewatch.pipeline import build_references

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _data import refuse_missing, shared_data, shared_files

STREAMS = [
    shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz"),
    *shared_files("mrt/series/rrc04_20210101", "*.cache"),
]
REFERENCES = {
    "vrps": [shared_data("rpki/rcynic-scan_roas_roa_list_20160527.txt")],
    "as-relationships": [shared_data("asrel/toposcope_asrel_201801.txt")],
}


def _read(paths: list[Path]) -> pa.Table:
    tables = []
    for path in paths:
        tables.append(pa.Table.from_batches(list(read_elems(path, collector=path.stem[:12]))))
    table = pa.concat_tables(tables).combine_chunks()
    order = pc.sort_indices(table, sort_keys=[("timestamp", "ascending")])
    return table.take(order)


def _repeat(table: pa.Table, total: int) -> Iterator[pa.RecordBatch]:
    ts = table.column("timestamp").cast(pa.int64())
    span = int(pc.max(ts).as_py()) - int(pc.min(ts).as_py()) + 1_000_000
    sent = 0
    k = 0
    while sent < total:
        moved = pc.add(ts, pa.scalar(k * span, pa.int64()))
        shifted = moved.cast(table.schema.field("timestamp").type)
        copy = table.set_column(0, table.schema.field("timestamp"), shifted)
        for batch in copy.to_batches(max_chunksize=65536):
            if sent >= total:
                return
            batch = batch.slice(0, min(batch.num_rows, total - sent))
            sent += batch.num_rows
            yield batch
        k += 1


def _references() -> object:
    return build_references(REFERENCES)


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stream(parquet: str, total: int) -> Iterator[pa.RecordBatch]:
    """Like :func:`_repeat`, but every copy is read again from disk, batch by batch."""
    ts = pq.read_table(parquet, columns=["timestamp"]).column(0).cast(pa.int64())
    lo, hi = int(pc.min(ts).as_py()), int(pc.max(ts).as_py())  # over every row group
    del ts
    span, sent, k = hi - lo + 1_000_000, 0, 0
    while sent < total:
        for batch in pq.ParquetFile(parquet).iter_batches(batch_size=65536):
            if sent >= total:
                return
            ts = pc.add(batch.column(0).cast(pa.int64()), pa.scalar(k * span, pa.int64()))
            batch = batch.set_column(0, batch.schema.field(0), ts.cast(batch.schema.field(0).type))
            batch = batch.slice(0, min(batch.num_rows, total - sent))
            sent += batch.num_rows
            yield batch
        k += 1


def _child(parquet: str, elems: int, compact: int) -> int:
    """One memory measurement: stream ``elems`` elems from disk into detection."""
    refs = _references()
    detect(_stream(parquet, 100_000), refs)  # compile and warm up
    before = _status_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # restart the peak (VmHWM) from here
    result = detect(_stream(parquet, elems), refs, compact_spans=compact)  # type: ignore[arg-type]
    peak = _status_mb("VmHWM")
    c = result.report.compaction
    held = c.kept + c.ghosts if c.runs else result.report.spans
    print(f"{elems:>12,} {'on' if compact else 'off':>10} {before:>9,.0f} {peak - before:>11,.0f}"
          f" {result.report.spans:>11,} {held:>11,} {result.findings.num_rows:>9,}",
          flush=True)  # fmt: skip
    return 0


def _memory(table: pa.Table, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        parquet = str(Path(tmp) / "stream.parquet")
        pq.write_table(table, parquet)
        print(f"{'elems':>12} {'compaction':>10} {'RSS0 MB':>9} {'detect MB':>11} "
              f"{'spans':>11} {'held':>11} {'findings':>9}", flush=True)  # fmt: skip
        for n in sizes:
            for compact in (2_000_000, 0):
                subprocess.run([sys.executable, __file__, "--child", parquet, str(n),
                                str(compact)], check=True)  # fmt: skip


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        return _child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elems", type=int, default=6_000_000)
    parser.add_argument("--buckets", type=int, default=1, help="prefix buckets (same result)")
    parser.add_argument("--memory", default="", help="comma-separated stream lengths")
    args = parser.parse_args()
    refuse_missing("benchmarks/detect.py", [*STREAMS, *REFERENCES["vrps"],
                                            *REFERENCES["as-relationships"]])
    t0 = time.perf_counter()
    refs = _references()
    t1 = time.perf_counter()
    table = _read(STREAMS)
    if args.memory:
        _memory(table, [int(x) for x in args.memory.split(",")])
        return 0
    t2 = time.perf_counter()
    print(f"references: {t1 - t0:.1f} s; read {table.num_rows:,} elems from {len(STREAMS)} "
          f"files in {t2 - t1:.1f} s (not timed below)")  # fmt: skip
    detect(_repeat(table, 200_000), refs, buckets=args.buckets)  # warm-up: numba
    batches = list(_repeat(table, args.elems))
    n = sum(b.num_rows for b in batches)
    t3, c3 = time.perf_counter(), time.process_time()
    result = detect(batches, refs, buckets=args.buckets)
    t4, c4 = time.perf_counter(), time.process_time()
    rate = n / (c4 - c3)
    print(f"detect: {n:,} elems in {t4 - t3:.2f} s wall, {c4 - c3:.2f} s CPU = {rate:,.0f} "
          f"elems/s per CPU second (one core; floor 500,000) -> "
          f"{result.findings.num_rows:,} findings, "
          f"{result.incidents.num_rows:,} incidents, {result.report.spans:,} spans, "
          f"{result.report.state.duplicates:,} duplicates; compaction: "
          f"{result.report.compaction}")  # fmt: skip
    return 0 if rate >= 500_000 else 1


if __name__ == "__main__":
    sys.exit(main())
