"""M2 hijacks and mis-originations: MOAS and sub-MOAS against established origins.

Rules (METHODOLOGY §4, ROUTING-REFERENCE "Hijack taxonomy"):

- A (prefix, origin) *pair* is visible over the union of its spans at all peers. Its origin
  is **established by its history**: ``establish_hours`` after the start of its first
  continuous visibility at least that long (inside the baseline too), and at the latest at
  ``window_start`` when it was seen in the baseline (``baseline_days`` before it). Being in
  a RIB is no evidence of age: a RIB entry starts a span like an announcement, so a route in
  the first RIB of the data is as new as the data, and a hijack that began before the month
  is judged from its start, with the baseline's history. "First seen wins" is not evidence,
  inside the baseline either.
- Each visibility interval I of a pair (Q, X) is judged at its start against the other
  origins of Q and of every prefix covering Q established strictly before it (AS_SET origins
  take no part); an interval that began in the baseline is judged like any other, so a
  hijack running into the window is clipped, not legitimised:
  * X established for Q or a covering prefix → no conflict;
  * some other origin established → conflict: a hijack with culprit X unless an exemption
    of :mod:`.exemptions` holds (the one rule compaction uses too): X is a bogon ASN (an
    artefact of the AS before it, judged by M4), RPKI-valid or IRR-registered for Q (under
    ``rw-2026.2`` by an authoritative registry only), a sibling or direct customer/provider
    of an established origin, or an established origin is X's direct upstream in one of its
    paths (the old origin itself carries the route: a customer using its provider's space,
    which relationship files often miss, or a prepend typo such as "136653 2").
    Symmetrically, another origin that X itself carries (X is its direct upstream) is no
    conflict for X. Decided by ``rpki`` when X is RPKI-invalid, else ``established-origin``.
    ARTEMIS labels: ``exact`` (same prefix, MOAS) or ``sub-prefix`` (sub-MOAS), ``type-0``.
  * only not-yet-established origins overlap I → RPKI decides (X invalid while another is
    valid), else IRR (X unregistered while another is registered), else a MOAS with an
    undetermined culprit, counted against no AS. X RPKI-valid, IRR-registered or related →
    nothing.
- An RPKI-invalid interval that produced no M2 finding is an ``rpki-invalid`` finding (an
  RPKI problem of its origin, not a hijack). A route whose path ends in an AS_SET has no
  origin: it takes part in no MOAS, and when a VRP covers it the rpki-invalid finding has no
  culprit (label ``as-set-origin``).

Accomplice (M2C): the origin's direct upstream in each path. Type-1 (forged first hop) is
not M2: :mod:`.firsthop` reports it as its own, unscored kind (leaks use ASPA). In a
partition, only the prefixes it owns are judged (:mod:`.partition` sends every covering
prefix to the owner of each more specific one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numba as nb
import numpy as np
import numpy.typing as npt

from routewatch.detect.exemptions import IRR_REGISTERED, ROV_INVALID, ROV_VALID, exemption
from routewatch.detect.findings import (
    OPEN,
    DecidedBy,
    Detail,
    Edge,
    Marks,
    Metric,
    relation_name,
)
from routewatch.detect.paths import FlatPaths
from routewatch.detect.routes import Routes
from routewatch.detect.state import Catalog, Spans
from routewatch.detect.verdicts import References, asn_bogons, pair_verdicts
from routewatch.methodology import Methodology
from routewatch.prefixes import mask_words

__all__ = [
    "HijackReport",
    "Intervals",
    "OriginPairs",
    "covering_prefixes",
    "grouped_order",
    "in_moas",
    "interval_union",
    "mark_hijacks",
    "origin_pairs",
    "visibility_intervals",
]

I64 = npt.NDArray[np.int64]
_NEVER = int(OPEN)
#: A RIB dump takes minutes to write (ROUTING-REFERENCE, "MRT and route state"): its entries
#: up to this long after the first instant of the data are the data's first snapshot.
RIB_DUMP_US = 15 * 60 * 1_000_000


@dataclass
class HijackReport:
    """Counts: pairs, candidate prefixes, conflicts and how they were resolved."""

    pairs: int = 0
    candidate_prefixes: int = 0
    conflicts: int = 0
    exempt: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        """Count a conflict that is not a hijack, by reason."""
        self.exempt[why] = self.exempt.get(why, 0) + 1


@dataclass(frozen=True)
class OriginPairs:
    prefix: npt.NDArray[np.int32]
    origin: I64
    of_route: I64
    route_order: I64  # routes grouped by pair: route_order[route_bounds[p]:route_bounds[p+1]]
    route_bounds: I64
    iv_pair: I64  # intervals, sorted by pair then start
    iv_start: I64
    iv_end: I64
    iv_bounds: I64
    est_at: I64
    rov: npt.NDArray[np.int8]
    irr: npt.NDArray[np.int8]
    #: per pair: an authoritative registry's route object registers it
    irr_authoritative: npt.NDArray[np.bool_]
    #: per interval: it began with the data (its history before is unknown)
    iv_censored: npt.NDArray[np.bool_]
    #: per pair: its origin is a bogon ASN
    origin_bogon: npt.NDArray[np.bool_]


def mark_hijacks(
    spans: Spans,
    routes: Routes,
    paths: FlatPaths,
    catalog: Catalog,
    refs: References,
    method: Methodology,
    window_start: int,
    marks: Marks,
    report: HijackReport | None = None,
    owns: Callable[[npt.NDArray[np.integer]], npt.NDArray[np.bool_]] | None = None,
    data_start: int | None = None,
) -> OriginPairs | None:
    """Mark hijack (M2) and rpki-invalid spans (see module doc); return the origin pairs.

    ``owns`` says which prefix ids the partition owns (default: all); only those are judged.
    ``data_start`` is the first instant of the whole stream (intervals that begin with it
    have no known history; default: none is).
    """
    report = report if report is not None else HijackReport()
    if len(routes) == 0:
        return None
    pairs = origin_pairs(spans, routes, catalog, refs, method, window_start, data_start)
    mine = owns(pairs.prefix) if owns is not None else np.ones(len(pairs.prefix), np.bool_)
    report.pairs += int(mine.sum())
    by_prefix = _pairs_by_prefix(pairs, catalog, method)
    covers = _covering(catalog, np.unique(pairs.prefix))
    # a prefix is worth judging when it is ours and one of its intervals can give a finding:
    # not established before it began, and not censored unless RPKI can decide it
    maybe = (pairs.est_at[pairs.iv_pair] >= pairs.iv_start) & (
        ~pairs.iv_censored | (pairs.rov[pairs.iv_pair] == ROV_INVALID))
    judged = set(pairs.prefix[np.unique(pairs.iv_pair[maybe])].tolist())
    owned = set(pairs.prefix[mine].tolist()) & judged
    m2_intervals: set[int] = set()
    for q in _candidates(pairs, by_prefix, covers):
        if q not in owned:
            continue
        report.candidate_prefixes += 1
        _judge_prefix(q, pairs, by_prefix, covers, spans, routes, paths, catalog, refs,
                      method, window_start, marks, report, m2_intervals)  # fmt: skip
    _mark_rpki_invalid(pairs, mine, spans, routes, paths, refs, marks, m2_intervals)
    return pairs


# ------------------------------------------------------------------------------ pairs
def origin_pairs(
    spans: Spans,
    routes: Routes,
    catalog: Catalog,
    refs: References,
    method: Methodology,
    window_start: int,
    data_start: int | None = None,
) -> OriginPairs:
    """(prefix, origin) pairs of the routes: visibility intervals, establishment, verdicts."""
    origins = catalog.origins()[routes.path]
    key = (routes.prefix.astype(np.int64) << 32) | (origins + 1)
    uniq, of_route = np.unique(key, return_inverse=True)
    prefix = (uniq >> 32).astype(np.int32)
    origin = (uniq & 0xFFFFFFFF) - 1
    pair_of_span = of_route[routes.of_span]
    iv = visibility_intervals(pair_of_span, len(uniq), spans, method, window_start)
    v = pair_verdicts(refs, catalog.prefix_afi[prefix], catalog.prefix_hi[prefix],
                      catalog.prefix_lo[prefix], catalog.prefix_len[prefix], origin)  # fmt: skip
    route_order = np.argsort(of_route, kind="stable").astype(np.int64)
    route_bounds = np.zeros(len(uniq) + 1, np.int64)
    np.cumsum(np.bincount(of_route, minlength=len(uniq)), out=route_bounds[1:])
    censored = np.zeros(len(iv.start), np.bool_)
    if data_start is not None:
        first_dump = spans.rib & (spans.start <= data_start + RIB_DUMP_US)
        np.logical_or.at(censored, iv.of_span, first_dump | (spans.start <= data_start))
    bogon, _ = asn_bogons(refs, np.maximum(origin, 0))
    return OriginPairs(prefix, origin, of_route, route_order, route_bounds, iv.group, iv.start,
                       iv.end, iv.bounds, iv.est_at, v.rov_state, v.irr_state,
                       v.irr_authoritative, censored, (bogon > 0) & (origin >= 0))  # fmt: skip


@dataclass(frozen=True)
class Intervals:
    """Visibility intervals of span groups, sorted by group then start.

    Interval i belongs to ``group[i]``; the intervals of group g are
    ``bounds[g]:bounds[g+1]``. ``est_at[g]`` is when the group became established;
    ``of_span[j]`` is the interval of input span j.
    """

    group: I64
    start: I64
    end: I64
    bounds: I64
    est_at: I64
    of_span: I64


def visibility_intervals(
    group_of_span: I64, n_groups: int, spans: Spans, method: Methodology, window_start: int
) -> Intervals:
    """Union each group's spans (all peers) into intervals and apply the establish rules.

    A group is established ``establish_hours`` after the start of its first interval at
    least that long, and at the latest at ``window_start`` when it was visible in the
    baseline (the ``baseline_days`` before it). A RIB entry is no evidence of age (see the
    module doc). Never established: :data:`OPEN`. Data that arrives later never moves an
    establishment time that has passed, which keeps every verdict decidable once its time
    is over (:mod:`.compact` relies on it).
    """
    return interval_union(group_of_span, n_groups, spans.start, spans.end, method, window_start)


def interval_union(group_of_span: I64, n_groups: int, start: I64, end: I64,
                   method: Methodology, window_start: int) -> Intervals:  # fmt: skip
    """:func:`visibility_intervals` of bare span times (``end`` -1: open, never ends).

    For callers that hold only the times of the spans (compaction's edges), so no copy of
    the other span columns is made.
    """
    iv_group, iv_start, iv_end, est_at, of_span = _union_kernel(
        np.ascontiguousarray(group_of_span, np.int64), n_groups,
        np.ascontiguousarray(start, np.int64), np.ascontiguousarray(end, np.int64),
        window_start, method.baseline_us, method.establish_us, _NEVER)  # fmt: skip
    bounds = np.zeros(n_groups + 1, np.int64)
    np.cumsum(np.bincount(iv_group, minlength=n_groups), out=bounds[1:])
    return Intervals(iv_group, iv_start, iv_end, bounds, est_at, of_span)


def in_moas(catalog: Catalog, prefix: npt.NDArray[np.integer], method: Methodology,
            ) -> npt.NDArray[np.bool_]:  # fmt: skip
    """Per prefix id: it can take part in a MOAS (without ``default_route_moas``, a default
    route cannot: it claims no address space). Compaction asks the same."""
    if method.default_route_moas:
        return np.ones(len(prefix), np.bool_)
    out: npt.NDArray[np.bool_] = np.asarray(catalog.prefix_len, np.int64)[prefix] > 0
    return out


def _pairs_by_prefix(
    pairs: OriginPairs, catalog: Catalog, method: Methodology
) -> dict[int, list[int]]:
    """Prefix id -> its pairs with an origin (pairs are sorted by prefix already). Without
    ``default_route_moas`` a default route (length 0) takes part in no MOAS: left out."""
    idx = np.flatnonzero((pairs.origin >= 0) & in_moas(catalog, pairs.prefix, method))
    pref = pairs.prefix[idx]
    if len(pref) == 0:
        return {}
    bounds = np.flatnonzero(np.r_[True, pref[1:] != pref[:-1], True]).tolist()
    heads = pref[bounds[:-1]].tolist()
    return {h: idx[a:b].tolist() for h, a, b in zip(heads, bounds[:-1], bounds[1:], strict=True)}


def _covering(catalog: Catalog, ids: npt.NDArray[np.int32]) -> dict[int, list[int]]:
    """Prefix id -> ids of the strictly covering prefixes among ``ids``."""
    return covering_prefixes(catalog, ids, ids)


def covering_prefixes(
    catalog: Catalog, inner_ids: npt.NDArray[np.int32], outer_ids: npt.NDArray[np.int32]
) -> dict[int, list[int]]:
    """Prefix id of ``inner_ids`` -> ids of its strictly covering prefixes in ``outer_ids``.

    Both id arrays must be free of repeats.
    """
    ids = np.concatenate([inner_ids, outer_ids]).astype(np.int64)
    is_inner = np.r_[np.ones(len(inner_ids), np.bool_), np.zeros(len(outer_ids), np.bool_)]
    afi = np.asarray(catalog.prefix_afi, np.int64)[ids]
    hi = np.asarray(catalog.prefix_hi, np.uint64)[ids]
    lo = np.asarray(catalog.prefix_lo, np.uint64)[ids]
    length = np.asarray(catalog.prefix_len, np.int64)[ids]
    out: dict[int, list[int]] = {}
    for fam, size in ((4, 32), (6, 128)):
        fam_mask = afi == fam
        for n in np.unique(length[fam_mask & ~is_inner]).tolist():
            outer = np.flatnonzero(fam_mask & ~is_inner & (length == n))
            inner = np.flatnonzero(fam_mask & is_inner & (length > n))
            if len(inner) == 0:
                continue
            m_hi, m_lo = mask_words(n)
            if n <= 64:
                keys = hi[outer]
                sort = np.argsort(keys)
                want = hi[inner] & np.uint64(m_hi)
                pos = np.searchsorted(keys[sort], want)
                ok = pos < len(outer)
                ok[ok] = keys[sort][pos[ok]] == want[ok]
                hits = zip(inner[ok].tolist(), outer[sort][pos[ok]].tolist(), strict=True)
            else:
                table = {(int(hi[o]), int(lo[o])): o for o in outer.tolist()}
                found = ((i, table.get((int(hi[i]), int(lo[i]) & m_lo))) for i in inner.tolist())
                hits = ((i, o) for i, o in found if o is not None)  # type: ignore[assignment]
            for i, o in hits:
                out.setdefault(int(ids[i]), []).append(int(ids[o]))
        _ = size
    return out


def _candidates(
    pairs: OriginPairs, by_prefix: dict[int, list[int]], covers: dict[int, list[int]]
) -> list[int]:
    """Prefixes with at least two distinct origins among themselves and their covers."""
    out = []
    for q, own in by_prefix.items():
        if len(own) < 2 and q not in covers:
            continue
        origins = {int(pairs.origin[i]) for i in own}
        for c in covers.get(q, ()):
            origins.update(int(pairs.origin[i]) for i in by_prefix.get(c, ()))
            if len(origins) > 1:
                break
        if len(origins) > 1:
            out.append(q)
    return sorted(out)


# ------------------------------------------------------------------------------ judging
def _judge_prefix(
    q: int,
    pairs: OriginPairs,
    by_prefix: dict[int, list[int]],
    covers: dict[int, list[int]],
    spans: Spans,
    routes: Routes,
    paths: FlatPaths,
    catalog: Catalog,
    refs: References,
    method: Methodology,
    window_start: int,
    marks: Marks,
    report: HijackReport,
    m2_intervals: set[int],
) -> None:
    universe = [(q, i) for i in by_prefix[q]] + [
        (c, i) for c in covers.get(q, ()) for i in by_prefix.get(c, ())
    ]
    cache: dict[int, set[int]] = {}

    def upstream_of(i: int) -> set[int]:
        found = cache.get(i)
        if found is None:
            found = cache[i] = _upstreams(i, pairs, routes, paths)
        return found

    for pair in by_prefix[q]:
        x = int(pairs.origin[pair])
        x_est = min(int(pairs.est_at[i]) for c, i in universe if int(pairs.origin[i]) == x)
        for iv in range(int(pairs.iv_bounds[pair]), int(pairs.iv_bounds[pair + 1])):
            start, end = int(pairs.iv_start[iv]), int(pairs.iv_end[iv])
            if x_est < start:
                continue
            censored = bool(pairs.iv_censored[iv])
            if censored and pairs.rov[pair] != ROV_INVALID:
                continue  # no history to judge it by, and RPKI cannot decide it
            others = [(c, i) for c, i in universe if int(pairs.origin[i]) != x
                      and x not in upstream_of(i)
                      and not (method.baseline_coexistence
                               and _coexisted(pairs, pair, i, window_start))]  # fmt: skip
            established = [(c, i) for c, i in others if int(pairs.est_at[i]) < start]
            # Only conflicts while X is not yet established count: an origin that appears
            # after X became established conflicts with an established X (its own interval
            # is judged against X), it does not turn X's past into an undetermined MOAS.
            open_until = min(end, x_est)
            concurrent = [(c, i) for c, i in others if _overlaps(pairs, i, start, open_until)]
            if not established and not concurrent:
                continue
            report.conflicts += 1
            detail = _decide(q, pair, x, established, concurrent, pairs, catalog, refs, method,
                             report, upstream_of(pair), censored)  # fmt: skip
            if detail is None:
                continue
            m2_intervals.add(iv)
            _mark_interval(pair, start, end, detail, pairs, spans, routes, paths, refs, marks)


def _upstreams(pair: int, pairs: OriginPairs, routes: Routes, paths: FlatPaths) -> set[int]:
    """Direct upstreams of the pair's origin over all its paths."""
    lo, hi = int(pairs.route_bounds[pair]), int(pairs.route_bounds[pair + 1])
    out = set()
    for r in pairs.route_order[lo:hi].tolist():
        seq = paths.path(int(routes.path[r]))
        if len(seq) >= 2:
            out.add(seq[-2])
    return out


def _coexisted(pairs: OriginPairs, a: int, b: int, until: int) -> bool:
    """Whether an interval of pair ``a`` overlapped one of pair ``b`` before ``until``."""
    lo, hi = int(pairs.iv_bounds[a]), int(pairs.iv_bounds[a + 1])
    for k in range(lo, hi):
        start = int(pairs.iv_start[k])
        if start >= until:
            break
        if _overlaps(pairs, b, start, min(int(pairs.iv_end[k]), until)):
            return True
    return False


def _overlaps(pairs: OriginPairs, i: int, start: int, end: int) -> bool:
    lo, hi = int(pairs.iv_bounds[i]), int(pairs.iv_bounds[i + 1])
    return bool(((pairs.iv_start[lo:hi] < end) & (pairs.iv_end[lo:hi] > start)).any())


def _decide(
    q: int,
    pair: int,
    x: int,
    established: list[tuple[int, int]],
    concurrent: list[tuple[int, int]],
    pairs: OriginPairs,
    catalog: Catalog,
    refs: References,
    method: Methodology,
    report: HijackReport,
    upstreams: set[int],
    censored: bool = False,
) -> Detail | None:
    """The M2 detail of a conflicting interval, or None when it is not a hijack.

    A ``censored`` interval began with the data: nothing is known of who came first, so
    only RPKI can make it a hijack (X invalid while another origin is valid).
    """
    group = established or concurrent
    other_origins = sorted({int(pairs.origin[i]) for _, i in group})
    exempt = exemption(method, refs, x=x, bogon_origin=bool(pairs.origin_bogon[pair]),
                       rov=int(pairs.rov[pair]), irr=int(pairs.irr[pair]),
                       irr_authoritative=bool(pairs.irr_authoritative[pair]),
                       others=other_origins, upstreams=upstreams)  # fmt: skip
    if exempt is not None:
        report.skip(exempt.value)
        return None
    exact = any(c == q for c, _ in group)
    conflict_prefix = min((c for c, _ in group), key=lambda c: catalog.prefix_len[c])
    labels: tuple[str, ...] = (
        "moas" if exact else "sub-moas",
        "exact" if exact else "sub-prefix",
        "type-0",
    )
    edges = tuple(
        Edge(x, y, relation_name(refs.relation_of(x, y)),
             refs.relation_source(x, y) or "none")
        for y in other_origins
    )  # fmt: skip
    invalid = pairs.rov[pair] == ROV_INVALID
    rpki_decides = invalid and any(pairs.rov[i] == ROV_VALID for _, i in group)
    if censored and not rpki_decides:
        report.skip("no-history")
        return None
    if established:
        decided = DecidedBy.RPKI if invalid else DecidedBy.ESTABLISHED
        culprit: int | None = x
    elif rpki_decides:
        decided, culprit = DecidedBy.RPKI, x
    elif pairs.irr[pair] in (0, 1) and any(pairs.irr[i] == IRR_REGISTERED for _, i in group):
        # X has no route object (a registered X was exempt, or its object is not
        # authoritative: then IRR cannot tell the two origins apart)
        decided, culprit = DecidedBy.IRR, x
    else:
        decided, culprit = DecidedBy.UNDETERMINED, None
        labels = (*labels, "no-established-origin")
    text = catalog.prefix_text(conflict_prefix)
    return Detail(Metric.HIJACK, culprit, None, None, decided, labels, (x,), edges, text,
                  tuple(other_origins))  # fmt: skip


def _mark_interval(
    pair: int,
    start: int,
    end: int,
    detail: Detail,
    pairs: OriginPairs,
    spans: Spans,
    routes: Routes,
    paths: FlatPaths,
    refs: References,
    marks: Marks,
    *,
    upstreams: bool = True,
) -> None:
    """Mark the spans of ``pair`` inside [start, end] (one detail per direct upstream)."""
    lo, hi = int(pairs.route_bounds[pair]), int(pairs.route_bounds[pair + 1])
    for r in pairs.route_order[lo:hi].tolist():
        members = routes.spans(r)
        members = members[(spans.start[members] >= start) & (spans.start[members] <= end)]
        if len(members) == 0:
            continue
        path = int(routes.path[r])
        marks.add(members, _with_upstream(detail, paths, path, refs) if upstreams else detail)


def _with_upstream(detail: Detail, paths: FlatPaths, path: int, refs: References) -> Detail:
    seq = paths.path(path)
    if detail.culprit is None or len(seq) < 2:
        return detail
    upstream = seq[-2]
    code = refs.relation_of(detail.culprit, upstream)
    edge = Edge(detail.culprit, upstream, relation_name(code),
                refs.relation_source(detail.culprit, upstream) or "none")  # fmt: skip
    return Detail(
        detail.metric, detail.culprit, upstream, relation_name(code), detail.decided_by,
        detail.labels, (upstream, *detail.segment), (*detail.edges, edge),
        detail.conflict_prefix, detail.conflict_origins, group=detail.segment,
    )  # fmt: skip


def _mark_rpki_invalid(
    pairs: OriginPairs,
    mine: npt.NDArray[np.bool_],
    spans: Spans,
    routes: Routes,
    paths: FlatPaths,
    refs: References,
    marks: Marks,
    m2_intervals: set[int],
) -> None:
    for pair in np.flatnonzero((pairs.rov == ROV_INVALID) & mine).tolist():
        origin = int(pairs.origin[pair])
        x = origin if origin >= 0 else None  # an AS_SET origin matches no VRP (RFC 6811)
        labels = ("rpki-invalid",) if x is not None else ("rpki-invalid", "as-set-origin")
        for iv in range(int(pairs.iv_bounds[pair]), int(pairs.iv_bounds[pair + 1])):
            if iv in m2_intervals:
                continue
            detail = Detail(Metric.RPKI_INVALID, x, None, None, DecidedBy.RPKI, labels,
                            (x,) if x is not None else ())  # fmt: skip
            start, end = int(pairs.iv_start[iv]), int(pairs.iv_end[iv])
            _mark_interval(pair, start, end, detail, pairs, spans, routes, paths, refs, marks,
                           upstreams=False)  # fmt: skip


@nb.njit(cache=True)
def _union_kernel(
    group: I64, n_groups: int, start: I64, end: I64, window_start: int, baseline_us: int,
    establish_us: int, never: int,
) -> tuple[I64, I64, I64, I64, I64]:  # pragma: no cover - compiled
    """Rows ordered by (group, start, row) — a stable counting sort by group, then a stable
    sort by start inside each group — unioned into intervals (overlapping or touching
    spans), with each group's establishment time. Returns (interval group, start, end,
    group est_at, interval of each row)."""
    n = len(group)
    order = grouped_order(group, n_groups, start)
    of_span = np.empty(n, np.int64)
    iv_group = np.empty(n, np.int64)
    iv_start = np.empty(n, np.int64)
    iv_end = np.empty(n, np.int64)
    est_at = np.full(n_groups, never, np.int64)
    m = -1
    reach = 0
    baseline = False
    prev_group = -1
    for k in range(n):
        i = order[k]
        st, g = int(start[i]), int(group[i])
        en = int(end[i]) if end[i] >= 0 else never
        if k == 0 or g != prev_group or st > reach:
            if m >= 0:
                _close(m, iv_group, iv_start, iv_end, reach, baseline, est_at, window_start,
                       establish_us, never)
            m += 1
            iv_group[m], iv_start[m] = g, st
            reach, baseline = en, False
        elif en > reach:
            reach = en
        baseline = baseline or bool(st < window_start and en > window_start - baseline_us)
        of_span[i] = m
        prev_group = g
    if m >= 0:
        _close(m, iv_group, iv_start, iv_end, reach, baseline, est_at, window_start,
               establish_us, never)
    k = m + 1
    return iv_group[:k].copy(), iv_start[:k].copy(), iv_end[:k].copy(), est_at, of_span


@nb.njit(cache=True)
def _close(m: int, iv_group: I64, iv_start: I64, iv_end: I64, reach: int, baseline: bool,
           est_at: I64, window_start: int, establish_us: int, never: int,
           ) -> None:  # pragma: no cover - compiled
    """End interval ``m`` at ``reach`` and apply the establish rules to its group."""
    iv_end[m] = reach
    est = iv_start[m] + establish_us if reach - iv_start[m] >= establish_us else never
    if baseline and window_start < est:
        est = window_start
    g = iv_group[m]
    if est < est_at[g]:
        est_at[g] = est


@nb.njit(cache=True)
def grouped_order(group: I64, n_groups: int, key: I64) -> I64:  # pragma: no cover - compiled
    """Row indices ordered by (group, key, row): what ``np.lexsort((key, group))`` gives.

    Groups are dense ids in ``[0, n_groups)``; a stable counting sort by group, then a
    stable sort by key inside each group that is not in order already (rows usually come
    in time order, so most groups are).
    """
    n = len(group)
    head = np.zeros(n_groups + 1, np.int64)
    for i in range(n):
        head[group[i] + 1] += 1
    for g in range(n_groups):
        head[g + 1] += head[g]
    order = np.empty(n, np.int64)
    fill = head[:-1].copy()
    for i in range(n):
        g = group[i]
        order[fill[g]] = i
        fill[g] += 1
    for g in range(n_groups):
        a, b = head[g], head[g + 1]
        ordered = True
        for k in range(a + 1, b):
            if key[order[k]] < key[order[k - 1]]:
                ordered = False
                break
        if not ordered:
            rows = order[a:b].copy()
            keys = np.empty(b - a, np.int64)
            for k in range(b - a):
                keys[k] = key[rows[k]]
            perm = np.argsort(keys, kind="mergesort")
            for k in range(b - a):
                order[a + k] = rows[perm[k]]
    return order
