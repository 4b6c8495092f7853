"""Benchmark: ``routewatch run`` over 1, 2, 4 and 8 days of real data — memory and speed.

What it does, in one run:

1. Builds real MRT update files for several days: the RIPE RIS rrc04 series of 2021-01-01
   (50 consecutive five-minute files) and the first 12 files of the rrc06 series of
   2021-01-02 (the repository's copies in ``tests/data/shared``, so every checkout measures
   the same 62 files per day), each
   copied onto consecutive days of January 2021 — copy k has every record's MRT timestamp
   moved k days later (the bytes are otherwise untouched; rrc06 is first moved one day back
   so both collectors share each day). Files are named and laid out as RIS archives
   (``rrc04/2021.01/updates.20210101.0455.gz``).
2. For 1, 2, 4 and 8 copies: ingests them into a lake of their own (``routewatch ingest``,
   timed but not part of the run), seeds an offline download cache with the reference
   files (AFRINIC VRPs 2022-01-02, relationships 2018-01: the nearest real snapshots), then
   runs ``routewatch run --month 2021-01 --collectors rrc04,rrc06 --offline --lake L`` in a
   child process and records its wall time, peak resident memory (the child's ru_maxrss)
   and the time of each stage from the run's summary. The files missing from the month are
   gaps (exit 3 is expected): the run takes what the lake holds.
3. Prints, per copy count: elems, run wall time, peak RSS and its ratio to one copy (target:
   at most 1.5 at 8 copies), detection's wall and CPU time and elems per CPU second (target:
   at least 500,000, end to end from the lake: reading Parquet, merging in the total elem
   order, route state, every detector, findings and incidents; the aggregation of announced
   pairs and visibility in DuckDB is its own stage).

No other tool runs a month of detection, so there is no peer to compare with; the peer
comparisons of the parts are ``benchmarks/mrt.py`` (reading) and ``benchmarks/detect.py``.

Run: ``.venv/bin/python benchmarks/month.py [--copies 1,2,4,8] [--work DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _data import shared_data  # noqa: E402

SERIES = {"rrc04": ("rrc04_20210101", 0), "rrc06": ("rrc06_20210102", -1)}
ROAS = "rpki/ripe-archive_afrinic-tal_roas_20220102.csv"
RELS = "asrel/toposcope_asrel_201801.txt"
DAY = 86_400
_HEADER = struct.Struct(">IHHI")


def shifted(data: bytes, seconds: int) -> bytes:
    """MRT records with every header timestamp moved by ``seconds`` (nothing else changed)."""
    out = bytearray(data)
    at = 0
    while at + _HEADER.size <= len(out):
        stamp, _kind, _sub, length = _HEADER.unpack_from(out, at)
        struct.pack_into(">I", out, at, stamp + seconds)
        at += _HEADER.size + length
    return bytes(out)


def build_copies(work: Path, copies: int) -> list[Path]:
    """The RIS-named update files of ``copies`` days for every series."""
    made = []
    for collector, (folder, offset) in SERIES.items():
        for source in sorted(shared_data(f"mrt/series/{folder}").glob("*.cache")):
            raw = gzip.decompress(source.read_bytes())
            start = int(re.search(r"\.(\d{10})\.", source.name).group(1))  # type: ignore[union-attr]
            for k in range(copies):
                delta = (offset + k) * DAY
                when = dt.datetime.fromtimestamp(start + delta, dt.UTC)
                target = work / "archive" / collector / f"{when:%Y.%m}" / \
                    f"updates.{when:%Y%m%d.%H%M}.gz"
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(gzip.compress(shifted(raw, delta), compresslevel=1))
                made.append(target)
    return sorted(made)


def seed_cache(cache: Path) -> None:
    """The reference files of the month in the download cache, as their plan items."""
    from routewatch.sources import Cache, Window, get_source
    from routewatch.sources.cache import Fields

    for source, collector, when, relative in (
        ("rpki", "afrinic", "2021-01-01T00:00", ROAS),
        ("caida", "as-rel", "2021-01-01T00:00", RELS),
    ):
        start = dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC)
        items = get_source(source).plan(Window(start, start), collector)
        data = shared_data(relative).read_bytes()
        store = Cache(cache)
        with store.temporary() as temp:
            temp.write_bytes(data)
            fields = Fields(items[0].url, hashlib.sha256(data).hexdigest(), len(data),
                            items[0].as_of, start)
            store.commit(temp, items[0], fields)


def run_child(args: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """Exit code, wall seconds, peak RSS (MB) and stdout of one child process."""
    began = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                             text=True)  # fmt: skip
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, time.perf_counter() - began, usage.ru_maxrss / 1024, out


def stage_times(summary: str) -> dict[str, tuple[float, float]]:
    """The run summary's ``time (wall / CPU s)`` line as {stage: (wall, cpu)}."""
    line = next((x for x in summary.splitlines() if "time (wall / CPU s):" in x), "")
    found = re.findall(r"(\w+) ([\d.]+)/([\d.]+)", line.split(":", 1)[-1])
    return {name: (float(w), float(c)) for name, w, c in found}


def elems_of(summary: str) -> int:
    line = next((x for x in summary.splitlines() if x.strip().startswith("BGP:")), "")
    return sum(int(n.replace(",", "")) for n in re.findall(r"[ARWS] ([\d,]+)", line))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", default="1,2,4,8")
    parser.add_argument("--work", type=Path, help="keep the generated files here")
    args = parser.parse_args()
    counts = [int(c) for c in args.copies.split(",")]
    routewatch = str(Path(sys.executable).parent / "routewatch")
    with tempfile.TemporaryDirectory(prefix="routewatch-month-bench-") as scratch:
        work = args.work or Path(scratch)
        cache = work / "cache"
        seed_cache(cache)
        env = {**os.environ, "ROUTEWATCH_CACHE_DIR": str(cache), "NUMBA_NUM_THREADS": "1"}
        rows = []
        for n in counts:
            files = build_copies(work, n)
            lake = work / f"lake-{n}"
            code, ingest_s, _, _ = run_child([routewatch, "ingest", "--lake", str(lake),
                                              *map(str, files)], env)  # fmt: skip
            if code not in (0, 3):
                print(f"ingest of {n} copies failed ({code})", file=sys.stderr)
                return 1
            db = work / f"month-{n}.duckdb"
            code, wall, rss, out = run_child(
                [routewatch, "run", "--month", "2021-01", "--collectors", "rrc04,rrc06",
                 "--offline", "--lake", str(lake), "--db", str(db), "--force"],
                env)  # fmt: skip
            if code not in (0, 3):
                print(out, file=sys.stderr)
                print(f"run over {n} copies failed ({code})", file=sys.stderr)
                return 1
            stages = stage_times(out)
            rows.append((n, elems_of(out), ingest_s, wall, rss, stages))
    return report(rows)


def report(rows: list[tuple[int, int, float, float, float, dict[str, tuple[float, float]]]]
           ) -> int:
    base = rows[0][4]
    print(f"{'copies':>6} {'elems':>11} {'ingest s':>9} {'run s':>7} {'peak MB':>8} "
          f"{'x 1 copy':>8} {'detect s':>9} {'CPU s':>7} {'elems/s':>10} {'aggregate s':>11}")
    ok = True
    for n, elems, ingest_s, wall, rss, stages in rows:
        d_wall, d_cpu = stages.get("detect", (float("nan"), float("nan")))
        rate = elems / d_cpu if d_cpu else float("nan")
        ratio = rss / base
        ok &= rate >= 500_000
        if n == max(r[0] for r in rows):
            ok &= ratio <= 1.5
        print(f"{n:>6} {elems:>11,} {ingest_s:>9.1f} {wall:>7.1f} {rss:>8.0f} {ratio:>8.2f} "
              f"{d_wall:>9.1f} {d_cpu:>7.1f} {rate:>10,.0f} "
              f"{stages.get('aggregate', (0.0, 0.0))[0]:>11.1f}")
    print("targets: peak memory at most 1.5x one copy's at the most copies; detection at "
          "least 500,000 elems per CPU second (one core)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
