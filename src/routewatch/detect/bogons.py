"""M3 bogon prefixes and M4 bogon ASNs, with culprit and accomplice (METHODOLOGY §4).

- M3: a *full* bogon prefix announced. Culprit: the origin (none for an AS_SET origin).
  Accomplice: the origin's direct upstream (the AS before it in the collapsed path).
- M4: a *full* bogon ASN anywhere in the path. Culprit: the first non-bogon AS after the
  bogon run towards the collector; accomplice: that AS's direct upstream. A path whose bogon
  run reaches the collector peer has no culprit. Each separate bogon run is its own finding.
- Administrative bogons (RIR-held, unassigned) give ``M3-administrative`` /
  ``M4-administrative`` findings: reported, never scored.

The "C" metric counts only when the culprit is a customer of the accomplice or their
relationship is unknown (:attr:`Detail.accomplice_counts`). Inputs: routes, collapsed paths,
the bogon index in :class:`References`; output: marks. Without bogon data nothing is marked.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.detect.findings import DecidedBy, Detail, Edge, Marks, Metric, relation_name
from routewatch.detect.paths import FlatPaths
from routewatch.detect.routes import Routes
from routewatch.detect.state import Catalog
from routewatch.detect.verdicts import References
from routewatch.reference.bogons import CODE_CATEGORIES

__all__ = ["mark_bogon_asns", "mark_bogon_prefixes"]

_PREFIX_METRIC = {1: Metric.BOGON_PREFIX, 2: Metric.BOGON_PREFIX_ADMIN}
_ASN_METRIC = {1: Metric.BOGON_ASN, 2: Metric.BOGON_ASN_ADMIN}


def culprit_detail(
    refs: References,
    metric: Metric,
    culprit: int | None,
    accomplice: int | None,
    labels: tuple[str, ...],
    segment: tuple[int, ...],
    bogons: tuple[tuple[str, str, str, str, str], ...],
) -> Detail:
    """A detail whose accomplice relation is looked up in the relationship data."""
    relation: str | None = None
    edges: tuple[Edge, ...] = ()
    if culprit is not None and accomplice is not None:
        code = refs.relation_of(culprit, accomplice)
        relation = relation_name(code)
        source = refs.relation_source(culprit, accomplice) or "none"
        edges = (Edge(culprit, accomplice, relation, source),)
    decided = DecidedBy.BOGON_LIST
    return Detail(
        metric, culprit, accomplice, relation, decided, labels, segment, edges, None, (), bogons
    )


def mark_bogon_prefixes(
    routes: Routes, paths: FlatPaths, catalog: Catalog, refs: References, marks: Marks
) -> None:
    """Mark the spans of every route whose prefix is a full or administrative bogon."""
    if refs.bogons is None or len(routes) == 0:
        return
    pid = routes.prefix
    afi = np.asarray(catalog.prefix_afi, np.uint8)[pid]
    hi = np.asarray(catalog.prefix_hi, np.uint64)[pid]
    lo = np.asarray(catalog.prefix_lo, np.uint64)[pid]
    length = np.asarray(catalog.prefix_len, np.uint8)[pid]
    codes, rows = refs.bogons.prefix_category(afi, hi, lo, length)
    table = refs.bogons.prefixes
    for r in np.flatnonzero(codes > 0).tolist():
        p = int(routes.path[r])
        seq = paths.path(p)
        origin = None if paths.as_set[p] or not seq else seq[-1]
        upstream = seq[-2] if len(seq) >= 2 and origin is not None else None
        row = int(rows[r])
        reason = str(table.column("reason")[row])
        evidence = (
            (
                "prefix",
                str(table.column("prefix")[row]),
                CODE_CATEGORIES[int(codes[r])].value,
                reason,
                str(table.column("source")[row]),
            ),
        )
        detail = culprit_detail(
            refs,
            _PREFIX_METRIC[int(codes[r])],
            origin,
            upstream,
            (reason,) if origin is not None else (reason, "as-set-origin"),
            tuple(x for x in (upstream, origin) if x is not None),
            evidence,
        )
        marks.add(routes.spans(r), detail)


def mark_bogon_asns(
    routes: Routes, paths: FlatPaths, refs: References, marks: Marks
) -> None:
    """Mark the spans of every route whose collapsed path holds a bogon ASN (one mark per run)."""
    if refs.bogons is None or len(paths.values) == 0:
        return
    codes, rows = refs.bogons.asn_category(paths.values)
    owner = np.repeat(np.arange(len(paths.offsets) - 1), paths.lengths())
    bad_paths = set(owner[codes > 0].tolist())
    if not bad_paths:
        return
    table = refs.bogons.asns
    by_path: dict[int, list[Detail]] = {}
    for p in sorted(bad_paths):
        by_path[p] = _path_details(p, paths, codes, rows, table, refs)
    for r in np.flatnonzero(np.isin(routes.path, list(bad_paths))).tolist():
        for detail in by_path[int(routes.path[r])]:
            marks.add(routes.spans(r), detail)


def _path_details(
    p: int,
    paths: FlatPaths,
    codes: npt.NDArray[np.integer],
    rows: npt.NDArray[np.integer],
    table: pa.Table,
    refs: References,
) -> list[Detail]:
    lo, hi = int(paths.offsets[p]), int(paths.offsets[p + 1])
    seq = paths.values[lo:hi].tolist()
    code = codes[lo:hi].tolist()
    out: list[Detail] = []
    i = 0
    while i < len(seq):
        if code[i] == 0:
            i += 1
            continue
        j = i
        while j + 1 < len(seq) and code[j + 1] != 0:
            j += 1
        run = seq[i : j + 1]
        category = 1 if 1 in code[i : j + 1] else 2
        culprit = seq[i - 1] if i >= 1 else None
        accomplice = seq[i - 2] if i >= 2 else None
        evidence = tuple(_asn_evidence(table, int(rows[lo + k]), seq[k]) for k in range(i, j + 1))
        segment = tuple(x for x in (accomplice, culprit) if x is not None) + tuple(run)
        labels = ("bogon-run-at-collector-peer",) if culprit is None else ()
        metric = _ASN_METRIC[category]
        out.append(culprit_detail(refs, metric, culprit, accomplice, labels, segment, evidence))
        i = j + 1
    return out


def _asn_evidence(table: pa.Table, row: int, asn: int) -> tuple[str, str, str, str, str]:
    if row < 0:
        return ("asn", str(asn), "none", "", "")
    return (
        "asn",
        str(asn),
        str(table.column("category")[row]),
        str(table.column("reason")[row]),
        str(table.column("source")[row]),
    )
