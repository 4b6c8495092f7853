"""routewatch's action scores side by side with the MANRS Observatory's, per ASN and action.

Role: the readiness check of routewatch against the model it follows. For one month and a
set of economies, :func:`compare_with_observatory` joins routewatch's
:data:`~routewatch.schemas.ACTION_SCORES` with the Observatory's per-ASN "details"
export (:data:`~routewatch.schemas.MANRS_OBSERVATORY`, loaded by
:func:`routewatch.reference.manrs.load_observatory`) and says, per action, which ASNs both
measured, which only one did, how often the two bands agree (with the full confusion matrix
ready / aspiring / lagging / no-data), the mean absolute score difference, and the ASNs that
disagree most — with both scores, so a user can look into them.

The export's columns map to routewatch's actions explicitly (:data:`OBSERVATORY_ACTIONS`):

=========================  ==========================  ========================
export header              loader column               routewatch action
=========================  ==========================  ========================
``Filtering``              ``filtering``               ``filtering`` (Action 1)
``Anti-spoofing``          ``anti_spoofing``           ``anti-spoofing`` (2)
``Coordination``           ``coordination``            ``coordination`` (3)
``Global Validation IRR``  ``global_validation_irr``   ``global-validation-irr`` (4)
``Global Validation RPKI`` ``global_validation_rpki``  ``global-validation-rpki`` (4)
=========================  ==========================  ========================

Definitions (every count is per action):

- *Scope*: the export's rows whose ``country`` is one of the economies; routewatch's networks
  whose economy is one of them, plus every ASN of the export's scope whatever economy
  routewatch gives it (so a different economy guess never reads as "only in the export").
- *In both* / *only routewatch* / *only export*: ASNs with a row on each side. routewatch has
  a row for every measured network (no score = ``no-data``); the export has one per ASN it
  lists (an empty cell = ``no-data``).
- The Observatory's scores are banded with routewatch's edges (the MANRS ones: ready ≥ 0.90,
  aspiring ≥ 0.50), so a band difference is a score difference, never an edge difference.
- *Agreement* = ASNs with the same band / ASNs both scored (no-data on either side is left
  out, as in every share of METHODOLOGY §6); the confusion matrix shows those cases too.
- *Difference* = routewatch score − Observatory score, over ASNs both scored; the largest
  disagreements are ranked by its absolute value (then by ASN). Differences below
  :data:`EXPORT_RESOLUTION` are not listed (the export rounds scores to two decimals, so
  routewatch's 0.3601 and the export's 0.36 are the same score) but do count in the mean.

Pure: Arrow tables and the methodology in, frozen dataclasses out; no I/O, no clock.
Failure modes: a table missing a needed column raises ``KeyError`` (a programming error).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa

from routewatch.methodology import BANDS, Action, Band, Methodology
from routewatch.metrics.bands import band_of, round_score

__all__ = [
    "EXPORT_RESOLUTION",
    "OBSERVATORY_ACTIONS",
    "OBSERVATORY_HEADERS",
    "ActionComparison",
    "Comparison",
    "Disagreement",
    "compare_with_observatory",
    "observatory_economies",
]

#: Observatory export column (as :func:`~routewatch.reference.manrs.load_observatory` names
#: it) → routewatch action. Explicit on purpose: the two vocabularies differ in spelling.
OBSERVATORY_ACTIONS: Mapping[str, Action] = {
    "filtering": Action.FILTERING,
    "anti_spoofing": Action.ANTI_SPOOFING,
    "coordination": Action.COORDINATION,
    "global_validation_irr": Action.GLOBAL_VALIDATION_IRR,
    "global_validation_rpki": Action.GLOBAL_VALIDATION_RPKI,
}

#: Loader column → the header of the Observatory's CSV export, for messages and output.
OBSERVATORY_HEADERS: Mapping[str, str] = {
    "filtering": "Filtering",
    "anti_spoofing": "Anti-spoofing",
    "coordination": "Coordination",
    "global_validation_irr": "Global Validation IRR",
    "global_validation_rpki": "Global Validation RPKI",
}

#: Half the last decimal of the export's scores: smaller differences are rounding, not
#: disagreement, and are left out of the list of largest disagreements.
EXPORT_RESOLUTION = 0.005

_Scores = dict[int, float | None]


@dataclass(frozen=True)
class Disagreement:
    """One ASN whose two scores differ: both scores, both bands, and the difference."""

    asn: int
    holder: str | None
    routewatch_score: float
    routewatch_band: Band
    observatory_score: float
    observatory_band: Band
    #: routewatch − Observatory
    difference: float


@dataclass(frozen=True)
class ActionComparison:
    """One action compared: presence, band agreement, score difference, worst cases."""

    action: Action
    export_column: str
    in_both: int
    only_routewatch: int
    only_export: int
    #: ASNs in both with a score on both sides (the base of agreement and difference)
    scored_by_both: int
    same_band: int
    #: same_band / scored_by_both; ``None`` when no ASN was scored by both
    agreement: float | None
    mean_abs_difference: float | None
    #: (routewatch band, Observatory band) → ASNs, over every ASN in both, zeros included
    confusion: Mapping[tuple[Band, Band], int]
    largest_disagreements: tuple[Disagreement, ...]


@dataclass(frozen=True)
class Comparison:
    """The whole comparison: scope, the ASNs on one side only, and one entry per action."""

    economies: tuple[str, ...]
    only_routewatch_asns: tuple[int, ...]
    only_export_asns: tuple[int, ...]
    actions: tuple[ActionComparison, ...]


def observatory_economies(observatory: pa.Table) -> tuple[str, ...]:
    """The economies (``country`` codes) an Observatory export covers, sorted."""
    return tuple(sorted({str(c).upper() for c in observatory.column("country").to_pylist()
                         if c}))


def compare_with_observatory(
    routewatch: pa.Table,
    observatory: pa.Table,
    method: Methodology,
    *,
    economies: Iterable[str] | None = None,
    top: int = 10,
) -> Comparison:
    """Compare routewatch's scores with the Observatory's (see the module doc).

    ``routewatch`` has one row per ASN and action with columns ``asn``, ``action`` (the
    :class:`~routewatch.methodology.Action` value), ``score`` (null = no data) and
    ``economy`` (null = unknown); ``observatory`` is a :data:`MANRS_OBSERVATORY` table.
    ``economies`` (ISO 3166 codes) default to every economy of the export; ``top`` is how
    many of the largest disagreements to keep per action.
    """
    scope = frozenset(e.upper() for e in economies) if economies is not None else frozenset(
        observatory_economies(observatory))
    export_rows = [r for r in observatory.to_pylist() if str(r["country"] or "").upper() in scope]
    export_asns = {int(r["asn"]) for r in export_rows}
    holders = {int(r["asn"]): r["holder"] for r in export_rows}
    ours = _routewatch_scores(routewatch, scope, export_asns)
    actions = tuple(
        _compare_action(action, column, ours.get(action, {}),
                        {int(r["asn"]): r[column] for r in export_rows}, holders, method, top)
        for column, action in OBSERVATORY_ACTIONS.items()
    )
    ours_asns: set[int] = set()
    for scores in ours.values():
        ours_asns.update(scores)
    return Comparison(
        economies=tuple(sorted(scope)),
        only_routewatch_asns=tuple(sorted(ours_asns - export_asns)),
        only_export_asns=tuple(sorted(export_asns - ours_asns)),
        actions=actions,
    )


def _routewatch_scores(routewatch: pa.Table, scope: frozenset[str],
                       export_asns: set[int]) -> dict[Action, _Scores]:
    """Action → {ASN: score} for routewatch's rows in scope."""
    out: dict[Action, _Scores] = {}
    for row in routewatch.select(["asn", "action", "score", "economy"]).to_pylist():
        asn = int(row["asn"])
        if asn in export_asns or str(row["economy"] or "").upper() in scope:
            out.setdefault(Action(row["action"]), {})[asn] = row["score"]
    return out


def _compare_action(action: Action, column: str, ours: _Scores, theirs: _Scores,
                    holders: Mapping[int, str | None], method: Methodology,
                    top: int) -> ActionComparison:
    both = sorted(set(ours) & set(theirs))
    confusion = {(a, b): 0 for a in BANDS for b in BANDS}
    differences: list[Disagreement] = []
    same = 0
    for asn in both:
        mine, other = ours[asn], theirs[asn]
        pair = (band_of(mine, method), band_of(other, method))
        confusion[pair] += 1
        if mine is None or other is None:
            continue
        same += pair[0] == pair[1]
        differences.append(Disagreement(asn, holders.get(asn), mine, pair[0], other, pair[1],
                                        round_score(mine - other)))
    scored = len(differences)
    ranked = sorted((d for d in differences if abs(d.difference) >= EXPORT_RESOLUTION),
                    key=lambda d: (-abs(d.difference), d.asn))
    return ActionComparison(
        action=action,
        export_column=OBSERVATORY_HEADERS[column],
        in_both=len(both),
        only_routewatch=len(set(ours) - set(theirs)),
        only_export=len(set(theirs) - set(ours)),
        scored_by_both=scored,
        same_band=same,
        agreement=same / scored if scored else None,
        mean_abs_difference=(round_score(sum(abs(d.difference) for d in differences) / scored)
                             if scored else None),
        confusion=confusion,
        largest_disagreements=tuple(ranked[:top]),
    )
