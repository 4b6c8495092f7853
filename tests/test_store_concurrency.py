"""The store under real processes: a writer killed with SIGKILL mid-snapshot, readers in other
processes during a write, two writers at once.

DuckDB (2.0) lets a file be open read-write by one process or read-only by many, never both;
the store therefore writes a private copy and renames it over the file (see
routewatch.store.db). These tests run writers and readers as separate Python processes.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from routewatch.errors import StoreError
from routewatch.store import Store
from test_store_db import JULY, JUNE, content, counts, sample_run, sample_tables

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent

#: A writer that stops (holding the lock, its working copy half written) after the first
#: table of the snapshot went in, until it is killed.
PAUSING_WRITER = """
import datetime as dt, sys, time
sys.path.insert(0, {tests!r})
from test_store_db import sample_run, sample_tables
from routewatch.store import Store, snapshot

original = snapshot._insert
def pausing_insert(con, name, table, month):
    written = original(con, name, table, month)
    print("MIDWAY", flush=True)
    time.sleep(120)
    return written
snapshot._insert = pausing_insert
month = dt.date(2024, 6, 1)
tables = sample_tables(month, networks=3)
Store.open({path!r}).write_snapshot(month, tables, sample_run(month, "crash"))
"""

#: A reader that keeps reading one month in fresh read-only connections until told to stop,
#: printing (findings, asn_metrics) counts seen inside one connection.
LOOPING_READER = """
import datetime as dt, pathlib, sys
sys.path.insert(0, {tests!r})
from routewatch.store import Store
store, stop, month = Store({path!r}), pathlib.Path({stop!r}), dt.date(2024, 6, 1)
seen = set()
reads = 0
while not stop.exists() or reads < 5:
    with store.reader() as con:
        f = con.execute("SELECT count(*) FROM findings WHERE month = ?", [month]).fetchall()
        m = con.execute("SELECT count(*) FROM asn_metrics WHERE month = ?", [month]).fetchall()
    seen.add((f[0][0], m[0][0]))
    reads += 1
    if reads == 1:
        print("READY", flush=True)
print(sorted(seen), reads, flush=True)
"""

#: A reader that opens a connection, waits for a line on stdin, then reads through it.
HOLDING_READER = """
import datetime as dt, sys
sys.path.insert(0, {tests!r})
from routewatch.store import Store
with Store({path!r}).reader() as con:
    print("OPEN", flush=True)
    sys.stdin.readline()
    rows = con.execute("SELECT count(*) FROM findings").fetchall()
    print(rows[0][0], flush=True)
"""


def _spawn(script: str, tmp_path: Path, name: str, **values: str) -> subprocess.Popen[str]:
    source = tmp_path / f"{name}.py"
    source.write_text(textwrap.dedent(script).format(tests=str(TESTS), **values))
    return subprocess.Popen([sys.executable, str(source)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _wait_for(proc: subprocess.Popen[str], marker: str, timeout: float = 120.0) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip() == marker:
            return
        if not line and proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"subprocess ended before {marker!r}: {err}")
    proc.kill()
    raise AssertionError(f"no {marker!r} within {timeout} s")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store holding a June snapshot of 20 networks."""
    opened = Store.open(tmp_path / "rw.duckdb")
    opened.write_snapshot(JUNE, sample_tables(JUNE, networks=20), sample_run(JUNE))
    return opened


def test_a_writer_killed_mid_snapshot_leaves_the_previous_one(store: Store,
                                                              tmp_path: Path) -> None:
    before = content(store, JUNE)
    writer = _spawn(PAUSING_WRITER, tmp_path, "writer", path=str(store.path))
    _wait_for(writer, "MIDWAY")
    working_copies = list(tmp_path.glob(".rw.duckdb.*.tmp*"))
    assert working_copies, "the writer should be half-way through its working copy"
    os.kill(writer.pid, signal.SIGKILL)
    assert writer.wait(timeout=30) == -signal.SIGKILL

    reopened = Store.open(store.path)
    assert content(reopened, JUNE) == before

    tables = sample_tables(JUNE, networks=3)
    reopened.write_snapshot(JUNE, tables, sample_run(JUNE, "rerun"))
    assert counts(reopened, JUNE)["findings"] == tables.findings.num_rows
    assert counts(reopened, JUNE)["asn_metrics"] == tables.asn_metrics.num_rows
    assert not list(tmp_path.glob(".rw.duckdb.*.tmp*")), "stale working copies are removed"


def test_readers_in_other_processes_keep_working_during_writes(store: Store,
                                                               tmp_path: Path) -> None:
    small = sample_tables(JUNE, networks=3)
    big = sample_tables(JUNE, networks=20)
    expected = {(big.findings.num_rows, big.asn_metrics.num_rows),
                (small.findings.num_rows, small.asn_metrics.num_rows)}
    stop = tmp_path / "stop"
    reader = _spawn(LOOPING_READER, tmp_path, "reader", path=str(store.path), stop=str(stop))
    _wait_for(reader, "READY")
    for i in range(6):
        tables = small if i % 2 == 0 else big
        store.write_snapshot(JUNE, tables, sample_run(JUNE))
    stop.touch()
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    seen_text, reads = out.strip().rsplit(" ", 1)
    seen = set(ast.literal_eval(seen_text))
    assert int(reads) >= 10
    assert seen <= expected, "a reader saw a half-written snapshot"


def test_an_open_reader_does_not_block_a_writer_and_keeps_its_view(store: Store,
                                                                   tmp_path: Path) -> None:
    old = store.table("findings").num_rows
    reader = _spawn(HOLDING_READER, tmp_path, "holder", path=str(store.path))
    _wait_for(reader, "OPEN")
    store.write_snapshot(JULY, sample_tables(JULY, networks=4), sample_run(JULY))
    out, err = reader.communicate("go\n", timeout=60)
    assert reader.returncode == 0, err
    assert int(out.strip()) == old  # the snapshot it opened, consistently
    assert store.table("findings").num_rows == old + 4  # new readers see the new one


def test_a_second_writer_waits_and_then_gives_up_clearly(store: Store, tmp_path: Path) -> None:
    writer = _spawn(PAUSING_WRITER, tmp_path, "writer", path=str(store.path))
    try:
        _wait_for(writer, "MIDWAY")
        impatient = Store(store.path, lock_timeout=0.3)
        with pytest.raises(StoreError, match="another routewatch process is writing"):
            impatient.write_snapshot(JULY, sample_tables(JULY, networks=2), sample_run(JULY))
        assert store.table("findings", JUNE).num_rows == 20  # readers unaffected meanwhile
    finally:
        writer.kill()
        writer.wait(timeout=30)
    store.write_snapshot(JULY, sample_tables(JULY, networks=2), sample_run(JULY))
    assert store.months() == [JUNE, JULY]


#: A writer with no pause, killed by the test at an arbitrary moment.
PLAIN_WRITER = """
import datetime as dt, sys
sys.path.insert(0, {tests!r})
from test_store_db import sample_run, sample_tables
from routewatch.store import Store
month = dt.date(2024, 6, 1)
tables = sample_tables(month, networks=3)
print("READY", flush=True)
store = Store.open({path!r})
for i in range(50):
    store.write_snapshot(month, tables, sample_run(month, f"loop-{{i}}"))
"""


@pytest.mark.parametrize("delay", [0.0, 0.15, 0.4])
def test_a_writer_killed_at_any_moment_leaves_a_whole_snapshot(store: Store, tmp_path: Path,
                                                               delay: float) -> None:
    old = (store.table("findings", JUNE).num_rows, store.table("asn_metrics", JUNE).num_rows)
    new_tables = sample_tables(JUNE, networks=3)
    new = (new_tables.findings.num_rows, new_tables.asn_metrics.num_rows)
    writer = _spawn(PLAIN_WRITER, tmp_path, "plain", path=str(store.path))
    _wait_for(writer, "READY")
    time.sleep(delay)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    reopened = Store.open(store.path)
    got = (reopened.table("findings", JUNE).num_rows,
           reopened.table("asn_metrics", JUNE).num_rows)
    assert got in {old, new}
