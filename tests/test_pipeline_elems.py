"""A run's elems: ingested into the lake once, read back in the total elem order.

Real files: two consecutive five-minute files of the RIS rrc04 series (2021-01-01 04:55 and
05:00) and the rrc12 file of 05:00 the same day: two collectors at the same time, so the merge
really interleaves them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from _data import shared_data
from routewatch.errors import InputError
from routewatch.ingest.lake import MANIFEST_DIR
from routewatch.ingest.merge import Run, continues_order, merged
from routewatch.ingest.order import ORDER_KEYS
from routewatch.pipeline import MrtInput, ReadStats, elem_stream, ingest_inputs, lake_slice

FILES = [
    *(shared_data(f"mrt/series/rrc04_20210101/ris.rrc04.updates.{t}.300.cache")
      for t in (1609476900, 1609477200)),
    shared_data("mrt/series/rrc12_20210101/ris.rrc12.updates.1609477200.300.cache"),
]
START = int(dt.datetime(2020, 12, 25, tzinfo=dt.UTC).timestamp()) * 1_000_000
END = int(dt.datetime(2021, 2, 1, tzinfo=dt.UTC).timestamp()) * 1_000_000


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lake")
    inputs = [MrtInput(p, p.name.split(".")[1], "updates") for p in FILES]
    stats = ReadStats()
    ingest_inputs(inputs, folder, stats)
    assert stats.files == 3 and not stats.problems
    return folder


def test_the_stream_is_in_the_total_order_whatever_the_batch_size(lake: Path) -> None:
    elems = lake_slice(lake, dt.datetime(2020, 12, 25, tzinfo=dt.UTC),
                       dt.datetime(2021, 2, 1, tzinfo=dt.UTC))  # fmt: skip
    assert len(elems.parts) == 3
    whole = list(elem_stream(elems, START, END))
    table = pa.Table.from_batches(whole)
    ts = np.asarray(table.column("timestamp").cast(pa.int64()).to_numpy())
    so = np.asarray(table.column("source_order").to_numpy())
    seq = np.asarray(table.column("elem_seq").to_numpy())
    later = (ts[1:] > ts[:-1]) | ((ts[1:] == ts[:-1]) & ((so[1:] > so[:-1])
                                                          | ((so[1:] == so[:-1])
                                                             & (seq[1:] > seq[:-1]))))
    assert later.all()
    assert set(table.column("collector").to_pylist()) == {"rrc04", "rrc12"}
    for rows in (997, 20_000):
        small = list(elem_stream(elems, START, END, batch_rows=rows))
        assert max(b.num_rows for b in small) <= rows
        # the same rows in the same order: the order keys identify a row (its source file and
        # its place in it)
        keys = list(ORDER_KEYS)
        assert pa.Table.from_batches(small).select(keys).equals(table.select(keys))


def test_a_window_keeps_only_its_elems(lake: Path) -> None:
    elems = lake_slice(lake, dt.datetime(2020, 12, 25, tzinfo=dt.UTC),
                       dt.datetime(2021, 2, 1, tzinfo=dt.UTC))  # fmt: skip
    start = int(dt.datetime(2021, 1, 1, 5, 0, tzinfo=dt.UTC).timestamp()) * 1_000_000
    table = pa.Table.from_batches(list(elem_stream(elems, start, start + 60_000_000)))
    ts = np.asarray(table.column("timestamp").cast(pa.int64()).to_numpy())
    assert table.num_rows > 0 and ts.min() >= start and ts.max() < start + 60_000_000


def test_files_of_an_older_lake_must_be_ingested_again(lake: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    (old / MANIFEST_DIR).mkdir(parents=True)
    for manifest in (lake / MANIFEST_DIR).glob("*.json"):
        raw = json.loads(manifest.read_text())
        raw.pop("lake_format"), raw.pop("source_order"), raw.pop("time_sorted")
        (old / MANIFEST_DIR / manifest.name).write_text(json.dumps(raw))
    with pytest.raises(InputError, match=r"older routewatch.*--replace"):
        lake_slice(old, dt.datetime(2020, 12, 25, tzinfo=dt.UTC),
                   dt.datetime(2021, 2, 1, tzinfo=dt.UTC))  # fmt: skip


def test_a_run_that_breaks_the_total_order_is_refused() -> None:
    """The order check the merge and the Spark buckets share (keys invented: three elems)."""
    def keys(ts: list[int], so: list[int], seq: list[int]) -> tuple[np.ndarray, ...]:
        return (np.array(ts, np.int64), np.array(so, np.uint64), np.array(seq, np.uint64))

    assert continues_order(keys([1, 1, 2], [5, 5, 0], [0, 1, 0]), None) == (2, 0, 0)
    assert continues_order(keys([1, 1, 2], [5, 5, 0], [0, 1, 0]), (0, 9, 9)) == (2, 0, 0)
    assert continues_order(keys([1, 1, 2], [5, 5, 0], [1, 0, 0]), None) is None  # seq back
    assert continues_order(keys([1, 1, 2], [5, 5, 0], [0, 1, 0]), (1, 5, 0)) is None  # repeat
    batch = pa.record_batch({"timestamp": pa.array([2, 1], pa.int64()),
                             "source_order": pa.array([0, 0], pa.uint64()),
                             "elem_seq": pa.array([0, 1], pa.uint64())})
    run = Run("backwards", 1, lambda: iter([batch]))
    with pytest.raises(InputError, match="out of the total order"):
        list(merged([run]))
