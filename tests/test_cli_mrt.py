"""``routewatch mrt dump`` and ``routewatch mrt stats``: formats, golden files, exit codes.

Golden files live in ``tests/golden/mrt/``; regenerate them after a deliberate output change
with ``ROUTEWATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_cli_mrt.py`` and review the diff.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import _golden
from _data import shared_data
from routewatch.cli.main import cli
from routewatch.cli.mrt import readable_table
from routewatch.schemas import ELEMS

RRC21 = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
RRC21_BGPDUMP = shared_data("mrt/bgpdump-expect/updates.20160811.1600.gz.bgp.gz")
TRUNCATED_RIB = shared_data("mrt/routeviews/route-views2_rib.20140523.0600_firstMB.bz2")
SMALL = shared_data("mrt/ris/bview.ipv4_unicast_add_path.gz")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["mrt", *args], catch_exceptions=False)


def check_golden(name: str, text: str) -> None:
    _golden.check_golden("mrt", name, text)


def _has_decoder() -> bool:
    try:
        import routewatch.ingest.mrt as mrt
    except ImportError:
        return False
    return hasattr(mrt, "read_elems")


needs_decoder = pytest.mark.skipif(not _has_decoder(), reason="MRT decoder not installed yet")


# ------------------------------------------------------------------------------------------
# Readable values (no decoder needed)
# ------------------------------------------------------------------------------------------


def elem(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "timestamp": 1470931200_000000,
        "elem_type": "A",
        "record_type": "BGP4MP",
        "collector": "rrc21",
        "peer_ip": "2001:7f8:54::188",
        "peer_asn": 59689,
        "record_offset": 0,
    }
    return base | values


def test_readable_values_for_people() -> None:
    batch = pa.RecordBatch.from_pylist(
        [
            elem(communities=[1 << 16 | 2], record_offset=1),
            elem(
                timestamp=1470931200_123456,
                prefix="2804:14d::/40",
                as_path="59689 6939 {4230,28573}",
                origin_asns=[4230, 28573],
                communities=[59689 << 16 | 200, 59689 << 16 | 240],
                large_communities=[{"global_admin": 206924, "local_data_1": 1, "local_data_2": 2}],
                unknown_attrs=[b"\xc0\x63\x01\xff"],
                record_offset=2,
            ),
            elem(elem_type="W", prefix="192.0.2.0/24", record_offset=3),
        ],
        schema=ELEMS,
    ).slice(1)  # a slice: list offsets do not start at zero
    rows = readable_table(batch).to_pylist()
    assert rows[0]["timestamp"] == "2016-08-11T16:00:00.123456Z"
    assert rows[0]["communities"] == ["59689:200", "59689:240"]
    assert rows[0]["large_communities"] == ["206924:1:2"]
    assert rows[0]["unknown_attrs"] == ["c06301ff"]
    assert rows[0]["origin_asns"] == ["4230", "28573"]
    assert rows[0]["elem_type"] == "A"
    assert rows[1]["timestamp"] == "2016-08-11T16:00:00Z"
    assert rows[1]["communities"] is None
    joined = readable_table(batch, join_lists=True).to_pylist()
    assert joined[0]["communities"] == "59689:200 59689:240"


def test_help_texts_have_examples() -> None:
    for command in ("dump", "stats"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.output
        assert "routewatch mrt " + command in result.output


def test_parquet_needs_an_output_path() -> None:
    result = run("dump", "--format", "parquet", str(RRC21))
    assert result.exit_code == 2
    assert "--output" in result.output


# ------------------------------------------------------------------------------------------
# dump
# ------------------------------------------------------------------------------------------


@needs_decoder
def test_dump_bgpdump_matches_bgpdump() -> None:
    result = run("dump", str(RRC21))
    assert result.exit_code == 0, result.stderr
    with gzip.open(RRC21_BGPDUMP, "rt") as expected:
        assert result.stdout.splitlines() == expected.read().splitlines()


@needs_decoder
def test_dump_jsonl_golden() -> None:
    result = run("dump", "--format", "jsonl", str(SMALL))
    assert result.exit_code == 0, result.stderr
    check_golden("bview.ipv4_unicast_add_path.jsonl", result.stdout)


@needs_decoder
def test_dump_csv_golden() -> None:
    result = run("dump", "--format", "csv", "--collector", "lab", str(SMALL))
    assert result.exit_code == 0, result.stderr
    check_golden("bview.ipv4_unicast_add_path.csv", result.stdout)


@needs_decoder
def test_dump_jsonl_and_csv_have_one_row_per_elem() -> None:
    lines = run("dump", str(RRC21)).stdout.splitlines()
    objects = [
        json.loads(x) for x in run("dump", "--format", "jsonl", str(RRC21)).stdout.splitlines()
    ]
    rows = list(csv.DictReader(io.StringIO(run("dump", "--format", "csv", str(RRC21)).stdout)))
    assert len(objects) == len(rows) == len(lines)
    assert objects[0]["collector"] == rows[0]["collector"] == "rrc21"
    with_communities = next(o for o in objects if o["communities"])
    assert all(c.count(":") == 1 for c in with_communities["communities"])


@needs_decoder
def test_dump_parquet_keeps_the_elems_schema(tmp_path: Path) -> None:
    output = tmp_path / "elems.parquet"
    result = run("dump", "--format", "parquet", "-o", str(output), str(RRC21))
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(output)
    assert table.schema.equals(ELEMS, check_metadata=False)
    assert table.num_rows == len(run("dump", str(RRC21)).stdout.splitlines())


# ------------------------------------------------------------------------------------------
# stats
# ------------------------------------------------------------------------------------------


@needs_decoder
@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_stats_golden(fmt: str) -> None:
    result = CliRunner().invoke(
        cli, ["mrt", "stats", "--format", fmt, str(RRC21)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    text = result.stdout.replace(str(RRC21), "RRC21")
    check_golden(f"stats.rrc21.{fmt}", text)


@needs_decoder
def test_stats_counts_match_the_provenance_notes() -> None:
    result = run("stats", "--format", "json", str(RRC21))
    stats = json.loads(result.stdout)["files"][0]
    assert stats["records"] == 17406  # mrtparse 2.2, see shared/data/PROVENANCE.md
    assert stats["peers"] == 40  # distinct peer_ip|peer_asn of bgpdump -m on this file
    assert stats["first_timestamp"] == "2016-08-11T16:00:00Z"
    assert stats["last_timestamp"].startswith("2016-08-11T16:04:59")
    assert sum(p["elems"] for p in stats["peer_elems"]) == stats["elems"]
    assert stats["elems_by_type"]["S"] == 22
    assert stats["partial"] is False


# ------------------------------------------------------------------------------------------
# exit codes
# ------------------------------------------------------------------------------------------


@needs_decoder
def test_truncated_file_is_partial_exit_3_with_what_was_skipped() -> None:
    result = run("stats", str(TRUNCATED_RIB))
    assert result.exit_code == 3
    assert "partial data" in result.stderr
    assert "offset" in result.stderr
    assert "elems" in result.stdout  # the readable part is still counted


@needs_decoder
def test_missing_file_is_exit_1_and_the_others_are_still_read(tmp_path: Path) -> None:
    result = run("stats", str(tmp_path / "nope.gz"), str(RRC21))
    assert result.exit_code == 1
    assert "no such file" in result.stderr
    assert "check the path" in result.stderr
    assert "rrc21" in result.stdout


@needs_decoder
def test_dump_missing_file_is_exit_1(tmp_path: Path) -> None:
    result = run("dump", str(tmp_path / "nope.gz"))
    assert result.exit_code == 1
    assert "no such file" in result.stderr
