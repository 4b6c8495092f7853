"""From offending spans to findings: the event builder every detector shares.

Role: a detector *marks* spans (:class:`Marks`) with a :class:`Detail` — metric, culprit,
accomplice, the offending segment and the evidence that decided it. :func:`build_findings`
groups marked spans by (detail, prefix), merges each group's spans into continuous events
(overlapping or touching intervals, across peers), measures each event's peak visibility
(distinct peer ASNs), drops events below ``min_peer_asns`` and writes one FINDINGS row per
event and detail (an event seen through several upstreams gives one row per upstream, each
carrying the event's peak visibility) with its witnesses, a sample path and the ROV / IRR /
bogon evidence. Details with the same :attr:`Detail.event_key` form one event.

Pure: no I/O, no clock. Times are microseconds; open spans end at :data:`OPEN`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

import numba as nb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.detect.state import Catalog, Spans, peak_visibility
from routewatch.detect.verdicts import PairVerdicts, References, Rel, pair_verdicts
from routewatch.methodology import Methodology
from routewatch.schemas import FINDINGS, WITNESS

__all__ = [
    "OPEN",
    "DecidedBy",
    "Detail",
    "Edge",
    "FindingsReport",
    "Marks",
    "Metric",
    "Summaries",
    "build_findings",
    "combine_peaks",
    "relation_name",
    "union_events",
]

I64 = npt.NDArray[np.int64]
OPEN = np.int64(1 << 62)
_CHUNK = 2048


class Metric(StrEnum):
    """What a finding is; the M-values are METHODOLOGY §4's metrics."""

    LEAK = "M1"
    HIJACK = "M2"
    BOGON_PREFIX = "M3"
    BOGON_ASN = "M4"
    RPKI_INVALID = "rpki-invalid"
    #: ARTEMIS type-1 suspicion (:mod:`.firsthop`): reported, never scored — not M2
    FAKE_FIRST_HOP = "hijack-type1-suspect"
    BOGON_PREFIX_ADMIN = "M3-administrative"
    BOGON_ASN_ADMIN = "M4-administrative"


class DecidedBy(StrEnum):
    """The evidence that decided a verdict."""

    ASPA = "aspa"
    RELATIONSHIPS = "relationships"
    OTC = "otc"
    RPKI = "rpki"
    IRR = "irr"
    ESTABLISHED = "established-origin"
    NEW_EDGE = "new-edge"
    BOGON_LIST = "bogon-list"
    UNDETERMINED = "undetermined"


_REL_NAMES: dict[int, str] = {
    Rel.P2C: "provider",
    Rel.C2P: "customer",
    Rel.P2P: "peer",
    Rel.SIBLING: "sibling",
    Rel.UNKNOWN: "unknown",
}


def relation_name(code: int) -> str:
    """Wire name of a relationship code as a's role towards b."""
    return _REL_NAMES.get(int(code), "unknown")


@dataclass(frozen=True)
class Edge:
    """A relationship edge a verdict used: a's role towards b and where it came from."""

    asn_a: int
    asn_b: int
    relation: str
    source: str


@dataclass(frozen=True)
class Detail:
    """Why a span offends: everything of a finding except time, prefix and witnesses.

    ``accomplice_relation`` is the culprit's role towards the accomplice (``customer`` means
    the accomplice is its provider). ``segment`` is the offending part of the path.
    """

    metric: Metric
    culprit: int | None
    accomplice: int | None
    accomplice_relation: str | None
    decided_by: DecidedBy
    labels: tuple[str, ...] = ()
    segment: tuple[int, ...] = ()
    edges: tuple[Edge, ...] = ()
    conflict_prefix: str | None = None
    conflict_origins: tuple[int, ...] = ()
    bogons: tuple[tuple[str, str, str, str, str], ...] = ()
    #: what makes two details one event (visibility is judged per event); default: segment
    group: tuple[int, ...] | None = None

    @property
    def event_key(self) -> tuple[str, int | None, tuple[int, ...]]:
        """Details with the same key are one event; they differ only in path evidence."""
        return self.metric.value, self.culprit, self.segment if self.group is None else self.group

    @property
    def accomplice_counts(self) -> bool:
        """The "C" metric counts: culprit is a customer of the accomplice, or unknown."""
        return self.accomplice is not None and self.accomplice_relation in {"customer", "unknown"}


@dataclass
class Marks:
    """Spans marked by detectors, each with the id of an interned :class:`Detail`."""

    details: list[Detail] = field(default_factory=list)
    _ids: dict[Detail, int] = field(default_factory=dict)
    _events: dict[tuple[str, int | None, tuple[int, ...]], int] = field(default_factory=dict)
    _event_of: list[int] = field(default_factory=list)
    _spans: list[I64] = field(default_factory=list)
    _detail: list[I64] = field(default_factory=list)

    def intern(self, detail: Detail) -> int:
        """The id of a detail, interning it on first use."""
        found = self._ids.get(detail)
        if found is None:
            found = len(self.details)
            self._ids[detail] = found
            self.details.append(detail)
            self._event_of.append(self._events.setdefault(detail.event_key, len(self._events)))
        return found

    def event_of(self, details: I64) -> I64:
        """Event-key id of each detail id."""
        return np.asarray(self._event_of, np.int64)[details]

    def add(self, spans: npt.NDArray[np.integer], detail: Detail) -> None:
        """Mark span indices with a detail."""
        if len(spans):
            self._spans.append(np.asarray(spans, np.int64))
            self._detail.append(np.full(len(spans), self.intern(detail), np.int64))

    def drop(self, spans: npt.NDArray[np.bool_]) -> None:
        """Forget the marks of the spans selected by a mask (over span indices)."""
        for i, (idx, det) in enumerate(zip(self._spans, self._detail, strict=True)):
            keep = ~spans[idx]
            self._spans[i], self._detail[i] = idx[keep], det[keep]

    def arrays(self) -> tuple[I64, I64]:
        """(span index, detail id) of every mark."""
        if not self._spans:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(self._spans), np.concatenate(self._detail)


@dataclass
class FindingsReport:
    """Counts of the event builder: events built, dropped for low visibility."""

    events: int = 0
    dropped_low_visibility: int = 0
    by_metric: dict[str, int] = field(default_factory=dict)


@dataclass
class Summaries:
    """What the findings builder needs of spans folded into summary rows (:mod:`.compact`).

    A summary row (``peer = -2 - sid``) stands for the closed spans of one route within one
    continuous visibility interval of that route, all with the same marks. It keeps, per
    ``sid``: how many spans it stands for (the sample path is the most frequent one), the
    first and last time each peer had it (witnesses), and the peak visibility — distinct peer
    ASNs, and when first reached — before the compaction time of every event it can belong
    to: its pair interval (M2, rpki-invalid), its edge interval (type-1), and each
    route-level event (leaks, bogons; by event key). Peaks after the compaction time come
    from the spans still held; the builder combines both (larger wins, then earlier).
    """

    count: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    pair_peak: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    pair_at: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    edge_peak: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    edge_at: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    w_sid: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    w_peer: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    w_first: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    w_last: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    r_sid: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    r_key: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    r_peak: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    r_at: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    keys: dict[tuple[str, int | None, tuple[int, ...]], int] = field(default_factory=dict)
    #: per sid: its route-level events ended below min_peer_asns (counted, never marked)
    dead: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))

    def key_id(self, key: tuple[str, int | None, tuple[int, ...]]) -> int:
        """The id of a route-level event key, interning it on first use."""
        return self.keys.setdefault(key, len(self.keys))

    def peaks(self, sid: I64, details: list[Detail]) -> tuple[I64, I64]:
        """Stored (peak, first time reached; -1 never) of the event ``details[i]`` gives
        summary ``sid[i]``, for every i at once."""
        metric = [d.metric for d in details]
        pair = np.array([m in (Metric.HIJACK, Metric.RPKI_INVALID) for m in metric], np.bool_)
        edge = np.array([m == Metric.FAKE_FIRST_HOP for m in metric], np.bool_)
        key = np.array([self.keys.get(d.event_key, -1) for d in details], np.int64)
        peak = np.zeros(len(sid), np.int64)
        at = np.full(len(sid), -1, np.int64)
        peak[pair], at[pair] = self.pair_peak[sid[pair]], self.pair_at[sid[pair]]
        peak[edge], at[edge] = self.edge_peak[sid[edge]], self.edge_at[sid[edge]]
        route = np.flatnonzero(~pair & ~edge & (key >= 0))
        if len(route) and len(self.r_sid):
            # the first stored row of (sid, key); rows sorted by sid, then key, then position
            width = np.int64(len(self.keys) + 1)
            stored = self.r_sid * width + self.r_key
            order = np.lexsort((np.arange(len(stored)), stored))
            want = sid[route] * width + key[route]
            hit = np.minimum(np.searchsorted(stored[order], want), len(order) - 1)
            found = stored[order][hit] == want
            row = order[hit[found]]
            peak[route[found]], at[route[found]] = self.r_peak[row], self.r_at[row]
        return peak, at

    def witnesses(self, sid: int) -> tuple[I64, I64, I64]:
        """(peer, first, last) rows of summary ``sid``."""
        lo, hi = np.searchsorted(self.w_sid, [sid, sid + 1])
        return self.w_peer[lo:hi], self.w_first[lo:hi], self.w_last[lo:hi]


def combine_peaks(event: I64, peak: I64, at: I64, n_events: int) -> tuple[I64, I64]:
    """Per event, the largest of its (peak, first time reached) rows; on a tie the earlier
    time (-1 means never reached, later than any time)."""
    when = np.where(at < 0, np.iinfo(np.int64).max, at)
    order = np.lexsort((when, -peak, event))
    first = order[np.flatnonzero(np.r_[True, event[order][1:] != event[order][:-1]])]
    out_peak = np.zeros(n_events, np.int64)
    out_at = np.full(n_events, -1, np.int64)
    out_peak[event[first]], out_at[event[first]] = peak[first], at[first]
    return out_peak, out_at


@nb.njit(cache=True)
def union_events(key: I64, start: I64, end: I64) -> I64:
    """Event id per row of rows sorted by (key, start): same key and overlapping/touching."""
    n = len(key)
    out = np.empty(n, np.int64)
    event = -1
    reach = np.int64(0)
    for i in range(n):
        if i == 0 or key[i] != key[i - 1] or start[i] > reach:
            event += 1
            reach = end[i]
        elif end[i] > reach:
            reach = end[i]
        out[i] = event
    return out


def build_findings(
    spans: Spans,
    catalog: Catalog,
    marks: Marks,
    refs: References,
    method: Methodology,
    report: FindingsReport | None = None,
    summaries: Summaries | None = None,
    owned: npt.NDArray[np.bool_] | None = None,
) -> pa.Table:
    """FINDINGS rows for the marked spans and summary rows (see module doc).

    ``owned`` (per prefix id) limits the rows and the report to the prefixes a partition
    owns (:mod:`.partition`); default: every prefix.
    """
    report = report if report is not None else FindingsReport()
    summaries = summaries if summaries is not None else Summaries()
    span_idx, detail = marks.arrays()
    if len(span_idx) == 0:
        return FINDINGS.empty_table()
    prefix = spans.prefix[span_idx].astype(np.int64)
    start = spans.start[span_idx]
    end = spans.end_or(int(OPEN))[span_idx]
    key = marks.event_of(detail) * np.int64(1 << 32) + prefix
    order = np.lexsort((start, key))
    span_idx, detail, prefix, start, end, key = (
        a[order] for a in (span_idx, detail, prefix, start, end, key)
    )
    peer = spans.peer[span_idx]
    if bool((peer == -1).any()):
        # a ghost (folded span, :mod:`.compact`) can never be marked: compaction is wrong
        raise RuntimeError("internal error: a span folded by compaction was marked; "
                           "rerun with detect-compact-spans = 0 and report it")  # fmt: skip
    event = union_events(key, start, end)
    n_events = int(event[-1]) + 1
    real = peer >= 0
    asns = catalog.peer_asns()[peer[real]]
    peak, peak_at = peak_visibility(event[real], start[real], end[real], asns, n_events)
    summary = np.flatnonzero(~real)
    if len(summary):  # summary rows: their stored peaks, combined with the spans' ones
        details = [marks.details[i] for i in detail[summary].tolist()]
        stored, stored_at = summaries.peaks(-2 - peer[summary].astype(np.int64), details)
        peak, peak_at = combine_peaks(
            np.r_[np.arange(n_events, dtype=np.int64), event[summary]],
            np.r_[np.asarray(peak, np.int64), stored],
            np.r_[np.asarray(peak_at, np.int64), stored_at],
            n_events,
        )
    bounds = np.flatnonzero(np.r_[True, event[1:] != event[:-1], True])
    members: list[I64] = []  # per finding: its span rows
    found: list[tuple[Detail, int, int, int, int, int]] = []
    for e in range(n_events):
        lo, hi = int(bounds[e]), int(bounds[e + 1])
        if owned is not None and not owned[prefix[lo]]:
            continue  # another partition owns this prefix: it builds and counts the event
        report.events += 1
        if peak[e] < method.min_peer_asns:
            report.dropped_low_visibility += 1
            continue
        for d_id in np.unique(detail[lo:hi]).tolist():
            sub = np.flatnonzero(detail[lo:hi] == d_id) + lo
            d = marks.details[d_id]
            report.by_metric[d.metric.value] = report.by_metric.get(d.metric.value, 0) + 1
            members.append(span_idx[sub])
            found.append((d, int(prefix[lo]), int(start[sub].min()), int(end[sub].max()),
                          int(peak[e]), int(peak_at[e])))  # fmt: skip
    samples = _sample_paths(spans, catalog, summaries, members).tolist()
    rows: list[dict[str, object]] = []
    tables: list[pa.Table] = []
    for (d, pfx, first, last, most, most_at), sample in zip(found, samples, strict=True):
        rows.append(_row(catalog, sample, d, pfx, first, last, most, most_at, method))
        if len(rows) >= _CHUNK:  # Python rows are ~50x their Arrow size: convert often
            tables.append(pa.Table.from_pylist(rows, schema=FINDINGS))
            rows = []
    tables.append(pa.Table.from_pylist(rows, schema=FINDINGS))
    table = pa.concat_tables(tables).combine_chunks()
    column = table.schema.get_field_index("witnesses")
    table = table.set_column(column, table.schema.field(column),
                             _witnesses(spans, catalog, summaries, members))  # fmt: skip
    return _with_verdict_evidence(table, refs)


def _row(
    catalog: Catalog,
    sample: int,
    d: Detail,
    prefix: int,
    start: int,
    end: int,
    peak: int,
    peak_at: int,
    method: Methodology,
) -> dict[str, object]:
    asns = catalog.path(sample)
    as_set = bool(catalog.path_as_set[sample])
    origin = None if as_set or not asns else asns[-1]
    text = catalog.prefix_text(prefix)
    ident = f"{method.version}|{d.metric}|{d.culprit}|{d.segment}|{text}|{start}"
    return {
        "finding_id": hashlib.sha1(ident.encode()).hexdigest()[:16],
        "methodology": method.version,
        "metric": d.metric.value,
        "culprit_asn": d.culprit,
        "accomplice_asn": d.accomplice,
        "accomplice_relation": d.accomplice_relation,
        "accomplice_counts": d.accomplice_counts,
        "decided_by": d.decided_by.value,
        "labels": list(d.labels),
        "prefix": text,
        "afi": int(catalog.prefix_afi[prefix]),
        "prefix_hi": int(catalog.prefix_hi[prefix]),
        "prefix_lo": int(catalog.prefix_lo[prefix]),
        "prefix_len": int(catalog.prefix_len[prefix]),
        "origin_asn": origin,
        "segment": list(d.segment),
        "as_path": _path_text(asns, as_set),
        "path_asns": list(asns),
        "start": start,
        "end": None if end >= OPEN else end,
        "peak_visibility": peak,
        "peak_at": peak_at if peak_at >= 0 else None,
        "witnesses": None,  # every finding's at once, by _witnesses
        "conflict_prefix": d.conflict_prefix,
        "conflict_origins": list(d.conflict_origins),
        "edges": [vars(edge) for edge in d.edges],
        "bogons": [
            dict(zip(("kind", "value", "category", "reason", "source"), b, strict=True))
            for b in d.bogons
        ],
    }


def _flatten(members: list[I64]) -> tuple[I64, I64]:
    """All findings' span rows in one array, and the finding of each."""
    sizes = np.fromiter((len(m) for m in members), np.int64, len(members))
    finding: I64 = np.repeat(np.arange(len(members), dtype=np.int64), sizes)
    return np.concatenate(members).astype(np.int64), finding


def _sample_paths(spans: Spans, catalog: Catalog, summaries: Summaries, members: list[I64]) -> I64:
    """Per finding (``members[f]``: its span rows), the path most of its spans had (a
    summary row counts for the spans it stands for); ties go to the smallest path by
    content (:meth:`Catalog.path_sort_key`), never by id: ids depend on batch boundaries."""
    if not members:
        return np.zeros(0, np.int64)
    rows, finding = _flatten(members)
    path = spans.path[rows].astype(np.int64)
    peer = spans.peer[rows].astype(np.int64)
    weight = np.ones(len(rows), np.int64)
    folded = peer < 0
    weight[folded] = summaries.count[-2 - peer[folded]]
    order = np.lexsort((path, finding))
    finding, path, weight = finding[order], path[order], weight[order]
    cut = np.flatnonzero(np.r_[True, (finding[1:] != finding[:-1]) | (path[1:] != path[:-1])])
    finding, path, count = finding[cut], path[cut], np.add.reduceat(weight, cut)
    firsts = np.flatnonzero(np.r_[True, finding[1:] != finding[:-1]])
    most = np.maximum.reduceat(count, firsts)
    top = count == most[np.searchsorted(finding[firsts], finding)]
    finding, path = finding[top], path[top]
    candidates = np.unique(path)
    by_content = sorted(candidates.tolist(), key=catalog.path_sort_key)
    rank = np.empty(len(candidates), np.int64)
    rank[np.searchsorted(candidates, np.asarray(by_content, np.int64))] = np.arange(len(rank))
    order = np.lexsort((rank[np.searchsorted(candidates, path)], finding))
    finding, path = finding[order], path[order]
    out: I64 = path[np.flatnonzero(np.r_[True, finding[1:] != finding[:-1]])]
    return out


def _path_text(asns: tuple[int, ...], as_set: bool) -> str:
    text = " ".join(str(a) for a in asns)
    return f"{text} (AS_SET members inlined)" if as_set else text


def _witnesses(
    spans: Spans, catalog: Catalog, summaries: Summaries, members: list[I64]
) -> pa.Array:
    """The witnesses column: per finding (``members[f]``: its span rows), every peer that
    had its routes, first and last time, earliest first, ties in content order (collector,
    peer IP, peer AS: :meth:`Catalog.peer_rank`), never by internal peer id (ids depend on
    how the stream was cut). Summary rows (:mod:`.compact`) give their stored witnesses."""
    if not members:
        return pa.array([], pa.list_(WITNESS))
    rows, finding = _flatten(members)
    peer = spans.peer[rows].astype(np.int64)
    real = peer >= 0
    sid = -2 - peer[~real]
    lo = np.searchsorted(summaries.w_sid, sid)
    count = np.searchsorted(summaries.w_sid, sid + 1) - lo
    # each summary row expands to its stored witnesses w_*[lo:lo + count]
    at = np.repeat(lo - np.r_[0, np.cumsum(count)[:-1]], count) + np.arange(int(count.sum()))
    finding = np.r_[finding[real], np.repeat(finding[~real], count)]
    peer = np.r_[peer[real], summaries.w_peer[at]]
    first = np.r_[spans.start[rows[real]], summaries.w_first[at]]
    last = np.r_[spans.end[rows[real]], summaries.w_last[at]]
    last = np.where(last < 0, OPEN, last)
    order = np.lexsort((peer, finding))
    finding, peer, first, last = finding[order], peer[order], first[order], last[order]
    cut = np.flatnonzero(np.r_[True, (finding[1:] != finding[:-1]) | (peer[1:] != peer[:-1])])
    finding, peer = finding[cut], peer[cut]
    first, last = np.minimum.reduceat(first, cut), np.maximum.reduceat(last, cut)
    order = np.lexsort((catalog.peer_rank()[peer], first, finding))
    finding, peer, first, last = finding[order], peer[order], first[order], last[order]
    offsets = np.searchsorted(finding, np.arange(len(members) + 1))
    names = [field.name for field in WITNESS]
    struct = pa.StructArray.from_arrays(
        [
            pa.array(np.asarray(catalog.peer_collector, object)[peer], pa.string()),
            pa.array(np.asarray(catalog.peer_ip, object)[peer], pa.string()),
            pa.array(np.asarray(catalog.peer_asn, np.int64)[peer].astype(np.uint32)),
            pa.array(first, pa.int64()).cast(WITNESS.field("first_seen").type),
            pa.array(np.where(last >= OPEN, 0, last), pa.int64(), mask=last >= OPEN).cast(
                WITNESS.field("last_seen").type
            ),
        ],
        names=names,
    )
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), struct)


def _with_verdict_evidence(table: pa.Table, refs: References) -> pa.Table:
    """Fill the ROV and IRR columns of findings from the reference indexes."""
    if table.num_rows == 0:
        return table
    origin = table.column("origin_asn")
    origins = np.asarray(
        origin.cast(pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False), np.int64
    )
    cols = [
        np.asarray(table.column(name).to_numpy(zero_copy_only=False))
        for name in ("afi", "prefix_hi", "prefix_lo", "prefix_len")
    ]
    v = pair_verdicts(refs, cols[0], cols[1], cols[2], cols[3], origins)
    rov_state, rov_reason, rov_vrps = _rov_columns(v, table.num_rows)
    irr_state, irr_objects = _irr_columns(v, refs, table.num_rows)
    for name, values in (
        ("rov_state", rov_state),
        ("rov_reason", rov_reason),
        ("rov_vrps", rov_vrps),
        ("irr_state", irr_state),
        ("irr_objects", irr_objects),
    ):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, table.schema.field(i), pa.array(values, table.schema[i].type))
    return table


def _rov_columns(v: PairVerdicts, n: int) -> tuple[list[object], list[object], list[object]]:
    if v.rov is None:
        return [None] * n, [None] * n, [None] * n
    from routewatch.reference.rov import REASON_CODES, STATE_CODES

    vrps = v.rov.index.vrps
    texts = vrps.column("prefix").to_pylist()
    maxlen = vrps.column("max_length").to_pylist()
    asn = vrps.column("asn").to_pylist()
    states: list[object] = [STATE_CODES[int(c)].value for c in v.rov.state.tolist()]
    reasons: list[object] = [REASON_CODES[int(c)].value for c in v.rov.reason.tolist()]
    evidence: list[object] = [[] for _ in range(n)]
    found = v.rov.evidence()
    for route, row, role in zip(
        found.column("route").to_pylist(),
        found.column("vrp_row").to_pylist(),
        found.column("role").to_pylist(),
        strict=True,
    ):
        rows = evidence[route]
        assert isinstance(rows, list)
        rows.append({"prefix": texts[row], "max_length": maxlen[row], "asn": asn[row],
                     "role": role})  # fmt: skip
    return states, reasons, evidence


def _irr_columns(v: PairVerdicts, refs: References, n: int) -> tuple[list[object], list[object]]:
    if v.irr is None or refs.irr is None:
        return [None] * n, [None] * n
    from routewatch.reference.irr import IRR_STATES

    routes = refs.irr.routes
    texts = routes.column("prefix").to_pylist()
    origin = routes.column("origin").to_pylist()
    source = routes.column("source").to_pylist()
    auth = routes.column("authoritative").to_pylist()
    states: list[object] = []
    evidence: list[object] = []
    for i in range(n):
        states.append(IRR_STATES[int(v.irr.state[i])].value)
        matched = set(v.irr.matched(i).tolist())
        evidence.append(
            [
                {
                    "prefix": texts[r],
                    "origin": origin[r],
                    "source": source[r],
                    "authoritative": auth[r],
                    "matched": r in matched,
                }
                for r in v.irr.covering(i).tolist()
            ]
        )
    return states, evidence
