"""The MRT benchmark's input generation (nothing here is timed: benchmarks are not tests)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from _bench import benchmark
from _data import shared_data


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return benchmark("mrt")


def record_ends(bench: ModuleType, data: bytes) -> int:
    """Offset after the last record when walking headers from the start."""
    offset = 0
    while offset + 12 <= len(data):
        offset += 12 + bench.MRT_HEADER.unpack_from(data, offset)[3]
    return offset


def test_truncated_bz2_is_read_as_far_as_possible_and_cut_at_a_record(bench: ModuleType) -> None:
    source = shared_data("mrt/routeviews/route-views2_rib.20140523.0600_firstMB.bz2")
    data = bench.readable_mrt(source)
    assert len(data) > 1_000_000
    cut = bench.complete_records(data)
    assert 0 < len(cut) < len(data)  # the excerpt ends inside a record
    assert record_ends(bench, cut) == len(cut)


def test_complete_file_is_left_whole(bench: ModuleType) -> None:
    data = bench.readable_mrt(shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz"))
    assert bench.complete_records(data) == data
    assert bench.complete_records(data[:-5]) == data[: len(bench.complete_records(data[:-5]))]
    assert len(bench.complete_records(data[:-5])) < len(data)


@pytest.mark.parametrize("compression", ["gzip", "bzip2"])
def test_repetition_round_trips_with_the_same_compression(
    bench: ModuleType, tmp_path: Path, compression: str
) -> None:
    data = bench.complete_records(bench.readable_mrt(shared_data("mrt/lab/quagga_bgp")))
    target = tmp_path / f"x3.{compression}"
    bench.write_repeated(data, 3, target, compression)
    assert target.read_bytes()[:3] in (b"\x1f\x8b\x08", b"BZh")
    assert bench.readable_mrt(target) == data * 3
    assert not list(tmp_path.glob(".*.tmp"))


def test_prepare_reuses_the_cached_input(bench: ModuleType, tmp_path: Path) -> None:
    rrc21 = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
    spec = bench.Input("rrc21-updates", rrc21, "gzip")
    first = bench.prepare(spec, 2, tmp_path)
    stamp = first.stat().st_mtime_ns
    assert bench.prepare(spec, 2, tmp_path) == first
    assert first.stat().st_mtime_ns == stamp
    assert first.name == "rrc21-updates.x2.gz"


def test_copies_reach_the_target(bench: ModuleType) -> None:
    assert bench.copies_for(41_234, 2_000_000) == 49
    assert bench.copies_for(3_000_000, 2_000_000) == 1
    assert bench.copies_for(0, 10) == 10
