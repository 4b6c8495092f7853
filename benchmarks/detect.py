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
5. Prints peak memory: the process's peak RSS, its RSS just before the timed run (the input
   stream and reference data) and the difference — what detection itself added. The timed
   batches are generated on the fly (one shifted copy of the input at a time), so the input
   does not grow with ``--elems``.

``--sweep 1000000,3000000,6000000`` runs one fresh process per size (peak RSS is per
process) and prints one line per size: memory should stay flat as the stream grows.

Run: ``.venv/bin/python benchmarks/detect.py [--elems N] [--partitioned] [--sweep N,N,...]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
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


def _rss_mb() -> float:
    """Current resident set size in MB (Linux /proc)."""
    with Path("/proc/self/statm").open(encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _reset_peak() -> float:
    """Reset the kernel's peak-RSS mark (VmHWM) where allowed; return the current RSS in MB."""
    try:
        with Path("/proc/self/clear_refs").open("w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass  # then the peak includes reading the input (an upper bound)
    return _rss_mb()


def _peak_mb() -> float:
    """Peak RSS in MB since :func:`_reset_peak` (VmHWM), else of the whole process."""
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e3
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _sweep(sizes: list[int], partitioned: bool) -> int:
    worst = 0
    for size in sizes:
        command = [sys.executable, __file__, "--elems", str(size)]
        if partitioned:
            command.append("--partitioned")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith(("detect:", "memory:"))]
        print(f"--elems {size:,}: " + " | ".join(lines) if lines else done.stderr[-2000:])
        worst = max(worst, done.returncode)
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elems", type=int, default=3_000_000)
    parser.add_argument("--partitioned", action="store_true")
    parser.add_argument("--sweep", help="comma-separated --elems values, one process each")
    args = parser.parse_args()
    if args.sweep:
        return _sweep([int(x) for x in args.sweep.split(",")], args.partitioned)
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
    n = args.elems  # _repeat yields exactly this many elems
    before = _reset_peak()
    t3, c3 = time.perf_counter(), time.process_time()
    result = detect(_repeat(table, args.elems), refs, partitioned=args.partitioned)
    t4, c4 = time.perf_counter(), time.process_time()
    peak = _peak_mb()
    rate = n / (c4 - c3)
    print(f"detect: {n:,} elems in {t4 - t3:.2f} s wall, {c4 - c3:.2f} s CPU = {rate:,.0f} "
          f"elems/s per CPU second (one core; floor 500,000) -> "
          f"{result.findings.num_rows:,} findings, "
          f"{result.incidents.num_rows:,} incidents, {result.report.spans:,} spans, "
          f"{result.report.state.duplicates:,} duplicates")  # fmt: skip
    print(f"memory: peak RSS {peak:,.0f} MB; before the timed run {before:,.0f} MB (input "
          f"stream, references, warm-up); detection added {peak - before:,.0f} MB; "
          f"{result.report.spans:,} spans kept")  # fmt: skip
    return 0 if rate >= 500_000 else 1


if __name__ == "__main__":
    sys.exit(main())
