"""The MANRS participants source against a real HTTP server on 127.0.0.1.

No real copy of the participants list (``wp-json/manrs/v1/csv/4``) is available here: the
server serves ``tests/data/ref/manrs/manrs-participants.invented.csv``, INVENTED in the
documented layout (see that folder's PROVENANCE.md), and later versions of it CONSTRUCTED in
the tests. What is checked is the sources stage's promise for a list the publisher keeps only
in its current state: each change becomes a dated snapshot in the cache, an unchanged list is
not stored twice, a download that is not the participants CSV never replaces the last good
one, and the snapshots give each ASN its join month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from routewatch.errors import FetchError
from routewatch.reference.manrs import join_dates, load_participants
from routewatch.sources import Cache, Fetcher, Mirrors, Status, Window, get_source
from routewatch.sources.http import Downloader, HttpPolicy
from sources_server import FixtureServer, Reply, start

PATH = "/www.manrs.org/wp-json/manrs/v1/csv/4"
SAMPLE = Path(__file__).parent / "data" / "ref" / "manrs" / "manrs-participants.invented.csv"
JANUARY = "Tue, 07 Jan 2025 10:00:00 GMT"
MARCH = "Tue, 04 Mar 2025 10:00:00 GMT"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    state, httpd = start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def fetcher(root: Path, base: str) -> Fetcher:
    policy = HttpPolicy(timeout=5.0, retries=2, backoff=0)
    return Fetcher(Cache(root), downloader=Downloader(policy), mirrors=Mirrors(mirror=base))


def fetch(f: Fetcher) -> tuple[Status, Path, dt.datetime | None, str | None]:
    result = f.fetch(get_source("manrs"), Window.parse("2025-03-10"), "participants")
    (got,) = result.files
    return got.status, got.path, got.as_of, got.reason


def csv_reply(body: bytes, modified: str, etag: str) -> Reply:
    return Reply(body, content_type="text/csv", last_modified=modified, etag=etag)


def test_each_change_is_a_dated_snapshot_and_gives_join_months(server: FixtureServer,
                                                               tmp_path: Path) -> None:
    january = SAMPLE.read_bytes()
    march = january + b"New Member,FR,64510,Yes,No,Yes,No\n"  # constructed: one joins
    server.set(PATH, csv_reply(january, JANUARY, '"v1"'))
    f = fetcher(tmp_path, server.url)
    status, first, as_of, _ = fetch(f)
    assert status is Status.FRESH and first.read_bytes() == january
    assert as_of == dt.datetime(2025, 1, 7, 10, tzinfo=dt.UTC)  # Last-Modified
    assert fetch(f)[0] is Status.CACHED  # 304 on the validators
    assert server.hits(PATH)[-1].headers.get("if-none-match") == '"v1"'
    server.set(PATH, csv_reply(march, MARCH, '"v2"'))
    status, second, as_of, _ = fetch(f)
    assert status is Status.FRESH and second != first
    entries = f.cache.entries("manrs")
    assert [e.as_of for e in entries] == [dt.datetime(2025, 3, 4, 10, tzinfo=dt.UTC),
                                          dt.datetime(2025, 1, 7, 10, tzinfo=dt.UTC)]
    snapshots = [(e.as_of.date(), load_participants([e.path]).table) for e in entries
                 if e.as_of is not None]
    joined = {r["asn"]: r["joined"] for r in join_dates(snapshots).to_pylist()}
    assert joined[64510] == dt.date(2025, 3, 4) and joined[64496] == dt.date(2025, 1, 7)


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (b'{"code":"rest_no_route","message":"No route was found matching the URL and request '
     b'method.","data":{"status":404}}' + b" " * 200, "application/json",
     "expected a CSV header of 7 fields"),
    (b"Organisation,ASNs\n" + b"Example,64496\n" * 40, "text/csv",
     "expected a CSV header of 7 fields, found 2"),
    (SAMPLE.read_bytes().replace(b",Yes,Yes\n", b"\n") * 3, "text/csv",
     "lines have 7 fields"),
    (b"<!DOCTYPE html><html><body>Maintenance</body></html>" + b" " * 300, "text/html",
     "server sent an HTML page"),
], ids=["wordpress-json-error", "other-table", "changed-layout", "html"])
def test_a_download_that_is_not_the_list_keeps_the_last_good_one(
        server: FixtureServer, tmp_path: Path, body: bytes, content_type: str,
        message: str) -> None:
    server.set(PATH, csv_reply(SAMPLE.read_bytes(), JANUARY, '"v1"'))
    f = fetcher(tmp_path, server.url)
    good = fetch(f)[1]
    server.set(PATH, Reply(body, content_type=content_type, etag='"bad"'))
    status, path, _, reason = fetch(f)
    assert (status, path) == (Status.STALE, good)
    assert reason is not None and message in reason and "last good copy" in reason
    assert len(f.cache.entries("manrs")) == 1


def test_no_good_copy_and_a_bad_download_is_an_error(server: FixtureServer,
                                                      tmp_path: Path) -> None:
    server.set(PATH, Reply(b"Organisation,ASNs\n" + b"Example,64496\n" * 40,
                           content_type="text/csv"))
    with pytest.raises(FetchError, match="expected a CSV header of 7 fields"):
        fetch(fetcher(tmp_path, server.url))
    assert Cache(tmp_path).entries("manrs") == []
