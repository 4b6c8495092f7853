"""Faults of the machine, with real processes: a full disk during an ingest, a snapshot and a
fetch; two ingests and two fetches of the same file at once (docs/reliability.md's table).

A full disk is simulated with ``RLIMIT_FSIZE`` (``ulimit -f``) set in the child process only:
a write past the limit fails with EFBIG ("File too large") exactly where a full disk fails with
ENOSPC — routewatch handles both as the same OSError. (A size-limited tmpfs or a loop device
would give ENOSPC itself but needs privileges a CI runner may not have.) Data: the real RIS
files of ``tests/_data.py``, the real Team Cymru lists of ``tests/data/sources`` served on
127.0.0.1, and the store tests' sample tables (built in ``tests/test_store_db.py``).
"""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from _data import shared_data
from routewatch.ingest.lake import file_id, ingest_file, read_manifest, scan_lake
from routewatch.sources import Cache, Fetcher, Mirrors, Status, Window, get_source
from routewatch.sources.http import Downloader, HttpPolicy
from routewatch.store import Store
from sources_server import FixtureServer, Reply, sample, serving
from test_lake_temporaries import held_ingest
from test_store_db import JUNE, sample_run, sample_tables

TESTS = Path(__file__).resolve().parent
RRC21 = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
RRC05 = shared_data("mrt/ris/ris-rrc05_updates.20100722.2015.gz")
CYMRU_PATH = "/www.team-cymru.org/Services/Bogons/fullbogons-ipv4.txt"


def file_size_limit(limit: int) -> Callable[[], None]:
    """A ``preexec_fn`` that lets the child write no file beyond ``limit`` bytes."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def run_python(code: str, *args: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    """``python -c code args`` (the tests folder importable), under a file-size limit."""
    preexec = file_size_limit(limit) if limit is not None else None
    return subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(TESTS)!r})\n"
                           + textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=600, preexec_fn=preexec, check=False)  # fmt: skip


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


# ------------------------------------------------------------------------------------------
# disk full
# ------------------------------------------------------------------------------------------


def test_disk_full_during_an_ingest(tmp_path: Path) -> None:
    # main: "cannot read it (...File too large); check the path and its permissions" about the
    # MRT file, which was fine: the lake's write error carried no file name
    lake = tmp_path / "lake"
    ingest_file(RRC21, lake)
    before = files_of(lake)
    for extra in ([str(RRC05)], ["--replace", str(RRC21)]):
        result = run_python(
            "from routewatch.cli.main import main; main()", "ingest", "--lake", str(lake), *extra,
            limit=64 * 1024,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        assert f"cannot write to the lake {lake}" in result.stderr
        assert "check free space" in result.stderr and "Traceback" not in result.stderr
        assert files_of(lake) == before  # nothing half written, nothing good lost


WRITE_JULY = """
import datetime as dt, pathlib, sys
from routewatch.store import Store
from test_store_db import sample_run, sample_tables
july = dt.date(2024, 7, 1)
Store.open(pathlib.Path(sys.argv[1])).write_snapshot(july, sample_tables(july, networks=20),
                                                     sample_run(july))
"""


def test_disk_full_during_a_snapshot(tmp_path: Path) -> None:
    # main: when the working copy could not even be made, a bare OSError (a traceback)
    path = tmp_path / "rw.duckdb"
    Store.open(path).write_snapshot(JUNE, sample_tables(JUNE, networks=20), sample_run(JUNE))
    before = files_of(tmp_path)
    size = path.stat().st_size
    for limit, why in ((size // 2, "cannot make a working copy"), (size + 4096, "File too large")):
        result = run_python(WRITE_JULY, str(path), limit=limit)
        assert result.returncode == 1
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("routewatch.errors.StoreError") and why in last, last
        assert files_of(tmp_path) == before  # the June snapshot intact, no working copy left


FETCH = """
import pathlib, sys
from routewatch.sources import Cache, Fetcher, Mirrors, Window, get_source
from routewatch.sources.http import Downloader, HttpPolicy
fetcher = Fetcher(Cache(pathlib.Path(sys.argv[1])), mirrors=Mirrors(mirror=sys.argv[2]),
                  downloader=Downloader(HttpPolicy(timeout=20, retries=1, backoff=0)))
result = fetcher.fetch(get_source("cymru"), Window.parse("2024-03-10"), kinds=["ipv4"],
                       refresh=True)
print(result.files[0].status.value, result.stale)
print(result.files[0].reason)
"""


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with serving() as state:
        yield state


def fetch_bogons(root: Path, server: FixtureServer) -> Path:
    fetcher = Fetcher(Cache(root), mirrors=Mirrors(mirror=server.url),
                      downloader=Downloader(HttpPolicy(timeout=20, retries=1, backoff=0)))
    result = fetcher.fetch(get_source("cymru"), Window.parse("2024-03-10"), kinds=["ipv4"])
    assert result.files[0].status is Status.FRESH
    return result.files[0].path


def test_disk_full_during_a_fetch(server: FixtureServer, tmp_path: Path) -> None:
    # main: a bare OSError out of the download (a traceback), though a good copy was cached
    old = sample("team-cymru_fullbogons-ipv4_20220316.txt")
    server.set(CYMRU_PATH, Reply(old, content_type="text/plain", etag='"2022"'))
    good = fetch_bogons(tmp_path, server)
    before = files_of(tmp_path)
    new = sample("team-cymru_fullbogons-ipv4_20240310.txt")
    server.set(CYMRU_PATH, Reply(new, content_type="text/plain", etag='"2024"'))
    result = run_python(FETCH, str(tmp_path), server.url, limit=4096)
    assert result.returncode == 0, result.stderr
    status, reason = result.stdout.splitlines()
    assert status == "stale True"
    assert "cannot write the download into the cache" in reason and "last good copy" in reason
    assert files_of(tmp_path) == before and good.read_bytes() == old


# ------------------------------------------------------------------------------------------
# two at once
# ------------------------------------------------------------------------------------------


def test_two_ingests_of_one_file_at_once(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first, second = held_ingest(RRC21, lake), held_ingest(RRC21, lake)  # both mid-write
    for process in (first, second):
        assert process.stdin is not None
        process.stdin.close()
    assert [p.wait(timeout=600) for p in (first, second)] == [0, 0]
    manifest = read_manifest(lake, file_id(RRC21))
    assert manifest is not None and len(manifest.parts) == 1
    expected = sorted([*manifest.parts, f"_ingest/{file_id(RRC21)}.json"])
    assert sorted(files_of(lake)) == expected  # one part, one manifest, no temporary
    assert scan_lake(lake).count_rows() == sum(manifest.elems.values())


def test_two_fetches_of_one_file_at_once(server: FixtureServer, tmp_path: Path) -> None:
    body = sample("team-cymru_fullbogons-ipv4_20240310.txt")
    server.set(CYMRU_PATH, Reply(body, content_type="text/plain", etag='"2024"', delay=1.0))
    both = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(FETCH), str(tmp_path),
                              server.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]  # fmt: skip
    outputs = [p.communicate(timeout=300) for p in both]
    assert [p.returncode for p in both] == [0, 0], outputs
    assert all(out.splitlines()[0] == "fresh False" for out, _ in outputs)
    assert len(server.hits(CYMRU_PATH)) == 2  # really two downloads
    with closing(sqlite3.connect(tmp_path / "manifest.sqlite")) as db:
        assert db.execute("SELECT count(*) FROM snapshots").fetchone() == (1,)
    (blob,) = (tmp_path / "blobs").rglob("*.*")
    assert blob.read_bytes() == body
    assert not list((tmp_path / "tmp").glob("*"))
