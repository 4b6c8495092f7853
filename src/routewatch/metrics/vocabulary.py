"""The words of the scores, in one place: actions, incident metrics and area kinds with labels.

Role: every reader of the store (the dashboard, the JSON API, ``routewatch report`` and
``area``) names actions, incident metrics and area kinds with these constants instead of
copies of its own. The values are the wire strings stored in the tables
(:class:`~routewatch.methodology.Action`, :data:`~routewatch.methodology.INCIDENT_METRICS`,
:data:`~routewatch.methodology.AREA_KINDS`); this module adds the
display order, the labels, and which ``asn_metrics`` columns lie behind each action score
(METHODOLOGY §4–§5).

Pure constants; no failure modes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from routewatch.methodology import AREA_KINDS, BANDS, INCIDENT_METRICS, UNKNOWN_AREA, Action, Band
from routewatch.metrics.rollups import COHORTS

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "ACTION_METRICS",
    "AREA_KINDS",
    "BANDS",
    "COHORT_NAMES",
    "INCIDENT_METRICS",
    "METRIC_LABELS",
    "UNKNOWN_AREA",
    "Action",
    "Band",
]

#: The five scored actions in display order.
ACTIONS: tuple[Action, ...] = tuple(Action)

#: Action -> label shown on pages.
ACTION_LABELS: Mapping[str, str] = MappingProxyType({
    Action.FILTERING: "Filtering (Action 1)",
    Action.ANTI_SPOOFING: "Anti-spoofing (Action 2)",
    Action.COORDINATION: "Coordination (Action 3)",
    Action.GLOBAL_VALIDATION_IRR: "Global validation: IRR (Action 4)",
    Action.GLOBAL_VALIDATION_RPKI: "Global validation: RPKI (Action 4)",
})

#: Incident metric -> what it counts.
METRIC_LABELS: Mapping[str, str] = MappingProxyType({
    "M1": "route leaks", "M1C": "route leaks by customers",
    "M2": "hijacks / mis-originations", "M2C": "hijacks by customers",
    "M3": "bogon prefixes", "M3C": "bogon prefixes by customers",
    "M4": "bogon ASNs", "M4C": "bogon ASNs by customers",
})

#: Action -> the ``asn_metrics`` columns its score is computed from (METHODOLOGY §4–§5).
ACTION_METRICS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    Action.FILTERING: (*(m.lower() for m in INCIDENT_METRICS), "incidents"),
    Action.ANTI_SPOOFING: ("spoofer_tested_prefixes", "spoofer_spoofable_prefixes", "m5"),
    Action.COORDINATION: ("m8", "contact_sources"),
    Action.GLOBAL_VALIDATION_IRR: ("pairs", "pairs_irr_registered", "m7irr"),
    Action.GLOBAL_VALIDATION_RPKI: ("pairs", "pairs_rpki_valid", "pairs_rpki_invalid",
                                    "pairs_rpki_not_found", "m7rpki"),
})

#: Every cohort area name (members and the rest of each cohort).
COHORT_NAMES: tuple[str, ...] = tuple(name for pair in COHORTS.values() for name in pair)

