"""End to end against a real HTTP server on 127.0.0.1 serving real sample files.

Each test scripts the server's misbehaviour (see tests/sources_server.py) and checks the two
promises of the sources stage: a bad download never replaces the last good snapshot, and the
result says which files are fresh, cached or stale, and why.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from routewatch.errors import FetchError, OfflineError
from routewatch.sources import Cache, Fetcher, Mirrors, Status, Window, get_source
from routewatch.sources.http import Downloader, HttpPolicy
from sources_server import FixtureServer, Reply, sample, start

RIS_PATH = "/data.ris.ripe.net/rrc21/2016.08/updates.20160811.1600.gz"
RIS_GZ = sample("ris-rrc21_updates.20160811.1600.gz")
CYMRU_PATH = "/www.team-cymru.org/Services/Bogons/fullbogons-ipv4.txt"
BOGONS_2024 = sample("team-cymru_fullbogons-ipv4_20240310.txt")
BOGONS_2022 = sample("team-cymru_fullbogons-ipv4_20220316.txt")
ROAS_XZ = sample("ripe-archive_afrinic-tal_roas_20220102.csv.xz")
AFRINIC_PATH = "/ftp.afrinic.net/pub/stats/afrinic/2023/delegated-afrinic-extended-20230323"
AFRINIC = sample("delegated-afrinic-extended-20230323")
RV_PATH = ("/archive.routeviews.org/route-views.wide/bgpdata/2016.11/UPDATES/"
           "updates.20161101.0000.bz2")
RV_BZ2 = sample("route-views.wide_updates.20161101.0000.bz2")


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    state, httpd = start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def make_fetcher(root: Path, base: str, *, offline: bool = False, timeout: float = 5.0,
                 retries: int = 3) -> Fetcher:
    policy = HttpPolicy(timeout=timeout, retries=retries, backoff=0)
    return Fetcher(Cache(root), downloader=Downloader(policy), mirrors=Mirrors(mirror=base),
                   offline=offline)


def fetch_ris(fetcher: Fetcher, *, refresh: bool = False) -> Status:
    result = fetcher.fetch(get_source("ris"), Window.parse("2016-08-11T16:00"), "rrc21",
                           kinds=["updates"], refresh=refresh)
    assert len(result.files) == 1
    return result.files[0].status


def fetch_bogons(fetcher: Fetcher) -> tuple[Status, Path, str | None, bool]:
    result = fetcher.fetch(get_source("cymru"), Window.parse("2024-03-10"), kinds=["ipv4"])
    got = result.files[0]
    return got.status, got.path, got.reason, result.stale


def manifest_rows(root: Path) -> list[tuple[str, str]]:
    if not (root / "manifest.sqlite").exists():
        return []
    with closing(sqlite3.connect(root / "manifest.sqlite")) as db:
        return db.execute("SELECT key, sha256 FROM snapshots ORDER BY fetched_at").fetchall()


def blobs(root: Path) -> list[Path]:
    return sorted((root / "blobs").rglob("*.*")) if (root / "blobs").exists() else []


def leftovers(root: Path) -> list[Path]:
    return sorted((root / "tmp").glob("*")) if (root / "tmp").exists() else []


def test_fresh_download_then_cached_without_network(server: FixtureServer, tmp_path: Path) -> None:
    server.set(RIS_PATH, Reply(RIS_GZ))
    fetcher = make_fetcher(tmp_path, server.url)
    result = fetcher.fetch(get_source("ris"), Window.parse("2016-08-11T16:00"), "rrc21",
                           kinds=["updates"])
    got = result.files[0]
    assert got.status is Status.FRESH and not result.stale
    assert got.path.read_bytes() == RIS_GZ
    assert got.sha256 == hashlib.sha256(RIS_GZ).hexdigest()
    assert got.as_of == dt.datetime(2016, 8, 11, 16, 0, tzinfo=dt.UTC)
    assert got.path.name.endswith(".gz") and got.sha256 in got.path.name
    assert fetch_ris(fetcher) is Status.CACHED
    assert len(server.hits(RIS_PATH)) == 1
    assert manifest_rows(tmp_path) == [("ris/rrc21/updates.20160811.1600.gz", got.sha256)]
    assert leftovers(tmp_path) == []


def test_retries_server_errors_then_succeeds(server: FixtureServer, tmp_path: Path) -> None:
    server.set(RIS_PATH, Reply(b"oops", 500, "text/plain"), Reply(b"", 503), Reply(RIS_GZ))
    assert fetch_ris(make_fetcher(tmp_path, server.url)) is Status.FRESH
    assert len(server.hits(RIS_PATH)) == 3


def test_persistent_500_without_copy_raises_and_caches_nothing(
    server: FixtureServer, tmp_path: Path
) -> None:
    server.set(RIS_PATH, Reply(b"down", 500, "text/plain"))
    with pytest.raises(FetchError, match=r"HTTP 500.*run 'routewatch fetch ris"):
        fetch_ris(make_fetcher(tmp_path, server.url))
    assert len(server.hits(RIS_PATH)) == 3
    assert blobs(tmp_path) == [] and leftovers(tmp_path) == []
    assert manifest_rows(tmp_path) == []


def test_persistent_500_keeps_last_good_and_marks_stale(
    server: FixtureServer, tmp_path: Path
) -> None:
    server.set(CYMRU_PATH, Reply(BOGONS_2024, content_type="text/plain"))
    fetcher = make_fetcher(tmp_path, server.url)
    status, good, _, _ = fetch_bogons(fetcher)
    assert status is Status.FRESH
    server.set(CYMRU_PATH, Reply(b"maintenance", 502, "text/plain"))
    status, path, reason, stale = fetch_bogons(fetcher)
    assert (status, stale, path) == (Status.STALE, True, good)
    assert reason is not None and "HTTP 502" in reason and "last good copy" in reason
    assert path.read_bytes() == BOGONS_2024
    assert len(manifest_rows(tmp_path)) == 1


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="could not connect"):
        fetch_ris(make_fetcher(tmp_path, f"http://127.0.0.1:{port}", retries=2))


@pytest.mark.parametrize("reply", [
    Reply(RIS_GZ, length=len(RIS_GZ) + 1000),  # Content-Length lies
    Reply(RIS_GZ, cut_after=100_000),  # connection dropped mid-body
], ids=["content-length-lie", "dropped"])
def test_truncated_body_is_retried_and_never_cached(
    server: FixtureServer, tmp_path: Path, reply: Reply
) -> None:
    server.set(RIS_PATH, reply)
    with pytest.raises(FetchError, match=r"truncated|dropped"):
        fetch_ris(make_fetcher(tmp_path, server.url))
    assert len(server.hits(RIS_PATH)) == 3
    assert blobs(tmp_path) == [] and leftovers(tmp_path) == []


def test_truncated_refetch_keeps_previous_good_copy(server: FixtureServer, tmp_path: Path) -> None:
    server.set(RIS_PATH, Reply(RIS_GZ))
    fetcher = make_fetcher(tmp_path, server.url)
    assert fetch_ris(fetcher) is Status.FRESH
    server.set(RIS_PATH, Reply(RIS_GZ, cut_after=5000))
    result = fetcher.fetch(get_source("ris"), Window.parse("2016-08-11T16:00"), "rrc21",
                           kinds=["updates"], refresh=True)
    assert result.stale and result.files[0].path.read_bytes() == RIS_GZ
    assert len(manifest_rows(tmp_path)) == 1


def test_truncated_gzip_with_honest_length_fails_integrity(
    server: FixtureServer, tmp_path: Path
) -> None:
    server.set(RIS_PATH, Reply(RIS_GZ[: len(RIS_GZ) // 2]))
    with pytest.raises(FetchError, match="gzip stream is corrupt or cut short"):
        fetch_ris(make_fetcher(tmp_path, server.url))
    assert blobs(tmp_path) == [] and manifest_rows(tmp_path) == []


def test_truncated_bzip2_fails_integrity(server: FixtureServer, tmp_path: Path) -> None:
    server.set(RV_PATH, Reply(RV_BZ2[:-200]))
    fetcher = make_fetcher(tmp_path, server.url)
    window = Window.parse("2016-11-01T00:00")
    with pytest.raises(FetchError, match="bzip2 stream is corrupt or cut short"):
        fetcher.fetch(get_source("routeviews"), window, "route-views.wide", kinds=["updates"])
    server.set(RV_PATH, Reply(RV_BZ2))
    result = fetcher.fetch(get_source("routeviews"), window, "route-views.wide",
                           kinds=["updates"])
    assert result.files[0].path.read_bytes() == RV_BZ2


def test_slow_response_times_out(server: FixtureServer, tmp_path: Path) -> None:
    server.set(RIS_PATH, Reply(RIS_GZ, delay=1.0))
    began = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0\.2 s"):
        fetch_ris(make_fetcher(tmp_path, server.url, timeout=0.2, retries=2))
    assert time.monotonic() - began < 3.0
    assert blobs(tmp_path) == []


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/octet-stream"])
def test_html_error_page_is_rejected_without_retry(
    server: FixtureServer, tmp_path: Path, content_type: str
) -> None:
    page = b"<!DOCTYPE html>\n<html><body>Mirror under maintenance</body></html>\n"
    server.set(RIS_PATH, Reply(page, content_type=content_type))
    with pytest.raises(FetchError, match="HTML page"):
        fetch_ris(make_fetcher(tmp_path, server.url))
    assert len(server.hits(RIS_PATH)) == 1
    assert blobs(tmp_path) == []


def test_empty_body_is_rejected(server: FixtureServer, tmp_path: Path) -> None:
    server.set(CYMRU_PATH, Reply(b"", content_type="text/plain"))
    with pytest.raises(FetchError, match="empty body"):
        fetch_bogons(make_fetcher(tmp_path, server.url, retries=2))


def test_conditional_request_304_keeps_snapshot(server: FixtureServer, tmp_path: Path) -> None:
    modified = "Sun, 10 Mar 2024 04:50:02 GMT"
    server.set(CYMRU_PATH, Reply(BOGONS_2024, content_type="text/plain", etag='"v2024"',
                                 last_modified=modified))
    fetcher = make_fetcher(tmp_path, server.url)
    status, path, _, _ = fetch_bogons(fetcher)
    assert status is Status.FRESH
    entry = fetcher.cache.latest("cymru/fullbogons/fullbogons-ipv4.txt")
    assert entry is not None and entry.as_of == dt.datetime(2024, 3, 10, 4, 50, 2, tzinfo=dt.UTC)
    status, again, reason, stale = fetch_bogons(fetcher)
    assert (status, again, reason, stale) == (Status.CACHED, path, "not modified (HTTP 304)",
                                              False)
    second = server.hits(CYMRU_PATH)[1].headers
    assert second["if-none-match"] == '"v2024"' and second["if-modified-since"] == modified
    refreshed = fetcher.cache.latest("cymru/fullbogons/fullbogons-ipv4.txt")
    assert refreshed is not None and refreshed.checked_at > refreshed.fetched_at
    assert len(manifest_rows(tmp_path)) == 1


def test_new_version_becomes_a_new_snapshot_and_old_stays(
    server: FixtureServer, tmp_path: Path
) -> None:
    server.set(CYMRU_PATH, Reply(BOGONS_2022, content_type="text/plain", etag='"a"'))
    fetcher = make_fetcher(tmp_path, server.url)
    _, old, _, _ = fetch_bogons(fetcher)
    server.set(CYMRU_PATH, Reply(BOGONS_2024, content_type="text/plain", etag='"b"'))
    status, new, _, _ = fetch_bogons(fetcher)
    assert status is Status.FRESH and new != old
    assert old.read_bytes() == BOGONS_2022 and new.read_bytes() == BOGONS_2024
    assert len(manifest_rows(tmp_path)) == 2


def test_idempotent_refetch_adds_no_manifest_rows(server: FixtureServer, tmp_path: Path) -> None:
    server.set(RIS_PATH, Reply(RIS_GZ))
    fetcher = make_fetcher(tmp_path, server.url)
    statuses = [fetch_ris(fetcher, refresh=True) for _ in range(3)]
    assert statuses == [Status.FRESH, Status.CACHED, Status.CACHED]
    assert len(server.hits(RIS_PATH)) == 3
    assert len(manifest_rows(tmp_path)) == 1 and len(blobs(tmp_path)) == 1


def test_publisher_checksum_verified(server: FixtureServer, tmp_path: Path) -> None:
    md5 = hashlib.md5(AFRINIC).hexdigest()
    server.set(AFRINIC_PATH, Reply(AFRINIC, content_type="text/plain"))
    server.set(AFRINIC_PATH + ".md5", Reply(
        f"MD5 (delegated-afrinic-extended-20230323) = {md5}\n".encode(), content_type="text/plain"))
    fetcher = make_fetcher(tmp_path, server.url)
    result = fetcher.fetch(get_source("rir"), Window.parse("2023-03-23"), "afrinic")
    assert result.files[0].checksum == f"md5:{md5}"
    assert result.files[0].path.read_bytes() == AFRINIC


def test_checksum_mismatch_is_a_failed_download(server: FixtureServer, tmp_path: Path) -> None:
    server.set(AFRINIC_PATH, Reply(AFRINIC, content_type="text/plain"))
    server.set(AFRINIC_PATH + ".md5", Reply(b"0" * 32 + b"  delegated\n"))
    with pytest.raises(FetchError, match="md5 checksum mismatch"):
        make_fetcher(tmp_path, server.url).fetch(get_source("rir"), Window.parse("2023-03-23"),
                                                 "afrinic")
    assert blobs(tmp_path) == [] and manifest_rows(tmp_path) == []


def test_missing_checksum_file_is_not_fatal(server: FixtureServer, tmp_path: Path) -> None:
    server.set(AFRINIC_PATH, Reply(AFRINIC, content_type="text/plain"))
    result = make_fetcher(tmp_path, server.url).fetch(
        get_source("rir"), Window.parse("2023-03-23"), "afrinic")
    assert result.files[0].status is Status.FRESH and result.files[0].checksum is None


def test_offline_without_cache_names_the_fetch_command(tmp_path: Path) -> None:
    fetcher = make_fetcher(tmp_path, "http://127.0.0.1:9", offline=True)
    with pytest.raises(OfflineError) as caught:
        fetch_ris(fetcher)
    message = str(caught.value)
    assert "routewatch fetch ris --date 2016-08-11T16:00 --collector rrc21" in message
    assert "without --offline" in message


def test_offline_uses_cache_only(server: FixtureServer, tmp_path: Path) -> None:
    server.set(CYMRU_PATH, Reply(BOGONS_2024, content_type="text/plain", etag='"x"'))
    fetch_bogons(make_fetcher(tmp_path, server.url))
    status, path, reason, stale = fetch_bogons(make_fetcher(tmp_path, server.url, offline=True))
    assert (status, stale, reason) == (Status.CACHED, False, "offline: not revalidated")
    assert path.read_bytes() == BOGONS_2024
    assert len(server.hits(CYMRU_PATH)) == 1


def rpki_path(day: str) -> str:
    return f"/ftp.ripe.net/rpki/afrinic.tal/{day}/roas.csv.xz"


def test_missing_day_falls_back_to_previous_snapshot(
    server: FixtureServer, tmp_path: Path
) -> None:
    server.set(rpki_path("2022/01/02"), Reply(ROAS_XZ))
    fetcher = make_fetcher(tmp_path, server.url)
    result = fetcher.fetch(get_source("rpki"), Window.parse("2022-01-02", "2022-01-04"), "afrinic")
    assert [f.status for f in result.files] == [Status.FRESH, Status.STALE]
    stand_in = result.files[1]
    assert stand_in.key == "rpki/afrinic/2022-01-02/roas.csv.xz"
    assert stand_in.as_of == dt.datetime(2022, 1, 2, tzinfo=dt.UTC)
    assert stand_in.reason is not None and "HTTP 404" in stand_in.reason
    assert result.reasons[0].startswith("rpki/afrinic/2022-01-03/roas.csv.xz: ")
    offline = make_fetcher(tmp_path, server.url, offline=True).fetch(
        get_source("rpki"), Window.parse("2022-01-05"), "afrinic")
    assert offline.stale and offline.files[0].path == result.files[0].path


def test_update_files_never_stand_in_for_each_other(server: FixtureServer, tmp_path: Path) -> None:
    server.set(RIS_PATH, Reply(RIS_GZ))
    fetcher = make_fetcher(tmp_path, server.url)
    fetch_ris(fetcher)
    with pytest.raises(FetchError, match=r"updates\.20160811\.1605\.gz: .*HTTP 404"):
        fetcher.fetch(get_source("ris"), Window.parse("2016-08-11T16:05"), "rrc21",
                      kinds=["updates"])


def test_spoofer_follows_hydra_pages(server: FixtureServer, tmp_path: Path) -> None:
    sessions = [json.loads(line) for line in sample("sessions_as3356_2020-05.jsonl").splitlines()]
    base = ("/api.spoofer.caida.org/sessions?timestamp%5Bafter%5D=2020-05-07"
            "&timestamp%5Bbefore%5D=2020-05-08")
    ld_json = "application/ld+json"
    first = {"hydra:member": sessions[:1],
             "hydra:view": {"hydra:next": "/sessions?timestamp%5Bafter%5D=2020-05-07&page=2"}}
    server.set(base + "&page=1", Reply(json.dumps(first).encode(), content_type=ld_json))
    server.set(base + "&page=2", Reply(json.dumps({"hydra:member": sessions[1:]}).encode(),
                                       content_type=ld_json))
    result = make_fetcher(tmp_path, server.url).fetch(get_source("spoofer"),
                                                      Window.parse("2020-05-07"))
    assert [f.item.key for f in result.files] == ["spoofer/sessions/2020-05-07/page-0001.json",
                                                  "spoofer/sessions/2020-05-07/page-0002.json"]


def test_backoff_doubles(server: FixtureServer, tmp_path: Path) -> None:
    server.set(RIS_PATH, Reply(b"", 500), Reply(b"", 500), Reply(b"", 500), Reply(RIS_GZ))
    waits: list[float] = []
    downloader = Downloader(HttpPolicy(retries=4, backoff=0.5), sleep=waits.append)
    fetcher = Fetcher(Cache(tmp_path), downloader=downloader, mirrors=Mirrors(mirror=server.url))
    assert fetch_ris(fetcher) is Status.FRESH
    assert waits == [0.5, 1.0, 2.0]


_CRASH = """
import os, pathlib, signal, sys
from routewatch.sources import Cache, Fetcher, Mirrors, Window, get_source
from routewatch.sources.http import Downloader, HttpPolicy

def crash(self, target):
    os.kill(os.getpid(), signal.SIGKILL)

pathlib.Path.replace = crash
fetcher = Fetcher(Cache(pathlib.Path(sys.argv[1])), mirrors=Mirrors(mirror=sys.argv[2]),
                  downloader=Downloader(HttpPolicy(retries=1, backoff=0)))
fetcher.fetch(get_source("cymru"), Window.parse("2024-03-10"), kinds=["ipv4"])
"""


def test_crash_between_temp_write_and_rename_keeps_last_good(
    server: FixtureServer, tmp_path: Path
) -> None:
    server.set(CYMRU_PATH, Reply(BOGONS_2022, content_type="text/plain", etag='"old"'))
    status, good, _, _ = fetch_bogons(make_fetcher(tmp_path, server.url))
    assert status is Status.FRESH
    before = manifest_rows(tmp_path)
    server.set(CYMRU_PATH, Reply(BOGONS_2024, content_type="text/plain", etag='"new"'))
    crashed = subprocess.run([sys.executable, "-c", _CRASH, str(tmp_path), server.url],
                             capture_output=True, timeout=20, check=False)
    assert crashed.returncode == -9, crashed.stderr.decode()
    assert [p.read_bytes() for p in leftovers(tmp_path)] == [BOGONS_2024]  # the temp write
    assert manifest_rows(tmp_path) == before
    assert good.read_bytes() == BOGONS_2022
    status, path, _, stale = fetch_bogons(make_fetcher(tmp_path, "http://127.0.0.1:9",
                                                       offline=True))
    assert (status, path, stale) == (Status.CACHED, good, False)


def test_gzip_sample_really_is_complete() -> None:
    assert len(gzip.decompress(RIS_GZ)) > len(RIS_GZ)


def test_per_source_base_url_override(server: FixtureServer, tmp_path: Path) -> None:
    server.set("/rpki-mirror/afrinic.tal/2022/01/02/roas.csv.xz", Reply(ROAS_XZ))
    mirrors = Mirrors.parse("http://127.0.0.1:9/unused", f"rpki={server.url}/rpki-mirror/")
    fetcher = Fetcher(Cache(tmp_path), mirrors=mirrors,
                      downloader=Downloader(HttpPolicy(retries=1, backoff=0)))
    result = fetcher.fetch(get_source("rpki"), Window.parse("2022-01-02"), "afrinic")
    assert result.files[0].status is Status.FRESH
    assert result.files[0].item.url.startswith(server.url + "/rpki-mirror/afrinic.tal/")
