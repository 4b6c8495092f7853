"""AS relationships and customer cones inferred from the AS paths of a period (AS-Rank).

Role: a month must be judged with relationships of its own time. When no published snapshot
is close enough (:func:`choose_relationships`, setting ``relationships-max-gap-months``),
routewatch infers them from the paths of the month and its baseline with the method of
Luckie, Huffaker, Dhamdhere, Giotsas and claffy, "AS Relationships, Customer Cones, and
Validation" (IMC 2013) — the method behind CAIDA's serial-1/serial-2 files, so inferred and
published relationships mean the same thing. ``docs/relationship-inference.md`` says why this
method, how each step reads, and how well it agrees with the files in shared/data.

Input: an :data:`~routewatch.schemas.OBSERVED_PATHS` table
(:class:`~routewatch.reference.aspaths.PathCounter` builds it from ELEMS batches: distinct
collector peer + path, with counts), the :class:`Period` it covers and optionally BOGON_ASNS
ranges (a path through a reserved or unallocated AS is discarded). Output:
:class:`Inference` — an AS_RELATIONSHIPS snapshot whose ``source`` column names the method,
the step that decided the link and the period (``as-rank/providers:2021-01-01/2021-01-31``),
a CUSTOMER_CONES snapshot (provider/peer observed cones, CAIDA's ``ppdc-ases`` definition),
the inferred clique and a report.

Steps, in order; the first that decides a link wins (paths are read collector peer first):

0. sanitise: drop paths with an AS_SET, collapse prepending, drop paths with a loop or with
   a reserved / unallocated ASN (``full`` bogon ASNs);
1. ``clique``: rank ASes by transit degree (distinct neighbours seen on either side of the AS
   inside paths), then degree, then number; the largest clique (by summed transit degree) of
   the top ten, where two members are linked and neither reaches the other through a third
   member, is extended down the ranking by every AS linked to all members whose routes no
   member passes on to another member; members peer with each other. Paths in which two
   clique members are separated by another AS are then discarded (poisoning, leaks);
2. ``providers``: ASes in rank order (clique first); Y is a provider of its neighbour X when Y
   passes X's routes to a provider or peer of Y, or carries routes between X and a peer of Y
   in more than two paths;
3. ``partial-vp-stubs``: a collector peer that reaches fewer than 2 % of the ASes announces
   only its customers' and peers' routes: on its two-hop paths (peer, Y, Z) to a stub Z, Y is
   Z's provider;
4. ``larger-customers``: X provider of Y and Y passes the routes of origin Z to X in at least
   three paths, Z having a larger transit degree than Y: Y is Z's provider (and onwards);
5. ``provider-less``: an AS X with transit degree at least 10 and no provider yet (a regional
   or research network): its neighbours top down, each Y seen next to X in the middle of a
   path becomes X's peer and the ASes on the other side of X in those paths X's customers
   (and the smaller ASes whose routes those customers pass to X, theirs);
6. ``clique-stubs``: a stub (transit degree 0) linked to a clique member is its customer;
7. ``fold-p2p``: an AS that passes routes of Z to a peer (and no provider of it does) is Z's
   provider, when its transit degree is not smaller than Z's;
8. ``rest-p2p``: every other link is peer to peer.

A provider→customer link is never added where it would make a provider a customer of its own
customer cone (no cycles), and a clique member never becomes a customer.

Failure modes: no usable path raises :class:`~routewatch.errors.ImplausibleInputError` (an
empty inference would look like "no relationship" for every edge). Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import numba as nb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.errors import ImplausibleInputError
from routewatch.reference.aspaths import (
    PathGraph,
    Paths,
    SanitiseReport,
    poisoned,
    sanitised,
    unique_rows,
)
from routewatch.reference.asrel import METHOD_KEY, PERIOD_KEY, Rel
from routewatch.reference.base import RefKind, Snapshot
from routewatch.schemas import AS_RELATIONSHIPS, CUSTOMER_CONES

__all__ = [
    "METHOD",
    "Inference",
    "InferenceReport",
    "Period",
    "RelationshipChoice",
    "RelationshipSource",
    "Step",
    "choose_relationships",
    "infer_relationships",
]

#: The method name written into every inferred row's ``source``.
METHOD = "as-rank"

I64 = npt.NDArray[np.int64]
_TOP = 10  # the clique is first sought among this many ASes of highest transit degree
_PARTIAL_VP_SHARE = 50  # a peer reaching fewer than 1/50 of the ASes gives a partial view
_PROVIDERLESS_TRANSIT = 10
_LARGER_CUSTOMER_PATHS = 3
_PEER_TRANSIT_PATHS = 2


class Step(StrEnum):
    """The inference step that decided a link (written into ``source``)."""

    CLIQUE = "clique"
    PROVIDERS = "providers"
    PARTIAL_VP_STUBS = "partial-vp-stubs"
    LARGER_CUSTOMERS = "larger-customers"
    PROVIDER_LESS = "provider-less"
    CLIQUE_STUBS = "clique-stubs"
    FOLD_P2P = "fold-p2p"
    REST_P2P = "rest-p2p"


@dataclass(frozen=True)
class Period:
    """The days whose paths an inference read, first and last inclusive."""

    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        """``YYYY-MM-DD/YYYY-MM-DD``."""
        return f"{self.first.isoformat()}/{self.last.isoformat()}"


@dataclass
class InferenceReport(SanitiseReport):
    """What an inference read, discarded (by reason) and decided (links by step)."""

    paths: int = 0
    ases: int = 0
    links: int = 0
    clique: tuple[int, ...] = ()
    by_step: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Inference:
    """Inferred relationships and cones of a period, as snapshots, and the report."""

    relationships: Snapshot
    cones: Snapshot
    report: InferenceReport


# ---------------------------------------------------------------------------------------------
# Choosing between a published snapshot and inference
# ---------------------------------------------------------------------------------------------


class RelationshipSource(StrEnum):
    """Where a month's relationships come from."""

    SNAPSHOT = "snapshot"
    INFERRED = "inferred"


@dataclass(frozen=True)
class RelationshipChoice:
    """The decision for one month: a snapshot (its date) or inference (its period), and why."""

    source: RelationshipSource
    snapshot: dt.date | None
    period: Period | None
    reason: str


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_end(first: dt.date) -> dt.date:
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def choose_relationships(
    month: dt.date, snapshots: Iterable[dt.date], *, max_gap_months: int, baseline_days: int
) -> RelationshipChoice:
    """Snapshot or inference for ``month`` (pure; the pipeline calls it per run).

    The snapshot used is the latest dated on or before the month's last day (never one from
    after the month, METHODOLOGY §1). It is used when it lies at most ``max_gap_months``
    calendar months before the month (the setting ``relationships-max-gap-months``; a
    snapshot of the month itself is 0 months away). Otherwise — none, or too old — the
    relationships are inferred from the paths of the month and of its baseline: the period
    from ``baseline_days`` before the first day to the last day of the month.
    """
    first = month.replace(day=1)
    last = _month_end(first)
    dates = sorted(set(snapshots))
    eligible = [d for d in dates if d <= last]
    if eligible:
        best = eligible[-1]
        gap = _month_index(first) - _month_index(best)
        if gap <= max_gap_months:
            why = "of the month" if gap <= 0 else f"{gap} month(s) before the month"
            return RelationshipChoice(RelationshipSource.SNAPSHOT, best, None,
                                      f"snapshot of {best.isoformat()}, {why}")  # fmt: skip
        reason = (f"the nearest snapshot ({best.isoformat()}) is {gap} months before the "
                  f"month, more than {max_gap_months}")  # fmt: skip
    elif dates:
        reason = (f"no snapshot on or before the month (the earliest, {dates[0].isoformat()}, "
                  "is after it)")  # fmt: skip
    else:
        reason = "no relationship snapshot available"
    period = Period(first - dt.timedelta(days=baseline_days), last)
    return RelationshipChoice(RelationshipSource.INFERRED, None, period,
                              f"inferred from the paths of {period.label}: {reason}")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Step 1: the clique
# ---------------------------------------------------------------------------------------------


def _ranked(g: PathGraph, clique: set[int]) -> list[int]:
    """ASes top down: clique first, then transit degree, degree, number."""
    return sorted(g.neighbours, key=lambda x: (x not in clique, -g.transit_degree(x),
                                               -g.degree(x), x))  # fmt: skip


def _passes_on(g: PathGraph, y: int, x: int, z: int) -> bool:
    """Strong evidence that y passes x's routes on to z (so x is y's customer): the segment
    (z, y, x) continues to more than five ASes, or to three or more with x also an origin."""
    if not g.seen(z, y, x):
        return False
    width = g.continuations.get((z, y, x), 0)
    return width > 5 or (width > 2 and (z, y, x) in g.ends)


def _joins_clique(g: PathGraph, members: Iterable[int], y: int, x: int) -> bool:
    """x is linked to member y, and y passes x's routes to no other member (x would then be
    y's customer)."""
    if y not in g.neighbours.get(x, ()):
        return False
    return not any(_passes_on(g, y, x, z) for z in members if z not in (x, y))


def _clique_pair(g: PathGraph, nodes: Iterable[int], x: int, z: int) -> bool:
    """x and z are linked and neither reaches the other through a third of ``nodes``."""
    if z not in g.neighbours.get(x, ()):
        return False
    return not any(_passes_on(g, w, x, z) or _passes_on(g, w, z, x)
                   for w in nodes if w not in (x, z))  # fmt: skip


def _largest_clique(g: PathGraph, nodes: list[int]) -> set[int]:
    """The clique of largest summed transit degree among ``nodes`` (Bron–Kerbosch)."""
    adjacent = {x: {z for z in nodes if z != x and _clique_pair(g, nodes, x, z)} for x in nodes}
    best: tuple[int, tuple[int, ...]] = (-1, ())

    def expand(r: set[int], p: set[int], x: set[int]) -> None:
        nonlocal best
        if not p and not x:
            score = (sum(g.transit_degree(a) for a in r), tuple(sorted(r)))
            if score[0] > best[0] or (score[0] == best[0] and score[1] < best[1]):
                best = score
            return
        pivot = max(p | x, key=lambda a: (len(adjacent[a] & p), -a))
        for v in sorted(p - adjacent[pivot]):
            expand(r | {v}, p & adjacent[v], x & adjacent[v])
            p = p - {v}
            x = x | {v}

    expand(set(), set(nodes), set())
    return set(best[1])


def _infer_clique(g: PathGraph) -> set[int]:
    ranked = _ranked(g, set())
    members = _largest_clique(g, ranked[:_TOP])
    for x in ranked[_TOP:]:
        if g.degree(x) < len(members):
            break
        if all(_joins_clique(g, members, y, x) for y in members):
            members.add(x)
    return _largest_clique(g, sorted(members))


# ---------------------------------------------------------------------------------------------
# Steps 2-8: relationships
# ---------------------------------------------------------------------------------------------


class _Links:
    """Links decided so far: a's role to b both ways, and the step that decided each link."""

    def __init__(self, g: PathGraph, clique: set[int]) -> None:
        self.g = g
        self.clique = clique
        self.rel: dict[tuple[int, int], int] = {}
        self.step: dict[tuple[int, int], Step] = {}
        self.customers: dict[int, set[int]] = defaultdict(set)
        self.providers: dict[int, set[int]] = defaultdict(set)
        self.peers: dict[int, set[int]] = defaultdict(set)
        self.order = _ranked(g, clique)
        self.rank = {asn: i for i, asn in enumerate(self.order)}

    def known(self, a: int, b: int) -> bool:
        """Whether the link a–b is decided."""
        return (a, b) in self.rel

    def in_cone(self, owner: int, asn: int) -> bool:
        """Whether ``asn`` is in the customer cone of ``owner`` as inferred so far."""
        if owner == asn:
            return True
        seen, todo = {owner}, [owner]
        while todo:
            for c in self.customers.get(todo.pop(), ()):
                if c == asn:
                    return True
                if c not in seen:
                    seen.add(c)
                    todo.append(c)
        return False

    def p2c_ok(self, provider: int, customer: int) -> bool:
        """A provider→customer link that keeps clique members on top and makes no cycle."""
        return customer not in self.clique and not self.in_cone(customer, provider)

    def p2c(self, provider: int, customer: int, step: Step) -> None:
        """Decide provider→customer."""
        self.rel[(provider, customer)] = Rel.P2C
        self.rel[(customer, provider)] = Rel.C2P
        self.customers[provider].add(customer)
        self.providers[customer].add(provider)
        self.step[(min(provider, customer), max(provider, customer))] = step

    def p2p(self, a: int, b: int, step: Step) -> None:
        """Decide peer–peer."""
        self.rel[(a, b)] = self.rel[(b, a)] = Rel.P2P
        self.peers[a].add(b)
        self.peers[b].add(a)
        self.step[(min(a, b), max(a, b))] = step

    def is_provider(self, a: int, of: int) -> bool:
        """a is a provider of ``of``."""
        return self.rel.get((a, of)) == Rel.P2C

    def is_peer(self, a: int, b: int) -> bool:
        """a and b peer."""
        return self.rel.get((a, b)) == Rel.P2P


def _by_rank(g: PathGraph, x: int, links: _Links) -> list[int]:
    """The neighbours of x top down."""
    return sorted(g.neighbours[x], key=links.rank.__getitem__)


def _select_providers(links: _Links, order: list[int]) -> None:
    """Step 2 (see module doc)."""
    for x in order:
        if x in links.clique:
            continue
        for y in _by_rank(links.g, x, links):
            if not links.known(x, y) and _provides_transit(links, y, x) and links.p2c_ok(y, x):
                links.p2c(y, x, Step.PROVIDERS)


def _provides_transit(links: _Links, y: int, x: int) -> bool:
    """y passes x's routes to a provider or peer of y, or carries routes between x and a peer
    of y in more than two paths."""
    g = links.g
    for z in g.passed.get((y, x), {}):
        if links.is_provider(z, y) or links.is_peer(z, y):
            return True
    around = g.around.get((y, x), {})
    return any(n > _PEER_TRANSIT_PATHS and links.is_peer(z, y) for z, n in around.items())


def _partial_vp_stubs(links: _Links) -> None:
    """Step 3."""
    g = links.g
    for vp in sorted(g.vp_origins):
        if len(g.vp_origins[vp]) * _PARTIAL_VP_SHARE > len(g.neighbours):
            continue
        for y, z in sorted(g.vp_two_hops.get(vp, ())):
            if not links.known(y, z) and g.transit_degree(z) == 0:
                links.p2c(y, z, Step.PARTIAL_VP_STUBS)


def _larger_customers(links: _Links) -> None:
    """Step 4."""
    g = links.g
    queue: list[tuple[int, int, int, int]] = []
    for (y, z), senders in sorted(g.passed.items()):
        if links.known(y, z) or g.transit_degree(y) > g.transit_degree(z):
            continue
        for x in sorted(senders):
            if links.is_provider(x, y) and (x, y, z) in g.ends:
                heapq.heappush(queue, (-g.around[(y, x)].get(z, 0), x, y, z))
    while queue:
        weight, x, y, z = heapq.heappop(queue)
        if -weight < _LARGER_CUSTOMER_PATHS or links.known(y, z) or not links.p2c_ok(y, z):
            continue
        links.p2c(y, z, Step.LARGER_CUSTOMERS)
        for zz in sorted(g.sent.get((z, y), {})):
            if links.known(z, zz):
                continue
            if g.transit_degree(zz) > g.transit_degree(z):
                heapq.heappush(queue, (-g.around[(z, y)].get(zz, 0), y, z, zz))
            elif links.p2c_ok(z, zz):
                links.p2c(z, zz, Step.LARGER_CUSTOMERS)


def _provider_less(links: _Links, order: list[int]) -> None:
    """Step 5."""
    g = links.g
    for x in order:
        if links.providers.get(x) or x in links.clique:
            continue
        if g.transit_degree(x) < _PROVIDERLESS_TRANSIT:
            continue
        for y in _by_rank(g, x, links):
            beyond = g.around.get((x, y), {})
            if not beyond or links.known(x, y):
                continue
            links.p2p(x, y, Step.PROVIDER_LESS)
            for z in sorted(beyond):
                if links.known(x, z) or not links.p2c_ok(x, z):
                    continue
                links.p2c(x, z, Step.PROVIDER_LESS)
                for zz in sorted(g.sent.get((z, x), {})):
                    if (not links.known(z, zz) and g.transit_degree(zz) < g.transit_degree(z)
                            and links.p2c_ok(z, zz)):  # fmt: skip
                        links.p2c(z, zz, Step.PROVIDER_LESS)


def _clique_stubs(links: _Links) -> None:
    """Step 6."""
    g = links.g
    for x in sorted(links.clique):
        for y in sorted(g.neighbours.get(x, ())):
            if g.transit_degree(y) == 0 and not links.known(x, y):
                links.p2c(x, y, Step.CLIQUE_STUBS)


def _fold_p2p(links: _Links, order: list[int]) -> None:
    """Step 7."""
    g = links.g
    for x in order:
        if g.transit_degree(x) == 0:
            continue
        counts: dict[int, int] = defaultdict(int)
        for zs in _peer_targets(links, x).values():
            for z in zs:
                counts[z] += 1
        for z in sorted(counts, key=lambda z: (-counts[z], z)):
            if (g.transit_degree(x) < g.transit_degree(z) or links.known(x, z)
                    or not links.p2c_ok(x, z)):  # fmt: skip
                continue
            links.p2c(x, z, Step.FOLD_P2P)
            for zz in sorted(g.sent.get((z, x), {})):
                if (not links.known(z, zz) and g.transit_degree(z) >= g.transit_degree(zz)
                        and links.p2c_ok(z, zz)):  # fmt: skip
                    links.p2c(z, zz, Step.FOLD_P2P)


def _peer_targets(links: _Links, x: int) -> dict[int, set[int]]:
    """Per AS y that x passes routes to over an undecided or peer link (and is never between
    y and a provider of x): the undecided neighbours z whose routes x passed to y. ASes that
    are themselves such a z are no y (a chain is folded from its top)."""
    g = links.g
    providers = links.providers.get(x, set())
    out: dict[int, set[int]] = {}
    for y in sorted(g.receivers.get(x, ())):
        if links.known(x, y) and not links.is_peer(x, y):
            continue
        if any(p in providers for p in g.around.get((x, y), {})):
            continue
        zs = {z for z in g.sent.get((x, y), {}) if not links.known(x, z)}
        if zs:
            out[y] = zs
    targets = {z for zs in out.values() for z in zs}
    return {y: zs - set(out) for y, zs in out.items() if y not in targets}


def _rest_p2p(links: _Links) -> None:
    """Step 8."""
    for x, ys in sorted(links.g.neighbours.items()):
        for y in sorted(ys):
            if x < y and not links.known(x, y):
                links.p2p(x, y, Step.REST_P2P)


def _decide(g: PathGraph, clique: set[int]) -> _Links:
    links = _Links(g, clique)
    members = sorted(clique)
    for i, x in enumerate(members):
        for y in members[i + 1 :]:
            links.p2p(x, y, Step.CLIQUE)
    order = links.order
    _select_providers(links, order)
    _partial_vp_stubs(links)
    _larger_customers(links)
    _provider_less(links, order)
    _clique_stubs(links)
    _fold_p2p(links, order)
    _rest_p2p(links)
    return links


# ---------------------------------------------------------------------------------------------
# Customer cones (provider/peer observed)
# ---------------------------------------------------------------------------------------------


@nb.njit(cache=True)
def _cone_pairs(values: I64, offsets: I64, down: npt.NDArray[np.bool_],
                entry: npt.NDArray[np.bool_]) -> tuple[I64, I64]:  # fmt: skip
    """(owner, member) pairs: member follows owner in a path that owner received from a
    provider or peer (``entry`` at the step into owner), over provider→customer steps only
    (``down``). Step i is values[i] → values[i + 1] inside one path."""
    n = 0
    for p in range(len(offsets) - 1):
        for i in range(offsets[p] + 1, offsets[p + 1]):
            if entry[i - 1]:
                j = i
                while j + 1 < offsets[p + 1] and down[j]:
                    n += 1
                    j += 1
    owners = np.empty(n, np.int64)
    members = np.empty(n, np.int64)
    k = 0
    for p in range(len(offsets) - 1):
        for i in range(offsets[p] + 1, offsets[p + 1]):
            if entry[i - 1]:
                j = i
                while j + 1 < offsets[p + 1] and down[j]:
                    owners[k] = values[i]
                    members[k] = values[j + 1]
                    k += 1
                    j += 1
    return owners, members


def _cones(paths: Paths, links: _Links) -> pa.Table:
    v = paths.values
    step = np.zeros(len(v), np.int8)
    if len(v) > 1:
        step[:-1] = [links.rel.get((a, b), Rel.UNKNOWN) for a, b in zip(v[:-1].tolist(),
                                                                         v[1:].tolist(),
                                                                         strict=True)]  # fmt: skip
    down = step == Rel.P2C
    entry = down | (step == Rel.P2P)
    owners, members = _cone_pairs(v, paths.offsets, down, entry)
    pairs, _ = unique_rows([owners, members])
    heads = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]) if len(pairs) else pairs
    bounds = np.r_[heads, len(pairs)].astype(np.int64)
    asns = pairs[heads, 0] if len(pairs) else np.zeros(0, np.int64)
    member_lists = pa.ListArray.from_arrays(pa.array(bounds, pa.int32()),
                                            pa.array(pairs[:, 1] if len(pairs) else [],
                                                     pa.uint32()))  # fmt: skip
    return pa.table({"asn": pa.array(asns, pa.uint32()), "members": member_lists},
                    schema=CUSTOMER_CONES)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The whole inference
# ---------------------------------------------------------------------------------------------


def _relationship_table(links: _Links, period: Period) -> pa.Table:
    keys = sorted(links.step)
    a = np.array([k[0] for k in keys], np.int64)
    b = np.array([k[1] for k in keys], np.int64)
    code = np.array([links.rel[k] for k in keys], np.int8)
    flip = code == Rel.C2P
    steps = [links.step[k].value for k in keys]
    names = sorted(set(steps))
    sources = pa.DictionaryArray.from_arrays(
        pa.array([names.index(s) for s in steps], pa.int32()),
        pa.array([f"{METHOD}/{name}:{period.label}" for name in names]),
    ).cast(pa.string())
    meta = dict(AS_RELATIONSHIPS.metadata or {})
    meta[METHOD_KEY] = METHOD.encode()
    meta[PERIOD_KEY] = period.label.encode()
    table = pa.table({"asn_a": pa.array(np.where(flip, b, a), pa.uint32()),
                      "asn_b": pa.array(np.where(flip, a, b), pa.uint32()),
                      "relationship": pa.array(np.where(code == Rel.P2P, 0, -1), pa.int8()),
                      "source": sources}, schema=AS_RELATIONSHIPS)  # fmt: skip
    return table.replace_schema_metadata(meta)


def infer_relationships(
    paths: pa.Table, period: Period, *, bogon_asns: pa.Table | None = None
) -> Inference:
    """Relationships and cones of ``period`` from an OBSERVED_PATHS table (see module doc)."""
    report = InferenceReport()
    clean = sanitised(paths, bogon_asns, report)
    if len(clean) == 0 or not bool((np.diff(clean.offsets) > 1).any()):
        raise ImplausibleInputError(
            f"no usable AS path for relationship inference over {period.label} "
            f"({report.rows} rows read, discarded: {report.discarded or 'none'}); give the "
            "RIB and update files of the period"
        )
    clique = _infer_clique(PathGraph(clean))
    bad = poisoned(clean, clique)
    report.discard("poisoned", int(bad.sum()))
    clean = clean.select(~bad)
    g = PathGraph(clean)
    links = _decide(g, clique)
    report.paths = len(clean)
    report.ases = len(g.neighbours)
    report.links = len(links.step)
    report.clique = tuple(sorted(clique))
    for step in links.step.values():
        report.by_step[step.value] = report.by_step.get(step.value, 0) + 1
    table = _relationship_table(links, period)
    rels = Snapshot(RefKind.AS_RELATIONSHIPS, f"inferred-{METHOD}", table, period.last, ())
    cones = Snapshot(RefKind.CUSTOMER_CONES, f"inferred-{METHOD}", _cones(clean, links),
                     period.last, ())  # fmt: skip
    return Inference(rels, cones, report)
