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
from routewatch.schemas import FINDINGS

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

    def peak(self, sid: int, detail: Detail) -> tuple[int, int]:
        """Stored (peak, first time reached) of the event ``detail`` gives summary ``sid``."""
        if detail.metric in (Metric.HIJACK, Metric.RPKI_INVALID):
            return int(self.pair_peak[sid]), int(self.pair_at[sid])
        if detail.metric == Metric.FAKE_FIRST_HOP:
            return int(self.edge_peak[sid]), int(self.edge_at[sid])
        key = self.keys.get(detail.event_key, -1)
        lo, hi = np.searchsorted(self.r_sid, [sid, sid + 1])
        hit = np.flatnonzero(self.r_key[lo:hi] == key)
        if len(hit) == 0:
            return 0, -1
        return int(self.r_peak[lo + hit[0]]), int(self.r_at[lo + hit[0]])

    def witnesses(self, sid: int) -> tuple[I64, I64, I64]:
        """(peer, first, last) rows of summary ``sid``."""
        lo, hi = np.searchsorted(self.w_sid, [sid, sid + 1])
        return self.w_peer[lo:hi], self.w_first[lo:hi], self.w_last[lo:hi]


def combine_peaks(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """The larger peak; on a tie the earlier time (-1 means never reached)."""
    if a[0] != b[0]:
        return a if a[0] > b[0] else b
    if a[1] < 0 or b[1] < 0:
        return a if b[1] < 0 else b
    return a if a[1] <= b[1] else b


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
    for i in np.flatnonzero(~real).tolist():  # summary rows: their stored peaks
        e = int(event[i])
        stored = summaries.peak(-2 - int(peer[i]), marks.details[int(detail[i])])
        peak[e], peak_at[e] = combine_peaks((int(peak[e]), int(peak_at[e])), stored)
    bounds = np.flatnonzero(np.r_[True, event[1:] != event[:-1], True])
    rows: list[dict[str, object]] = []
    tables: list[pa.Table] = []
    rank = catalog.peer_rank()
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
            rows.append(
                _row(
                    spans,
                    catalog,
                    summaries,
                    span_idx[sub],
                    d,
                    int(prefix[lo]),
                    int(start[sub].min()),
                    int(end[sub].max()),
                    int(peak[e]),
                    int(peak_at[e]),
                    method,
                    rank,
                )
            )
            if len(rows) >= _CHUNK:  # Python rows are ~50x their Arrow size: convert often
                tables.append(pa.Table.from_pylist(rows, schema=FINDINGS))
                rows = []
    tables.append(pa.Table.from_pylist(rows, schema=FINDINGS))
    return _with_verdict_evidence(pa.concat_tables(tables).combine_chunks(), refs)


def _row(
    spans: Spans,
    catalog: Catalog,
    summaries: Summaries,
    members: I64,
    d: Detail,
    prefix: int,
    start: int,
    end: int,
    peak: int,
    peak_at: int,
    method: Methodology,
    rank: I64,
) -> dict[str, object]:
    peer = spans.peer[members]
    weight = np.ones(len(members), np.int64)
    folded = peer < 0
    if folded.any():
        weight[folded] = summaries.count[-2 - peer[folded].astype(np.int64)]
    ids, at = np.unique(spans.path[members], return_inverse=True)
    counts = np.bincount(at, weights=weight).astype(np.int64)
    top = ids[counts == counts.max()].tolist()
    # ties go to the smallest path by content, not by id: ids depend on batch boundaries
    sample = top[0] if len(top) == 1 else min(top, key=catalog.path_sort_key)
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
        "witnesses": _witnesses(spans, catalog, summaries, members, rank),
        "conflict_prefix": d.conflict_prefix,
        "conflict_origins": list(d.conflict_origins),
        "edges": [vars(edge) for edge in d.edges],
        "bogons": [
            dict(zip(("kind", "value", "category", "reason", "source"), b, strict=True))
            for b in d.bogons
        ],
    }


def _path_text(asns: tuple[int, ...], as_set: bool) -> str:
    text = " ".join(str(a) for a in asns)
    return f"{text} (AS_SET members inlined)" if as_set else text


def _witnesses(
    spans: Spans, catalog: Catalog, summaries: Summaries, members: I64, rank: I64
) -> list[dict[str, object]]:
    """Every peer that had the event's routes, first and last time: earliest first, ties
    in content order (collector, peer IP, peer AS; ``rank`` from :meth:`Catalog.peer_rank`),
    never by internal peer id (ids depend on how the stream was cut)."""
    real = members[spans.peer[members] >= 0]
    peers: list[I64] = [spans.peer[real].astype(np.int64)]
    starts, ends = [spans.start[real]], [spans.end[real]]
    for i in members[spans.peer[members] < 0].tolist():
        p, f, la = summaries.witnesses(-2 - int(spans.peer[i]))
        peers.append(p)
        starts.append(f)
        ends.append(la)
    peer_all = np.concatenate(peers)
    end_all = np.concatenate(ends)
    end_all = np.where(end_all < 0, OPEN, end_all)
    uniq, at = np.unique(peer_all, return_inverse=True)
    first_seen = np.full(len(uniq), np.iinfo(np.int64).max, np.int64)
    last_seen = np.full(len(uniq), np.iinfo(np.int64).min, np.int64)
    np.minimum.at(first_seen, at, np.concatenate(starts))
    np.maximum.at(last_seen, at, end_all)
    order = np.lexsort((rank[uniq], first_seen))
    seen = zip(uniq[order].tolist(), first_seen[order].tolist(), last_seen[order].tolist(),
               strict=True)  # fmt: skip
    return [
        {
            "collector": catalog.peer_collector[peer],
            "peer_ip": catalog.peer_ip[peer],
            "peer_asn": catalog.peer_asn[peer],
            "first_seen": first,
            "last_seen": None if last >= OPEN else last,
        }
        for peer, first, last in seen
    ]


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
