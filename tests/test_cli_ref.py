"""``routewatch ref show`` / ``ref formats``: detection, output formats, exit codes, goldens.

Golden files live in ``tests/golden/ref/``; regenerate them after a deliberate output change
with ``ROUTEWATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_cli_ref.py`` and review the diff.
Every registered format is loaded through the CLI from a real file of tests/data (which holds
the repository's copy of the shared corpus, ``tests/data/shared``): the first whose content it is
detected as; a format with no such file fails with its name.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import _golden
from _data import shared_data
from routewatch.cli.main import cli
from routewatch.errors import RoutewatchError
from routewatch.reference.base import FORMATS, Format
from routewatch.reference.sniff import detect, import_loaders

TESTS = Path(__file__).resolve().parent
REF = TESTS / "data" / "ref"
SPOOFER = REF / "spoofer" / "sessions_as3356_2020-05.jsonl"
OBSERVATORY = REF / "manrs" / "manrs-observatory_LACNIC_details_202210.excerpt.csv"
PARTICIPANTS = REF / "manrs" / "manrs-participants.invented.csv"
RIR = shared_data("rir/delegated-afrinic-20140630")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["ref", *args])


def check_golden(name: str, text: str) -> None:
    _golden.check_golden("ref", name, text)


# ------------------------------------------------------------------------------------------
# rows and summaries
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["text", "json", "csv"])
def test_rows_golden(output: str) -> None:
    for name, path, limit in (("spoofer", SPOOFER, "10"), ("observatory", OBSERVATORY, "3")):
        result = run("show", "auto", str(path), "--format", output, "--limit", limit)
        assert result.exit_code == 0, result.output
        check_golden(f"{name}.{output}", result.output)


@pytest.mark.parametrize("output", ["text", "json", "csv"])
def test_summary_golden(output: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REF)
    result = run("show", "auto", "manrs/" + OBSERVATORY.name, "--summary", "--format", output)
    assert result.exit_code == 0, result.output
    check_golden(f"observatory-summary.{output}", result.output)


def test_json_rows_are_one_object_a_line() -> None:
    result = run("show", "spoofer", str(SPOOFER), "--format", "json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["session"] for row in rows] == [891176, 894351]
    assert rows[0]["timestamp"] == "2020-05-07T14:34:59+00:00"


def test_text_defaults_to_twenty_rows_json_to_all() -> None:
    text = run("show", "auto", str(OBSERVATORY))
    assert text.exit_code == 0
    assert "278" in text.output and "2002" not in text.output.split("\n", 23)[-1]
    lines = run("show", "auto", str(OBSERVATORY), "--format", "json").output.splitlines()
    assert len(lines) == 40


def test_problems_give_exit_3_and_are_listed() -> None:
    result = CliRunner().invoke(cli, ["ref", "show", "auto", str(PARTICIPANTS), "--summary"])
    assert result.exit_code == 3
    assert f"{PARTICIPANTS}:7: not an ASN: 'AS-BROKEN'" in result.output
    rows = CliRunner().invoke(cli, ["ref", "show", "auto", str(PARTICIPANTS),
                                    "--format", "csv"])
    assert rows.exit_code == 3
    assert "1 malformed line(s) skipped" in rows.stderr
    assert "1 malformed" not in rows.stdout


def test_kind_restricts_detection() -> None:
    result = run("show", "vrps", str(SPOOFER))
    assert result.exit_code == 1
    assert "matches no known reference format of kind vrps" in str(result.exception)


def test_unknown_content_names_the_known_formats(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    result = run("show", "auto", str(path))
    assert result.exit_code == 1
    message = str(result.exception)
    assert "rir-delegated (delegations)" in message and "spoofer-sessions-json" in message


def test_formats_lists_every_registered_format() -> None:
    result = run("formats")
    assert result.exit_code == 0
    for fmt in import_loaders():
        assert fmt.name in result.output


# ------------------------------------------------------------------------------------------
# as a subprocess (the console entry point, exit codes through main())
# ------------------------------------------------------------------------------------------


def routewatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "routewatch", *args], capture_output=True,
                          text=True, check=False)


def test_subprocess_summary_of_a_real_rir_file() -> None:
    result = routewatch("ref", "show", "auto", str(RIR), "--summary")
    assert result.returncode == 0, result.stderr
    assert "kind      delegations" in result.stdout
    assert "rows      4176" in result.stdout
    assert "as_of     2014-06-30" in result.stdout


def test_subprocess_exit_3_on_problems() -> None:
    assert routewatch("ref", "show", "auto", str(PARTICIPANTS), "--summary").returncode == 3


def test_subprocess_exit_codes(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello, this is no reference data\n")
    unknown = routewatch("ref", "show", "auto", str(notes))
    assert unknown.returncode == 1
    assert "Known formats" in unknown.stderr
    assert routewatch("ref", "show", "no-such-kind", str(SPOOFER)).returncode == 2


# ------------------------------------------------------------------------------------------
# every registered format, through the CLI, on a real file
# ------------------------------------------------------------------------------------------


def _samples() -> dict[str, list[Path]]:
    """Format name -> files (smallest first) of tests/data detected as it."""
    files = [p for p in (TESTS / "data").rglob("*")
             if p.is_file() and p.stat().st_size < 8_000_000 and p.suffix != ".md"]
    found: dict[str, list[Path]] = {}
    for path in sorted(files, key=lambda p: (p.stat().st_size, str(p))):
        try:
            found.setdefault(detect(path).name, []).append(path)
        except (RoutewatchError, OSError, EOFError):
            continue
    return found


import_loaders()
SAMPLES = _samples()


@pytest.mark.parametrize("fmt", list(FORMATS), ids=lambda f: f.name)
def test_every_registered_format_loads_through_the_cli(fmt: Format) -> None:
    refused = []
    for sample in SAMPLES.get(fmt.name, [])[:6]:
        result = run("show", "auto", str(sample), "--summary", "--format", "json")
        if result.exit_code == 1:
            refused.append(f"{sample.name}: {result.exception}")
            continue
        assert result.exit_code in (0, 3), result.output
        summary = json.loads(result.output)
        assert (summary["format"], summary["kind"]) == (fmt.name, fmt.kind.value)
        if summary["rows"] > 0:  # e.g. a PeeringDB ix response alone has no per-ASN rows
            return
        refused.append(f"{sample.name}: no rows")
    pytest.fail(f"no usable file in tests/data for {fmt.name}: {refused}")
