"""Benchmark: the local and the Spark engine over 1, 2, 4 and 8 copies of the real streams.

What it does, in one run:

1. Builds the copies of ``benchmarks/month.py`` (the RIPE RIS rrc04 series of 2021-01-01 and
   the rrc06 series of 2021-01-02, 50 five-minute update files each, copy k moved k days
   later; the same builder) and ingests each copy count into a lake of its own.
2. For each copy count runs ``routewatch run --month 2021-01 --collectors rrc04,rrc06
   --offline --lake L`` twice in child processes: ``--engine local`` and ``--engine spark
   --spark-master local[2]`` (one machine: the driver and its executors share the cores).
   While each runs, the resident memory of its whole process tree is sampled every 0.2 s
   (``/proc``): the peak of the driver (the routewatch process), of Spark's JVM and of the
   Python workers (executors), and of the whole tree.
3. Prints per copy count and engine: elems, wall time, the detect and aggregate stages,
   elems per second of detection, and the peaks; then Spark's time over the local engine's
   for each copy count (the ratio, measured in the same run).

No other tool computes these tables, so the comparison is the two engines with each other;
``docs/scaling.md`` derives per-file, per-elem and per-route costs from the table. The
results are identical (``tests/test_month_exact.py``, ``tests/test_spark_engine.py``); this
only measures.

Run: ``.venv/bin/python benchmarks/scale.py [--copies 1,2,4,8] [--work DIR]
[--spark-master local[2]]``; needs pyspark and Java (``make install``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from month import build_copies, elems_of, seed_cache, stage_times

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Peaks:
    """Peak resident MB of the driver, the JVM, the Python workers and the whole tree."""

    driver: float = 0.0
    jvm: float = 0.0
    workers: float = 0.0
    tree: float = 0.0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every process: pid -> (parent pid, command name, resident MB)."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            statm = Path(entry.path, "statm").read_text().split()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(entry.name)] = (int(fields[1]), name, int(statm[1]) * PAGE_KB / 1024)
    return out


def _sample(root: int, peaks: Peaks) -> None:
    while not peaks._stop.wait(0.2):
        table = _processes()
        tree = {root}
        grew = True
        while grew:
            grew = False
            for pid, (parent, _, _) in table.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        jvm = sum(table[p][2] for p in tree if p in table and table[p][1] == "java")
        workers = sum(table[p][2] for p in tree if p in table and p != root
                      and table[p][1].startswith("python"))  # fmt: skip
        driver = table[root][2] if root in table else 0.0
        peaks.driver = max(peaks.driver, driver)
        peaks.jvm = max(peaks.jvm, jvm)
        peaks.workers = max(peaks.workers, workers)
        peaks.tree = max(peaks.tree, driver + jvm + workers)
        peaks.samples += 1


def run_sampled(args: list[str], env: dict[str, str]) -> tuple[int, float, Peaks, str]:
    """Exit code, wall seconds, memory peaks and stdout of one child process (and its tree)."""
    began = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                             text=True)  # fmt: skip
    peaks = Peaks()
    sampler = threading.Thread(target=_sample, args=(child.pid, peaks), daemon=True)
    sampler.start()
    out = child.stdout.read() if child.stdout else ""
    code = child.wait()
    peaks._stop.set()
    sampler.join()
    return code, time.perf_counter() - began, peaks, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", default="1,2,4,8")
    parser.add_argument("--work", type=Path, help="keep the generated files here")
    parser.add_argument("--spark-master", default="local[2]")
    args = parser.parse_args()
    counts = [int(c) for c in args.copies.split(",")]
    routewatch = str(Path(sys.executable).parent / "routewatch")
    engines = {"local": ["--engine", "local"],
               "spark": ["--engine", "spark", "--spark-master", args.spark_master]}
    rows = []
    with tempfile.TemporaryDirectory(prefix="routewatch-scale-bench-") as scratch:
        work = args.work or Path(scratch)
        cache = work / "cache"
        seed_cache(cache)
        env = {**os.environ, "ROUTEWATCH_CACHE_DIR": str(cache)}
        for n in counts:
            files = build_copies(work, n)
            lake = work / f"lake-{n}"
            code = subprocess.run([routewatch, "ingest", "--lake", str(lake), *map(str, files)],
                                  env=env, capture_output=True).returncode  # fmt: skip
            if code not in (0, 3):
                print(f"ingest of {n} copies failed ({code})", file=sys.stderr)
                return 1
            for engine, flags in engines.items():
                db = work / f"{engine}-{n}.duckdb"
                code, wall, peaks, out = run_sampled(
                    [routewatch, "run", "--month", "2021-01", "--collectors", "rrc04,rrc06",
                     "--offline", "--lake", str(lake), "--db", str(db), *flags], env)  # fmt: skip
                if code not in (0, 3):
                    print(out, file=sys.stderr)
                    print(f"{engine} over {n} copies failed ({code})", file=sys.stderr)
                    return 1
                rows.append((n, engine, elems_of(out), wall, stage_times(out), peaks))
                print(f"  {n} copies, {engine}: {wall:.1f} s", file=sys.stderr, flush=True)
    return report(rows)


def report(rows: list[tuple[int, str, int, float, dict[str, tuple[float, float]], Peaks]]
           ) -> int:
    print(f"{'copies':>6} {'engine':>6} {'elems':>11} {'run s':>7} {'detect s':>9} "
          f"{'aggr s':>7} {'elems/s':>9} {'driver MB':>9} {'JVM MB':>7} {'workers MB':>10} "
          f"{'tree MB':>8}")  # fmt: skip
    walls: dict[tuple[int, str], float] = {}
    for n, engine, elems, wall, stages, peaks in rows:
        detect = stages.get("detect", (float("nan"), 0.0))[0]
        aggregate = stages.get("aggregate", (float("nan"), 0.0))[0]
        walls[(n, engine)] = wall
        print(f"{n:>6} {engine:>6} {elems:>11,} {wall:>7.1f} {detect:>9.1f} {aggregate:>7.1f} "
              f"{elems / detect if detect else float('nan'):>9,.0f} {peaks.driver:>9.0f} "
              f"{peaks.jvm:>7.0f} {peaks.workers:>10.0f} {peaks.tree:>8.0f}")  # fmt: skip
    for n in sorted({r[0] for r in rows}):
        if (n, "spark") in walls and (n, "local") in walls:
            print(f"{n} copies: spark / local wall time = "
                  f"{walls[(n, 'spark')] / walls[(n, 'local')]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
