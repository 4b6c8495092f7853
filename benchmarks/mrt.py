"""Benchmark: MRT archive to elems with routewatch, bgpdump, pybgpkit-parser and mrtparse.

Every tool reads the same inputs in the same run, each in its own process pinned to one core;
the table gives elems, seconds, elems per second, the ratio to ``bgpdump -m`` and the peak
resident memory of the process. routewatch must be at least 3x bgpdump (the floor; the target is
10x): the script exits 1 when it is not on any input. For the bzip2 input the floor is in two
parts: routewatch with two cores (``routewatch-2cores``) against bgpdump's wall time, and on one
core the *decoding*: the same RIB decompressed (``routeviews2-rib-plain``) against bgpdump
reading that decompressed file.

A second table measures start-up: ``routewatch mrt stats`` and ``mrt dump`` of a small file
(948 bytes) against ``bgpdump -m`` of it, whole processes, best of ``--runs``: at most 0.3 s
and 120 MB (floor of issue 14), once the kernels are compiled.

``--baseline SRC`` adds a ``baseline`` row per input (and ``baseline-2cores`` next to
``routewatch-2cores``): routewatch run from another source tree (for example a worktree at an
older commit), to measure a change before and after in one run.

Inputs are real archives of the shared corpus (``mrt/...``, found as the tests find them:
the repository's copy in ``tests/data/shared`` first, then ``$ROUTEWATCH_SHARED_DATA`` or
``../shared/data``; a plain clone has all but the ET file, which is then skipped with a line
saying so) made big enough for stable timings: the
decompressed MRT stream (cut after its last complete record; the RouteViews excerpt is a
truncated bz2) is repeated until it holds at least ``--repeat-to`` elems, then compressed
again as the original was. Generated inputs live in ``--cache-dir`` (not in the repository)
and are reused.

What is timed:

* routewatch: ``read_elems`` over the file, consuming every Arrow batch (in a child
  process; the time excludes interpreter start and imports, which ``wall`` includes). One
  untimed run on a single copy first lets numba compile or load its cached machine code;
  ``routewatch-2cores`` is the same pinned to two cores (bzip2 inputs only);
* bgpdump: ``bgpdump -m FILE > /dev/null``, the whole process; its elems are the lines of
  an untimed second run;
* pybgpkit-parser: iterating the ``Elem`` objects of ``Parser(path)``;
* decompress: only the zlib / bz2 decompression of the file in this Python (the input's
  elems divided by that time): the ceiling any one-core reader of that file can reach;
* mrtparse: iterating ``Reader(path)`` records and expanding each to elem tuples. It is
  pure Python, so it reads a smaller repetition (``--slow-elems``) and its time is scaled
  to the full size; such rows are marked ``*``.

routewatch and bgpdump, whose ratio is the floor, run ``--runs`` times (default 3) and the
fastest run counts, which damps the noise of a shared machine; the others run once.

Usage::

    python benchmarks/mrt.py                 # all tools, all inputs, >= 2,000,000 elems each
    python benchmarks/mrt.py --quick         # smoke run (about 100,000 elems per input)
    python benchmarks/mrt.py --tools routewatch,bgpdump --inputs rrc21-updates
    python benchmarks/mrt.py --tools routewatch,bgpdump --baseline /tmp/old-worktree
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _data import missing_message, shared_data  # noqa: E402

BGPDUMP = "/usr/bin/bgpdump"
TIME = "/usr/bin/time"
TASKSET = "/usr/bin/taskset"
FLOOR, TARGET = 3.0, 10.0
TOOLS = ("routewatch", "routewatch-2cores", "bgpdump", "pybgpkit", "mrtparse", "decompress")
SLOW_TOOLS = frozenset({"mrtparse"})
ROUTEWATCH = frozenset({"routewatch", "routewatch-2cores", "baseline", "baseline-2cores"})
WARM_UP = ROUTEWATCH
# the tools the floor is about (and the before/after pair): best of --runs
BEST_OF = ROUTEWATCH | {"bgpdump"}
TWO_CORES = frozenset({"routewatch-2cores", "baseline-2cores"})
STARTUP_FILE = ROOT / "tests" / "data" / "mrt" / "bview.ipv4_unicast_add_path.gz"
STARTUP_SECONDS, STARTUP_MB = 0.3, 120.0
MRT_HEADER = struct.Struct(">IHHI")


@dataclass(frozen=True)
class Input:
    """One benchmark input: a real archive and how it is compressed."""

    name: str
    source: Path
    compression: str  # "gzip", "bzip2" or "none"

    @property
    def suffix(self) -> str:
        """File name ending of the generated repetitions."""
        return {"gzip": ".gz", "bzip2": ".bz2"}.get(self.compression, ".mrt")


INPUTS: tuple[Input, ...] = (
    Input("rrc21-updates", shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz"), "gzip"),
    Input("et-updates", shared_data("mrt/misc/updates.et-header.2015.gz"), "gzip"),
    Input("rrc05-rib-2002", shared_data("mrt/ris/ris-rrc05_bview.20020722.2337.gz"), "gzip"),
    Input(
        "routeviews2-rib",
        shared_data("mrt/routeviews/route-views2_rib.20140523.0600_firstMB.bz2"),
        "bzip2",
    ),
    # the same RIB decompressed: the one-core floor for bzip2 input is on decoding
    Input(
        "routeviews2-rib-plain",
        shared_data("mrt/routeviews/route-views2_rib.20140523.0600_firstMB.bz2"),
        "none",
    ),
)


# ------------------------------------------------------------------------------------------
# Input generation
# ------------------------------------------------------------------------------------------


def readable_mrt(path: Path) -> bytes:
    """The decompressed content of ``path`` as far as it can be decoded (truncation is fine)."""
    data = path.read_bytes()
    out: list[bytes] = []
    if data.startswith(b"\x1f\x8b"):
        while data:
            unzip = zlib.decompressobj(wbits=31)
            try:
                out.append(unzip.decompress(data))
            except zlib.error:
                break
            if not unzip.eof:
                out.append(unzip.flush())
                break
            data = unzip.unused_data.lstrip(b"\x00")
    elif data.startswith(b"BZh"):
        while data:
            unbz = bz2.BZ2Decompressor()
            try:
                out.append(unbz.decompress(data))
            except (OSError, EOFError):
                break
            if not unbz.eof:
                break
            data = unbz.unused_data
    else:
        out.append(data)
    return b"".join(out)


def complete_records(data: bytes) -> bytes:
    """``data`` cut after its last complete MRT record (header 12 bytes + length)."""
    offset = 0
    while offset + MRT_HEADER.size <= len(data):
        length = MRT_HEADER.unpack_from(data, offset)[3]
        end = offset + MRT_HEADER.size + length
        if end > len(data):
            break
        offset = end
    return data[:offset]


def write_repeated(data: bytes, copies: int, target: Path, compression: str) -> None:
    """Write ``copies`` concatenated copies of ``data`` to ``target``, compressed, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if compression == "none":
        with tmp.open("wb") as plain:
            for _ in range(copies):
                plain.write(data)
    else:
        opener = gzip.open if compression == "gzip" else bz2.open
        level = 6 if compression == "gzip" else 9
        with opener(tmp, "wb", compresslevel=level) as sink:
            for _ in range(copies):
                sink.write(data)
    tmp.replace(target)


def prepare(spec: Input, copies: int, cache_dir: Path) -> Path:
    """The input file with ``copies`` repetitions of ``spec``'s complete records (cached)."""
    target = cache_dir / f"{spec.name}.x{copies}{spec.suffix}"
    if not target.exists():
        write_repeated(
            complete_records(readable_mrt(spec.source)), copies, target, spec.compression
        )
    return target


def count_elems(path: Path) -> int:
    """Elems of ``path`` as ``bgpdump -m`` lines (routewatch's count without bgpdump); cached."""
    sidecar = path.with_name(path.name + ".elems.json")
    if sidecar.exists():
        return int(json.loads(sidecar.read_text())["elems"])
    have_bgpdump = Path(BGPDUMP).exists()
    elems = _bgpdump_lines(path) if have_bgpdump else run_tool_inline("routewatch", path)
    sidecar.write_text(json.dumps({"elems": elems}))
    return elems


def _bgpdump_lines(path: Path) -> int:
    proc = subprocess.Popen(
        [BGPDUMP, "-m", str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    stream = proc.stdout
    assert stream is not None
    lines = 0
    while chunk := stream.read(1 << 20):
        lines += chunk.count(b"\n")
    proc.wait()
    return lines


def copies_for(per_copy: int, target: int) -> int:
    """Repetitions needed for at least ``target`` elems (at least one)."""
    return max(1, math.ceil(target / max(per_copy, 1)))


# ------------------------------------------------------------------------------------------
# The tools, as run inside the child process
# ------------------------------------------------------------------------------------------


def _load_routewatch() -> None:
    """Import the reader and numba before the timer starts ('seconds' excludes imports)."""
    import routewatch.ingest.mrt as reader

    jit = getattr(reader, "jit", None)  # a baseline from before the kernel split has none
    if jit is not None:
        jit.compile_kernels()


def _routewatch(path: Path) -> int:
    from routewatch.ingest.mrt import read_elems

    return sum(batch.num_rows for batch in read_elems(path))


def _pybgpkit(path: Path) -> int:
    import pybgpkit_parser

    return sum(1 for _ in pybgpkit_parser.Parser(url=str(path)))


def _mrtparse(path: Path) -> int:
    import mrtparse

    return sum(1 for _ in _mrtparse_elems(mrtparse.Reader(str(path))))


def _mrtparse_elems(reader: Iterator[object]) -> Iterator[tuple[object, ...]]:
    """Expand mrtparse records to (time, peer, prefix, path) elem tuples."""
    for record in reader:
        data = record.data  # type: ignore[attr-defined]
        kind = next(iter(data["type"]))
        stamp = next(iter(data["timestamp"]))
        if kind == 12:  # TABLE_DUMP
            yield stamp, data["peer_ip"], data["prefix"], _path(data["path_attributes"])
        elif kind == 13 and "rib_entries" in data:  # TABLE_DUMP_V2 RIB
            for entry in data["rib_entries"]:
                yield stamp, entry["peer_index"], data["prefix"], _path(entry["path_attributes"])
        elif kind in (16, 17):  # BGP4MP, BGP4MP_ET
            yield from _mrtparse_update(stamp, data)


def _mrtparse_update(stamp: object, data: dict[str, object]) -> Iterator[tuple[object, ...]]:
    message = data.get("bgp_message")
    if not isinstance(message, dict):  # state change
        yield stamp, data.get("peer_ip"), None, None
        return
    attrs = message.get("path_attributes", [])
    path = _path(attrs)
    for route in message.get("withdrawn_routes", []):
        yield stamp, data["peer_ip"], route["prefix"], None
    for route in message.get("nlri", []):
        yield stamp, data["peer_ip"], route["prefix"], path
    for attr in attrs:
        code = next(iter(attr["type"]))
        if code == 14:
            for route in attr["value"].get("nlri", []):
                yield stamp, data["peer_ip"], route["prefix"], path
        elif code == 15:
            for route in attr["value"].get("withdrawn_routes", []):
                yield stamp, data["peer_ip"], route["prefix"], None


def _path(attrs: list[dict[str, object]]) -> str | None:
    for attr in attrs:
        if next(iter(attr["type"])) in (2, 17):  # type: ignore[call-overload]
            segments = attr["value"]
            return " ".join(" ".join(s["value"]) for s in segments)  # type: ignore[attr-defined]
    return None


def _decompress(path: Path) -> int:
    """Decompress only, in 1 MiB reads as a reader would: the decompressed bytes."""
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b" and data[:3] != b"BZh":
        return len(data)
    unpack = zlib.decompressobj(wbits=47) if data[:2] == b"\x1f\x8b" else bz2.BZ2Decompressor()
    return sum(
        len(unpack.decompress(data[i : i + (1 << 20)])) for i in range(0, len(data), 1 << 20)
    )


_INLINE = {
    "routewatch": _routewatch,
    "routewatch-2cores": _routewatch,
    "baseline": _routewatch,
    "baseline-2cores": _routewatch,
    "pybgpkit": _pybgpkit,
    "mrtparse": _mrtparse,
    "decompress": _decompress,
}


def run_tool_inline(tool: str, path: Path) -> int:
    """Run one Python tool over ``path`` in this process; its elem count."""
    return _INLINE[tool](path)


def _child(tool: str, path: Path) -> None:
    if tool in ROUTEWATCH:
        _load_routewatch()
    start, cpu = time.perf_counter(), time.process_time()
    elems = run_tool_inline(tool, path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"elems": elems, "seconds": seconds, "cpu": cpu}))


# ------------------------------------------------------------------------------------------
# Measuring
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One tool on one input."""

    input: str
    tool: str
    elems: int
    seconds: float  # parse time (whole process for bgpdump), scaled for slow tools
    wall: float  # whole child process, not scaled
    peak_mb: float
    scaled_from: int | None = None  # elems actually read when scaled
    cpu: float = math.nan  # CPU seconds (user + system, all threads) of what 'seconds' times

    @property
    def rate(self) -> float:
        """Elems per second."""
        return self.elems / self.seconds if self.seconds > 0 else 0.0


def measure(
    cmd: Sequence[str], cores: str, capture: bool, env: dict[str, str] | None = None
) -> tuple[float, float, float, bytes]:
    """Run ``cmd`` pinned to ``cores`` (a taskset list): wall seconds, CPU seconds (user +
    system), peak RSS in MB, stdout.

    Peak RSS comes from ``/usr/bin/time -f %M``: a child forked from this (big) process
    would inherit its high-water mark, so rusage of our own children would be too high.
    """
    with tempfile.NamedTemporaryFile("r") as peak, tempfile.TemporaryFile() as errors:
        wrapped = [TIME, "-f", "%U %S %M", "-o", peak.name, TASKSET, "-c", cores, *cmd]
        start = time.perf_counter()
        proc = subprocess.run(
            wrapped,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=errors,
            check=False,
            env=env,
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            errors.seek(0)
            detail = errors.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {detail}")
        user, system, kilobytes = peak.read().split()[-3:]
    return wall, float(user) + float(system), int(kilobytes) / 1024, proc.stdout or b""


def run(tool: str, spec: Input, path: Path, core: int, baseline: Path | None = None) -> Result:
    """Measure ``tool`` on ``path`` (generated from ``spec``); ``baseline``: the source tree
    the ``baseline`` tool imports routewatch from."""
    if tool == "bgpdump":
        wall, cpu, peak, _ = measure([BGPDUMP, "-m", str(path)], str(core), capture=False)
        return Result(spec.name, tool, count_elems(path), wall, wall, peak, cpu=cpu)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", tool, str(path)]
    cores = f"{core},{core + 1}" if tool in TWO_CORES else str(core)
    env = None
    if tool.startswith("baseline"):
        assert baseline is not None
        env = {**os.environ, "PYTHONPATH": str(baseline / "src")}
    wall, _, peak, out = measure(cmd, cores, capture=True, env=env)
    child = json.loads(out.decode().strip().splitlines()[-1])
    elems = count_elems(path) if tool == "decompress" else int(child["elems"])
    seconds, cpu = float(child["seconds"]), float(child["cpu"])
    return Result(spec.name, tool, elems, seconds, wall, peak, cpu=cpu)


def scaled(result: Result, factor: float) -> Result:
    """A slow tool's result on a smaller repetition, scaled by ``factor`` (copies ratio)."""
    return Result(
        result.input,
        result.tool,
        round(result.elems * factor),
        result.seconds * factor,
        result.wall,
        result.peak_mb,
        scaled_from=result.elems,
        cpu=result.cpu * factor,
    )


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def table(results: Sequence[Result]) -> str:
    """The results as an aligned text table, with the ratio to bgpdump per input and, when
    there are baseline rows, each routewatch row's ratio to its baseline (same cores)."""
    base = {r.input: r.rate for r in results if r.tool == "bgpdump"}
    old = {(r.input, r.tool): r.rate for r in results if r.tool.startswith("baseline")}
    head: tuple[str, ...] = ("input", "tool", "elems", "seconds", "cpu s", "elems/s")
    head += ("x bgpdump", "wall s", "peak MB") + (("x baseline",) if old else ())
    rows = [head]
    for r in results:
        ratio = f"{r.rate / base[r.input]:.2f}" if base.get(r.input) else "-"
        mark = "*" if r.scaled_from is not None else ""
        row: tuple[str, ...] = (
            r.input,
            r.tool + mark,
            f"{r.elems:,}",
            f"{r.seconds:.2f}",
            "-" if math.isnan(r.cpu) else f"{r.cpu:.2f}",
            f"{r.rate:,.0f}",
            ratio,
            f"{r.wall:.2f}",
            f"{r.peak_mb:.0f}",
        )
        if old:
            before = old.get((r.input, r.tool.replace("routewatch", "baseline")))
            row += (f"{r.rate / before:.2f}" if before and r.tool in ROUTEWATCH else "-",)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def floor_tool(spec: Input) -> str:
    """The routewatch row the floor is about: two cores for bzip2 input, else one."""
    return "routewatch-2cores" if spec.compression == "bzip2" else "routewatch"


def applies(tool: str, spec: Input) -> bool:
    """Whether ``tool`` is measured on ``spec`` (two cores only help bzip2; a plain file
    has nothing to decompress)."""
    if tool in TWO_CORES:
        return spec.compression == "bzip2"
    return not (tool == "decompress" and spec.compression == "none")


def below_floor(results: Sequence[Result], inputs: Sequence[Input] = INPUTS) -> list[str]:
    """Inputs on which routewatch (its floor row) is slower than FLOOR x bgpdump."""
    base = {r.input: r.rate for r in results if r.tool == "bgpdump"}
    tool_of = {spec.name: floor_tool(spec) for spec in inputs}
    return [
        r.input
        for r in results
        if r.tool == tool_of.get(r.input) and base.get(r.input) and r.rate < FLOOR * base[r.input]
    ]


# ------------------------------------------------------------------------------------------
# Start-up: a small file through the commands
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Startup:
    """One command on the small file: best wall time of the runs and that run's peak RSS."""

    command: str
    wall: float
    peak_mb: float


def startup_commands(path: Path) -> dict[str, list[str]]:
    """The commands timed on the small file, as people type them."""
    script = Path(sys.executable).with_name("routewatch")
    routewatch = [str(script)] if script.exists() else [sys.executable, "-m", "routewatch"]
    commands = {
        "routewatch mrt stats": [*routewatch, "mrt", "stats", str(path)],
        "routewatch mrt dump": [*routewatch, "mrt", "dump", str(path)],
        "routewatch --help": [*routewatch, "--help"],
    }
    if Path(BGPDUMP).exists():
        commands["bgpdump -m"] = [BGPDUMP, "-m", str(path)]
    return commands


def measure_startup(path: Path, runs: int, core: int) -> list[Startup]:
    """Each start-up command ``runs`` times after one untimed run (caches warm).

    Python may write its bytecode cache (``PYTHONDONTWRITEBYTECODE`` is dropped for these
    runs): an installed package has it, and without it every run compiles routewatch's
    modules again (about 50 ms here), a cost no user's second run pays.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    results = []
    for name, cmd in startup_commands(path).items():
        measure(cmd, str(core), capture=False, env=env)
        best = min(
            (measure(cmd, str(core), capture=False, env=env) for _ in range(runs)),
            key=lambda m: m[0],
        )
        results.append(Startup(name, best[0], best[2]))
    return results


def startup_table(results: Sequence[Startup]) -> str:
    """The start-up results with the floor verdict of the routewatch commands."""
    lines = [f"{'command':<22}  {'wall s':>7}  {'peak MB':>7}  floor"]
    for r in results:
        verdict = ""
        if r.command.startswith("routewatch mrt"):
            ok = r.wall <= STARTUP_SECONDS and r.peak_mb <= STARTUP_MB
            verdict = "ok" if ok else "ABOVE"
        lines.append(f"{r.command:<22}  {r.wall:>7.3f}  {r.peak_mb:>7.1f}  {verdict}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat-to",
        type=int,
        default=2_000_000,
        metavar="N",
        help="repeat each input to at least N elems (default 2,000,000)",
    )
    parser.add_argument(
        "--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}"
    )
    parser.add_argument(
        "--inputs",
        default=",".join(i.name for i in INPUTS),
        help="comma-separated subset of " + ",".join(i.name for i in INPUTS),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: repeat to 100,000 elems (slow tools 20,000)",
    )
    parser.add_argument(
        "--slow-elems",
        type=int,
        default=200_000,
        metavar="N",
        help="elems read by slow tools (mrtparse) before scaling",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "routewatch-bench-mrt",
        help="where generated inputs are kept (default: %(default)s)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        metavar="N",
        help="runs of routewatch and bgpdump per input; the fastest counts (default 3)",
    )
    parser.add_argument(
        "--core", type=int, default=0, help="CPU core to pin tools to (two cores: it and the next)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="also run routewatch from this source tree (its src/), e.g. a worktree at an "
        "older commit: a 'baseline' row per input",
    )
    parser.add_argument(
        "--no-startup", action="store_true", help="skip the start-up table (small file, CLI)"
    )
    parser.add_argument("--child", nargs=2, metavar=("TOOL", "FILE"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _selected(text: str, known: Sequence[str], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)}; choose from {', '.join(known)}")
    return names


def _available(tool: str) -> bool:
    if tool == "bgpdump":
        return Path(BGPDUMP).exists() or shutil.which("bgpdump") is not None
    modules = {"routewatch": "routewatch.ingest.mrt", "pybgpkit": "pybgpkit_parser"}
    for name in ROUTEWATCH:
        modules[name] = modules["routewatch"]
    module = modules.get(tool, "zlib" if tool == "decompress" else tool)
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 1 if routewatch is below the floor on some input, 2 if no input file
    is found (inputs whose file is missing are skipped, said on stderr and under the table)."""
    args = _arguments(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return 0
    tools = _selected(args.tools, TOOLS, "tools")
    if args.baseline is not None:
        tools.append("baseline")
        if "routewatch-2cores" in tools:
            tools.append("baseline-2cores")
    inputs = [
        i for i in INPUTS if i.name in _selected(args.inputs, [i.name for i in INPUTS], "inputs")
    ]
    absent = [i for i in inputs if not i.source.is_file()]
    skipped = [i.name for i in absent]
    if absent:
        message = missing_message("benchmarks/mrt.py", (i.source for i in absent))
        print(f"{message}\n  skipping input(s): {', '.join(skipped)}", file=sys.stderr)
        inputs = [i for i in inputs if i not in absent]
        if not inputs:
            return 2
    full = 100_000 if args.quick else args.repeat_to
    slow = 20_000 if args.quick else min(args.slow_elems, full)
    missing = [t for t in tools if not _available(t)]
    if missing:
        print(f"skipping tools that are not installed: {', '.join(missing)}", file=sys.stderr)
    results: list[Result] = []
    failures: list[str] = []
    for spec in inputs:
        per_copy = count_elems(prepare(spec, 1, args.cache_dir))
        copies, slow_copies = copies_for(per_copy, full), copies_for(per_copy, slow)
        path = prepare(spec, copies, args.cache_dir)
        print(f"{spec.name}: {path} ({copies} x {per_copy:,} elems)", file=sys.stderr)
        chosen = [t for t in tools if t not in missing and applies(t, spec)]
        results += _measure_input(spec, chosen, copies, slow_copies, args, failures)
    print(table(results))
    if any(r.scaled_from is not None for r in results):
        print(
            "* read fewer elems ("
            + ", ".join(
                f"{r.input} {r.scaled_from:,}" for r in results if r.scaled_from is not None
            )
            + ") and scaled to the full size; wall and peak MB are of the smaller run."
        )
    print(
        f"machine: {os.cpu_count()} cores; each tool pinned to core {args.core}; "
        "'seconds' excludes interpreter start and imports for Python tools ('wall' has them)."
    )
    if failures:
        print(f"FAILED (see stderr): {', '.join(failures)}")
    slow_inputs = below_floor(results, inputs)
    print(
        f"floor: routewatch >= {FLOOR:.0f}x bgpdump on every input (bzip2: with two cores; "
        f"and decoding on one core, routeviews2-rib-plain); target {TARGET:.0f}x."
    )
    if slow_inputs:
        print(f"BELOW FLOOR on: {', '.join(slow_inputs)}")
    if skipped:
        print(f"NOT MEASURED (file not found, see stderr): {', '.join(skipped)}")
    slow_start = False
    if not args.no_startup:
        starts = measure_startup(STARTUP_FILE, args.runs, args.core)
        print(f"\nstart-up on {STARTUP_FILE.name} ({STARTUP_FILE.stat().st_size} bytes):")
        print(startup_table(starts))
        slow_start = any(
            r.command.startswith("routewatch mrt")
            and (r.wall > STARTUP_SECONDS or r.peak_mb > STARTUP_MB)
            for r in starts
        )
        print(f"floor: routewatch mrt stats / dump <= {STARTUP_SECONDS} s, <= {STARTUP_MB:.0f} MB.")
    return 1 if slow_inputs or failures or slow_start else 0


def _measure_input(
    spec: Input,
    tools: Sequence[str],
    copies: int,
    slow_copies: int,
    args: argparse.Namespace,
    failures: list[str],
) -> list[Result]:
    """Every tool on one input. The tools the floor is about run ``--runs`` times in turn
    (A B C A B C ...), so that a burst of load on a shared machine hits them alike; the
    fastest run of each counts. A tool that crashes is reported; the others are measured."""
    path = prepare(spec, copies, args.cache_dir)
    best: dict[str, Result] = {}
    for tool in [t for t in tools if t in WARM_UP]:  # numba loads or compiles: not timed
        _attempt(tool, spec, prepare(spec, 1, args.cache_dir), args, failures)
    rounds = [t for t in tools if t in BEST_OF]
    for _ in range(args.runs):
        for tool in rounds:
            result = _attempt(tool, spec, path, args, failures)
            if result is not None and (tool not in best or result.seconds < best[tool].seconds):
                best[tool] = result
    for tool in [t for t in tools if t not in BEST_OF]:
        if tool in SLOW_TOOLS and slow_copies < copies:
            small = prepare(spec, slow_copies, args.cache_dir)
            result = _attempt(tool, spec, small, args, failures)
            if result is not None:
                best[tool] = scaled(result, copies / slow_copies)
        else:
            result = _attempt(tool, spec, path, args, failures)
            if result is not None:
                best[tool] = result
    for tool in tools:
        if tool in best:
            print(f"  {tool}: {best[tool].rate:,.0f} elems/s", file=sys.stderr)
    return [best[t] for t in tools if t in best]


def _attempt(
    tool: str, spec: Input, path: Path, args: argparse.Namespace, failures: list[str]
) -> Result | None:
    """One run of ``tool``; None (and the failure noted once) when it crashed."""
    try:
        return run(tool, spec, path, args.core, args.baseline)
    except RuntimeError as exc:
        label = f"{spec.name} {tool}"
        if label not in failures:
            failures.append(label)
            print(f"  {tool}: FAILED: {exc}", file=sys.stderr)
        return None


if __name__ == "__main__":
    sys.exit(main())
