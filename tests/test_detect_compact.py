"""Compaction (detect.compact) changes memory, never findings; neither do batch boundaries.

Every check compares detection with compaction off (every span kept) against detection that
compacts as often as possible: on the scenario files (one elem per batch on both sides, so
compaction runs between every two elems) and on real RIS update streams (rrc21 2016-08-11
and the rrc04 2021-01-01 series, repeated so origins become established and spans can be
folded), plain and partitioned. Then how the held spans grow while the stream goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from _data import shared_data
from routewatch.detect.engine import Detection, PartitionRun, detect
from routewatch.detect.findings import DecidedBy, Detail, Marks, Metric, build_findings
from routewatch.detect.scenario import load_scenario
from routewatch.ingest.mrt import read_elems

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.toml"))
STREAMS = [
    shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz"),
    *sorted(shared_data("mrt/series/rrc04_20210101").glob("*.cache"))[:12],
]


def _same(a: Detection, b: Detection) -> None:
    assert a.findings.equals(b.findings), "findings differ with compaction"
    assert a.incidents.equals(b.incidents), "incidents differ with compaction"
    for name in ("leaks", "hijacks", "first_hops", "findings", "state"):
        assert vars(getattr(a.report, name)) == vars(getattr(b.report, name)), name
    assert a.report.spans == b.report.spans


def _one_by_one(batch: pa.RecordBatch) -> list[pa.RecordBatch]:
    return [batch.slice(i, 1) for i in range(batch.num_rows)]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenarios_are_the_same_when_compacting_after_every_elem(path: Path) -> None:
    s = load_scenario(path)
    kwargs = {"method": s.method, "window": s.window, "kinds": s.kinds, "slack_seconds": 0}
    _same(detect(_one_by_one(s.elems), s.refs, compact_spans=0, **kwargs),  # type: ignore[arg-type]
          detect(_one_by_one(s.elems), s.refs, compact_spans=1, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenarios_do_not_depend_on_batch_boundaries(path: Path) -> None:
    """One batch or one elem per batch: the same findings (ties in time included)."""
    s = load_scenario(path)
    kwargs = {"method": s.method, "window": s.window, "kinds": s.kinds, "compact_spans": 0}
    _same(detect([s.elems], s.refs, **kwargs),  # type: ignore[arg-type]
          detect(_one_by_one(s.elems), s.refs, **kwargs))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def stream() -> pa.Table:
    tables = [pa.Table.from_batches(list(read_elems(p, collector=p.stem[:12]))) for p in STREAMS]
    table = pa.concat_tables(tables).combine_chunks()
    return table.take(pc.sort_indices(table, sort_keys=[("timestamp", "ascending")]))


def _repeat(table: pa.Table, copies: int, chunk: int = 32768) -> Iterator[pa.RecordBatch]:
    """The stream, then ``copies - 1`` more copies each shifted by the stream's duration."""
    ts = table.column("timestamp").cast(pa.int64())
    span = int(pc.max(ts).as_py()) - int(pc.min(ts).as_py()) + 1_000_000
    field = table.schema.field("timestamp")
    for k in range(copies):
        moved = pc.add(ts, pa.scalar(k * span, pa.int64())).cast(field.type)
        yield from table.set_column(0, field, moved).to_batches(max_chunksize=chunk)


@pytest.fixture(scope="module")
def refs() -> object:
    from routewatch.pipeline import build_references

    return build_references({
        "vrps": [shared_data("rpki/rcynic-scan_roas_roa_list_20160527.txt")],
        "as-relationships": [shared_data("asrel/toposcope_asrel_201801.txt")],
    })


@pytest.mark.parametrize("buckets", [1, 64], ids=["whole", "64-buckets"])
def test_real_streams_are_the_same_with_compaction(
    stream: pa.Table, refs: object, buckets: int
) -> None:
    plain = detect(_repeat(stream, 3), refs, compact_spans=0, buckets=buckets)  # type: ignore[arg-type]
    every = 2_000 if buckets > 1 else 20_000  # buckets hold a small part of the spans each
    packed = detect(_repeat(stream, 3), refs, compact_spans=every, buckets=buckets)  # type: ignore[arg-type]
    _same(plain, packed)
    assert packed.report.compaction.runs >= 2
    assert packed.report.compaction.folded > plain.report.spans // 3
    assert plain.findings.num_rows > 100  # real findings of every kind were compared
    assert set(plain.findings.column("metric").to_pylist()) >= {"M1", "M2", "rpki-invalid"}


def test_held_spans_stay_flat_while_the_stream_goes_on(stream: pa.Table, refs: object) -> None:
    """Memory follows the live routes: after the first copies held rows grow ~20x slower."""
    first = int(pc.min(stream.column("timestamp").cast(pa.int64())).as_py())
    run = PartitionRun(refs, window_start=first, compact_spans=20_000)  # type: ignore[arg-type]
    held, closed = [], []
    batches = list(_repeat(stream, 8))
    per_copy = len(batches) // 8
    for i, batch in enumerate(batches, 1):
        run.feed(batch)
        if i % per_copy == 0:
            run.compact()
            held.append(len(run.spans()) - run.state.live_routes)
            closed.append(run.closed)
    assert run.compaction is not None and run.compaction.folded > closed[-1] // 2
    # copies 5..8 close half of all spans; what is held grows only with new evidence
    # (summaries of leak routes and RPKI-invalid pairs: ~2.5 % of the closed spans here)
    assert held[-1] - held[3] < 0.05 * (closed[-1] - closed[3]), (held, closed)
    assert held[-1] < closed[-1] // 5, (held, closed)


def test_a_marked_ghost_is_an_internal_error(refs: object) -> None:
    """The builder refuses a folded span that a detector marked (never silently wrong)."""
    from routewatch.detect.state import Catalog, Spans
    from routewatch.methodology import RW_2026_1

    catalog = Catalog()
    catalog.add_prefixes(np.array([7], np.int64), np.array([4], np.uint64),
                         np.array([0xC0000200 << 32], np.uint64), np.array([0], np.uint64),
                         np.array([24], np.uint64))  # fmt: skip
    catalog.add_paths(np.array([9], np.int64), np.array([0, 1], np.int64),
                      np.array([64500], np.uint32), np.array([False]), np.array([-1]))
    ghost = Spans(np.array([-1], np.int32), np.array([0], np.int32), np.array([0], np.int32),
                  np.array([0], np.int64), np.array([10], np.int64), np.array([False]))  # fmt: skip
    marks = Marks()
    marks.add(np.array([0]), Detail(Metric.HIJACK, 64500, None, None, DecidedBy.ESTABLISHED))
    with pytest.raises(RuntimeError, match="folded by compaction"):
        build_findings(ghost, catalog, marks, refs, RW_2026_1)  # type: ignore[arg-type]


def test_elems_out_of_order_after_compaction_are_refused(stream: pa.Table, refs: object) -> None:
    """Input older than a compaction's time would make folded spans wrong: a clear error."""
    from routewatch.errors import InputError

    batches = list(_repeat(stream.slice(0, 300_000), 1))
    with pytest.raises(InputError, match="out of time order after compaction"):
        detect([*batches, batches[0]], refs, compact_spans=20_000, slack_seconds=0)  # type: ignore[arg-type]
    # the same elems with compaction off: detection takes them (state is per peer)
    detect([*batches, batches[0]], refs, compact_spans=0)  # type: ignore[arg-type]
