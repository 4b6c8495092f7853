"""A killed ingest's temporary files are removed by the next write; a running ingest's never are.

Each ingest here is real: :func:`routewatch.ingest.lake.ingest_file` over a real RIS update file
(``tests/_data.py``), in its own process. The process holds after writing each batch until the
test lets it go on, so that ``kill -9`` lands mid-write at a known point — after at least one
batch is in the hidden temporary part file — and so that a "running" ingest is certainly still
running while another process sweeps. Only the other-host temporaries of the last test are
invented (empty files named as another machine would name them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from _data import shared_data
from routewatch.cli.main import cli
from routewatch.ingest.lake import file_id, ingest_file, read_manifest, scan_lake
from routewatch.ingest.temporaries import FOREIGN_AFTER_SECONDS, sweep_folder

RRC21 = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
RRC05 = shared_data("mrt/ris/ris-rrc05_updates.20100722.2015.gz")

#: An ingest that stops after each batch until a line arrives on stdin (EOF: runs to the end).
HELD_INGEST = """
import sys
from pathlib import Path
from routewatch.ingest.lake import ingest_file

def hold(batch, report):
    print("batch written", flush=True)
    sys.stdin.readline()

source, lake, replace = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "replace"
ingest_file(source, lake, batch_size=1000, replace=replace, on_batch=hold)
"""


def held_ingest(source: Path, lake: Path, replace: bool = False) -> subprocess.Popen[str]:
    """An ingest process that has written one batch and waits."""
    process = subprocess.Popen(
        [sys.executable, "-c", HELD_INGEST, str(source), str(lake), "replace" if replace else ""],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline() == "batch written\n", "the ingest did not start writing"
    return process


def temporaries_of(lake: Path, pid: int) -> list[Path]:
    """The hidden temporary files of process ``pid`` in the lake."""
    return sorted(p for p in lake.rglob(".*.tmp") if f".{pid}" in p.name)


def killed(process: subprocess.Popen[str]) -> None:
    process.kill()  # SIGKILL: no cleanup handler runs
    process.wait(timeout=60)


def test_a_killed_replace_keeps_the_good_parts_and_its_rerun_removes_the_leftover(
    tmp_path: Path,
) -> None:
    # main: the temporary stayed for ever, through any number of --replace runs
    lake = tmp_path / "lake"
    first = ingest_file(RRC21, lake)
    part = lake / first.manifest.parts[0]
    before = part.read_bytes()
    process = held_ingest(RRC21, lake, replace=True)
    (left,) = temporaries_of(lake, process.pid)
    killed(process)
    assert left.is_file() and left.stat().st_size > 0
    assert part.read_bytes() == before  # the good part is untouched
    assert read_manifest(lake, first.file_id) == first.manifest
    again = ingest_file(RRC21, lake, replace=True)
    assert not list(lake.rglob("*.tmp"))
    assert scan_lake(lake).count_rows() == again.elems == first.elems


def test_a_sweep_never_removes_a_running_ingests_temporary(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    dead = held_ingest(RRC21, lake)
    (left,) = temporaries_of(lake, dead.pid)
    killed(dead)
    assert read_manifest(lake, file_id(RRC21)) is None
    running = held_ingest(RRC05, lake)
    (live,) = temporaries_of(lake, running.pid)
    # another process's `routewatch ingest` sweeps the whole lake before its own work
    result = CliRunner().invoke(cli, ["ingest", "--lake", str(lake), str(RRC21)])
    assert result.exit_code == 0, result.output
    assert "removed 1 temporary file(s) left by interrupted writes" in result.output
    assert not left.exists() and live.is_file()
    assert running.stdin is not None
    running.stdin.close()  # let it finish
    assert running.wait(timeout=300) == 0
    assert not list(lake.rglob("*.tmp"))
    assert read_manifest(lake, file_id(RRC05)) is not None
    manifests = [read_manifest(lake, file_id(p)) for p in (RRC21, RRC05)]
    assert scan_lake(lake).count_rows() == sum(sum(m.elems.values()) for m in manifests if m)


def test_temporaries_of_another_host_are_removed_only_when_old(tmp_path: Path) -> None:
    # invented files: the names another machine's routewatch would give its temporaries
    old = tmp_path / ".0123456789abcdef.parquet.4242@other-host.tmp"
    new = tmp_path / ".fedcba9876543210.parquet.4242@other-host.tmp"
    mine = tmp_path / f".0011223344556677.parquet.{os.getpid()}.tmp"  # this process: alive
    foreign = tmp_path / "not-ours.tmp"
    for path in (old, new, mine, foreign):
        path.write_bytes(b"PAR1")
    now = time.time()
    os.utime(old, (now - FOREIGN_AFTER_SECONDS - 60,) * 2)
    assert sweep_folder(tmp_path, now=now) == [old]
    assert all(p.exists() for p in (new, mine, foreign))


@pytest.mark.parametrize("pid", [os.getpid(), 1])
def test_a_live_pid_keeps_its_temporary(tmp_path: Path, pid: int) -> None:
    # this process and init are alive whatever their owner: nothing to remove
    path = tmp_path / f".0123456789abcdef.parquet.{pid}.tmp"
    path.write_bytes(b"PAR1")
    assert sweep_folder(tmp_path) == []
