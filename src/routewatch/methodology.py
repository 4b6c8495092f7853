"""The versioned measurement methodology: every threshold of docs/METHODOLOGY.md in one object.

A :class:`Methodology` is a frozen dataclass; each published version is one module-level
instance (:data:`RW_2026_1`, :data:`RW_2026_2`) found by name in :data:`METHODOLOGIES`.
Changing a default means adding a new instance with a new ``version``, never editing an old
one (fields added later carry defaults that keep the older versions' behaviour). Detectors
take the object as an argument (no global lookups), and every stored result is stamped with
``version``. :meth:`Methodology.describe` prints it (CLI, dashboard methodology page).

The vocabulary every version shares lives here too, so that detection, scoring, the store's
schemas, the CLI and the web app name things one way: the incident metrics
(:data:`INCIDENT_METRICS`; which of them Action 1 scores), the actions (:class:`Action`), the
bands (:class:`Band`) and the kinds of area scores roll up to (:data:`AREA_KINDS`). The
published text is ``docs/METHODOLOGY.md``; its section numbers are the ones cited as
"METHODOLOGY §n" in the code.

Failure modes: :func:`methodology` raises :class:`~routewatch.errors.ConfigError` for an
unknown version name, listing the known ones.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from routewatch.errors import ConfigError

__all__ = [
    "AREA_KINDS",
    "BANDS",
    "CUSTOMER_SCORED_METRICS",
    "INCIDENT_METRICS",
    "METHODOLOGIES",
    "OWN_SCORED_METRICS",
    "RW_2026_1",
    "RW_2026_2",
    "UNKNOWN_AREA",
    "Action",
    "Band",
    "Methodology",
    "methodology",
]

_US_PER_MINUTE = 60_000_000
_US_PER_HOUR = 60 * _US_PER_MINUTE

# ------------------------------------------------------------------------------ vocabulary
#: The eight Action 1 metrics (METHODOLOGY §4.1), in display order; a "C" metric counts against
#: the accomplice (the AS that passed the culprit's route on), the others against the culprit.
INCIDENT_METRICS: tuple[str, ...] = ("M1", "M1C", "M2", "M2C", "M3", "M3C", "M4", "M4C")
#: Own metrics Action 1 subtracts with ``own_coefficient`` (METHODOLOGY §4.8; M1 is not scored).
OWN_SCORED_METRICS: tuple[str, ...] = ("M2", "M3", "M4")
#: Customer metrics the Action 1 score subtracts with ``customer_coefficient``.
CUSTOMER_SCORED_METRICS: tuple[str, ...] = ("M2C", "M3C", "M4C")


class Action(StrEnum):
    """A scored MANRS action; Action 4 has two scores, as in the Observatory (METHODOLOGY §6.1)."""

    FILTERING = "filtering"
    ANTI_SPOOFING = "anti-spoofing"
    COORDINATION = "coordination"
    GLOBAL_VALIDATION_IRR = "global-validation-irr"
    GLOBAL_VALIDATION_RPKI = "global-validation-rpki"


class Band(StrEnum):
    """A readiness band (METHODOLOGY §6.1); the values are the strings stored and shown."""

    READY = "ready"
    ASPIRING = "aspiring"
    LAGGING = "lagging"
    NO_DATA = "no-data"


#: Bands in display order (best first, no data last).
BANDS: tuple[Band, ...] = (Band.READY, Band.ASPIRING, Band.LAGGING, Band.NO_DATA)
#: Kinds of area scores roll up to (METHODOLOGY §6.3), in display order.
AREA_KINDS: tuple[str, ...] = ("world", "economy", "region", "sub-region", "rir", "cohort")
#: The area of networks whose economy (or region, or RIR) is unknown.
UNKNOWN_AREA = "unknown"


@dataclass(frozen=True)
class Methodology:
    """Every number detection and scoring use, under one version name."""

    version: str
    #: an event counts only when its peak visibility reaches this many distinct peer ASNs
    min_peer_asns: int
    #: origins seen over this many days before the window are established at its start
    baseline_days: int
    #: an origin first seen inside the data is established after this much visibility
    establish_hours: int
    #: incident weight: d < short_minutes -> short_weight; d < day_hours -> 1; else floor(d/day)+1
    short_minutes: int
    short_weight: float
    day_hours: int
    #: Action 1 = max(0, 1 - own_coefficient * (M2+M3+M4) - customer_coefficient * (M2C+M3C+M4C))
    own_coefficient: float
    customer_coefficient: float
    #: M7RPKI = max(0, valid share - invalid_penalty * invalid share)
    invalid_penalty: float
    #: M5 score = exp(-spoofer_constant * sqrt(x))
    spoofer_constant: float
    #: band edges: ready >= ready_edge, aspiring >= aspiring_edge, else lagging
    ready_edge: float
    aspiring_edge: float
    #: prefix bucket width in leading bits of prefix_hi (partitioning; not a measurement rule)
    bucket_bits_v4: int
    bucket_bits_v6: int
    #: leak and hijack findings below this confidence class (high > medium > low) are not
    #: scored but listed as suspected; None: every finding is scored (rw-2026.1)
    confidence_threshold: str | None = None
    #: confidence rules (detect/confidence.py): seen by fewer peer ASes than this -> -1
    narrow_peer_asns: int = 3
    #: an event shorter than this (seconds) -> -1 (convergence churn)
    transient_seconds: int = 300
    #: a hijack conflict lasting at least this many hours -> -1 (long coexistence)
    long_conflict_hours: int = 24
    #: relationships further than this (calendar months) from the event -> -1 ...
    rel_age_months: int = 3
    #: ... and further than this -> -2
    rel_old_months: int = 24
    #: M2: only IRR route objects of authoritative (RIR-run) registries exempt a conflicting
    #: origin; False: any registry's (rw-2026.1). A non-authoritative object can be
    #: registered by anyone, so under True it only informs confidence.
    irr_authoritative: bool = False
    #: M2: a default route (0.0.0.0/0, ::/0) takes part in MOAS, as conflict and as cover;
    #: False (rw-2026.2): it claims no address space and takes part in none
    default_route_moas: bool = True
    #: M2: two origins whose intervals for a prefix (or it and a cover) overlapped before the
    #: window start are no conflict for each other in the window (rw-2026.2)
    baseline_coexistence: bool = False

    def weight(self, duration_us: int) -> float:
        """Weight of an incident lasting ``duration_us`` microseconds inside the window."""
        if duration_us < self.short_minutes * _US_PER_MINUTE:
            return self.short_weight
        day = self.day_hours * _US_PER_HOUR
        if duration_us < day:
            return 1.0
        return float(math.floor(duration_us / day) + 1)

    @property
    def establish_us(self) -> int:
        """``establish_hours`` in microseconds."""
        return self.establish_hours * _US_PER_HOUR

    @property
    def baseline_us(self) -> int:
        """``baseline_days`` in microseconds."""
        return self.baseline_days * 24 * _US_PER_HOUR

    def action1_score(self, own: float, customers: float) -> float:
        """Action 1 (Filtering) score from own (M2+M3+M4) and customer (C) weight sums."""
        return max(0.0, 1.0 - self.own_coefficient * own - self.customer_coefficient * customers)

    def spoofer_score(self, prefixes: int) -> float:
        """Action 2 (M5) score from the number of prefixes that leaked spoofed packets."""
        return math.exp(-self.spoofer_constant * math.sqrt(prefixes))

    def band(self, score: float | None) -> Band:
        """The band of an action score: ready, aspiring, lagging or no-data."""
        if score is None:
            return Band.NO_DATA
        if score >= self.ready_edge:
            return Band.READY
        return Band.ASPIRING if score >= self.aspiring_edge else Band.LAGGING

    def describe(self) -> str:
        """The methodology as aligned ``name = value`` lines, version first."""
        items = asdict(self)
        width = max(len(name) for name in items)
        return "\n".join(f"{name:<{width}} = {value}" for name, value in items.items())


RW_2026_1 = Methodology(
    version="rw-2026.1",
    min_peer_asns=2,
    baseline_days=7,
    establish_hours=24,
    short_minutes=30,
    short_weight=0.5,
    day_hours=24,
    own_coefficient=0.1,
    customer_coefficient=0.05,
    invalid_penalty=10.0,
    spoofer_constant=0.7224,
    ready_edge=0.90,
    aspiring_edge=0.50,
    bucket_bits_v4=8,
    bucket_bits_v6=16,
)

#: rw-2026.2 (precision): every leak and hijack finding gets a confidence class from its
#: evidence (detect/confidence.py) and only the ``high`` class is scored; the rest is listed
#: as suspected with its reasons; only authoritative IRR objects exempt a hijack conflict.
RW_2026_2 = replace(RW_2026_1, version="rw-2026.2", confidence_threshold="high",
                    irr_authoritative=True, default_route_moas=False,
                    baseline_coexistence=True)  # fmt: skip

METHODOLOGIES: dict[str, Methodology] = {m.version: m for m in (RW_2026_1, RW_2026_2)}


def methodology(version: str) -> Methodology:
    """The methodology of a version name such as ``rw-2026.1``."""
    try:
        return METHODOLOGIES[version]
    except KeyError:
        known = ", ".join(sorted(METHODOLOGIES))
        raise ConfigError(f"unknown methodology version {version!r}; known: {known}") from None
