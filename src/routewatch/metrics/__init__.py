"""Scores, bands and roll-ups per methodology version (METHODOLOGY §4–§6).

Data flow::

    INCIDENTS ─┐
    pairs      ├─► compute_asn_metrics ─► ASN_METRICS ─► compute_action_scores ─► ACTION_SCORES
    Spoofer,   │        (scores.py)                          (+ bands.py)            │
    contacts ──┘                                                                     ▼
    Registry, MANRS, VRPs ─► asn_areas ─► ASN_AREAS ─► compute_rollups ─► AREA_READINESS,
                                                        (rollups.py)      AREA_SUMMARIES

Across months (read from the store by the caller, not part of a month's run)::

    a metric per month + coverage ─► trends.trend ─► improving / worsening / no change
    stored months ─► impact.network_panel ─► impact.cohort_impact (cohorts, per month)
                                          └► impact.did_impact (joined / started signing)

Everything here is pure (no I/O, no clock): Arrow tables and the methodology object in,
Arrow tables out, each row stamped with the month and the methodology version. The schemas
(upper-case names above) live in :mod:`routewatch.schemas`; metric names, actions, bands and
constants in :mod:`routewatch.methodology`. The store (:mod:`routewatch.store`) persists the
outputs.
"""

from __future__ import annotations

from routewatch.metrics.bands import band_of, bands_of
from routewatch.metrics.rollups import Rollups, asn_areas, compute_rollups
from routewatch.metrics.scores import (
    Window,
    compute_action_scores,
    compute_asn_metrics,
    weigh_incidents,
)

__all__ = [
    "Rollups",
    "Window",
    "asn_areas",
    "band_of",
    "bands_of",
    "compute_action_scores",
    "compute_asn_metrics",
    "compute_rollups",
    "weigh_incidents",
]
