"""M1 route leaks: valley-free violations (RFC 7908 types 1–4), ASPA, and RFC 9234 OTC.

Paths are read in the order routes travel, origin first; prepends are collapsed. The
collector peer's export to the collector is not a step (no edge). For every step the sender's
role towards the receiver comes from:

1. **ASPA** when any AS of the path has an ASPA: the downstream verification procedure of
   draft-ietf-sidrops-aspa-verification (AS(N) = the collector peer). ``invalid`` is a leak
   decided by ASPA — the leaker is AS(J−1), J the highest index whose hop towards the origin
   is *not provider+*, and the first failing hops are reported; ``valid`` means no leak
   (ASPA decided); ``unknown`` falls through to relationships.
2. **Inferred relationships** otherwise (Gao): customer→provider steps, at most one peer
   step, then provider→customer steps. A p2c or p2p step followed by a c2p or p2p step is a
   valley; the AS that sends it up or sideways is the leaker. Types: from provider to
   provider 1 (hairpin), peer to peer 2 (lateral), provider to peer 3, peer to provider 4.
   Sibling steps are neutral. An edge without a relationship before the first leak gives no
   verdict; such paths are counted in :class:`LeakReport`, never guessed.
3. **OTC** (RFC 9234) when ``only_to_customer`` is present: after the AS named in it, a c2p
   or p2p step is a leak by its sender (decided by ``otc``).

Accomplice (M1C): the receiver of the leaking step when it accepted the route from its
customer (a c2p step); none for a lateral leak. Only the first leak of a path is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import numpy.typing as npt

from routewatch.detect.findings import DecidedBy, Detail, Edge, Marks, Metric, relation_name
from routewatch.detect.paths import FlatPaths
from routewatch.detect.routes import Routes
from routewatch.detect.verdicts import References, Rel

__all__ = ["AspaVerdict", "LeakReport", "aspa_verify", "leak_details", "mark_leaks"]

I64 = npt.NDArray[np.int64]
_TYPES: dict[tuple[int, int], str] = {
    (Rel.P2C, Rel.C2P): "type-1-hairpin",
    (Rel.P2P, Rel.P2P): "type-2-lateral",
    (Rel.P2C, Rel.P2P): "type-3-provider-to-peer",
    (Rel.P2P, Rel.C2P): "type-4-peer-to-provider",
}
_NO_LEAK, _LEAK, _UNKNOWN = 0, 1, 2


@dataclass
class LeakReport:
    """Paths judged, by outcome and by the evidence that decided."""

    paths: int = 0
    as_set_skipped: int = 0
    unknown_edges: int = 0
    aspa_decided: int = 0
    relationships_decided: int = 0
    otc_checked: int = 0
    otc_unknown: int = 0


@dataclass(frozen=True)
class AspaVerdict:
    """Downstream ASPA verification of one path (indices are 1-based, AS(1) = origin)."""

    state: str  # valid, invalid, unknown
    max_up: int
    min_up: int
    max_down: int
    min_down: int
    n: int
    first_up_failure: int | None  # I: hop(AS(I), AS(I+1)) is not provider+
    first_down_failure: int | None  # J: hop(AS(J), AS(J-1)) is not provider+
    attested: int  # ASes of the path that have an ASPA


def _hop(aspas: dict[int, frozenset[int]], x: int, y: int) -> int:
    """1 provider+, 0 no attestation, -1 not provider+."""
    providers = aspas.get(x)
    if providers is None:
        return 0
    return 1 if y in providers else -1


def aspa_verify(origin_first: list[int], aspas: dict[int, frozenset[int]]) -> AspaVerdict:
    """Downstream verification of a collapsed path given origin first (AS(1) … AS(N))."""
    a = origin_first
    n = len(a)
    up = [_hop(aspas, a[i], a[i + 1]) for i in range(n - 1)]  # up[i-1] = hop(AS(i), AS(i+1))
    down = [_hop(aspas, a[j], a[j - 1]) for j in range(1, n)]  # down[j-1] = hop(AS(j+1), AS(j))
    first_not = next((i + 1 for i, h in enumerate(up) if h == -1), None)
    first_weak = next((i + 1 for i, h in enumerate(up) if h != 1), None)
    max_up = first_not if first_not is not None else n
    min_up = first_weak if first_weak is not None else n
    last_not = next((j + 2 for j in range(n - 2, -1, -1) if down[j] == -1), None)
    last_weak = next((j + 2 for j in range(n - 2, -1, -1) if down[j] != 1), None)
    max_down = n - last_not + 1 if last_not is not None else n
    min_down = n - last_weak + 1 if last_weak is not None else n
    if max_up + max_down < n:
        state = "invalid"
    elif min_up + min_down < n:
        state = "unknown"
    else:
        state = "valid"
    attested = sum(1 for x in a if x in aspas)
    return AspaVerdict(state, max_up, min_up, max_down, min_down, n, first_not, last_not, attested)


@nb.njit(cache=True)
def _valleys(
    offsets: I64, rel: npt.NDArray[np.int8], skip: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int8], I64, npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    n = len(offsets) - 1
    status = np.zeros(n, np.int8)
    leaker = np.full(n, -1, np.int64)
    rel_in = np.zeros(n, np.int8)
    rel_out = np.zeros(n, np.int8)
    for p in range(n):
        if skip[p]:
            continue
        down = False
        last_in = 0
        for j in range(offsets[p + 1] - 2, offsets[p] - 1, -1):
            r = rel[j]  # sender values[j+1] towards receiver values[j]
            if r == 127:
                status[p] = 2
                break
            if r == 2:
                continue
            if down and (r == -1 or r == 0):
                status[p] = 1
                leaker[p] = j + 1
                rel_in[p] = last_in
                rel_out[p] = r
                break
            if r == 1 or r == 0:
                down = True
            last_in = r
    return status, leaker, rel_in, rel_out


def _step_relations(paths: FlatPaths, refs: References) -> npt.NDArray[np.int8]:
    """rel[j] = relation(values[j+1], values[j]) within a path (sender's role to receiver)."""
    values = paths.values
    rel = np.full(len(values), Rel.UNKNOWN, np.int8)
    if len(values) > 1:
        rel[:-1] = refs.relation(values[1:], values[:-1])
    return rel


def mark_leaks(
    routes: Routes,
    paths: FlatPaths,
    refs: References,
    marks: Marks,
    report: LeakReport | None = None,
) -> None:
    """Mark the spans of every route whose path leaks (valley, ASPA or OTC).

    ``paths`` are every path the partition has seen (the report counts them all, also those
    whose spans :mod:`.compact` has folded away); only ``routes`` are marked.
    """
    details = leak_details(paths, refs, report)
    if not details:
        return
    for r in np.flatnonzero(np.isin(routes.path, list(details))).tolist():
        for detail in details[int(routes.path[r])]:
            marks.add(routes.spans(r), detail)


def leak_details(
    paths: FlatPaths, refs: References, report: LeakReport | None = None
) -> dict[int, list[Detail]]:
    """The leak details of every path that leaks (path index -> its details)."""
    report = report if report is not None else LeakReport()
    n_paths = len(paths.offsets) - 1
    used = np.ones(n_paths, np.bool_)
    rel = _step_relations(paths, refs)
    skip = paths.as_set | ~used
    report.paths += int(used.sum())
    report.as_set_skipped += int((paths.as_set & used).sum())
    details: dict[int, list[Detail]] = {}
    if refs.aspas:
        for p in np.flatnonzero(~skip).tolist():
            seq = paths.path(p)
            if any(x in refs.aspas for x in seq):
                verdict = aspa_verify(list(reversed(seq)), refs.aspas)
                if verdict.state != "unknown":
                    skip[p] = True
                    report.aspa_decided += 1
                    if verdict.state == "invalid":
                        detail = _aspa_detail(seq, verdict, refs)
                        details.setdefault(p, []).append(detail)
    status, leaker, rel_in, rel_out = _valleys(paths.offsets, rel, skip)
    report.unknown_edges += int((status == _UNKNOWN).sum())
    decided = ((status == _NO_LEAK) & ~skip) | (status == _LEAK)
    report.relationships_decided += int(decided.sum())
    for p in np.flatnonzero(status == _LEAK).tolist():
        details.setdefault(p, []).append(
            _valley_detail(paths, p, int(leaker[p]), int(rel_in[p]), int(rel_out[p]), refs)
        )
    for p in np.flatnonzero((paths.otc >= 0) & used & ~paths.as_set).tolist():
        report.otc_checked += 1
        found = _otc_detail(paths, p, rel, refs)
        if found is None:
            report.otc_unknown += 1
        elif isinstance(found, Detail):
            details.setdefault(p, []).append(found)
    return details


def _edge(refs: References, a: int, b: int, code: int) -> Edge:
    return Edge(a, b, relation_name(code), refs.relation_source(a, b) or "none")


def _valley_detail(
    paths: FlatPaths, p: int, pos: int, rel_in: int, rel_out: int, refs: References
) -> Detail:
    values = paths.values
    leaker = int(values[pos])
    receiver = int(values[pos - 1])
    # the AS the leaker learned it from: the next non-sibling sender towards the origin
    sender_pos = pos + 1
    hi = int(paths.offsets[p + 1])
    while (
        sender_pos + 1 < hi
        and refs.relation_of(int(values[sender_pos]), int(values[sender_pos - 1])) == Rel.SIBLING
    ):
        sender_pos += 1
    learned_from = int(values[sender_pos]) if sender_pos < hi else leaker
    accomplice = receiver if rel_out == Rel.C2P else None
    edges = (
        _edge(refs, learned_from, int(values[sender_pos - 1]), rel_in),
        _edge(refs, leaker, receiver, rel_out),
    )
    label = _TYPES.get((rel_in, rel_out), "valley")
    relation = "customer" if accomplice is not None else None
    return Detail(
        Metric.LEAK, leaker, accomplice, relation, DecidedBy.RELATIONSHIPS, (label,),
        (learned_from, leaker, receiver), edges,
    )  # fmt: skip


def _aspa_detail(seq: tuple[int, ...], verdict: AspaVerdict, refs: References) -> Detail:
    a = list(reversed(seq))  # a[k-1] = AS(k)
    j = verdict.first_down_failure or verdict.n
    leaker = a[j - 2]
    receiver = a[j - 1]
    learned_from = a[j - 3] if j >= 3 else leaker
    hop_up = _hop(refs.aspas, leaker, receiver)
    if hop_up == 1:
        relation: str | None = "customer"
    else:
        code = refs.relation_of(leaker, receiver)
        relation = relation_name(code)
    accomplice = receiver if relation in {"customer", "unknown"} else None
    edges = (
        Edge(receiver, leaker, "not-provider", "aspa"),
        Edge(leaker, receiver, relation or "unknown",
             "aspa" if hop_up == 1 else refs.relation_source(leaker, receiver) or "none"),
    )  # fmt: skip
    labels = (
        "aspa-invalid",
        f"first-up-failure=AS({verdict.first_up_failure})",
        f"first-down-failure=AS({verdict.first_down_failure})",
        f"attested={verdict.attested}/{verdict.n}",
    )
    return Detail(
        Metric.LEAK, leaker, accomplice, relation if accomplice else None, DecidedBy.ASPA,
        labels, (learned_from, leaker, receiver), edges,
    )  # fmt: skip


def _otc_detail(
    paths: FlatPaths, p: int, rel: npt.NDArray[np.int8], refs: References
) -> Detail | bool | None:
    """An OTC leak detail; False when the path obeys OTC; None when no verdict is possible."""
    lo, hi = int(paths.offsets[p]), int(paths.offsets[p + 1])
    otc = int(paths.otc[p])
    values = paths.values[lo:hi].tolist()
    if otc not in values:
        return None
    k = lo + len(values) - 1 - values[::-1].index(otc)
    for j in range(k - 1, lo - 1, -1):  # step sender values[j+1] -> receiver values[j]
        r = int(rel[j])
        if r == Rel.UNKNOWN:
            return None
        first_step = j == k - 1
        if r == Rel.SIBLING or r == Rel.P2C or (first_step and r == Rel.P2P):
            continue
        leaker, receiver = int(paths.values[j + 1]), int(paths.values[j])
        accomplice = receiver if r == Rel.C2P else None
        label = "otc-to-provider" if r == Rel.C2P else "otc-to-peer"
        return Detail(
            Metric.LEAK, leaker, accomplice, "customer" if accomplice else None, DecidedBy.OTC,
            (label, f"otc={otc}"), (otc, leaker, receiver), (_edge(refs, leaker, receiver, r),),
        )  # fmt: skip
    return False
