"""``routewatch detect`` and ``routewatch incidents``: golden files of every output format.

Golden files live in ``tests/golden/detect/``; regenerate them after a deliberate output
change with ``ROUTEWATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_detect_cli.py`` and
review the diff.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import _golden
from _data import shared_data
from routewatch.cli.detect import incidents
from routewatch.detect.scenario import load_scenario

SCENARIOS = Path(__file__).parent / "scenarios"
RRC21 = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
ROAS = shared_data("rpki/rcynic-scan_roas_roa_list_20160527.txt")
RELS = shared_data("asrel/toposcope_asrel_201801.txt")


def check_golden(name: str, text: str) -> None:
    _golden.check_golden("detect", name, text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("detect")
    for name in ("weights_29m_13h_25h", "m3_m4_bogons", "m1_valley_relationships"):
        result = load_scenario(SCENARIOS / f"{name}.toml").run()
        pq.write_table(result.incidents, out / f"{name}.parquet")
    tables = [pq.read_table(p) for p in sorted(out.glob("*.parquet"))]
    import pyarrow as pa

    pq.write_table(pa.concat_tables(tables), out / "incidents.parquet")
    return out


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_incidents_golden(folder: Path, fmt: str) -> None:
    result = CliRunner().invoke(incidents, ["--in", str(folder), "--format", fmt])
    assert result.exit_code == 0, result.output
    check_golden(f"incidents.{'txt' if fmt == 'text' else fmt}", result.output)


def test_incidents_missing_folder_names_the_fix(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "routewatch", "incidents", "--in", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "run 'routewatch detect" in result.stderr


def test_detect_needs_one_source(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "routewatch", "detect", "--from", "2021-01-01",
         "--to", "2021-01-02", "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--lake DIR or --mrt FILE" in result.stderr


def test_detect_command_on_real_mrt(tmp_path: Path) -> None:
    mrt = RRC21
    result = subprocess.run(
        [sys.executable, "-m", "routewatch", "detect", "--mrt", str(mrt),
         "--from", "2016-08-11T16:00:00Z", "--to", "2016-08-11T16:15:00Z",
         "--rpki", str(ROAS),
         "--rels", str(RELS),
         "--kind", "bogon,rov", "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "methodology rw-2026.1" in result.stdout
    assert {p.name for p in tmp_path.iterdir()} == {
        "findings.parquet", "incidents.parquet", "report.json"
    }
    metrics = set(pq.read_table(tmp_path / "findings.parquet").column("metric").to_pylist())
    assert metrics <= {"M3", "M4", "M3-administrative", "M4-administrative", "rpki-invalid"}
    listing = subprocess.run(
        [sys.executable, "-m", "routewatch", "incidents", "--in", str(tmp_path), "--asn",
         "26077"], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "M4" in listing.stdout and "107.178.10.0/24" in listing.stdout


def test_detect_from_lake_equals_detect_from_mrt(tmp_path: Path) -> None:
    mrt = RRC21
    common = ["--from", "2016-08-11T16:00:00Z", "--to", "2016-08-11T16:15:00Z",
              "--rels", str(RELS)]  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "routewatch", *args],
                              capture_output=True, text=True, check=False)  # fmt: skip

    assert run("ingest", "--lake", str(tmp_path / "lake"), str(mrt)).returncode == 0
    a = run("detect", "--lake", str(tmp_path / "lake"), *common, "--out", str(tmp_path / "a"))
    b = run("detect", "--mrt", str(mrt), *common, "--out", str(tmp_path / "b"))
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    key = [("finding_id", "ascending")]
    fa = pq.read_table(tmp_path / "a" / "findings.parquet").sort_by(key)
    fb = pq.read_table(tmp_path / "b" / "findings.parquet").sort_by(key)
    assert fa.num_rows > 0 and fa.equals(fb)
