"""Benchmark: elems/s through route state and every detector, one core.

What it does, in one run:

1. Reads real update streams once with routewatch's MRT reader: RIS rrc21 2016-08-11 16:00
   and the RIS rrc04 series of 2021-01-01 (50 consecutive 5-minute files), merged in time
   order. Reading is not timed (``benchmarks/mrt.py`` measures it).
2. Repeats the stream to ``--elems`` elems (default 3,000,000): copy k is shifted k times
   the stream's duration later, so route state sees a long stream with real churn, real
   duplicates and session resets, and the live table stays the size of the real one.
3. Times :func:`routewatch.detect.engine.detect` over it — route state, bogons, leaks,
   hijacks, ROV, event building and incidents — with the 2016-05-27 ROAs, the 2018-01
   relationships and the packaged IANA bogon registries, single-threaded
   (``NUMBA_NUM_THREADS=1``). Reference loading is timed separately.
4. Prints elems per CPU second (process time, so other load on the machine does not count;
   wall time is printed too), findings, incidents and spans (the floor is 500,000 elems/s).

Run: ``.venv/bin/python benchmarks/detect.py [--elems N] [--partitioned]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import pyarrow as pa
import pyarrow.compute as pc

from routewatch.cli.detect import build_references
from routewatch.detect.engine import detect
from routewatch.ingest.mrt import read_elems

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
STREAMS = [
    DATA / "mrt" / "ris" / "ris-rrc21_updates.20160811.1600.gz",
    *sorted((DATA / "mrt" / "series" / "rrc04_20210101").glob("*.cache")),
]


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elems", type=int, default=3_000_000)
    parser.add_argument("--partitioned", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    refs = build_references(
        (DATA / "rpki" / "rcynic-scan_roas_roa_list_20160527.txt",), (),
        (DATA / "asrel" / "toposcope_asrel_201801.txt",), (), (), (), (),
    )  # fmt: skip
    t1 = time.perf_counter()
    table = _read(STREAMS)
    t2 = time.perf_counter()
    print(f"references: {t1 - t0:.1f} s; read {table.num_rows:,} elems from {len(STREAMS)} "
          f"files in {t2 - t1:.1f} s (not timed below)")  # fmt: skip
    detect(_repeat(table, 200_000), refs, partitioned=args.partitioned)  # warm-up: numba
    batches = list(_repeat(table, args.elems))
    n = sum(b.num_rows for b in batches)
    t3, c3 = time.perf_counter(), time.process_time()
    result = detect(batches, refs, partitioned=args.partitioned)
    t4, c4 = time.perf_counter(), time.process_time()
    rate = n / (c4 - c3)
    print(f"detect: {n:,} elems in {t4 - t3:.2f} s wall, {c4 - c3:.2f} s CPU = {rate:,.0f} "
          f"elems/s per CPU second (one core; floor 500,000) -> "
          f"{result.findings.num_rows:,} findings, "
          f"{result.incidents.num_rows:,} incidents, {result.report.spans:,} spans, "
          f"{result.report.state.duplicates:,} duplicates")  # fmt: skip
    return 0 if rate >= 500_000 else 1


if __name__ == "__main__":
    sys.exit(main())
