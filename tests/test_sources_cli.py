"""``routewatch fetch`` and ``routewatch sources`` through the real entry point (exit codes)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest

from routewatch.cli.fetch import SourceRow
from routewatch.cli.main import main
from routewatch.sources import SOURCES
from sources_server import FixtureServer, Reply, sample, start

RIS_PATH = "/data.ris.ripe.net/rrc21/2016.08/updates.20160811.1600.gz"
RIS_GZ = sample("ris-rrc21_updates.20160811.1600.gz")
CYMRU_PATH = "/www.team-cymru.org/Services/Bogons/fullbogons-ipv4.txt"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FixtureServer]:
    state, httpd = start()
    monkeypatch.setenv("ROUTEWATCH_MIRROR", state.url)
    monkeypatch.setenv("ROUTEWATCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ROUTEWATCH_HTTP_BACKOFF", "0")
    monkeypatch.setenv("ROUTEWATCH_HTTP_RETRIES", "2")
    monkeypatch.setenv("ROUTEWATCH_HTTP_TIMEOUT", "5")
    yield state
    httpd.shutdown()
    httpd.server_close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    out = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out.out, out.err


RIS_ARGS = ("fetch", "ris", "--date", "2016-08-11T16:00", "--collector", "rrc21",
            "--kind", "updates")


def test_fetch_prints_what_it_got(server: FixtureServer, capsys: pytest.CaptureFixture[str]
                                  ) -> None:
    server.set(RIS_PATH, Reply(RIS_GZ))
    code, out, err = run(capsys, *RIS_ARGS)
    assert (code, err) == (0, "")
    assert out.startswith("fresh  ris/rrc21/updates.20160811.1600.gz\n")
    assert f"{len(RIS_GZ)} bytes  sha256 a6b785cb84dc3fbd" in out
    assert "as-of 2016-08-11 16:00" in out
    code, out, _ = run(capsys, *RIS_ARGS, "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["stale"] is False
    assert document["files"][0]["status"] == "cached"
    assert Path(document["files"][0]["path"]).read_bytes() == RIS_GZ


def test_stale_exits_3_with_reason(server: FixtureServer, capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    bogons = sample("team-cymru_fullbogons-ipv4_20240310.txt")
    server.set(CYMRU_PATH, Reply(bogons, content_type="text/plain"))
    args = ("fetch", "cymru", "--date", "2024-03-10", "--kind", "ipv4")
    assert run(capsys, *args)[0] == 0
    server.set(CYMRU_PATH, Reply(b"down", 500, "text/plain"))
    code, out, err = run(capsys, *args)
    assert code == 3
    assert out.startswith("stale  cymru/fullbogons/fullbogons-ipv4.txt")
    assert "routewatch: stale: cymru/fullbogons/fullbogons-ipv4.txt: download of" in err
    assert "HTTP 500" in err


def test_failed_fetch_exits_1(server: FixtureServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *RIS_ARGS)
    assert code == 1
    assert "HTTP 404 (the publisher has no such file" in err


def test_offline_without_cache(server: FixtureServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *RIS_ARGS, "--offline")
    assert code == 1
    assert "Run 'routewatch fetch ris --date 2016-08-11T16:00 --collector rrc21' without " \
           "--offline first." in err
    assert server.requests == []


def test_usage_errors_exit_2(server: FixtureServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "fetch", "nosuch", "--date", "2016-08-11")[0] == 2
    assert run(capsys, "fetch", "ris", "--date", "yesterday")[0] == 2
    assert run(capsys, "fetch", "ris")[0] == 2


def test_sources_lists_every_source_and_the_cache(
    server: FixtureServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.set(RIS_PATH, Reply(RIS_GZ))
    run(capsys, *RIS_ARGS)
    code, out, _ = run(capsys, "sources", "--format", "json")
    rows = {row["source"]: row for row in json.loads(out)}
    assert code == 0 and list(rows) == list(SOURCES)
    assert rows["ris"]["cached_files"] == 1 and rows["ris"]["cached_bytes"] == len(RIS_GZ)
    assert rows["ris"]["newest_as_of"] == "2016-08-11T16:00:00Z"
    assert rows["ris"]["cadence"] == "bview every 8 h, updates every 5 min"
    assert rows["rpki"]["cached_files"] == 0 and rows["rpki"]["age_seconds"] is None
    code, out, _ = run(capsys, "sources", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert list(table[0]) == [f.name for f in fields(SourceRow)]
    assert [r["source"] for r in table] == list(SOURCES)
    code, out, _ = run(capsys, "sources")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["source", "cadence", "cached"]
    assert any(line.startswith("ris ") and "2016-08-11T16:00:00Z" in line for line in lines)
