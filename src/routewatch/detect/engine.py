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

from routewatch.detect.bogons import mark_bogon_asns, mark_bogon_prefixes
from routewatch.detect.findings import FindingsReport, Marks, Metric, build_findings
from routewatch.detect.firsthop import FirstHopReport, mark_fake_first_hops
from routewatch.detect.hijacks import HijackReport, mark_hijacks
from routewatch.detect.incidents import build_incidents
from routewatch.detect.leaks import LeakReport, mark_leaks
from routewatch.detect.methodology import RW_2026_1, Methodology
from routewatch.detect.partition import Partitioner
from routewatch.detect.paths import flat_paths
from routewatch.detect.routes import routes_of
from routewatch.detect.state import Catalog, RouteState, Spans, StateCounts
from routewatch.detect.verdicts import References
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
    """Route state and detectors over one partition's elems (fed in time order)."""

    def __init__(self, refs: References, method: Methodology = RW_2026_1) -> None:
        self.refs = refs
        self.method = method
        self.catalog = Catalog()
        self.state = RouteState(self.catalog)
        self._spans: list[Spans] = []

    def feed(self, batch: pa.RecordBatch) -> None:
        """Apply one batch of elems."""
        closed = self.state.feed(batch)
        if len(closed):
            self._spans.append(closed)

    def spans(self) -> Spans:
        """Every span so far: closed ones and the still-open ones (``end = -1``)."""
        return Spans.concat([*self._spans, self.state.finish()])

    def findings(
        self,
        window_start: int,
        kinds: frozenset[Kind] = ALL_KINDS,
        report: DetectReport | None = None,
    ) -> pa.Table:
        """FINDINGS of this partition (events that overlap [window_start, ...))."""
        report = report if report is not None else DetectReport()
        spans = self.spans()
        report.partitions += 1
        report.spans += len(spans)
        marks = Marks()
        routes = routes_of(spans)
        paths = flat_paths(self.catalog)
        if Kind.BOGON in kinds:
            mark_bogon_prefixes(routes, paths, self.catalog, self.refs, marks)
            mark_bogon_asns(routes, paths, self.refs, marks)
        if Kind.LEAK in kinds:
            mark_leaks(routes, paths, self.refs, marks, report.leaks)
        if Kind.HIJACK in kinds or Kind.ROV in kinds:
            pairs = mark_hijacks(spans, routes, paths, self.catalog, self.refs, self.method,
                                 window_start, marks, report.hijacks)  # fmt: skip
            if pairs is not None and Kind.HIJACK in kinds:
                mark_fake_first_hops(pairs, spans, routes, paths, self.refs, self.method,
                                     window_start, marks, report.first_hops)  # fmt: skip
        table = build_findings(spans, self.catalog, marks, self.refs, self.method, report.findings)
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
) -> Detection:
    """Run route state and the selected detectors over elems; build incidents.

    ``batches`` must come in time order (merge files first). With ``partitioned`` the elems
    are split into prefix buckets (:mod:`.partition`), each with its own route state.
    """
    report = DetectReport()
    runs: dict[int, PartitionRun] = {}
    splitter = Partitioner(method)
    for batch in batches:
        report.see_times(batch)
        parts = splitter.split(batch) if partitioned else {0: batch}
        for bucket, part in parts.items():
            run = runs.get(bucket)
            if run is None:
                run = runs[bucket] = PartitionRun(refs, method)
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
    incidents = build_incidents(findings, method, start, end)
    return Detection(findings, incidents, report)


def _add_counts(total: StateCounts, part: StateCounts) -> None:
    for name in vars(total):
        setattr(total, name, getattr(total, name) + getattr(part, name))


