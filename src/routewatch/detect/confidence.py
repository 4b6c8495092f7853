"""How sure a leak or hijack finding is: a confidence class and its reasons, from its evidence.

Role: :func:`assess` takes a FINDINGS table and returns it with ``confidence`` and
``confidence_reasons`` filled for every leak (M1) and hijack (M2, and the unscored type-1
suspects) finding; other metrics stay null. :func:`suspected` says whether a finding's class
is below the methodology's threshold — such findings are not scored, they are listed as
suspected with their reasons (:mod:`.incidents`). Called once, after the findings are built
(``engine.detect``); per finding, so it runs the same on any partition.

Rules (METHODOLOGY, version ``rw-2026.2``; every number from the methodology object).
A finding starts with points for the evidence that decided it:

==================== ===== =====================================================
decided_by           pts   why
==================== ===== =====================================================
aspa, otc, rpki      3     a signed object or an attribute set by a neighbour
                           names the culprit
relationships,       2     inferred relationships or the origin history decide
established-origin,
irr
new-edge             1     a path edge never seen before (type-1 suspicion)
undetermined         0     nothing decides who is the culprit
==================== ===== =====================================================

then every rule below that applies adds its points and a reason ``code: detail``:

- ``narrow-visibility`` −1: peak visibility below ``narrow_peer_asns`` peer ASes;
- ``transient`` −1: the event ended less than ``transient_seconds`` after it began
  (convergence churn; open events are not transient);
- ``long-lived-conflict`` −1 (M2): the conflict lasted at least ``long_conflict_hours`` —
  origins that coexist that long are usually an arrangement (multihoming, a customer using
  its provider's space), not an attack (the GRIP / ARTEMIS experience);
- relationships, for leaks decided by ``relationships`` and for every hijack finding (its
  verdict includes "the origins are not related"): ``no-relationships`` −2 (none loaded: no
  customer, provider or sibling could be recognised); ``relationships-undated`` −1;
  ``relationships-old`` −1 when their date is more than ``rel_age_months`` calendar
  months from the event, ``relationships-very-old`` −2 beyond ``rel_old_months``;
  relationships inferred from a period that contains the event are of its time (reason
  ``relationships``, 0 points); ``no-organisations`` −1: no AS-to-organisation data, so two
  networks of one organisation cannot be told from strangers;
- ``default-p2p-edge`` −1 (leaks by relationships): an edge of the verdict was inferred only
  by AS-Rank's last step ("every other link is p2p"), its least reliable;
- ``rpki-invalid`` +1 (M2 not decided by rpki): the culprit's route is RPKI-invalid;
- ``rpki-old`` −1 / ``rpki-very-old`` −2 (M2 decided by rpki or given ``rpki-invalid``): the
  VRP snapshot is more than ``rel_age_months`` / ``rel_old_months`` calendar months from the
  event (ROAs are reference data with an age too; an undated snapshot adds nothing);
- ``irr-other-origin`` +1 (M2 not decided by irr): IRR route objects exist for the prefix,
  none for the culprit — under ``irr_authoritative`` (rw-2026.2) only when one of the other
  origins' objects is from an authoritative (RIR-run) registry;
- ``irr-not-authoritative`` −1 (M2 decided by irr, under ``irr_authoritative``): the objects
  that named the culprit are all from non-authoritative registries (RADB, ``*-NONAUTH``, ...),
  which anyone can fill, so the verdict starts at 1 point instead of 2.

Class: at least 2 points ``high``, 1 ``medium``, else ``low``. The reasons list every rule
that applied, points included, so a reader can redo the sum.

Pure: no I/O, no clock (ages are measured from the finding's own start).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

from routewatch.detect.findings import DecidedBy, Metric
from routewatch.detect.verdicts import References
from routewatch.methodology import Methodology
from routewatch.reference.asrel import RelationshipProvenance

__all__ = ["ASSESSED_METRICS", "Confidence", "assess", "confidence_rank", "suspected"]


class Confidence(StrEnum):
    """Confidence classes, highest first."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


_RANK = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}
#: Metrics whose findings get a confidence class.
ASSESSED_METRICS = frozenset({Metric.LEAK, Metric.HIJACK, Metric.FAKE_FIRST_HOP})
_BASE: dict[str, int] = {
    DecidedBy.ASPA: 3, DecidedBy.OTC: 3, DecidedBy.RPKI: 3,
    DecidedBy.RELATIONSHIPS: 2, DecidedBy.ESTABLISHED: 2, DecidedBy.IRR: 2,
    DecidedBy.NEW_EDGE: 1, DecidedBy.UNDETERMINED: 0,
}  # fmt: skip
_DEFAULT_STEP = "/rest-p2p:"
_US = 1_000_000
_COLUMNS = ("metric", "decided_by", "start", "end", "peak_visibility", "rov_state", "irr_objects",
            "irr_state", "edges")  # fmt: skip


def confidence_rank(value: str) -> int:
    """0 low, 1 medium, 2 high (ValueError for anything else)."""
    return _RANK[Confidence(value)]


def suspected(confidence: str | None, method: Methodology) -> bool:
    """Whether a finding of this class is below the methodology's threshold (not scored)."""
    threshold = method.confidence_threshold
    if threshold is None or confidence is None:
        return False
    return confidence_rank(confidence) < confidence_rank(threshold)


@dataclass(frozen=True)
class _Context:
    """What the rules need besides the finding: the thresholds and what reference data was
    there."""

    method: Methodology
    provenance: RelationshipProvenance | None
    vrps_as_of: dt.date | None
    has_orgs: bool


def assess(findings: pa.Table, refs: References, method: Methodology) -> pa.Table:
    """FINDINGS with ``confidence`` and ``confidence_reasons`` set (see module doc)."""
    if findings.num_rows == 0:
        return findings
    rels = refs.relationships
    context = _Context(method, rels.provenance if rels is not None else None, refs.vrps_as_of,
                       rels.has_orgs if rels is not None else False)  # fmt: skip
    columns = {name: findings.column(name).to_pylist() for name in _COLUMNS}
    classes: list[str | None] = []
    reasons: list[list[str] | None] = []
    for i in range(findings.num_rows):
        row = {name: values[i] for name, values in columns.items()}
        if row["metric"] not in ASSESSED_METRICS:
            classes.append(None)
            reasons.append(None)
            continue
        points, why = _points(row, context)
        classes.append(_class_of(points).value)
        reasons.append(why)
    for name, values, kind in (("confidence", classes, pa.string()),
                               ("confidence_reasons", reasons, pa.list_(pa.string()))):
        index = findings.schema.get_field_index(name)
        findings = findings.set_column(index, findings.schema.field(index),
                                       pa.array(values, kind))  # fmt: skip
    return findings


def _class_of(points: int) -> Confidence:
    if points >= 2:
        return Confidence.HIGH
    return Confidence.MEDIUM if points == 1 else Confidence.LOW


def _points(row: dict[str, object], context: _Context) -> tuple[int, list[str]]:
    """The points of one finding and the reasons, base first."""
    decided = str(row["decided_by"])
    base = _BASE.get(decided, 0)
    reasons = [f"decided-by {decided} (+{base}): the evidence that named the culprit"]
    total = base
    for points, reason in (*_common(row, context), *_relationship_rules(row, context),
                           *_registry_rules(row, context.method),
                           *_rpki_age_rules(row, context)):  # fmt: skip
        total += points
        reasons.append(reason)
    reasons.append(f"total {total}: {_class_of(total).value}")
    return total, reasons


def _common(row: dict[str, object], context: _Context) -> list[tuple[int, str]]:
    method = context.method
    out: list[tuple[int, str]] = []
    peak = int(str(row["peak_visibility"]))
    if peak < method.narrow_peer_asns:
        out.append((-1, f"narrow-visibility (-1): seen by {peak} peer ASes, fewer than "
                        f"{method.narrow_peer_asns}"))  # fmt: skip
    duration = _duration_s(row)
    if duration is not None and duration < method.transient_seconds:
        out.append((-1, f"transient (-1): lasted {duration:.0f} s, less than "
                        f"{method.transient_seconds} s"))  # fmt: skip
    long_s = method.long_conflict_hours * 3600
    if row["metric"] == Metric.HIJACK and duration is not None and duration >= long_s:
        out.append((-1, f"long-lived-conflict (-1): the conflict lasted {duration / 3600:.1f} h, "
                        f"at least {method.long_conflict_hours} h"))  # fmt: skip
    return out


def _duration_s(row: dict[str, object]) -> float | None:
    start, end = row["start"], row["end"]
    if end is None:
        return None
    assert isinstance(start, dt.datetime) and isinstance(end, dt.datetime)
    return (end - start).total_seconds()


def _uses_relationships(row: dict[str, object]) -> bool:
    """Leaks decided by relationships; every hijack finding (its origins were found not
    related: no customer, provider or sibling) and type-1 suspect."""
    if row["metric"] == Metric.LEAK:
        return row["decided_by"] == DecidedBy.RELATIONSHIPS
    return row["metric"] in (Metric.HIJACK, Metric.FAKE_FIRST_HOP)


def _relationship_rules(row: dict[str, object], context: _Context) -> list[tuple[int, str]]:
    if not _uses_relationships(row):
        return []
    out = _age_rules(row, context.provenance, context.method)
    leak = row["metric"] == Metric.LEAK
    if leak and any(_DEFAULT_STEP in str(e.get("source") or "") for e in _edges(row)):
        out.append((-1, "default-p2p-edge (-1): an edge of the verdict was inferred only by "
                        "AS-Rank's last step (every other link is p2p)"))  # fmt: skip
    if not context.has_orgs:
        out.append((-1, "no-organisations (-1): no AS-to-organisation data; networks of one "
                        "organisation cannot be recognised"))  # fmt: skip
    return out


def _edges(row: dict[str, object]) -> Sequence[dict[str, object]]:
    edges = row["edges"]
    return edges if isinstance(edges, list) else []


def _age_rules(row: dict[str, object], provenance: RelationshipProvenance | None,
               method: Methodology) -> list[tuple[int, str]]:  # fmt: skip
    if provenance is None:
        return [(-2, "no-relationships (-2): no relationship data; customers, providers and "
                     "siblings could not be recognised")]  # fmt: skip
    start = row["start"]
    assert isinstance(start, dt.datetime)
    day = start.date()
    if provenance.period is not None and provenance.period[0] <= day <= provenance.period[1]:
        return [(0, f"relationships (0): {provenance.describe()}, of the event's time")]
    if provenance.as_of is None:
        return [(-1, f"relationships-undated (-1): {provenance.describe()}")]
    months = abs((day.year - provenance.as_of.year) * 12 + day.month - provenance.as_of.month)
    described = f"{provenance.describe()}, {months} months from the event"
    if months > method.rel_old_months:
        return [(-2, f"relationships-very-old (-2): {described} (more than "
                     f"{method.rel_old_months})")]  # fmt: skip
    if months > method.rel_age_months:
        return [(-1, f"relationships-old (-1): {described} (more than "
                     f"{method.rel_age_months})")]  # fmt: skip
    return [(0, f"relationships (0): {described}")]


def _rpki_age_rules(row: dict[str, object], context: _Context) -> list[tuple[int, str]]:
    uses_rpki = row["decided_by"] == DecidedBy.RPKI or row["rov_state"] == "invalid"
    if row["metric"] != Metric.HIJACK or not uses_rpki or context.vrps_as_of is None:
        return []
    start = row["start"]
    assert isinstance(start, dt.datetime)
    when, method = context.vrps_as_of, context.method
    months = abs((start.year - when.year) * 12 + start.month - when.month)
    described = f"VRPs of {when.isoformat()}, {months} months from the event"
    if months > method.rel_old_months:
        return [(-2, f"rpki-very-old (-2): {described} (more than {method.rel_old_months})")]
    if months > method.rel_age_months:
        return [(-1, f"rpki-old (-1): {described} (more than {method.rel_age_months})")]
    return []


def _registry_rules(row: dict[str, object], method: Methodology) -> list[tuple[int, str]]:
    if row["metric"] != Metric.HIJACK:
        return []
    out: list[tuple[int, str]] = []
    if row["rov_state"] == "invalid" and row["decided_by"] != DecidedBy.RPKI:
        out.append((1, "rpki-invalid (+1): the culprit's route is RPKI-invalid"))
    objects = row["irr_objects"] if isinstance(row["irr_objects"], list) else []
    others = [o for o in objects if isinstance(o, dict) and not o.get("matched")]
    trusted = not method.irr_authoritative or any(o.get("authoritative") for o in others)
    if row["decided_by"] == DecidedBy.IRR and not trusted:
        sources = ", ".join(sorted({str(o.get("source")) for o in others})) or "none"
        out.append((-1, f"irr-not-authoritative (-1): the route objects that named the culprit "
                        f"are from non-authoritative registries only ({sources})"))  # fmt: skip
    if row["irr_state"] == "other-origin" and row["decided_by"] != DecidedBy.IRR and trusted:
        out.append((1, "irr-other-origin (+1): IRR route objects for the prefix name other "
                       "origins only"))  # fmt: skip
    return out

