"""Detection as one call: elems in, findings and incidents out (per partition or whole).

Data flow::

    ELEMS batches ──► RouteState (per bucket) ──► Spans ──► detectors mark spans ──►
        build_findings (events, visibility, evidence) ──► FINDINGS ──► build_incidents ──►
        INCIDENTS (clipped to the window, weighted)

:func:`detect` is what the pipeline and the CLI call. :class:`PartitionRun` is the unit a
cluster runs per prefix bucket: feed it that bucket's elems in time order, call
:meth:`PartitionRun.findings`; then :func:`~routewatch.detect.incidents.build_incidents`
over the union of every partition's findings.

Times are microseconds since the epoch. The window is the caller's (detection never reads
the clock); without one it is the data's own first and last timestamp. Elems before
``window[0]`` are the baseline (established origins); findings that end before the window
are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

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
from routewatch.detect.partition import Partitioner
from routewatch.detect.paths import flat_paths
from routewatch.detect.routes import routes_of
from routewatch.detect.state import Catalog, RouteState, Spans, StateCounts
from routewatch.detect.verdicts import References
from routewatch.errors import InputError
from routewatch.methodology import RW_2026_1, Methodology
from routewatch.schemas import FINDINGS

__all__ = ["ALL_KINDS", "DetectReport", "Detection", "Kind", "PartitionRun", "detect"]


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
    """What a detection run met, summed over partitions."""

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

    def see_times(self, batch: pa.RecordBatch) -> None:
        """Track the first and last elem time (the default window)."""
        if batch.num_rows == 0:
            return
        ts = batch.column("timestamp").cast(pa.int64())
        lo, hi = int(pc.min(ts).as_py()), int(pc.max(ts).as_py())
        self.first_time = lo if self.first_time is None else min(self.first_time, lo)
        self.last_time = hi if self.last_time is None else max(self.last_time, hi)


@dataclass(frozen=True)
class Detection:
    """Findings (one row per event), incidents, and the run's report."""

    findings: pa.Table
    incidents: pa.Table
    report: DetectReport


class PartitionRun:
    """Route state and detectors over one partition's elems (fed in time order).

    With ``window_start`` known up front, closed spans are compacted as they pile up
    (:mod:`.compact`): when the held spans reach ``compact_spans`` and twice what the last
    compaction kept plus the live routes, the ones no detector can mark are folded into
    ghost spans, so memory follows the live routes, not the length of the stream; the
    findings are the same. Without it (or with ``compact_spans = 0``) every span is kept.
    ``slack_us`` is how far elems may run out of time order (compaction only folds spans
    that ended that long before the newest elem).
    """

    def __init__(
        self,
        refs: References,
        method: Methodology = RW_2026_1,
        window_start: int | None = None,
        compact_spans: int = 0,
        slack_us: int = 0,
    ) -> None:
        self.refs = refs
        self.method = method
        self.catalog = Catalog()
        self.state = RouteState(self.catalog)
        self.window_start = window_start
        self.compact_spans = compact_spans
        self.slack_us = slack_us
        self.closed = 0
        self._spans: list[Spans] = []
        self._held = 0
        self._kept = 0
        self._newest: int | None = None
        self._tau: int | None = None
        self._compactor = (
            Compactor(self.catalog, refs, method, window_start)
            if window_start is not None and compact_spans > 0
            else None
        )

    def feed(self, batch: pa.RecordBatch) -> None:
        """Apply one batch of elems (and compact when the held spans call for it).

        Raises :class:`~routewatch.errors.InputError` when, after a compaction, an elem is
        older than that compaction's time (input out of order by more than ``slack_us``):
        the folded spans could then be wrong, so detection stops instead of guessing.
        """
        if batch.num_rows:
            ts = batch.column("timestamp").cast(pa.int64())
            oldest, newest = (int(x.as_py()) for x in (pc.min(ts), pc.max(ts)))
            if self._tau is not None and oldest < self._tau:
                raise InputError(
                    f"elems out of time order after compaction: an elem at {oldest} us is "
                    f"older than {self._tau} us, more than {self.slack_us // 1_000_000} s "
                    "before the newest; sort the input by time, or raise the setting "
                    "detect-slack-seconds (or set detect-compact-spans = 0)"
                )
            self._newest = newest if self._newest is None else max(self._newest, newest)
        closed = self.state.feed(batch)
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

    def findings(
        self,
        window_start: int,
        kinds: frozenset[Kind] = ALL_KINDS,
        report: DetectReport | None = None,
    ) -> pa.Table:
        """FINDINGS of this partition (events that overlap [window_start, ...))."""
        report = report if report is not None else DetectReport()
        if self._compactor is not None and window_start != self.window_start:
            raise ValueError(
                f"findings for window start {window_start} of a run compacted for "
                f"{self.window_start}: compaction depends on the window start"
            )
        spans = self.spans()
        report.partitions += 1
        report.spans += self.closed + self.state.live_routes
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
                                 window_start, marks, report.hijacks)  # fmt: skip
            if pairs is not None and Kind.HIJACK in kinds:
                mark_fake_first_hops(pairs, spans, routes, paths, self.refs, self.method,
                                     window_start, marks, report.first_hops)  # fmt: skip
        summaries = self._compactor.summaries if self._compactor is not None else None
        table = build_findings(spans, self.catalog, marks, self.refs, self.method,
                               report.findings, summaries)  # fmt: skip
        wanted = sorted(set().union(*(_METRICS[k] for k in kinds)))
        keep = pc.is_in(table.column("metric"), pa.array(wanted, pa.string()))
        ends = table.column("end").cast(pa.int64())
        live = pc.or_kleene(pc.is_null(ends), pc.greater(ends, pa.scalar(window_start, pa.int64())))
        return table.filter(pc.and_(keep, live))


def detect(
    batches: Iterable[pa.RecordBatch],
    refs: References,
    *,
    method: Methodology = RW_2026_1,
    window: tuple[int, int] | None = None,
    kinds: frozenset[Kind] = ALL_KINDS,
    partitioned: bool = False,
    compact_spans: int | None = None,
    slack_seconds: int | None = None,
) -> Detection:
    """Run route state and the selected detectors over elems; build incidents.

    ``batches`` must come in time order (merge files first; disorder up to
    ``slack_seconds`` is tolerated). With ``partitioned`` the elems are split into prefix
    buckets (:mod:`.partition`), each with its own route state. ``compact_spans`` and
    ``slack_seconds`` default to the settings ``detect-compact-spans`` and
    ``detect-slack-seconds``; 0 spans turns compaction off (same findings, more memory).
    """
    report = DetectReport()
    runs: dict[int, PartitionRun] = {}
    splitter = Partitioner(method)
    every = int(settings.get("detect-compact-spans")) if compact_spans is None else compact_spans
    slack = int(settings.get("detect-slack-seconds")) if slack_seconds is None else slack_seconds
    for batch in batches:
        report.see_times(batch)
        # without a window, the data's first elem time is its start (batches are in order)
        start = window[0] if window else (report.first_time or 0)
        parts = splitter.split(batch) if partitioned else {0: batch}
        for bucket, part in parts.items():
            run = runs.get(bucket)
            if run is None:
                run = runs[bucket] = PartitionRun(refs, method, start, every, slack * 1_000_000)
            run.feed(part)
    start = window[0] if window else (report.first_time or 0)
    end = window[1] if window else (report.last_time or 0)
    tables = []
    for bucket in sorted(runs):
        run = runs[bucket]
        tables.append(run.findings(start, kinds, report))
        _add_counts(report.state, run.state.counts)
    findings = pa.concat_tables(tables) if tables else FINDINGS.empty_table()
    findings = findings.sort_by([("metric", "ascending"), ("start", "ascending"),
                                 ("prefix", "ascending"), ("finding_id", "ascending")])  # fmt: skip
    findings = assess_confidence(findings, refs, method)  # leaks and hijacks (issue 12)
    incidents = build_incidents(findings, method, start, end)
    return Detection(findings, incidents, report)


def _add_counts(total: StateCounts, part: StateCounts) -> None:
    for name in vars(total):
        setattr(total, name, getattr(total, name) + getattr(part, name))
