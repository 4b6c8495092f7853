"""Detection as one call: elems in, findings and incidents out, cut into buckets or whole.

Data flow::

    ELEMS batches (total elem order) ──► Buckets.split ──► PartitionRun per bucket:
        RouteState ──► Spans ──► detectors mark spans ──► build_findings (owned prefixes)
    ──► FINDINGS of every bucket, sorted by content ──► build_incidents ──► INCIDENTS

:class:`PartitionRun` is the per-bucket unit — the same object the local engine and a cluster
run: feed it one bucket's elems in the total elem order (with the rows it owns, see
:mod:`.partition`), then read :meth:`PartitionRun.findings` and
:meth:`PartitionRun.window_routes`. :func:`detect` splits a stream into ``buckets`` buckets
(1 = whole) and combines them; every count it reports counts each input elem once, and the
tables are identical for every bucket count and batch size.

Times are microseconds since the epoch. The window is the caller's (detection never reads
the clock); without one it is the data's own first and last timestamp. Elems before
``window[0]`` are the baseline (established origins); findings that end before the window
are dropped. The routes alive at the window start (after every elem at or before it) are
kept per bucket: the pairs announced "in the window" are those plus the window's own
announcements.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from routewatch import settings
from routewatch.detect.bogons import mark_bogon_asns, mark_bogon_prefixes
from routewatch.detect.compact import Compactor, CompactReport
from routewatch.detect.confidence import assess as assess_confidence
from routewatch.detect.findings import FindingsReport, Marks, Metric, build_findings
from routewatch.detect.firsthop import FirstHopReport, mark_fake_first_hops
from routewatch.detect.hijacks import HijackReport, mark_hijacks
from routewatch.detect.incidents import build_incidents
from routewatch.detect.leaks import LeakReport, mark_leaks
from routewatch.detect.partition import Buckets
from routewatch.detect.paths import flat_paths
from routewatch.detect.routes import routes_of
from routewatch.detect.state import Catalog, RouteState, Spans, StateCounts, ranges
from routewatch.detect.verdicts import References
from routewatch.errors import InputError
from routewatch.methodology import RW_2026_1, Methodology
from routewatch.schemas import FINDINGS, WINDOW_ASNS, WINDOW_PAIRS

__all__ = [
    "ALL_KINDS",
    "DetectReport",
    "Detection",
    "Kind",
    "PartitionRun",
    "RunOutput",
    "combine",
    "detect",
    "run_limits",
    "sort_findings",
]

B = npt.NDArray[np.bool_]

#: a partition compacts no earlier than this many held spans, whatever the bucket count
_MIN_COMPACT = 50_000
#: rows a bucket collects from several batches before feeding them (per-feed overhead)
_FEED_ROWS = 8192


def _release_free_heap() -> None:
    """Give the C heap's free pages back to the system (glibc ``malloc_trim``; elsewhere
    nothing).

    Compaction frees most of what it allocated, but glibc keeps arrays under its dynamic
    mmap threshold (up to 32 MiB) on the heap and does not return that memory by itself:
    without this the resident size stays at the compaction peak for the rest of the run.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


class Kind(StrEnum):
    """Detector families the CLI's ``--kind`` selects."""

    LEAK = "leak"
    HIJACK = "hijack"
    BOGON = "bogon"
    ROV = "rov"


ALL_KINDS: frozenset[Kind] = frozenset(Kind)
_METRICS: dict[Kind, frozenset[str]] = {
    Kind.LEAK: frozenset({Metric.LEAK}),
    Kind.HIJACK: frozenset({Metric.HIJACK, Metric.FAKE_FIRST_HOP}),
    Kind.BOGON: frozenset(
        {Metric.BOGON_PREFIX, Metric.BOGON_ASN, Metric.BOGON_PREFIX_ADMIN, Metric.BOGON_ASN_ADMIN}
    ),
    Kind.ROV: frozenset({Metric.RPKI_INVALID}),
}


@dataclass
class DetectReport:
    """What a detection run met, summed over partitions.

    ``state`` and ``findings`` count each input elem and each event once, whatever the
    partitioning. ``leaks``, ``hijacks``, ``first_hops``, ``compaction`` and ``spans``
    count the work of each partition: a path or a short prefix seen by several buckets is
    examined in each, so those numbers grow with the bucket count.
    """

    partitions: int = 0
    spans: int = 0
    state: StateCounts = field(default_factory=StateCounts)
    findings: FindingsReport = field(default_factory=FindingsReport)
    leaks: LeakReport = field(default_factory=LeakReport)
    hijacks: HijackReport = field(default_factory=HijackReport)
    first_hops: FirstHopReport = field(default_factory=FirstHopReport)
    compaction: CompactReport = field(default_factory=CompactReport)
    first_time: int | None = None
    last_time: int | None = None

    def merge(self, other: DetectReport) -> None:
        """Add another run's report (a cluster's buckets each report on their own)."""
        _add_counts(self, other)
        for mine in (other.first_time, other.last_time):
            if mine is not None:
                self.first_time = mine if self.first_time is None else min(self.first_time, mine)
                self.last_time = mine if self.last_time is None else max(self.last_time, mine)

    def see_times(self, batch: pa.RecordBatch) -> None:
        """Track the first and last elem time (the default window)."""
        if batch.num_rows == 0:
            return
        ts = batch.column("timestamp").cast(pa.int64())
        lo, hi = int(pc.min(ts).as_py()), int(pc.max(ts).as_py())
        self.first_time = lo if self.first_time is None else min(self.first_time, lo)
        self.last_time = hi if self.last_time is None else max(self.last_time, hi)


def _add_counts(into: object, other: object) -> None:
    """Sum the int fields and the dicts of int of two report dataclasses (recursively)."""
    for spec in fields(into):  # type: ignore[arg-type]
        if spec.name in ("first_time", "last_time"):
            continue
        mine, theirs = getattr(into, spec.name), getattr(other, spec.name)
        if isinstance(mine, bool):
            continue
        if isinstance(mine, int):
            setattr(into, spec.name, mine + theirs)
        elif isinstance(mine, dict):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value
        elif is_dataclass(mine):
            _add_counts(mine, theirs)


@dataclass(frozen=True)
class Detection:
    """Findings (one row per event), incidents, the routes alive at the window start
    (``window_pairs``: distinct prefix, origin, peer AS; ``window_asns``: distinct AS in a
    path, peer AS), and the run's report."""

    findings: pa.Table
    incidents: pa.Table
    report: DetectReport
    window_pairs: pa.Table = field(default_factory=WINDOW_PAIRS.empty_table)
    window_asns: pa.Table = field(default_factory=WINDOW_ASNS.empty_table)


@dataclass(frozen=True)
class RunOutput:
    """What one bucket run gives the combination: its findings and window routes."""

    findings: pa.Table
    window_pairs: pa.Table
    window_asns: pa.Table


class PartitionRun:
    """Route state and detectors over one bucket's elems (fed in the total elem order).

    ``bucket`` of ``buckets`` says which prefixes this run owns: it keeps findings and
    counts only for them (default: one bucket, everything owned). ``data_start`` is the
    first instant of the whole stream (every bucket gets the same): routes there have no
    known history (:mod:`.hijacks`). With ``window_start``
    known up front, closed spans are compacted as they pile up (:mod:`.compact`): when the
    held spans reach ``compact_spans`` and twice what the last compaction kept plus the live
    routes, the ones no detector can mark are folded into ghost spans, so memory follows the
    live routes, not the length of the stream; the findings are the same. Without it (or
    with ``compact_spans = 0``) every span is kept. ``slack_us`` is how far elems may run
    out of time order (compaction only folds spans that ended that long before the newest).
    """

    def __init__(
        self,
        refs: References,
        method: Methodology = RW_2026_1,
        window_start: int | None = None,
        compact_spans: int = 0,
        slack_us: int = 0,
        *,
        bucket: int = 0,
        buckets: Buckets | None = None,
        data_start: int | None = None,
    ) -> None:
        self.refs = refs
        self.method = method
        self.catalog = Catalog()
        self.state = RouteState(self.catalog)
        self.window_start = window_start
        self.compact_spans = compact_spans
        self.slack_us = slack_us
        self.bucket = bucket
        self.buckets = buckets if buckets is not None else Buckets.of(1, method)
        self.data_start = data_start
        self.closed = 0
        self._spans: list[Spans] = []
        self._held = 0
        self._kept = 0
        self._newest: int | None = None
        self._tau: int | None = None
        self._at_start: Spans | None = None
        self._compactor = (
            Compactor(self.catalog, refs, method, window_start, self.owns)
            if window_start is not None and compact_spans > 0
            else None
        )

    def owns(self, prefixes: npt.NDArray[np.integer]) -> B:
        """Which of these prefix ids this run owns."""
        if self.buckets.count == 1:
            return np.ones(len(prefixes), np.bool_)
        ids = np.asarray(prefixes, np.int64)
        owner = self.buckets.owner(self.catalog.prefix_afi[ids], self.catalog.prefix_hi[ids])
        out: B = owner == self.bucket
        return out

    def feed(self, batch: pa.RecordBatch, owned: B | None = None) -> None:
        """Apply one batch of elems (and compact when the held spans call for it).

        ``owned`` marks the rows of prefixes this run owns (default: every row with a
        prefix). Raises :class:`~routewatch.errors.InputError` when, after a compaction, an
        elem is older than that compaction's time (input out of order by more than
        ``slack_us``): the folded spans could then be wrong, so detection stops.
        """
        if batch.num_rows == 0:
            return
        ts = np.asarray(batch.column("timestamp").cast(pa.int64()).to_numpy(zero_copy_only=False))
        if self._at_start is None and self.window_start is not None:
            cut = int(np.searchsorted(ts, self.window_start, side="right"))
            if cut < batch.num_rows and bool((ts[cut:] > self.window_start).all()):
                if cut:
                    self._feed(batch.slice(0, cut), ts[:cut], _part(owned, 0, cut))
                self._at_start = self.state.live(owned_only=True)
                batch, ts, owned = batch.slice(cut), ts[cut:], _part(owned, cut, None)
        self._feed(batch, ts, owned)

    def _feed(self, batch: pa.RecordBatch, ts: npt.NDArray[np.int64], owned: B | None) -> None:
        oldest, newest = int(ts.min()), int(ts.max())
        if self._tau is not None and oldest < self._tau:
            raise InputError(
                f"elems out of time order after compaction: an elem at {oldest} us is "
                f"older than {self._tau} us, more than {self.slack_us // 1_000_000} s "
                "before the newest; sort the input by time, or raise the setting "
                "detect-slack-seconds (or set detect-compact-spans = 0)"
            )
        self._newest = newest if self._newest is None else max(self._newest, newest)
        closed = self.state.feed(batch, owned)
        if len(closed):
            self._spans.append(closed)
            self._held += len(closed)
            self.closed += len(closed)
        if self._compactor is not None and self._held >= max(
            self.compact_spans, 2 * (self._kept + self.state.live_routes)
        ):
            self.compact()

    def compact(self) -> None:
        """Fold the held spans no detector can mark into ghosts (see :mod:`.compact`)."""
        if self._compactor is None or self._newest is None:
            return
        held = Spans.concat(self._spans)
        self._spans = [held]  # the chunks are freed while compaction runs
        tau = self._newest - self.slack_us
        out = self._compactor.compact(held, self.state.finish(), tau, self._newest)
        if tau > self._compactor.window_start:  # (it folds nothing before the window start)
            self._tau = tau if self._tau is None else max(self._tau, tau)
        self._spans = [out]
        self._held = self._kept = len(out)
        _release_free_heap()

    @property
    def compaction(self) -> CompactReport | None:
        """What compaction did so far (None when it is off)."""
        return self._compactor.report if self._compactor is not None else None

    def spans(self) -> Spans:
        """The held spans and the still-open ones (``end = -1``).

        Without compaction these are all spans; with it, folded spans appear as ghosts
        (``peer = -1``, see :mod:`.compact`).
        """
        return Spans.concat([*self._spans, self.state.finish()])

    def window_routes(self) -> tuple[pa.Table, pa.Table]:
        """The owned routes alive at the window start (after every elem at or before it):
        distinct (prefix, origin, peer AS) — :data:`~routewatch.schemas.WINDOW_PAIRS` — and
        distinct (AS anywhere in the path, peer AS) — :data:`~routewatch.schemas.WINDOW_ASNS`.
        """
        live = self._at_start if self._at_start is not None else self.state.live(True)
        return _window_pairs(live, self.catalog), _window_asns(live, self.catalog)

    def output(self, window_start: int, kinds: frozenset[Kind] = ALL_KINDS,
               report: DetectReport | None = None) -> RunOutput:
        """The run's :meth:`findings` and :meth:`window_routes`, for :func:`combine`."""
        found = self.findings(window_start, kinds, report)
        return RunOutput(found, *self.window_routes())

    def findings(
        self,
        window_start: int,
        kinds: frozenset[Kind] = ALL_KINDS,
        report: DetectReport | None = None,
    ) -> pa.Table:
        """FINDINGS of the prefixes this run owns (events that overlap [window_start, ...))."""
        report = report if report is not None else DetectReport()
        if self._compactor is not None and window_start != self.window_start:
            raise ValueError(
                f"findings for window start {window_start} of a run compacted for "
                f"{self.window_start}: compaction depends on the window start"
            )
        spans = self.spans()
        report.partitions += 1
        report.spans += self.closed + self.state.live_routes
        report.state.merge(self.state.counts)
        if self.compaction is not None:
            report.compaction.add(self.compaction)
            report.findings.events += self.compaction.dead_events
            report.findings.dropped_low_visibility += self.compaction.dead_events
        marks = Marks()
        routes = routes_of(spans)
        paths = flat_paths(self.catalog)
        if Kind.BOGON in kinds:
            mark_bogon_prefixes(routes, paths, self.catalog, self.refs, marks)
            mark_bogon_asns(routes, paths, self.refs, marks)
        if Kind.LEAK in kinds:
            mark_leaks(routes, paths, self.refs, marks, report.leaks)
        if self._compactor is not None:  # folded rows take no part in route-level events
            marks.drop(self._compactor.no_route_level(spans))
        if Kind.HIJACK in kinds or Kind.ROV in kinds:
            pairs = mark_hijacks(spans, routes, paths, self.catalog, self.refs, self.method,
                                 window_start, marks, report.hijacks, self.owns,
                                 self.data_start)  # fmt: skip
            if pairs is not None and Kind.HIJACK in kinds:
                mark_fake_first_hops(pairs, spans, routes, paths, self.refs, self.method,
                                     window_start, marks, report.first_hops)  # fmt: skip
        summaries = self._compactor.summaries if self._compactor is not None else None
        owned = self.owns(np.arange(len(self.catalog.prefix_len)))
        table = build_findings(spans, self.catalog, marks, self.refs, self.method,
                               report.findings, summaries, owned)  # fmt: skip
        wanted = sorted(set().union(*(_METRICS[k] for k in kinds)))
        keep = pc.is_in(table.column("metric"), pa.array(wanted, pa.string()))
        ends = table.column("end").cast(pa.int64())
        live = pc.or_kleene(pc.is_null(ends), pc.greater(ends, pa.scalar(window_start, pa.int64())))
        return table.filter(pc.and_(keep, live))


def _part(owned: B | None, lo: int, hi: int | None) -> B | None:
    return None if owned is None else owned[lo:hi]


def _window_pairs(live: Spans, catalog: Catalog) -> pa.Table:
    origin = catalog.origins()[live.path]
    mine = origin >= 0
    prefix = live.prefix[mine].astype(np.int64)
    key = np.unique(np.c_[prefix, origin[mine], catalog.peer_asns()[live.peer[mine]]], axis=0)
    ids = key[:, 0] if len(key) else np.zeros(0, np.int64)
    texts = [catalog.prefix_text(int(i)) for i in ids.tolist()]
    return pa.table({
        "prefix": pa.array(texts, pa.string()),
        "afi": pa.array(catalog.prefix_afi[ids], pa.uint8()),
        "prefix_hi": pa.array(catalog.prefix_hi[ids], pa.uint64()),
        "prefix_lo": pa.array(catalog.prefix_lo[ids], pa.uint64()),
        "prefix_len": pa.array(catalog.prefix_len[ids], pa.uint8()),
        "origin_asn": pa.array(key[:, 1] if len(key) else ids, pa.uint32()),
        "peer_asn": pa.array(key[:, 2] if len(key) else ids, pa.uint32()),
    }, schema=WINDOW_PAIRS)  # fmt: skip


def _window_asns(live: Spans, catalog: Catalog) -> pa.Table:
    pairs = np.unique(np.c_[live.path.astype(np.int64), catalog.peer_asns()[live.peer]], axis=0)
    if len(pairs) == 0:
        return WINDOW_ASNS.empty_table()
    starts = catalog.path_offsets[pairs[:, 0]]
    lens = catalog.path_offsets[pairs[:, 0] + 1] - starts
    key = np.unique(np.c_[catalog.path_values[ranges(starts, lens)].astype(np.int64),
                          np.repeat(pairs[:, 1], lens)], axis=0)  # fmt: skip
    return pa.table({"asn": pa.array(key[:, 0], pa.uint32()),
                     "peer_asn": pa.array(key[:, 1], pa.uint32())}, schema=WINDOW_ASNS)


def sort_findings(findings: pa.Table) -> pa.Table:
    """FINDINGS in their canonical order (by content, so partitions combine identically)."""
    keys = ["metric", "start", "prefix", "finding_id", "end", "as_path", "accomplice_asn",
            "decided_by", "peak_visibility"]  # fmt: skip
    return findings.sort_by([(k, "ascending") for k in keys])


@dataclass
class _Pending:
    """Rows a bucket has been sent but not yet fed (fed in bigger pieces, order kept)."""

    batches: list[pa.RecordBatch] = field(default_factory=list)  # whole, as they came
    rows_of: list[npt.NDArray[np.intp]] = field(default_factory=list)  # this bucket's rows
    owned: list[B] = field(default_factory=list)
    rows: int = 0


def detect(
    batches: Iterable[pa.RecordBatch],
    refs: References,
    *,
    method: Methodology = RW_2026_1,
    window: tuple[int, int] | None = None,
    kinds: frozenset[Kind] = ALL_KINDS,
    buckets: int = 1,
    compact_spans: int | None = None,
    slack_seconds: int | None = None,
) -> Detection:
    """Run route state and the selected detectors over elems; build incidents.

    ``batches`` must come in the total elem order (time, then source, then position; see
    :mod:`routewatch.ingest.order`). ``buckets`` cuts detection into that many independent
    bucket runs (:mod:`.partition`); the result is the same for every count.
    ``compact_spans`` (per run; divided among the buckets) and ``slack_seconds`` default to
    the settings ``detect-compact-spans`` and ``detect-slack-seconds``; 0 spans turns
    compaction off (same findings, more memory).
    """
    report = DetectReport()
    plan = Buckets.of(buckets, method)
    runs: dict[int, PartitionRun] = {}
    pending: dict[int, _Pending] = {}
    active: set[int] = set()
    per_run, slack_us = run_limits(buckets, compact_spans, slack_seconds)

    def run_of(bucket: int) -> PartitionRun:
        found = runs.get(bucket)
        if found is None:
            # without a window, the data's first elem time is its start (elems are in order)
            start = window[0] if window else (report.first_time or 0)
            found = runs[bucket] = PartitionRun(refs, method, start, per_run, slack_us,
                                                bucket=bucket, buckets=plan,
                                                data_start=report.first_time)  # fmt: skip
        return found

    def flush(bucket: int) -> None:
        waiting = pending.pop(bucket)
        # one copy of the rows sent: a take over the batches they came from, side by side
        offsets = np.cumsum([0] + [b.num_rows for b in waiting.batches[:-1]])
        rows = np.concatenate([r + o for r, o in zip(waiting.rows_of, offsets, strict=True)])
        table = pa.Table.from_batches(waiting.batches).take(pa.array(rows))
        part = table.combine_chunks().to_batches()[0]
        run_of(bucket).feed(part, np.concatenate(waiting.owned))

    for batch in batches:
        report.see_times(batch)
        split = plan.split(batch, active)
        report.state.state += split.states
        report.state.resets += split.resets
        for bucket, rows in split.rows.items():
            if plan.count == 1:
                run_of(bucket).feed(batch, split.owned[bucket])
                continue
            waiting = pending.setdefault(bucket, _Pending())
            waiting.batches.append(batch)
            waiting.rows_of.append(rows)
            waiting.owned.append(split.owned[bucket])
            waiting.rows += len(rows)
            if waiting.rows >= _FEED_ROWS:
                flush(bucket)
    for bucket in sorted(pending):
        flush(bucket)
    start = window[0] if window else (report.first_time or 0)
    end = window[1] if window else (report.last_time or 0)
    outputs = [runs[b].output(start, kinds, report) for b in sorted(runs)]
    return combine(outputs, report, refs, method, (start, end))


def run_limits(buckets: int, compact_spans: int | None = None,
               slack_seconds: int | None = None) -> tuple[int, int]:
    """Per bucket run: the held spans that trigger compaction and the slack in microseconds.

    ``compact_spans`` (per run of all buckets) and ``slack_seconds`` default to the settings
    ``detect-compact-spans`` and ``detect-slack-seconds``; every engine cuts them the same.
    """
    every = int(settings.get("detect-compact-spans")) if compact_spans is None else compact_spans
    per_run = 0 if every == 0 else max(every // buckets, min(every, _MIN_COMPACT))
    slack = int(settings.get("detect-slack-seconds")) if slack_seconds is None else slack_seconds
    return per_run, slack * 1_000_000


def combine(outputs: Iterable[RunOutput], report: DetectReport, refs: References,
            method: Methodology, window: tuple[int, int]) -> Detection:
    """One :class:`Detection` of the buckets' outputs (any order): findings sorted by
    content and assessed, incidents of the window, the distinct window routes. ``report``
    already holds every bucket's counts."""
    tables, pairs, asns = [], [], []
    for output in outputs:
        tables.append(output.findings)
        pairs.append(output.window_pairs)
        asns.append(output.window_asns)
    findings = sort_findings(pa.concat_tables(tables)) if tables else FINDINGS.empty_table()
    findings = assess_confidence(findings, refs, method)  # leaks and hijacks (issue 12)
    incidents = build_incidents(findings, method, window[0], window[1])
    return Detection(findings, incidents, report, _distinct(pairs, WINDOW_PAIRS),
                     _distinct(asns, WINDOW_ASNS))  # fmt: skip


def _distinct(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    """The distinct rows of the tables, sorted (bucket tables overlap only in AS pairs)."""
    if not tables:
        return schema.empty_table()
    table = pa.concat_tables(tables)
    grouped = table.group_by(schema.names, use_threads=False).aggregate([])
    return grouped.select(schema.names).cast(schema).sort_by(
        [(name, "ascending") for name in schema.names])
