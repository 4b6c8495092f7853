"""Compaction: memory follows the live routes, not the length of the stream.

Role: a partition's route state closes spans for as long as elems arrive; the detectors
judge them all at the end (:meth:`~routewatch.detect.engine.PartitionRun.findings`).
:class:`Compactor` takes the held closed spans at a time ``tau`` (every later elem is
stamped ``>= tau``; the caller subtracts the tolerated disorder) and returns a much smaller
set from which detection gives exactly the same findings, incidents and reports. Every
closed span that ended before ``tau`` goes one of four ways:

1. **Folded into a ghost** (``peer = -1``) when no detector can mark it any more: its route
   is no live leak / bogon evidence, its pair is not RPKI-invalid, M2 cannot mark its pair
   interval (it starts after the origin is established, or it is *settled clean*: the
   verdict's inputs are final and no other origin conflicts, or every conflicting one is
   exempt in a way later data cannot undo), and the type-1 detector cannot mark its edge
   interval (exempt edge, not a new edge, or no baseline first hop, for good). One ghost per
   (pair, first hop) and stretch keeps the earliest start, the latest end and the RIB flag:
   the stretch is the edge interval while the edge is young, the pair interval once it is
   established for good, the whole pair once its prefix is *quiet* (every origin of it
   established, no more-specific: its gaps can no longer matter to an M2 verdict).
2. **Forgotten**: a later short interval (under ``establish_hours``, after the window
   start, entirely folded) of an edge while the pair stayed visible through other spans,
   or of a pair that is the only origin of its prefix, covers and more-specifics. It
   establishes nothing, is marked by nothing, and each edge keeps its first interval.
3. **Summarised** (``peer = -2 - sid``) when it may still be evidence: one summary row per
   route, stratum (edge or pair interval, as for ghosts but never bridging) and set of
   route-level event stretches, so every detector marks all of it or none of it. Its
   :class:`~routewatch.detect.findings.Summaries` payload keeps what the findings builder
   reads: span count (sample path), first/last time per peer (witnesses), and the peak
   visibility before ``tau`` of each event it can belong to (peaks after ``tau`` come from
   the spans alive at ``tau``, which stay; the builder combines both, larger then earlier).
4. **Counted and dropped** with its route-level event (leak, bogon) when that event ended
   before ``tau`` below ``min_peer_asns``, exactly as the builder would drop it.

Spans that ended at or after ``tau`` and live routes stay as they are.

Why it is exact: establishment (:func:`~routewatch.detect.hijacks.visibility_intervals`)
only moves earlier as data arrives, and data after ``tau`` establishes nothing before
``tau`` — establishment comes from visibility history only (a RIB entry is no evidence of
age), and compaction runs only after the window start. The intervals before ``tau`` are
fixed by spans that started before ``tau``, all of which are known. Exemptions are only
used where they cannot be undone by later data (relationships and RPKI/IRR/bogon verdicts
are fixed; an origin's upstream set only grows). The findings
builder refuses a marked ghost (an internal error), and the route-level detectors skip
ghosts and dropped events. ``tests/test_detect_compact.py`` compares every scenario and real
RIS streams with compaction after every elem against no compaction.

Memory after compaction: live routes, ghosts (about one per pair and first hop), summaries
(about one per piece of evidence: route and event), and the spans of the last ``slack``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from routewatch.detect.bogons import mark_bogon_asns, mark_bogon_prefixes
from routewatch.detect.exemptions import ROV_INVALID, origin_exemption, pair_exemption
from routewatch.detect.findings import Marks, Summaries, union_events
from routewatch.detect.hijacks import (
    Intervals,
    covering_prefixes,
    grouped_order,
    in_moas,
    interval_union,
    visibility_intervals,
)
from routewatch.detect.keytable import factorize
from routewatch.detect.leaks import LeakReport, mark_leaks
from routewatch.detect.paths import flat_paths
from routewatch.detect.routes import Routes
from routewatch.detect.state import Catalog, Spans, peak_visibility
from routewatch.detect.verdicts import (
    PairVerdicts,
    References,
    Rel,
    asn_bogons,
    pair_verdicts,
)
from routewatch.methodology import Methodology
from routewatch.prefixes import mask_words

__all__ = ["GHOST_PEER", "CompactReport", "Compactor"]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
GHOST_PEER = -1


@dataclass
class CompactReport:
    """What compaction did: runs, spans folded into ghosts, ghosts and spans kept."""

    runs: int = 0
    folded: int = 0
    ghosts: int = 0
    summaries: int = 0
    kept: int = 0
    unsettled_intervals: int = 0
    #: route-level events that ended below min_peer_asns (dropped, as the builder would)
    dead_events: int = 0
    #: folded spans forgotten: short later comings of an edge inside its pair's visibility
    dropped: int = 0

    def add(self, other: CompactReport) -> None:
        """Add another partition's counts (ghosts, summaries, kept: what each holds now)."""
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _PathFacts:
    """Per path id: origin, first hop, route-level offence; per prefix id: bogon prefix."""

    origin: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    hop: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    offends: B = field(default_factory=lambda: np.zeros(0, np.bool_))
    bogon_prefix: B = field(default_factory=lambda: np.zeros(0, np.bool_))
    #: route-level event keys of each path (leaks, bogon ASNs): key_ids[key_off[p]:key_off[p+1]]
    key_off: I64 = field(default_factory=lambda: np.zeros(1, np.int64))
    key_ids: I64 = field(default_factory=lambda: np.zeros(0, np.int64))

    def update(self, catalog: Catalog, refs: References, keys: Summaries) -> None:
        """Extend the facts to the paths and prefixes interned since the last call."""
        done, total = len(self.origin), catalog.n_paths
        if total > done:
            ids = np.arange(done, total, dtype=np.int32)
            paths = flat_paths(catalog, ids)
            ends = paths.offsets[1:]
            size = ends - paths.offsets[:-1]
            values = np.r_[paths.values, -1]  # an empty path indexes the sentinel
            origin = np.where((size >= 1) & ~paths.as_set, values[ends - 1], -1)
            hop = np.where((size >= 2) & ~paths.as_set, values[ends - 2], -1)
            # the detectors' own marking, one route per path: which events each path is in
            n = len(ids)
            one = np.arange(n, dtype=np.int64)
            routes = Routes(np.zeros(n, np.int32), one.astype(np.int32), one, one,
                            np.arange(n + 1, dtype=np.int64))  # fmt: skip
            marks = Marks()
            mark_bogon_asns(routes, paths, refs, marks)
            mark_leaks(routes, paths, refs, marks, LeakReport())
            path_of, detail = marks.arrays()
            key = np.array([keys.key_id(marks.details[d].event_key) for d in detail.tolist()],
                           np.int64)  # fmt: skip
            # one entry per (path, event key): two details of one event are one membership
            both = np.unique(path_of * np.int64(1 << 32) + key) if len(key) else path_of
            path_of, key = both >> 32, both & 0xFFFFFFFF
            counts = np.bincount(path_of, minlength=n)
            self.key_off = np.r_[self.key_off, self.key_off[-1] + np.cumsum(counts)]
            self.key_ids = np.r_[self.key_ids, key]
            self.origin = np.r_[self.origin, origin.astype(np.int64)]
            self.hop = np.r_[self.hop, hop]
            self.offends = np.r_[self.offends, counts > 0]
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
    """Compacts the held spans of one partition: ghosts, forgotten spans, summaries.

    :meth:`compact` is called by :class:`~routewatch.detect.engine.PartitionRun`; the
    findings builder reads :attr:`summaries`; :attr:`report` counts what happened. State
    kept between runs: per-path facts, settled M2 verdicts, and the summaries' payload.
    """

    def __init__(
        self,
        catalog: Catalog,
        refs: References,
        method: Methodology,
        window_start: int,
        owns: Callable[[npt.NDArray[np.integer]], B] | None = None,
    ) -> None:
        self.catalog = catalog
        self.owns = owns
        self.refs = refs
        self.method = method
        self.window_start = window_start
        self.report = CompactReport()
        self._facts = _PathFacts()
        self._settled: dict[tuple[int, int], bool] = {}
        self._bogon_asns: dict[int, bool] = {}
        self.summaries = Summaries()
        self._covering_memo: tuple[_Rows, B] | None = None

    def compact(self, held: Spans, live: Spans, tau: int, newest: int) -> Spans:
        """The held spans (closed and ghosts) with every provably unmarkable one folded."""
        if tau <= self.window_start or len(held) == 0:
            return held
        done = (held.peer >= 0) & (held.end < tau)  # real spans closed before tau
        if not done.any():
            return held
        self._facts.update(self.catalog, self.refs, self.summaries)
        rows = self._rows(held, live, newest)
        n = len(held)
        sp = rows.spans
        level = self._route_level(rows, tau)
        fold = done & ~level.evidence[:n] & ~self._invalid(rows)[rows.pair[:n]]
        ghost = sp.peer[:n] == GHOST_PEER
        pair_iv = visibility_intervals(rows.pair, len(rows.pair_key), rows.spans, self.method,
                                       self.window_start)  # fmt: skip
        edges = _Edges.of(rows, self.method, self.window_start)
        if fold.any():
            fold &= self._m2_safe(rows, pair_iv, tau, edges.key)[:n]
        if fold.any():
            fold &= self._first_hop_safe(rows, edges)[:n]
        summed = (done & ~fold) | (sp.peer[:n] <= -2)
        self.report.runs += 1
        self.report.folded += int(fold.sum())
        strata = _strata(edges, pair_iv, tau)
        stretch = _bridged(strata, pair_iv, len(edges.iv.start),
                           self._quiet_since(rows, pair_iv, tau))  # fmt: skip
        ghostish = fold | ghost
        all_ghostish = np.r_[ghostish, np.zeros(len(live), np.bool_)]
        gone = (self._redundant(rows, all_ghostish, edges, tau)
                | self._lonely(rows, all_ghostish, edges, pair_iv, tau))[:n]  # fmt: skip
        self.report.dropped += int(gone.sum())
        ghosts = self._ghosts(rows, stretch, ghostish & ~gone)
        summaries = self._summarize(rows, np.r_[summed, np.zeros(len(live), np.bool_)],
                                    strata[0], pair_iv, edges, level, tau)  # fmt: skip
        self.report.dead_events += level.dead_events
        out = Spans.concat([held.take(~ghostish & ~summed), ghosts, summaries])
        self._covering_memo = None
        self.report.ghosts = len(ghosts)
        self.report.summaries = len(summaries)
        self.report.kept = len(out) - len(ghosts) - len(summaries)
        return out

    def bogon_asn(self, asn: int) -> bool:
        """Is ``asn`` a bogon ASN (by the references; remembered, they are fixed)."""
        found = self._bogon_asns.get(asn)
        if found is None:
            codes, _ = asn_bogons(self.refs, np.array([asn], np.int64))
            found = self._bogon_asns[asn] = bool(codes[0] > 0)
        return found

    def no_route_level(self, spans: Spans) -> B:
        """Rows the route-level detectors must not mark: ghosts, and summaries whose
        route-level events were all dropped already (counted in :attr:`report`)."""
        out: B = spans.peer == GHOST_PEER
        summ = np.flatnonzero(spans.peer <= -2)
        out[summ] = self.summaries.dead[-2 - spans.peer[summ].astype(np.int64)]
        return out

    # ------------------------------------------------------------------------------ rows
    def _rows(self, held: Spans, live: Spans, newest: int) -> _Rows:
        """Held and live spans as one table (live ones end at ``newest``), with pairs."""
        ended = Spans(live.peer, live.prefix, live.path, live.start,
                      np.full(len(live), np.int64(newest)), live.rib)  # fmt: skip
        sp = Spans.concat([held, ended])
        closed = np.r_[held.peer >= 0, np.zeros(len(live), np.bool_)]
        origin = self._facts.origin[sp.path]
        hop = self._facts.hop[sp.path]
        key = (sp.prefix.astype(np.int64) << 32) | (origin + 1)
        pair_key, pair = factorize(key)
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
        out: B = v.rov_state == ROV_INVALID
        return out

    # ------------------------------------------------------------------------------ M2
    def _m2_safe(self, rows: _Rows, iv: Intervals, tau: int, edge_keys: I64) -> B:
        """Rows whose pair interval M2 can never mark (``edge_keys``: :attr:`_Edges.key`)."""
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
            judge = _Judge(self, rows, iv, tau, pair_of_iv[ask], edge_keys)
            for j in ask.tolist():
                verdict = judge.interval(int(ivs[j]))
                if verdict is None:
                    self.report.unsettled_intervals += 1
                else:
                    self._settled[keys[j]] = verdict
                    known[j] = verdict
        if len(self._settled) > 2 * len(iv.start) + 10_000:  # forget intervals now gone
            now = set(zip(rows.pair_key[iv.group].tolist(), iv.start.tolist(), strict=True))
            self._settled = {k: v for k, v in self._settled.items() if k in now}
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

    def _covering_pairs(self, rows: _Rows) -> B:
        """Per pair: has its prefix a more specific one among the rows? (once per run)"""
        if self._covering_memo is None or self._covering_memo[0] is not rows:
            prefix = (rows.pair_key >> 32).astype(np.int64)
            self._covering_memo = (rows, _has_more_specific(self.catalog, prefix))
        return self._covering_memo[1]

    def _quiet_since(self, rows: _Rows, pair_iv: Intervals, tau: int) -> I64:
        """Per pair: after this time its visibility gaps cannot matter to M2 (else never).

        A gap of pair P (prefix Q) matters only to the concurrency windows of M2 verdicts
        of the pairs whose universe holds P: the pairs of Q and of Q's more-specifics. A
        window ends when its origin is established, so once every pair of Q is established
        for good (before ``tau``) and Q has no more-specific in the partition (one appearing
        later starts after ``tau``), gaps after the latest of those times are irrelevant.
        The pair's own intervals after that are never judged either.
        """
        never = np.iinfo(np.int64).max
        prefix = (rows.pair_key >> 32).astype(np.int64)
        est = pair_iv.est_at
        heads = np.flatnonzero(np.r_[True, prefix[1:] != prefix[:-1]])
        latest = np.maximum.reduceat(est, heads) if len(heads) else est
        size = np.diff(np.r_[heads, len(prefix)])
        latest = np.repeat(latest, size)
        covering = self._covering_pairs(rows)
        out: I64 = np.where((latest < tau) & ~covering, latest, never)
        return out

    def _redundant(self, rows: _Rows, ghostish: B, edges: _Edges, tau: int) -> B:
        """Folded rows that can be forgotten outright (not even a ghost kept).

        A visibility interval of an edge (pair, first hop) made only of folded spans is
        forgotten when it is not the edge's first, ended before ``tau``, lasted less than
        ``establish_hours``, began after the window start (so it never establishes
        anything: no baseline, too short to grow), and the pair was
        visible all along it through other spans. Then no interval of the pair or of any
        other edge changes, the edge keeps its first interval (so it still exists, with the
        same establishment time and the same "new edge" and "no baseline" counts), and
        nothing in it could be marked (it was folded).
        """
        sp, iv = rows.spans, edges.iv
        n_iv = len(iv.start)
        out = np.zeros(len(sp), np.bool_)
        if n_iv == 0:
            return out
        usable = edges.row_iv >= 0
        other = np.zeros(n_iv, np.bool_)
        other[edges.row_iv[usable & ~ghostish]] = True
        first = np.zeros(n_iv, np.bool_)
        first[iv.bounds[:-1][np.diff(iv.bounds) > 0]] = True
        cand_iv = (~other & ~first & (iv.end < tau) & (iv.start > self.window_start)
                   & (iv.end - iv.start < self.method.establish_us))  # fmt: skip
        cand = usable & cand_iv[np.maximum(edges.row_iv, 0)]
        if not cand.any():
            return out
        civ = np.flatnonzero(cand_iv)
        c_pair = edges.key[iv.group[civ]] >> 32
        wanted = np.zeros(len(rows.pair_key), np.bool_)
        wanted[c_pair] = True
        other_rows = np.flatnonzero(~cand & wanted[rows.pair])  # only the pairs asked about
        covered = _covered(rows.pair[other_rows], sp.start[other_rows], sp.end[other_rows],
                           c_pair, iv.start[civ], iv.end[civ])  # fmt: skip
        keep_iv = np.zeros(n_iv, np.bool_)
        keep_iv[civ[covered]] = True
        return cand & keep_iv[np.maximum(edges.row_iv, 0)]

    def _lonely(self, rows: _Rows, ghostish: B, edges: _Edges, pair_iv: Intervals, tau: int) -> B:
        """Folded rows of whole pair intervals that can be forgotten outright.

        A visibility interval of a pair (prefix Q, origin X) is forgotten when it is made
        only of folded spans, is not the pair's first, holds no edge's first interval, ended
        before ``tau``, lasted less than ``establish_hours`` and began after the window start
        (so it establishes nothing), and no other origin has ever been seen for Q or a more
        specific prefix in the partition (so no M2 verdict reads it: its own was "no
        conflict", counted nowhere, and a later origin starts after ``tau``). The pair, its
        edges and their establishment times stay as they were.
        """
        sp = rows.spans
        n_iv = len(pair_iv.start)
        out = np.zeros(len(sp), np.bool_)
        if n_iv == 0:
            return out
        other = np.zeros(n_iv, np.bool_)
        other[pair_iv.of_span[~ghostish]] = True
        first = np.zeros(n_iv, np.bool_)
        first[pair_iv.bounds[:-1][np.diff(pair_iv.bounds) > 0]] = True
        usable = np.flatnonzero(edges.row_iv >= 0)
        e_first = np.zeros(len(edges.iv.start), np.bool_)
        e_first[edges.iv.bounds[:-1][np.diff(edges.iv.bounds) > 0]] = True
        first[pair_iv.of_span[usable[e_first[edges.row_iv[usable]]]]] = True
        cand_iv = (~other & ~first & (pair_iv.end < tau) & (pair_iv.start > self.window_start)
                   & (pair_iv.end - pair_iv.start < self.method.establish_us))  # fmt: skip
        if not cand_iv.any():
            return out
        alone = self._alone(rows, np.unique(pair_iv.group[cand_iv]))
        keep: B = cand_iv & alone[pair_iv.group]
        return keep[pair_iv.of_span]

    def _alone(self, rows: _Rows, asked: I64) -> B:
        """Per pair: is it the only origin (AS_SETs aside) of its prefix, of every covering
        prefix and of every more-specific one in the partition? Answered for ``asked``."""
        prefix = (rows.pair_key >> 32).astype(np.int64)
        origin = (rows.pair_key & 0xFFFFFFFF) - 1
        out = np.zeros(len(prefix), np.bool_)
        heads = np.flatnonzero(np.r_[True, prefix[1:] != prefix[:-1]])
        size = np.diff(np.r_[heads, len(prefix)])
        n_origins = np.repeat(size, size)  # pairs per prefix (AS_SET pairs count: cautious)
        ok = (origin[asked] >= 0) & (n_origins[asked] == 1)
        ok &= ~self._covering_pairs(rows)[asked]
        asked = asked[ok]
        if len(asked) == 0:
            return out
        by_prefix = {int(prefix[h]): (int(h), int(n)) for h, n in zip(heads, size, strict=True)}
        covers = covering_prefixes(self.catalog, prefix[asked].astype(np.int32),
                                   prefix[heads].astype(np.int32))  # fmt: skip
        for p in asked.tolist():
            x = int(origin[p])
            fine = True
            for c in covers.get(int(prefix[p]), ()):
                h, n = by_prefix[c]
                if any(int(origin[i]) not in (x, -1) for i in range(h, h + n)):
                    fine = False
                    break
            out[p] = fine
        return out

    # ------------------------------------------------------------------------------ ghosts
    def _ghosts(self, rows: _Rows, stretch: I64, chosen: B) -> Spans:
        """Chosen held rows (folded spans, old ghosts) merged per first hop and stretch.

        ``stretch`` is the interval of each row that no ghost may reach across
        (:func:`_strata`, :func:`_bridged`). Inside it the union of the spans is continuous
        anyway, so one ghost from the earliest start to the latest end changes no interval
        that a detector still reads, no flag and no first hop.
        """
        idx = np.flatnonzero(chosen)
        if len(idx) == 0:
            return Spans.concat([])
        sp = rows.spans
        hops, hop_id = factorize(rows.hop[idx])
        ghost_keys, ghost = factorize(stretch[idx] * np.int64(len(hops)) + hop_id)
        order = grouped_order(ghost, len(ghost_keys), sp.start[idx])  # stretch, hop, start
        idx, ghost = idx[order], ghost[order]
        first = np.flatnonzero(np.r_[True, ghost[1:] != ghost[:-1]])
        head = idx[first]
        return Spans(
            np.full(len(first), GHOST_PEER, np.int32),
            sp.prefix[head],
            sp.path[head],
            sp.start[head],
            np.maximum.reduceat(sp.end[idx], first),
            np.logical_or.reduceat(sp.rib[idx], first),
        )

    # ------------------------------------------------------------------------------ summaries
    def _summarize(
        self,
        rows: _Rows,
        chosen: B,
        stratum: I64,
        pair_iv: Intervals,
        edges: _Edges,
        level: _Level,
        tau: int,
    ) -> Spans:
        """Chosen rows (closed spans that may be evidence, old summaries) as summary rows.

        One summary per route, stratum and set of route-level event stretches (leaks,
        bogons). The stratum (:func:`_strata`, never bridging) is the edge interval
        while the type-1 detector may still mark it, else the pair interval. So every
        detector marks all of a summary or none of it, each event it can be part of is
        continuous over its whole time range, and no interval a detector reads changes.
        Its payload replaces :attr:`summaries`.
        """
        old, sp = self.summaries, rows.spans
        new = Summaries(keys=old.keys)
        idx = np.flatnonzero(chosen)
        if len(idx) == 0:
            self.summaries = new
            return Spans.concat([])
        route = (sp.prefix[idx].astype(np.int64) << 32) | sp.path[idx]
        order = np.lexsort((sp.start[idx], level.row_hash[idx], stratum[idx], route))
        idx = idx[order]
        cut = np.r_[True, (route[order][1:] != route[order][:-1])
                    | (stratum[idx][1:] != stratum[idx][:-1])
                    | (level.row_hash[idx][1:] != level.row_hash[idx][:-1])]  # fmt: skip
        sid = np.cumsum(cut) - 1
        first = np.flatnonzero(cut)
        n_new = len(first)
        was = sp.peer[idx] <= -2
        old_sid = np.where(was, -2 - sp.peer[idx].astype(np.int64), -1)
        weight = np.ones(len(idx), np.int64)
        weight[was] = old.count[old_sid[was]]
        new.count = np.bincount(sid, weights=weight, minlength=n_new).astype(np.int64)
        self._summary_witnesses(new, old, idx, sid, old_sid, sp)
        p_iv = pair_iv.of_span[idx[first]]
        peak, at = self._group_peaks(rows, pair_iv.of_span, len(pair_iv.start), p_iv, tau,
                                     old.pair_peak, old.pair_at)  # fmt: skip
        new.pair_peak, new.pair_at = peak[p_iv], at[p_iv]
        e_iv = edges.row_iv[idx[first]]
        has = e_iv >= 0
        peak, at = self._group_peaks(rows, edges.row_iv, len(edges.iv.start), e_iv[has], tau,
                                     old.edge_peak, old.edge_at)  # fmt: skip
        new.edge_peak, new.edge_at = np.zeros(n_new, np.int64), np.full(n_new, -1, np.int64)
        new.edge_peak[has], new.edge_at[has] = peak[e_iv[has]], at[e_iv[has]]
        level.assign(new, idx, sid)
        new.dead = level.dead[idx[first]]
        rib = sp.rib[idx]
        self.summaries = new
        empty = n_new == 0
        return Spans(
            (-2 - np.arange(n_new)).astype(np.int32),
            sp.prefix[idx[first]],
            sp.path[idx[first]],
            sp.start[idx[first]],
            sp.end[idx[:0]] if empty else np.maximum.reduceat(sp.end[idx], first),
            rib[:0] if empty else np.logical_or.reduceat(rib, first),
        )

    def _summary_witnesses(
        self, new: Summaries, old: Summaries, idx: I64, sid: I64, old_sid: I64, sp: Spans
    ) -> None:
        """First and last time per (summary, peer): from the rows and the old summaries."""
        real = old_sid < 0
        remap = np.full(len(old.count), -1, np.int64)
        remap[old_sid[~real]] = sid[~real]
        carried = remap[old.w_sid] if len(old.w_sid) else old.w_sid
        keep = carried >= 0
        w_sid = np.r_[sid[real], carried[keep]]
        w_peer = np.r_[sp.peer[idx][real].astype(np.int64), old.w_peer[keep]]
        w_first = np.r_[sp.start[idx][real], old.w_first[keep]]
        w_last = np.r_[sp.end[idx][real], old.w_last[keep]]
        order = np.lexsort((w_peer, w_sid))
        w_sid, w_peer = w_sid[order], w_peer[order]
        head = np.flatnonzero(np.r_[True, (w_sid[1:] != w_sid[:-1]) | (w_peer[1:] != w_peer[:-1])])
        if len(order) == 0:
            return
        new.w_sid, new.w_peer = w_sid[head], w_peer[head]
        new.w_first = np.minimum.reduceat(w_first[order], head)
        new.w_last = np.maximum.reduceat(w_last[order], head)

    def _group_peaks(
        self,
        rows: _Rows,
        group: I64,
        n_groups: int,
        needed: I64,
        tau: int,
        old_peak: I64,
        old_at: I64,
    ) -> tuple[I64, I64]:
        """Peak visibility before ``tau`` of the ``needed`` groups: held spans, old summaries.

        Other groups are left at (0, -1): only the groups of new summaries are asked for.
        """
        sp = rows.spans
        want = np.zeros(n_groups + 1, np.bool_)
        want[needed] = True
        inside = want[group]  # group -1 reads the spare last slot, never wanted
        real = np.flatnonzero(inside & (sp.peer >= 0) & (sp.start < tau))
        asns = self.catalog.peer_asns()[sp.peer[real]]
        peak, at = peak_visibility(group[real], sp.start[real], sp.end[real], asns, n_groups)
        summ = np.flatnonzero(inside & (sp.peer <= -2))
        sid = -2 - sp.peer[summ].astype(np.int64)
        return _combine_into(peak, at, group[summ], old_peak[sid], old_at[sid])

    def _path_keys(self, rel: I64, sp: Spans) -> tuple[I64, I64]:
        """(row, event key id) of every path-level event (leaks, bogon ASNs) of the rows."""
        facts = self._facts
        lo = facts.key_off[sp.path[rel]]
        n = facts.key_off[sp.path[rel] + 1] - lo
        row = np.repeat(rel, n)
        ends = np.cumsum(n)
        at = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - n - lo, n)
        return row, facts.key_ids[at]

    def _bogon_prefix_keys(self, rel: I64, sp: Spans) -> tuple[I64, I64]:
        """(row, event key id) of the bogon-prefix events of the rows (few: bogon prefixes)."""
        if len(rel) == 0:
            return rel, rel
        pairs, route = np.unique(np.c_[sp.prefix[rel], sp.path[rel]], axis=0, return_inverse=True)
        ids, local = np.unique(pairs[:, 1], return_inverse=True)
        n = len(pairs)
        one = np.arange(n, dtype=np.int64)
        routes = Routes(pairs[:, 0].astype(np.int32), local.astype(np.int32), one, one,
                        np.arange(n + 1, dtype=np.int64))  # fmt: skip
        marks = Marks()
        mark_bogon_prefixes(routes, flat_paths(self.catalog, ids.astype(np.int32)),
                            self.catalog, self.refs, marks)  # fmt: skip
        of_route, detail = marks.arrays()
        key_of_route = np.full(n, -1, np.int64)
        key_of_route[of_route] = [self.summaries.key_id(marks.details[d].event_key)
                                  for d in detail.tolist()]  # fmt: skip
        keep = key_of_route[route.ravel()] >= 0
        return rel[keep], key_of_route[route.ravel()][keep]

    def _route_level(self, rows: _Rows, tau: int) -> _Level:
        """Route-level marks (leaks, bogons) of the rows, their event stretches and peaks.

        A stretch (one event in the making: the union of the spans of one event key and
        prefix) that ended before ``tau`` below ``min_peer_asns`` is final and dropped, as
        the builder would drop it: it is counted, and rows whose every route-level event is
        such a stretch are no evidence any more (:attr:`_Level.dead`).
        """
        old, sp = self.summaries, rows.spans
        summ = sp.peer <= -2
        was_dead = np.zeros(len(sp), np.bool_)
        was_dead[summ] = old.dead[-2 - sp.peer[summ].astype(np.int64)]
        offending = self._facts.offends[sp.path] | self._facts.bogon_prefix[sp.prefix]
        rel = np.flatnonzero(offending & (sp.peer != GHOST_PEER) & ~was_dead)
        none = _Level(np.zeros(len(sp), np.int64), offending & ~was_dead, was_dead)
        if len(rel) == 0:
            return none
        row, key = self._path_keys(rel, sp)
        b_row, b_key = self._bogon_prefix_keys(rel[self._facts.bogon_prefix[sp.prefix[rel]]], sp)
        row, key = np.r_[row, b_row], np.r_[key, b_key]
        if len(row) == 0:
            return none
        group = key * np.int64(1 << 32) + sp.prefix[row]
        order = np.lexsort((sp.start[row], group))
        stretch = np.empty(len(row), np.int64)
        stretch[order] = union_events(group[order], sp.start[row][order], sp.end[row][order])
        n_stretch = int(stretch.max()) + 1
        real = (sp.peer[row] >= 0) & (sp.start[row] < tau)
        asns = self.catalog.peer_asns()[sp.peer[row][real]]
        peak, at = peak_visibility(stretch[real], sp.start[row][real], sp.end[row][real], asns,
                                   n_stretch)  # fmt: skip
        from_old = np.flatnonzero(sp.peer[row] <= -2)
        if len(from_old):
            o_sid = -2 - sp.peer[row[from_old]].astype(np.int64)
            table = old.r_sid * np.int64(1 << 32) + old.r_key
            want = o_sid * np.int64(1 << 32) + key[from_old]
            pos = np.minimum(np.searchsorted(table, want), max(len(table) - 1, 0))
            hit = table[pos] == want if len(table) else np.zeros(len(want), np.bool_)
            peak, at = _combine_into(peak, at, stretch[from_old][hit], old.r_peak[pos[hit]],
                                     old.r_at[pos[hit]])  # fmt: skip
        reach = np.full(n_stretch, np.iinfo(np.int64).min, np.int64)
        np.maximum.at(reach, stretch, sp.end[row])
        gone = _dead_rows(row, stretch, (reach < tau) & (peak < self.method.min_peer_asns),
                          len(sp))  # fmt: skip
        live_mark = ~gone[row]
        row_hash = np.zeros(len(sp), np.int64)
        np.bitwise_xor.at(row_hash, row[live_mark], _mix64(stretch[live_mark] + 1))
        dead = was_dead | gone
        removed = np.unique(stretch[~live_mark])
        if self.owns is not None and len(removed):  # count only the prefixes owned here
            prefix_of = np.empty(n_stretch, np.int64)
            prefix_of[stretch] = sp.prefix[row]
            removed = removed[self.owns(prefix_of[removed])]
        return _Level(row_hash, offending & ~dead, dead, row[live_mark], key[live_mark],
                      peak[stretch[live_mark]], at[stretch[live_mark]], len(removed))  # fmt: skip


def _combine_into(peak: I64, at: I64, group: I64, other: I64, other_at: I64) -> tuple[I64, I64]:
    """Per group: the larger of its peak and every ``other`` peak of it; ties: earlier.

    Times of -1 mean "never reached" (only with a peak of 0).
    """
    if len(group) == 0:
        return peak, at
    g = np.r_[np.arange(len(peak)), group]
    p = np.r_[peak, other]
    t = np.r_[at, other_at]
    t_key = np.where(t < 0, np.iinfo(np.int64).max, t)
    order = np.lexsort((t_key, -p, g))
    first = order[np.flatnonzero(np.r_[True, g[order][1:] != g[order][:-1]])]
    return p[first], t[first]


def _dead_rows(row: I64, stretch: I64, dead: B, n_rows: int) -> B:
    """Rows whose every stretch is dead, and only if each such stretch is wholly dead rows.

    Fixpoint: a dead stretch may be dropped only when every row in it is dropped too (else
    the builder would still see a piece of it), and a row only when all its stretches are.
    """
    n_stretch = len(dead)
    gone = np.zeros(n_rows, np.bool_)
    gone[row] = True
    while True:
        bad_row = np.zeros(n_rows, np.bool_)
        bad_row[row[~dead[stretch]]] = True  # a row with a live stretch stays
        gone_now = gone & ~bad_row
        keep_stretch = np.zeros(n_stretch, np.bool_)
        keep_stretch[stretch[~gone_now[row]]] = True  # a stretch with a kept row stays
        dead = dead & ~keep_stretch
        if (gone_now == gone).all():
            return gone_now
        gone = gone_now


@dataclass(frozen=True)
class _Level:
    """Route-level facts per row, and per live mark (row, event key id) its stretch's peak.

    ``row_hash`` identifies the set of live stretches a row is in (0: none); ``evidence``:
    the row is in one; ``dead``: all its route-level events were dropped.
    """

    row_hash: I64
    evidence: B
    dead: B
    row: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    key: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    peak: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    at: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    dead_events: int = 0

    def assign(self, new: Summaries, idx: I64, sid: I64) -> None:
        """Give the new summaries (rows ``idx`` -> ``sid``) their route-level peaks."""
        where = np.full(len(self.row_hash), -1, np.int64)
        where[idx] = sid
        mine = where[self.row] >= 0
        table = np.unique(np.c_[where[self.row][mine], self.key[mine], self.peak[mine],
                                self.at[mine]], axis=0)  # fmt: skip
        new.r_sid, new.r_key = table[:, 0].copy(), table[:, 1].copy()
        new.r_peak, new.r_at = table[:, 2].copy(), table[:, 3].copy()


def _mix64(x: I64) -> I64:
    """A 64-bit mix of integers (splitmix64 finaliser), for order-free set hashes."""
    z = x.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    out: I64 = (z ^ (z >> np.uint64(31))).view(np.int64)
    return out


@dataclass(frozen=True)
class _Edges:
    """(pair, first hop) edges of the rows that have both, and their visibility intervals."""

    key: I64  # pair << 32 | hop, sorted
    row_edge: I64  # edge of each row, -1 without origin or first hop
    row_iv: I64  # edge interval of each row, -1 likewise
    iv: Intervals

    @staticmethod
    def of(rows: _Rows, method: Methodology, window_start: int) -> _Edges:
        """The edges of the rows and their visibility intervals (as the detector makes them)."""
        usable = (rows.hop >= 0) & (rows.origin >= 0)
        idx = np.flatnonzero(usable)
        key = rows.pair[idx] * np.int64(1 << 32) + rows.hop[idx]
        edges, edge_of = factorize(key)
        iv = interval_union(edge_of, len(edges), rows.spans.start[idx], rows.spans.end[idx],
                            method, window_start)  # fmt: skip
        row_edge = np.full(len(rows.pair), -1, np.int64)
        row_iv = np.full(len(rows.pair), -1, np.int64)
        row_edge[idx] = edge_of
        row_iv[idx] = iv.of_span
        return _Edges(edges, row_edge, row_iv, iv)


def _strata(edges: _Edges, pair_iv: Intervals, tau: int) -> tuple[I64, B]:
    """Per row, the stretch of time a ghost or summary of its (pair, first hop) may span.

    The edge interval while the type-1 detector may still care about the edge (``young``:
    not established for good, or the interval began before it was); after that the pair
    interval — only the edge's establishment time matters then (final), and the pair's
    visibility. Returns (stratum id, young).
    """
    n_edge_iv = len(edges.iv.start)
    out = n_edge_iv + pair_iv.of_span
    young = np.zeros(len(out), np.bool_)
    usable = np.flatnonzero(edges.row_edge >= 0)
    est = edges.iv.est_at[edges.row_edge[usable]]
    start = edges.iv.start[edges.row_iv[usable]]
    young[usable] = (est >= tau) | (start <= est)
    out[young] = edges.row_iv[young]
    return out, young


def _bridged(strata: tuple[I64, B], pair_iv: Intervals, n_edge_iv: int, quiet_since: I64) -> I64:
    """Strata where ghosts may also bridge the gaps of a pair whose prefix is quiet.

    A row whose pair interval began after ``quiet_since[pair]`` (see
    :meth:`Compactor._quiet_since`), and that is not young, may join one ghost with every
    such row of its pair and first hop: those gaps can no longer matter to any M2 verdict.
    """
    stratum, young = strata
    pair_of_row = pair_iv.group[pair_iv.of_span]
    bridge = (pair_iv.start[pair_iv.of_span] > quiet_since[pair_of_row]) & ~young
    out = stratum.copy()
    out[bridge] = n_edge_iv + len(pair_iv.start) + pair_of_row[bridge]
    return out


def _covered(pair: I64, start: I64, end: I64, q_pair: I64, q_start: I64, q_end: I64) -> B:
    """Is each query [q_start, q_end] inside the union of the spans of its pair?"""
    order = grouped_order(pair, int(pair.max()) + 1 if len(pair) else 0, start)
    p, st, en = pair[order], start[order], end[order]
    event = union_events(p, st, en)
    heads = np.flatnonzero(np.r_[True, event[1:] != event[:-1]]) if len(event) else event
    u_pair, u_start = p[heads], st[heads]
    u_end = np.maximum.reduceat(en, heads) if len(heads) else en
    n_u = len(u_pair)
    kind = np.r_[np.zeros(n_u, np.int8), np.ones(len(q_pair), np.int8)]
    all_pair, all_start = np.r_[u_pair, q_pair], np.r_[u_start, q_start]
    merged = np.lexsort((kind, all_start, all_pair))  # unions first at equal start
    last_union = np.maximum.accumulate(np.where(kind[merged] == 0, np.arange(len(merged)), -1))
    at = np.flatnonzero(kind[merged] == 1)
    u_at = last_union[at]
    q = merged[at] - n_u
    found = u_at >= 0
    u = np.where(found, merged[np.maximum(u_at, 0)], 0)
    ok = found & (all_pair[u] == q_pair[q]) & (u_end[np.minimum(u, max(n_u - 1, 0))] >= q_end[q])
    out = np.zeros(len(q_pair), np.bool_)
    out[q] = ok & (u < n_u)
    return out


def _has_more_specific(catalog: Catalog, prefix: I64) -> B:
    """Per entry of ``prefix`` (ids, repeats allowed): does a more specific one occur?

    Hash-compared, so a collision can only answer "yes" wrongly (the safe side).
    """
    ids = np.unique(prefix)
    afi = np.asarray(catalog.prefix_afi, np.int64)[ids]
    hi = np.asarray(catalog.prefix_hi, np.uint64)[ids]
    lo = np.asarray(catalog.prefix_lo, np.uint64)[ids]
    length = np.asarray(catalog.prefix_len, np.int64)[ids]
    found = np.zeros(len(ids), np.bool_)
    for fam in (4, 6):
        in_fam = afi == fam
        for n in np.unique(length[in_fam]).tolist():
            outer = np.flatnonzero(in_fam & (length == n))
            inner = np.flatnonzero(in_fam & (length > n))
            if len(inner) == 0:
                continue
            m_hi, m_lo = (np.uint64(w) for w in mask_words(n))
            key_in = _mix64((hi[inner] & m_hi).view(np.int64)) ^ (lo[inner] & m_lo).view(np.int64)
            key_out = _mix64(hi[outer].view(np.int64)) ^ lo[outer].view(np.int64)
            found[outer] = np.isin(key_out, key_in)
    return found[np.searchsorted(ids, prefix)]


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


class _Judge:
    """Settles M2 intervals one by one: True clean forever, False maybe marked, None open."""

    def __init__(self, owner: Compactor, rows: _Rows, iv: Intervals, tau: int, asked: I64,
                 edge_keys: I64) -> None:  # fmt: skip
        self.owner = owner
        self.rows = rows
        self.iv = iv
        self.tau = tau
        prefix = (rows.pair_key >> 32).astype(np.int64)
        self.prefix = prefix
        self.origin = ((rows.pair_key & 0xFFFFFFFF) - 1).astype(np.int64)
        #: pairs that take part in MOAS: an origin and a prefix that can (hijacks' rule)
        self.moas = (self.origin >= 0) & in_moas(owner.catalog, prefix, owner.method)
        bounds = np.flatnonzero(np.r_[True, prefix[1:] != prefix[:-1], True]).tolist()
        self.by_prefix = {int(prefix[a]): range(a, b)
                          for a, b in itertools.pairwise(bounds)}  # fmt: skip
        inner = np.unique(prefix[asked]).astype(np.int32)
        outer = np.asarray(list(self.by_prefix), np.int32)
        self.covers = covering_prefixes(owner.catalog, inner, outer)
        self._edge_keys = edge_keys  # pair << 32 | first hop, sorted
        self._verdicts: PairVerdicts | None = None

    def _universe(self, q: int) -> list[int]:
        pairs = list(self.by_prefix[q])
        for c in self.covers.get(q, ()):
            pairs.extend(self.by_prefix[c])
        return [p for p in pairs if self.moas[p]]

    def _upstreams(self, pair: int) -> set[int]:
        keys = self._edge_keys
        lo, hi = np.searchsorted(keys, [pair << 32, (pair + 1) << 32])
        return set((keys[lo:hi] & 0xFFFFFFFF).tolist())

    def _pair_verdicts(self) -> PairVerdicts:
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
            self._verdicts = v
        return self._verdicts

    def _overlaps(self, pair: int, start: int, end: int) -> bool:
        iv = self.iv
        lo, hi = int(iv.bounds[pair]), int(iv.bounds[pair + 1])
        return bool(((iv.start[lo:hi] < end) & (iv.end[lo:hi] > start)).any())

    def interval(self, i: int) -> bool | None:
        """Whether interval ``i`` is settled clean (True), may be marked (False), or open."""
        iv, pair = self.iv, int(self.iv.group[i])
        if not self.moas[pair]:
            return True  # takes part in no MOAS (RPKI-invalid pairs are kept apart)
        q, x = int(self.prefix[pair]), int(self.origin[pair])
        start, end = int(iv.start[i]), int(iv.end[i])
        universe = self._universe(q)
        x_est = min(int(iv.est_at[p]) for p in universe if int(self.origin[p]) == x)
        if start > x_est:
            return True  # never judged, and establishment only moves earlier
        if x_est < self.tau:
            until = min(end, x_est)  # X's establishment is final
        elif end < self.tau:
            until = end  # closed before tau, and X cannot be established before tau
        else:
            return None  # open, X not established yet: a conflict may still come
        if all(int(self.origin[p]) == x for p in universe):
            return True  # no other origin, and one seen later starts after tau
        others = [p for p in universe if int(self.origin[p]) != x
                  and (int(iv.est_at[p]) < start or self._overlaps(p, start, until))]  # fmt: skip
        if not others:
            return True
        # the detector's own rule (detect/exemptions.py): exempt against every origin that
        # can conflict is clean for good (reference data is fixed, upstreams only grow)
        v, refs = self._pair_verdicts(), self.owner.refs
        if pair_exemption(self.owner.method, bogon_origin=self.owner.bogon_asn(x),
                          rov=int(v.rov_state[pair]), irr=int(v.irr_state[pair]),
                          irr_authoritative=bool(v.irr_authoritative[pair])) is not None:
            return True  # fmt: skip
        ups = self._upstreams(pair)
        return all(origin_exemption(refs, x, [int(self.origin[p])], ups) is not None
                   for p in others)  # fmt: skip
