"""The MRT kernel's two engines decode alike: compiled by numba, and interpreted.

The kernel (``routewatch.ingest.mrt.decoder`` and the modules it calls) is one piece of code
that runs either as numba machine code or as plain Python (``routewatch.ingest.mrt.jit``);
small inputs are interpreted so that a command reading a few kilobytes does not load numba.
Every real MRT file of the tests up to 256 KB decompressed (RIS and RouteViews updates and
RIBs of 1999-2024, router-lab dumps, bgpdump's own test files) is decoded by both: the
batches, problems and counts must be identical. The interpreted engine also reads out of
bounds only by raising ``IndexError``, so this is a bounds check of the kernel on real data.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from _data import REPO_COPY
from routewatch.ingest.mrt import INTERPRET_MAX_BYTES, Engine, decode_chunks, read_elems
from routewatch.ingest.mrt.decompress import ChunkReader
from routewatch.ingest.report import IngestReport, Problem
from routewatch.schemas import ELEMS

DATA = Path(__file__).parent / "data" / "mrt"
MAX_BYTES = 256 << 10


def _stream(path: Path) -> bytes:
    return b"".join(ChunkReader(path))


def _small_files() -> list[Path]:
    candidates = [p for p in sorted(DATA.iterdir()) if p.name != "PROVENANCE.md"]
    shared = REPO_COPY / "mrt"
    for folder in ("lab", "misc", "ris", "ris_historical", "routeviews", "bgpdump-expect"):
        candidates += sorted(p for p in (shared / folder).glob("*") if p.is_file())
    return [p for p in candidates if not p.name.endswith(".md") and _fits(p)]


def _fits(path: Path) -> bool:
    if path.stat().st_size > MAX_BYTES:
        return False
    if path.name.endswith(".bgp.gz"):  # bgpdump's expected output, not MRT
        return False
    return 0 < len(_stream(path)) <= MAX_BYTES


def _decode(
    data: bytes, engine: Engine, batch_size: int = 1000
) -> tuple[pa.Table, list[Problem], Counter[str], Counter[str]]:
    report = IngestReport(max_problems_kept=100_000)
    batches = decode_chunks(
        [data], name="stream", collector="c", batch_size=batch_size, report=report, engine=engine
    )
    table = pa.Table.from_batches(list(batches), schema=ELEMS)
    return table, report.problems, report.records, report.elems


FILES = _small_files()


def test_there_are_files_of_every_kind() -> None:
    names = " ".join(p.name for p in FILES)
    for kind in ("bview", "rib", "updates", "quagga", "bird", "openbgpd", "rrc00_updates.2000"):
        assert kind in names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_engines_decode_alike(path: Path) -> None:
    data = _stream(path)
    compiled = _decode(data, "compiled")
    interpreted = _decode(data, "interpreted")
    assert interpreted[1:] == compiled[1:]
    assert interpreted[0].equals(compiled[0])


def test_auto_interprets_a_small_file_without_loading_numba() -> None:
    small = DATA / "bview.ipv4_unicast_add_path.gz"
    assert len(_stream(small)) <= INTERPRET_MAX_BYTES
    code = (
        "import sys\n"
        "from routewatch.ingest.mrt import read_elems\n"
        f"rows = sum(b.num_rows for b in read_elems({str(small)!r}))\n"
        "print(rows, 'numba' in sys.modules, 'llvmlite' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(sum(b.num_rows for b in read_elems(small))), "False", "False"]


def test_mrt_commands_on_a_small_file_load_neither_numba_nor_parquet() -> None:
    """``routewatch mrt stats`` / ``mrt dump`` of a small file: the kernel interpreted, and
    only the libraries the command uses imported (its start-up time and memory)."""
    small = DATA / "bview.ipv4_unicast_add_path.gz"
    heavy = ("numba", "llvmlite", "pyarrow.parquet", "pyarrow.dataset", "rich", "duckdb")
    for command in (["mrt", "stats"], ["mrt", "dump"]):
        code = (
            "import atexit, sys\n"
            f"heavy = {heavy!r}\n"
            "atexit.register(lambda: print('LOADED', *[m for m in heavy if m in sys.modules],"
            " file=sys.stderr))\n"
            "from routewatch.cli.main import main\n"
            f"main([*{command!r}, {str(small)!r}])\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert out.stdout
        loaded = [line for line in out.stderr.splitlines() if line.startswith("LOADED")]
        assert loaded == ["LOADED"], (command, out.stderr)
