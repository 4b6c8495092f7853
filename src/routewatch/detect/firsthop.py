"""ARTEMIS type-1 suspicions: the right origin behind a first hop never seen with it.

A type-1 hijack forges the origin: the hijacker H announces "... H X" for X's prefix, so the
origin is right (ROV says valid) and only the first hop — the edge H–X — is new. Evidence
here is new-edge detection, per (prefix, origin) pair as ARTEMIS configures neighbours per
prefix (which also keeps partitions independent):

- the **first hop** of a route is the AS before the origin in the collapsed path; an edge
  (first hop U, origin X) of a pair is **established** by the same rules as an origin
  (METHODOLOGY §4, by its history): ``establish_hours`` after the start of its first
  interval of continuous visibility at least that long, at the latest at ``window_start``
  when seen in the baseline;
- the **baseline first hops** of a pair are its edges established by the start of the
  window (seen in the baseline, or grown before it) — what ARTEMIS would have in its
  configuration;
- each visibility interval I of an edge U–X that began before the edge was established is
  suspect when X had at least one *other* baseline first hop for the prefix, established
  before I (so X is the established origin: a pair is established no later than its edges;
  RPKI validity is reported in the ROV columns, it changes nothing here), and the
  relationship data know no relationship between U and X (siblings, customers, providers or
  peers of X are expected first hops). A bogon U is left to M4; a pair with no baseline
  first hop gives no verdict (nothing to compare with), RPKI-valid or not. Edges that grow
  established inside the window stop being suspect but are not baseline evidence.

Output: marks of kind ``hijack-type1-suspect`` (:attr:`Metric.FAKE_FIRST_HOP`), culprit the
suspect first hop U, segment (U, X), decided by ``new-edge``, labels ``fake-first-hop``,
``exact``, ``type-1``; evidence edges: the new edge with the relationship lookup result
(``unknown``/``none``), then every established first hop of X for the prefix (source
``baseline``). Visibility (``min_peer_asns``) and the window are applied by the event
builder like for every kind. **Not M2**: METHODOLOGY defines M2 by the origin only, so these
findings are reported and never scored: they do not enter M2 or M2C, their incidents carry
``scored = false`` (not in ``incidents.SCORED_METRICS``) — a suspicion for a human to check,
since new upstreams appear legitimately every day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routewatch.detect.findings import DecidedBy, Detail, Edge, Marks, Metric, relation_name
from routewatch.detect.hijacks import OriginPairs, visibility_intervals
from routewatch.detect.paths import FlatPaths
from routewatch.detect.routes import Routes
from routewatch.detect.state import Spans
from routewatch.detect.verdicts import References, Rel, asn_bogons
from routewatch.methodology import Methodology

__all__ = ["FirstHopReport", "first_hops", "mark_fake_first_hops"]

I64 = npt.NDArray[np.int64]


@dataclass
class FirstHopReport:
    """Counts: pair edges examined, new edges, suspect intervals, and why others were not.

    ``new_edges``: edges with an interval that began before the edge was established;
    ``no_baseline``: suspect edges with such an interval and no baseline first hop to
    compare it with; ``related`` / ``bogon_first_hop``: new edges exempted (counted per edge,
    so they do not depend on how often an edge came and went).
    """

    edges: int = 0
    new_edges: int = 0
    suspects: int = 0
    related: int = 0
    no_baseline: int = 0
    bogon_first_hop: int = 0


def first_hops(routes: Routes, paths: FlatPaths) -> I64:
    """First hop (the AS before the origin, prepends collapsed) of every route; -1 if none."""
    pid = routes.path.astype(np.int64)
    last = paths.offsets[pid + 1]
    ok = (last - paths.offsets[pid] >= 2) & ~paths.as_set[pid]
    out = np.full(len(pid), -1, np.int64)
    out[ok] = paths.values[last[ok] - 2]
    return out


def mark_fake_first_hops(
    pairs: OriginPairs,
    spans: Spans,
    routes: Routes,
    paths: FlatPaths,
    refs: References,
    method: Methodology,
    window_start: int,
    marks: Marks,
    report: FirstHopReport | None = None,
) -> None:
    """Mark the spans of type-1 suspect first hops (see module doc)."""
    report = report if report is not None else FirstHopReport()
    hop = first_hops(routes, paths)
    pair = pairs.of_route
    # only pairs seen before the window (in the baseline) can have baseline first hops
    early = spans.start < window_start
    based = np.zeros(len(pairs.origin), np.bool_)
    based[pair[routes.of_span[early]]] = True
    usable = (hop >= 0) & (pairs.origin[pair] >= 0) & based[pair]
    key = pair * np.int64(1 << 32) + hop
    uniq = np.unique(key[usable])
    # only pairs with two or more first hops can have a new one next to an established one
    edge_pair = uniq >> 32
    many = np.flatnonzero(np.bincount(edge_pair, minlength=len(pairs.origin)) >= 2)
    uniq = uniq[np.isin(edge_pair, many)]
    if len(uniq) == 0:
        return
    report.edges += len(uniq)
    edge_of_route = np.full(len(routes), -1, np.int64)
    pos = np.searchsorted(uniq, key)
    hit = usable & (pos < len(uniq))
    hit[hit] = uniq[pos[hit]] == key[hit]
    edge_of_route[hit] = pos[hit]
    span_edge = edge_of_route[routes.of_span]
    chosen = np.flatnonzero(span_edge >= 0)
    sub = spans.take(chosen)
    iv = visibility_intervals(span_edge[chosen], len(uniq), sub, method, window_start)
    edge_pair, edge_hop = uniq >> 32, uniq & 0xFFFFFFFF
    edge_origin = pairs.origin[edge_pair]
    fresh = iv.est_at[iv.group] >= iv.start  # began before the edge was established
    report.new_edges += len(np.unique(iv.group[fresh]))
    suspect = np.zeros(len(uniq), np.bool_)
    suspect[iv.group[fresh]] = True
    bogon, _ = asn_bogons(refs, edge_hop)
    report.bogon_first_hop += int((suspect & (bogon > 0)).sum())
    suspect &= bogon <= 0
    code = refs.relation(edge_hop.astype(np.uint32), edge_origin.astype(np.uint32))
    report.related += int((suspect & (code != Rel.UNKNOWN)).sum())
    suspect &= code == Rel.UNKNOWN
    edges = np.flatnonzero(suspect)
    if len(edges) == 0:
        return
    routes_of_edge = _routes_of_edges(edge_of_route, edges)
    first = np.searchsorted(edge_pair, edge_pair[edges], side="left")
    last = np.searchsorted(edge_pair, edge_pair[edges], side="right")
    for e, a, b in zip(edges.tolist(), first.tolist(), last.tolist(), strict=True):
        u, x = int(edge_hop[e]), int(edge_origin[e])
        lacking = False
        for i in np.flatnonzero(fresh[iv.bounds[e] : iv.bounds[e + 1]]) + iv.bounds[e]:
            start, end = int(iv.start[i]), int(iv.end[i])
            known = min(start - 1, window_start)  # established before I and by the window
            baseline = [int(edge_hop[s]) for s in range(a, b)
                        if s != e and int(iv.est_at[s]) <= known]  # fmt: skip
            if not baseline:
                lacking = True
                continue
            report.suspects += 1
            detail = _detail(u, x, Rel.UNKNOWN, baseline, refs)
            for r in routes_of_edge[e]:
                members = routes.spans(r)
                inside = (spans.start[members] >= start) & (spans.start[members] <= end)
                marks.add(members[inside], detail)
        report.no_baseline += lacking


def _routes_of_edges(edge_of_route: I64, edges: I64) -> dict[int, list[int]]:
    """Routes of each chosen pair edge."""
    out: dict[int, list[int]] = {int(e): [] for e in edges.tolist()}
    for r in np.flatnonzero(np.isin(edge_of_route, edges)).tolist():
        out[int(edge_of_route[r])].append(r)
    return out


def _detail(u: int, x: int, code: int, baseline: list[int], refs: References) -> Detail:
    new_edge = Edge(u, x, relation_name(code), refs.relation_source(u, x) or "none")
    known = tuple(Edge(v, x, relation_name(refs.relation_of(v, x)), "baseline") for v in baseline)
    return Detail(Metric.FAKE_FIRST_HOP, u, None, None, DecidedBy.NEW_EDGE,
                  ("fake-first-hop", "exact", "type-1"), (u, x), (new_edge, *known))  # fmt: skip
