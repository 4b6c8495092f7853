"""The Parquet lake: partitions, file ids, skip/replace, manifests, partial files, scanning.

Most tests feed :func:`ingest_file` hand-built ELEMS batches through its ``reader`` seam, so
the lake's behaviour is pinned whatever the MRT decoder does; the last ones ingest real RIS
files of the shared corpus (``tests/_data.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _data import shared_data
from routewatch.errors import ConfigError, InputError
from routewatch.ingest.lake import (
    LAKE_SCHEMA,
    collector_for,
    file_id,
    ingest_file,
    read_manifest,
    scan_lake,
)
from routewatch.ingest.report import IngestReport, ProblemKind
from routewatch.schemas import ELEMS

RRC21 = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")

# 2016-08-11 23:59:58 UTC and two seconds later (the next day)
LATE = 1470959998_000000
EARLY_NEXT_DAY = 1470960000_000000


def elem(
    ts: int, offset: int, *, collector: str | None = "rrc21", kind: str = "A"
) -> dict[str, Any]:
    return {
        "timestamp": ts,
        "elem_type": kind,
        "record_type": "BGP4MP",
        "collector": collector,
        "peer_ip": "192.0.2.1",
        "peer_asn": 64496,
        "prefix": "198.51.100.0/24",
        "afi": 4,
        "prefix_len": 24,
        "as_path": "64496 64511",
        "path_asns": [64496, 64511],
        "communities": [64496 << 16 | 100],
        "record_offset": offset,
    }


def batch(rows: list[dict[str, Any]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(rows, schema=ELEMS)


class FakeReader:
    """Yields fixed batches and records fixed problems, like ``read_elems`` would."""

    def __init__(
        self,
        batches: list[pa.RecordBatch],
        problems: list[tuple[ProblemKind, int]] = (),  # type: ignore[assignment]
    ) -> None:
        self.batches = batches
        self.problems = problems
        self.calls = 0

    def __call__(
        self,
        path: Path,
        *,
        collector: str | None = None,
        batch_size: int = 65536,
        report: IngestReport | None = None,
    ) -> Iterator[pa.RecordBatch]:
        self.calls += 1
        report = report if report is not None else IngestReport()
        report.files.append(str(path))
        for b in self.batches:
            report.records["BGP4MP"] += b.num_rows
            report.elems["A"] += b.num_rows
            yield b
        for kind, offset in self.problems:
            report.add_problem(kind, str(path), offset, f"{kind.value} at {offset}")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "updates.20160811.2355.gz"
    path.write_bytes(b"not really MRT, only its bytes matter for the file id")
    return path


def crossing_midnight() -> FakeReader:
    return FakeReader([batch([elem(LATE, 0), elem(LATE, 50)]), batch([elem(EARLY_NEXT_DAY, 100)])])


def test_parts_are_hive_partitioned_by_collector_and_utc_day(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    outcome = ingest_file(source, lake, collector="rrc21", reader=crossing_midnight())
    fid = file_id(source)
    assert outcome.manifest.parts == (
        f"elems/collector=rrc21/date=2016-08-11/{fid}.parquet",
        f"elems/collector=rrc21/date=2016-08-12/{fid}.parquet",
    )
    first = pq.read_table(lake / outcome.manifest.parts[0])
    assert first.num_rows == 2
    assert "collector" not in first.column_names  # the folder carries it
    assert not list(lake.rglob("*.tmp"))


def test_file_id_is_the_sha256_prefix_of_the_bytes(source: Path) -> None:
    import hashlib

    assert file_id(source) == hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def test_duckdb_reads_the_lake_with_hive_partitioning(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    ingest_file(source, lake, collector="rrc21", reader=crossing_midnight())
    rows = duckdb.sql(
        f"SELECT collector, date, count(*) AS n FROM read_parquet('{lake}/elems/**/*.parquet', "
        "hive_partitioning=true) GROUP BY ALL ORDER BY date"
    ).fetchall()
    assert rows == [("rrc21", date(2016, 8, 11), 2), ("rrc21", date(2016, 8, 12), 1)]


def test_manifest_records_source_counts_and_time_range(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    outcome = ingest_file(source, lake, collector="rrc21", reader=crossing_midnight())
    raw = json.loads((lake / "_ingest" / f"{outcome.file_id}.json").read_text())
    assert raw["source"] == str(source.resolve())
    assert raw["size"] == source.stat().st_size
    assert raw["sha256"].startswith(outcome.file_id)
    assert raw["collector"] == "rrc21"
    assert raw["first_timestamp"] == "2016-08-11T23:59:58+00:00"
    assert raw["last_timestamp"] == "2016-08-12T00:00:00+00:00"
    assert raw["elems"] == {"A": 3}
    assert raw["records"] == {"BGP4MP": 3}
    assert raw["partial"] is False
    assert raw["problems"] == []
    assert raw["routewatch_version"]
    assert raw["ingested_at"]
    assert read_manifest(lake, outcome.file_id) == outcome.manifest


def test_same_file_twice_is_skipped(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    reader = crossing_midnight()
    ingest_file(source, lake, collector="rrc21", reader=reader)
    again = ingest_file(source, lake, collector="rrc21", reader=reader)
    assert again.skipped
    assert reader.calls == 1
    assert scan_lake(lake).count_rows() == 3


def test_replace_rewrites_and_drops_stale_parts(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    ingest_file(source, lake, collector="rrc21", reader=crossing_midnight())
    one_day = FakeReader([batch([elem(LATE, 0, collector=None)])])
    outcome = ingest_file(source, lake, collector="rrc99", replace=True, reader=one_day)
    assert not outcome.skipped
    assert [p.relative_to(lake).as_posix() for p in sorted(lake.rglob("*.parquet"))] == list(
        outcome.manifest.parts
    )
    assert outcome.manifest.parts[0].startswith("elems/collector=rrc99/date=2016-08-11/")
    assert scan_lake(lake).count_rows() == 1


def test_missing_part_makes_the_file_ingest_again(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    first = ingest_file(source, lake, collector="rrc21", reader=crossing_midnight())
    (lake / first.manifest.parts[0]).unlink()
    again = ingest_file(source, lake, collector="rrc21", reader=crossing_midnight())
    assert not again.skipped
    assert scan_lake(lake).count_rows() == 3


def test_partial_file_is_written_and_marked(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    problems = [
        (ProblemKind.MALFORMED_ATTRIBUTE, 50),
        (ProblemKind.TRUNCATED_FILE, 9000),
        (ProblemKind.MALFORMED_ATTRIBUTE, 700),
    ]
    reader = FakeReader([batch([elem(LATE, 0)])], problems)
    outcome = ingest_file(source, lake, collector="rrc21", reader=reader)
    assert outcome.partial
    assert scan_lake(lake).count_rows() == 1
    raw = json.loads((lake / "_ingest" / f"{outcome.file_id}.json").read_text())
    assert raw["partial"] is True
    assert raw["problems"] == [
        {
            "kind": "malformed-attribute",
            "count": 2,
            "first_offsets": [50, 700],
            "first_detail": "malformed-attribute at 50",
        },
        {
            "kind": "truncated-file",
            "count": 1,
            "first_offsets": [9000],
            "first_detail": "truncated-file at 9000",
        },
    ]


def test_unreadable_file_writes_nothing(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"

    def broken(path: Path, **_: object) -> Iterator[pa.RecordBatch]:
        yield batch([elem(LATE, 0)])
        raise InputError(f"{path}: not an MRT file")

    with pytest.raises(InputError):
        ingest_file(source, lake, collector="rrc21", reader=broken)
    assert not list(lake.rglob("*.parquet"))
    assert not list(lake.rglob("*.tmp"))
    assert not list(lake.rglob("*.json"))


def test_missing_source_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ingest_file(
            tmp_path / "nope.gz", tmp_path / "lake", collector="rrc21", reader=crossing_midnight()
        )


def test_collector_name_must_be_a_safe_folder_name(tmp_path: Path, source: Path) -> None:
    with pytest.raises(ConfigError, match="folder name"):
        ingest_file(source, tmp_path / "lake", collector="../evil", reader=crossing_midnight())


def test_batches_stream_into_row_groups(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    batches = [batch([elem(LATE + i, i)]) for i in range(5)]
    outcome = ingest_file(source, lake, collector="rrc21", reader=FakeReader(batches))
    assert pq.ParquetFile(lake / outcome.manifest.parts[0]).num_row_groups == 5


def test_scan_lake_filters_by_collector_and_time(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    ingest_file(source, lake, collector="rrc21", reader=crossing_midnight())
    other = tmp_path / "other.gz"
    other.write_bytes(b"other bytes")
    ingest_file(
        other, lake, collector="rrc00", reader=FakeReader([batch([elem(LATE, 0, collector=None)])])
    )
    assert scan_lake(lake).count_rows() == 4
    assert scan_lake(lake, collector="rrc00").count_rows() == 1
    assert scan_lake(lake, start=date(2016, 8, 12)).count_rows() == 1
    assert scan_lake(lake, end=date(2016, 8, 12)).count_rows() == 3
    noon = datetime(2016, 8, 11, 23, 59, 59, tzinfo=UTC)
    assert scan_lake(lake, collector="rrc21", start=noon).count_rows() == 1
    table = scan_lake(lake, collector="rrc21").to_table()
    assert table.schema.names == LAKE_SCHEMA.names
    assert set(table.column("collector").to_pylist()) == {"rrc21"}


def test_scan_of_an_empty_lake_is_empty(tmp_path: Path) -> None:
    assert scan_lake(tmp_path / "nothing").count_rows() == 0


def _decoder() -> Any:
    mrt = pytest.importorskip("routewatch.ingest.mrt")
    if not hasattr(mrt, "read_elems"):
        pytest.skip("MRT decoder not installed yet")
    return mrt


def test_real_rrc21_file_ingests_once(tmp_path: Path) -> None:
    _decoder()
    lake = tmp_path / "lake"
    outcome = ingest_file(RRC21, lake)
    assert not outcome.partial
    assert outcome.manifest.parts == (
        f"elems/collector=rrc21/date=2016-08-11/{file_id(RRC21)}.parquet",
    )
    assert scan_lake(lake).count_rows() == outcome.elems > 40_000
    assert outcome.manifest.first_timestamp == "2016-08-11T16:00:00+00:00"
    assert ingest_file(RRC21, lake).skipped


def test_file_with_problems_and_no_record_is_unreadable(tmp_path: Path, source: Path) -> None:
    lake = tmp_path / "lake"
    garbage = FakeReader([], [(ProblemKind.FRAMING_RECOVERED, 0)])
    with pytest.raises(InputError, match="no MRT record could be read"):
        ingest_file(source, lake, collector="rrc21", reader=garbage)
    assert not list(lake.rglob("*.json"))


def test_empty_file_is_ingested_as_empty(tmp_path: Path, source: Path) -> None:
    outcome = ingest_file(source, tmp_path / "lake", collector="rrc21", reader=FakeReader([]))
    assert outcome.manifest.parts == ()
    assert not outcome.partial


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("rrc21/2016.08/updates.20160811.1600.gz", "rrc21"),
        ("/data/ris-rrc05_bview.20020722.2337.gz", "rrc05"),
        ("route-views2/bgpdata/2014.05/RIBS/rib.20140523.0600.bz2", "route-views2"),
        ("/tmp/somewhere/updates.20160811.1600.gz", None),
    ],
)
def test_collector_comes_from_the_file_or_folder_name(path: str, expected: str | None) -> None:
    _decoder()
    assert collector_for(Path(path)) == expected
