"""Compaction: keep memory bounded by live routes, not by the length of the stream.

Role: a partition's route state closes spans for as long as elems arrive; the detectors
judge them all at the end (:meth:`~routewatch.detect.engine.PartitionRun.findings`). Most
closed spans can never be part of a finding, and once that is certain they are not needed
one by one. :class:`Compactor` takes the held closed spans at a time ``tau`` (every later
elem is stamped ``>= tau``) and returns an equivalent, smaller set: spans that may still be
marked are kept as they are; the others are folded into **ghost spans** (``peer = -1``),
one per (prefix, origin, first hop) and continuous stretch of time, with the earliest start,
the latest end and the "RIB at the start" flag of what they replaced. Detection over the
compacted spans gives exactly the findings and reports it gives over all spans, because a
closed span is folded only when all of these hold:

- its route is not a leak, bogon-prefix or bogon-ASN route (judged per (prefix, path), once
  per path, with the detectors' own functions) and its (prefix, origin) pair is not
  RPKI-invalid (those spans are evidence: they are always kept);
- **M2 cannot mark it**: its pair's visibility interval starts after its origin X is
  established (only intervals starting before are judged), or that interval is *settled
  clean*: X's establishment time is final (before ``tau``) and, ignoring every exemption
  that could change, no other origin of the prefix or a covering prefix was established
  before the interval or overlapped it before X was established — or every such origin is
  X's sibling / direct customer or provider, or X's direct upstream, or X is RPKI-valid,
  IRR-registered or a bogon ASN;
- **the type-1 detector cannot mark it**: the route has no usable first hop, the first hop
  is a bogon or related to the origin, the edge interval starts after the edge is
  established, or no other first hop of the pair was established before the interval and
  by the window start.

Why these are final: establishment (:func:`~routewatch.detect.hijacks.visibility_intervals`)
only moves earlier as data arrives, and data after ``tau`` can only establish at or after
``tau`` — a RIB entry counts from the start of the data only at or before the window start
(:func:`~routewatch.detect.hijacks.rib_at_start`), and compaction runs only after it. The
structure of intervals before ``tau`` is fixed by spans that started before ``tau``, which
are all known (closed, held, or live). Ghosts keep what the detectors read from spans that
are never marked: pairs and edges, their interval unions, first hops (upstreams), and the
RIB/baseline flags. The findings builder refuses a marked ghost (an internal error).

Out-of-order input is tolerated up to ``slack_us`` (the caller's ``tau`` is the newest
elem time minus it). Memory after compaction: live routes, ghosts (about one per pair and
first hop), the kept evidence spans, and the spans of intervals not yet settled (at most
``establish_hours`` of churn of origins not yet established).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numba as nb
import numpy as np
import numpy.typing as npt

from routewatch.detect.hijacks import Intervals, covering_prefixes, visibility_intervals
from routewatch.detect.leaks import LeakReport, leak_details
from routewatch.detect.methodology import Methodology
from routewatch.detect.paths import flat_paths
from routewatch.detect.state import Catalog, Spans
from routewatch.detect.verdicts import References, Rel, asn_bogons, pair_verdicts

__all__ = ["GHOST_PEER", "CompactReport", "Compactor"]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
GHOST_PEER = -1
_VALID, _INVALID, _REGISTERED = 1, 2, 2
_RELATED = (Rel.P2C, Rel.C2P, Rel.SIBLING)


@dataclass
class CompactReport:
    """What compaction did: runs, spans folded into ghosts, ghosts and spans kept."""

    runs: int = 0
    folded: int = 0
    ghosts: int = 0
    kept: int = 0
    unsettled_intervals: int = 0


@dataclass
class _PathFacts:
    """Per path id: origin, first hop, route-level offence; per prefix id: bogon prefix."""

    origin: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    hop: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    offends: B = field(default_factory=lambda: np.zeros(0, np.bool_))
    bogon_prefix: B = field(default_factory=lambda: np.zeros(0, np.bool_))

    def update(self, catalog: Catalog, refs: References) -> None:
        """Extend the facts to the paths and prefixes interned since the last call."""
        done, total = len(self.origin), len(catalog.path_asns)
        if total > done:
            ids = np.arange(done, total, dtype=np.int32)
            paths = flat_paths(catalog, ids)
            ends = paths.offsets[1:]
            size = ends - paths.offsets[:-1]
            values = np.r_[paths.values, -1]  # an empty path indexes the sentinel
            origin = np.where((size >= 1) & ~paths.as_set, values[ends - 1], -1)
            hop = np.where((size >= 2) & ~paths.as_set, values[ends - 2], -1)
            offends = np.zeros(len(ids), np.bool_)
            offends[list(leak_details(paths, refs, LeakReport()))] = True
            codes, _ = asn_bogons(refs, paths.values)
            owner = np.repeat(np.arange(len(ids)), paths.lengths())
            offends[owner[codes > 0]] = True
            self.origin = np.r_[self.origin, origin.astype(np.int64)]
            self.hop = np.r_[self.hop, hop]
            self.offends = np.r_[self.offends, offends]
        done, total = len(self.bogon_prefix), len(catalog.prefix_len)
        if total > done:
            new = np.zeros(total - done, np.bool_)
            if refs.bogons is not None:
                category, _ = refs.bogons.prefix_category(
                    np.asarray(catalog.prefix_afi[done:], np.uint8),
                    np.asarray(catalog.prefix_hi[done:], np.uint64),
                    np.asarray(catalog.prefix_lo[done:], np.uint64),
                    np.asarray(catalog.prefix_len[done:], np.uint8),
                )
                new = np.asarray(category) > 0
            self.bogon_prefix = np.r_[self.bogon_prefix, new]


@dataclass(frozen=True)
class _Rows:
    """Held and live spans as one table, with what compaction derives per row."""

    spans: Spans  # live spans end at the newest elem time
    closed: B  # a real closed span (not a ghost, not live)
    origin: I64
    hop: I64
    pair: I64  # index into pair_key
    pair_key: I64  # prefix << 32 | origin + 1, sorted


class Compactor:
    """Folds never-marked closed spans of one partition into ghosts (see module doc)."""

    def __init__(
        self, catalog: Catalog, refs: References, method: Methodology, window_start: int
    ) -> None:
        self.catalog = catalog
        self.refs = refs
        self.method = method
        self.window_start = window_start
        self.report = CompactReport()
        self._facts = _PathFacts()
        self._settled: dict[tuple[int, int], bool] = {}

    def compact(self, held: Spans, live: Spans, tau: int, newest: int) -> Spans:
        """The held spans (closed and ghosts) with every provably unmarkable one folded."""
        if tau <= self.window_start or len(held) == 0:
            return held
        self._facts.update(self.catalog, self.refs)
        rows = self._rows(held, live, newest)
        n = len(held)
        sp = rows.spans
        fold = rows.closed[:n] & (sp.end[:n] < tau)
        fold &= ~(self._facts.offends[sp.path[:n]] | self._facts.bogon_prefix[sp.prefix[:n]])
        fold &= ~self._invalid(rows)[rows.pair[:n]]
        ghost = ~rows.closed[:n]  # held rows that are not real closed spans are ghosts
        if not fold.any():
            return held
        pair_iv = visibility_intervals(rows.pair, len(rows.pair_key), rows.spans, self.method,
                                       self.window_start)  # fmt: skip
        fold &= self._m2_safe(rows, pair_iv, tau)[:n]
        edges = _Edges.of(rows, self.method, self.window_start)
        if fold.any():
            fold &= self._first_hop_safe(rows, edges)[:n]
        self.report.runs += 1
        self.report.folded += int(fold.sum())
        stretch = _stretches(edges, pair_iv, tau)
        out = Spans.concat([held.take(~fold & ~ghost), self._ghosts(rows, stretch, fold | ghost)])
        self.report.ghosts = int((out.peer == GHOST_PEER).sum())
        self.report.kept = len(out) - self.report.ghosts
        return out

    # ------------------------------------------------------------------------------ rows
    def _rows(self, held: Spans, live: Spans, newest: int) -> _Rows:
        ended = Spans(live.peer, live.prefix, live.path, live.start,
                      np.full(len(live), np.int64(newest)), live.rib)  # fmt: skip
        sp = Spans.concat([held, ended])
        closed = np.r_[held.peer >= 0, np.zeros(len(live), np.bool_)]
        origin = self._facts.origin[sp.path]
        hop = self._facts.hop[sp.path]
        key = (sp.prefix.astype(np.int64) << 32) | (origin + 1)
        pair_key, pair = _factorize(key)
        return _Rows(sp, closed, origin, hop, pair.astype(np.int64), pair_key)

    def _invalid(self, rows: _Rows) -> B:
        """RPKI-invalid per pair (their spans are always kept)."""
        prefix = (rows.pair_key >> 32).astype(np.int64)
        origin = (rows.pair_key & 0xFFFFFFFF) - 1
        if self.refs.vrps is None:
            return np.zeros(len(prefix), np.bool_)
        v = pair_verdicts(
            References(vrps=self.refs.vrps),
            np.asarray(self.catalog.prefix_afi, np.uint8)[prefix],
            np.asarray(self.catalog.prefix_hi, np.uint64)[prefix],
            np.asarray(self.catalog.prefix_lo, np.uint64)[prefix],
            np.asarray(self.catalog.prefix_len, np.uint8)[prefix],
            origin,
        )
        out: B = v.rov_state == _INVALID
        return out

    # ------------------------------------------------------------------------------ M2
    def _m2_safe(self, rows: _Rows, iv: Intervals, tau: int) -> B:
        """Rows whose pair interval M2 can never mark."""
        sp = rows.spans
        iv_of_row = iv.of_span
        start_of_row = iv.start[iv_of_row]
        safe = (rows.origin < 0) | (start_of_row > iv.est_at[rows.pair])
        todo = np.flatnonzero(~safe & rows.closed & (sp.end < tau))
        if len(todo) == 0:
            return safe
        ivs = np.unique(iv_of_row[todo])
        pair_of_iv = iv.group[ivs]
        keys = list(zip(rows.pair_key[pair_of_iv].tolist(), iv.start[ivs].tolist(), strict=True))
        known = np.array([self._settled.get(k, False) for k in keys], np.bool_)
        ask = np.flatnonzero(~known & np.array([k not in self._settled for k in keys], bool))
        if len(ask):
            judge = _Judge(self, rows, iv, tau, pair_of_iv[ask])
            for j in ask.tolist():
                verdict = judge.interval(int(ivs[j]))
                if verdict is None:
                    self.report.unsettled_intervals += 1
                else:
                    self._settled[keys[j]] = verdict
                    known[j] = verdict
        safe_iv = np.zeros(len(iv.start), np.bool_)
        safe_iv[ivs[known]] = True
        safe[todo] |= safe_iv[iv_of_row[todo]]
        return safe

    # ------------------------------------------------------------------------------ type 1
    def _first_hop_safe(self, rows: _Rows, edges: _Edges) -> B:
        """Rows the type-1 detector can never mark."""
        usable = edges.row_edge >= 0
        safe = ~usable
        if not usable.any():
            return safe
        edge_hop = edges.key & 0xFFFFFFFF
        edge_pair = edges.key >> 32
        edge_origin = ((rows.pair_key[edge_pair] & 0xFFFFFFFF) - 1).astype(np.int64)
        bogon, _ = asn_bogons(self.refs, edge_hop)
        code = self.refs.relation(edge_hop.astype(np.uint32), edge_origin.astype(np.uint32))
        exempt = (bogon > 0) | (code != Rel.UNKNOWN)  # the detector's own exemptions
        est = edges.iv.est_at
        edge = edges.row_edge[usable]
        start = edges.iv.start[edges.row_iv[usable]]
        fresh = est[edge] >= start
        other = _other_min(edge_pair, est)
        known = np.minimum(start - 1, self.window_start)
        safe[usable] = exempt[edge] | ~fresh | (other[edge] > known)
        return safe

    # ------------------------------------------------------------------------------ ghosts
    def _ghosts(self, rows: _Rows, stretch: I64, chosen: B) -> Spans:
        """Chosen held rows (folded spans, old ghosts) merged per first hop and stretch.

        ``stretch`` is the interval of each row that no ghost may reach across
        (:func:`_stretches`). Inside it the union of the spans is continuous anyway, so one
        ghost from the earliest start to the latest end changes no interval that a
        detector still reads, no flag and no first hop.
        """
        idx = np.flatnonzero(chosen)
        if len(idx) == 0:
            return Spans.concat([])
        sp = rows.spans.take(idx)
        group, hop = stretch[idx], rows.hop[idx]
        order = np.lexsort((sp.start, hop, group))
        at_start = (sp.rib & (sp.start <= self.window_start))[order]
        group, hop = group[order], hop[order]
        first = np.flatnonzero(np.r_[True, (group[1:] != group[:-1]) | (hop[1:] != hop[:-1])])
        return Spans(
            np.full(len(first), GHOST_PEER, np.int32),
            sp.prefix[order][first],
            sp.path[order][first],
            sp.start[order][first],
            np.maximum.reduceat(sp.end[order], first),
            np.logical_or.reduceat(at_start, first),
        )


@dataclass(frozen=True)
class _Edges:
    """(pair, first hop) edges of the rows that have both, and their visibility intervals."""

    key: I64  # pair << 32 | hop, sorted
    row_edge: I64  # edge of each row, -1 without origin or first hop
    row_iv: I64  # edge interval of each row, -1 likewise
    iv: Intervals

    @staticmethod
    def of(rows: _Rows, method: Methodology, window_start: int) -> _Edges:
        usable = (rows.hop >= 0) & (rows.origin >= 0)
        idx = np.flatnonzero(usable)
        key = rows.pair[idx] * np.int64(1 << 32) + rows.hop[idx]
        edges, edge_of = _factorize(key)
        iv = visibility_intervals(edge_of.astype(np.int64), len(edges), rows.spans.take(idx),
                                  method, window_start)  # fmt: skip
        row_edge = np.full(len(rows.pair), -1, np.int64)
        row_iv = np.full(len(rows.pair), -1, np.int64)
        row_edge[idx] = edge_of
        row_iv[idx] = iv.of_span
        return _Edges(edges, row_edge, row_iv, iv)


def _stretches(edges: _Edges, pair_iv: Intervals, tau: int) -> I64:
    """Per row, the interval a ghost of its (pair, first hop) may not reach across.

    The edge interval while the type-1 detector may still care about its edges: before the
    edge is established for good. After that only the edge's establishment time matters
    (already final) and the pair's visibility, so ghosts of one first hop may span the
    whole pair interval.
    """
    n_edge_iv = len(edges.iv.start)
    out = n_edge_iv + pair_iv.of_span
    usable = np.flatnonzero(edges.row_edge >= 0)
    est = edges.iv.est_at[edges.row_edge[usable]]
    start = edges.iv.start[edges.row_iv[usable]]
    young = (est >= tau) | (start <= est)
    out[usable[young]] = edges.row_iv[usable[young]]
    return out


def _other_min(group: I64, value: I64) -> I64:
    """Per item: the minimum ``value`` over the other items of its ``group`` (sorted groups)."""
    n = len(group)
    out = np.full(n, np.iinfo(np.int64).max, np.int64)
    if n == 0:
        return out
    order = np.lexsort((value, group))
    g, v = group[order], value[order]
    head = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    size = np.diff(np.r_[head, n])
    first = np.repeat(v[head], size)
    second = np.repeat(np.where(size >= 2, v[np.minimum(head + 1, n - 1)], out[0]), size)
    is_min = np.zeros(n, np.bool_)
    is_min[head] = True
    out[order] = np.where(is_min, second, first)
    return out


@nb.njit(cache=True)
def _first_seen(keys: I64) -> tuple[I64, I64]:
    ids = np.empty(len(keys), np.int64)
    seen = {np.int64(0): np.int64(0)}
    del seen[np.int64(0)]
    uniq = np.empty(len(keys), np.int64)
    for i in range(len(keys)):
        k = keys[i]
        found = seen.get(k, -1)
        if found < 0:
            found = np.int64(len(seen))
            seen[k] = found
            uniq[found] = k
        ids[i] = found
    return uniq[: len(seen)], ids


def _factorize(keys: I64) -> tuple[I64, I64]:
    """``np.unique(keys, return_inverse=True)`` in linear time (hashing, then a small sort)."""
    uniq, ids = _first_seen(np.ascontiguousarray(keys, np.int64))
    order = np.argsort(uniq)
    rank = np.empty(len(uniq), np.int64)
    rank[order] = np.arange(len(uniq))
    return uniq[order], rank[ids]


class _Judge:
    """Settles M2 intervals one by one: True clean forever, False maybe marked, None open."""

    def __init__(self, owner: Compactor, rows: _Rows, iv: Intervals, tau: int, asked: I64) -> None:
        self.owner = owner
        self.rows = rows
        self.iv = iv
        self.tau = tau
        prefix = (rows.pair_key >> 32).astype(np.int64)
        self.prefix = prefix
        self.origin = ((rows.pair_key & 0xFFFFFFFF) - 1).astype(np.int64)
        bounds = np.flatnonzero(np.r_[True, prefix[1:] != prefix[:-1], True]).tolist()
        self.by_prefix = {int(prefix[a]): range(a, b)
                          for a, b in itertools.pairwise(bounds)}  # fmt: skip
        inner = np.unique(prefix[asked]).astype(np.int32)
        outer = np.asarray(list(self.by_prefix), np.int32)
        self.covers = covering_prefixes(owner.catalog, inner, outer)
        self._hops: dict[int, set[int]] | None = None
        self._verdicts: tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]] | None = None

    def _universe(self, q: int) -> list[int]:
        pairs = list(self.by_prefix[q])
        for c in self.covers.get(q, ()):
            pairs.extend(self.by_prefix[c])
        return [p for p in pairs if self.origin[p] >= 0]

    def _upstreams(self, pair: int) -> set[int]:
        if self._hops is None:
            hops: dict[int, set[int]] = {}
            pk = np.unique(self.rows.pair * np.int64(1 << 32) + (self.rows.hop + 1))
            for p, h in zip((pk >> 32).tolist(), ((pk & 0xFFFFFFFF) - 1).tolist(), strict=True):
                if h >= 0:
                    hops.setdefault(p, set()).add(h)
            self._hops = hops
        return self._hops.get(pair, set())

    def _pair_verdicts(self) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
        if self._verdicts is None:
            cat = self.owner.catalog
            v = pair_verdicts(
                self.owner.refs,
                np.asarray(cat.prefix_afi, np.uint8)[self.prefix],
                np.asarray(cat.prefix_hi, np.uint64)[self.prefix],
                np.asarray(cat.prefix_lo, np.uint64)[self.prefix],
                np.asarray(cat.prefix_len, np.uint8)[self.prefix],
                self.origin,
            )
            self._verdicts = (v.rov_state, v.irr_state)
        return self._verdicts

    def _overlaps(self, pair: int, start: int, end: int) -> bool:
        iv = self.iv
        lo, hi = int(iv.bounds[pair]), int(iv.bounds[pair + 1])
        return bool(((iv.start[lo:hi] < end) & (iv.end[lo:hi] > start)).any())

    def interval(self, i: int) -> bool | None:
        """Whether interval ``i`` is settled clean (True), may be marked (False), or open."""
        iv, pair = self.iv, int(self.iv.group[i])
        q, x = int(self.prefix[pair]), int(self.origin[pair])
        start, end = int(iv.start[i]), int(iv.end[i])
        universe = self._universe(q)
        x_est = min(int(iv.est_at[p]) for p in universe if int(self.origin[p]) == x)
        if start > x_est:
            return True  # never judged, and establishment only moves earlier
        if x_est >= self.tau:
            return None  # X may still be established later: a conflict may still come
        until = min(end, x_est)
        others = [p for p in universe if int(self.origin[p]) != x
                  and (int(iv.est_at[p]) < start or self._overlaps(p, start, until))]  # fmt: skip
        if not others:
            return True
        rov, irr = self._pair_verdicts()
        refs = self.owner.refs
        if rov[pair] == _VALID or irr[pair] == _REGISTERED:
            return True
        if refs.bogons is not None:
            codes, _ = refs.bogons.asn_category(np.array([x], np.uint32))
            if int(codes[0]) != 0:
                return True
        ups = self._upstreams(pair)
        return all(
            refs.relation_of(x, int(self.origin[p])) in _RELATED or int(self.origin[p]) in ups
            for p in others
        )
