"""Detect stage: elems in, findings and incidents out — pure, no I/O, no clock.

Data flow (one module per box)::

    ELEMS batches
      │  partition.Partitioner      split by prefix bucket (optional; a cluster's unit)
      ▼
    state.RouteState                per collector peer: RIB, announce, withdraw, reset
      │  Spans + Catalog            (peer, prefix, path) intervals; interned ids
      ▼
    routes.routes_of / paths.flat_paths
      │
      ├─ bogons.mark_bogon_prefixes / mark_bogon_asns     M3, M4 (+ administrative)
      ├─ leaks.mark_leaks                                 M1: ASPA, relationships, OTC
      ├─ hijacks.mark_hijacks                             M2 and rpki-invalid
      └─ firsthop.mark_fake_first_hops                    type-1 suspects (not scored)
      ▼
    findings.build_findings         events, peak visibility, evidence  -> FINDINGS
      ▼
    incidents.build_incidents       merge per metric and AS, clip, weigh -> INCIDENTS

Reference data comes in explicitly as :class:`verdicts.References` (VRPs, IRR, bogons,
relationships, ASPAs); every number comes from a
:class:`routewatch.methodology.Methodology` (the methodology sits below detect and metrics).
:func:`engine.detect` runs the whole chain; :class:`engine.PartitionRun` is the per-bucket
unit. Scenario files (:mod:`.scenario`) are the executable specification.
"""

from routewatch.detect.engine import ALL_KINDS, Detection, DetectReport, Kind, PartitionRun, detect
from routewatch.detect.incidents import build_incidents
from routewatch.detect.verdicts import References

__all__ = [
    "ALL_KINDS",
    "DetectReport",
    "Detection",
    "Kind",
    "PartitionRun",
    "References",
    "build_incidents",
    "detect",
]
