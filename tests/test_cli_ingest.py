"""``routewatch ingest``: the lake on real files, the summary, skips and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from _data import shared_data
from routewatch.cli.main import cli
from routewatch.ingest.lake import file_id, scan_lake

RRC21 = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
RRC05 = shared_data("mrt/ris/ris-rrc05_updates.20100722.2015.gz")
TRUNCATED_RIB = shared_data("mrt/routeviews/route-views2_rib.20140523.0600_firstMB.bz2")


def _has_decoder() -> bool:
    try:
        import routewatch.ingest.mrt as mrt
    except ImportError:
        return False
    return hasattr(mrt, "read_elems")


needs_decoder = pytest.mark.skipif(not _has_decoder(), reason="MRT decoder not installed yet")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["ingest", *args], catch_exceptions=False)


def test_help_has_examples_and_layout() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "collector=NAME/date=YYYY-MM-DD" in result.output


def test_bad_collector_is_a_usage_error(tmp_path: Path) -> None:
    result = run("--lake", str(tmp_path), "--collector", "a/b", str(RRC21))
    assert result.exit_code == 2
    assert "folder name" in result.output


@needs_decoder
def test_ingest_two_files_then_skip_them(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = run("--lake", str(lake), str(RRC21), str(RRC05))
    assert first.exit_code == 0, first.stderr
    assert "Ingested 2 file(s)" in first.stderr
    assert "in 2 partition(s); 0 skipped" in first.stderr
    assert {p.parent.parent.name for p in lake.rglob("*.parquet")} == {
        "collector=rrc21",
        "collector=rrc05",
    }
    second = run("--lake", str(lake), str(RRC21), str(RRC05))
    assert second.exit_code == 0
    assert "Ingested 0 file(s)" in second.stderr
    assert "2 skipped as already ingested" in second.stderr
    total = scan_lake(lake).count_rows()
    assert scan_lake(lake, collector="rrc21").count_rows() == 41_234  # bgpdump -m lines
    assert total > 41_234


@needs_decoder
def test_partial_file_is_written_marked_and_exits_3(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    result = run("--lake", str(lake), "--collector", "route-views2", str(TRUNCATED_RIB))
    assert result.exit_code == 3
    assert "partial data" in result.stderr
    assert "1 partial" in result.stderr
    manifest = json.loads((lake / "_ingest" / f"{file_id(TRUNCATED_RIB)}.json").read_text())
    assert manifest["partial"] is True
    assert manifest["problems"][0]["first_offsets"]
    assert scan_lake(lake, collector="route-views2").count_rows() > 0


@needs_decoder
def test_missing_file_exits_1_and_the_rest_is_ingested(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    result = run("--lake", str(lake), str(tmp_path / "nope.gz"), str(RRC05))
    assert result.exit_code == 1
    assert "no such file; check the path" in result.stderr
    assert "1 unreadable" in result.stderr
    assert scan_lake(lake, collector="rrc05").count_rows() > 0


def test_progress_display_runs_and_stays_off_the_data_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from routewatch.cli.progress import FileProgress

    files = [RRC21, tmp_path / "missing.gz"]
    with FileProgress(files, verb="Ingesting", enabled=True) as progress:
        for path in files:
            progress.start(path)
            progress.update(note="12 elems")
            progress.echo(f"message about {path.name}")
            progress.done(path)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "message about missing.gz" in captured.err
    with FileProgress(files, verb="Ingesting") as quiet:  # stderr is not a terminal here
        quiet.start(RRC21)
        quiet.echo("plain line")
        quiet.done(RRC21)
    assert capsys.readouterr().err == "plain line\n"
