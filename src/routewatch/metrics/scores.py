"""Per-ASN metrics and action scores for one month (METHODOLOGY §4–§6).

Role: turn detection's incidents and the month's reference data into one row per measured
network (:data:`~routewatch.schemas.ASN_METRICS`) and one row per network and action
(:data:`~routewatch.schemas.ACTION_SCORES`). The schemas live in :mod:`routewatch.schemas`,
the metric names, actions and scoring constants in :mod:`routewatch.methodology`.

Inputs (Arrow tables; every one may be empty):

- ``incidents`` — :data:`routewatch.schemas.INCIDENTS`. Only ``metric``, ``asn`` (the AS the
  incident counts against: the culprit, or the accomplice for a "C" metric), ``start``,
  ``end`` (null = still open) and ``peak_visibility`` are read; duration and weight are
  recomputed here from ``start`` / ``end`` clipped to the window, so any incident table works.
  Metrics other than M1…M4C (``rpki-invalid``, administrative bogons) are ignored.
- ``pairs`` — :data:`routewatch.schemas.ANNOUNCED_PAIRS`: every (prefix, origin) pair
  announced in the window with its ROV and IRR verdicts and how many distinct peer ASNs saw
  it (only ``prefix``, ``origin_asn``, ``peer_asns``, ``rov_state`` and ``irr_state`` are read).
- ``visibility`` — :data:`routewatch.schemas.ASN_VISIBILITY` (optional): distinct peer ASNs
  that saw each ASN anywhere in a path; without it the origins of ``pairs`` are used.
- ``spoofer`` — :data:`routewatch.schemas.SPOOFABLE_PREFIXES` (rows of other months ignored).
- ``peeringdb`` — :data:`routewatch.schemas.PEERINGDB_NETWORKS`; ``aut_nums`` —
  :data:`routewatch.schemas.IRR_AUT_NUMS` (only authoritative, i.e. RIR-run, registries count).
- ``assigned`` — every ASN an RIR assigned (``Registry.assigned_asns()``).

Networks measured: ASNs seen by at least ``min_peer_asns`` peer ASNs (from ``visibility``,
plus the AS of every incident that reached that visibility), plus every RIR-assigned ASN.
Networks not seen get no data for the routing metrics (Action 1 and Action 4).

Pure: no I/O, no clock. Failure modes: a table missing a needed column raises ``KeyError``
from Arrow (a programming error, not a data problem).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from routewatch.methodology import (
    CUSTOMER_SCORED_METRICS,
    INCIDENT_METRICS,
    OWN_SCORED_METRICS,
    Action,
    Methodology,
)
from routewatch.metrics.bands import bands_of, round_score
from routewatch.reference.peeringdb import COORDINATION_ROLES
from routewatch.schemas import ACTION_SCORES, ASN_METRICS, ASN_VISIBILITY

__all__ = [
    "REGISTRY_CONTACT_ROLES",
    "Window",
    "clipped_durations",
    "compute_action_scores",
    "compute_asn_metrics",
    "incident_weights",
    "m5_score",
    "m7_scores",
    "visibility_from_pairs",
    "weigh_incidents",
]

#: aut-num contact attributes that count for M8 (abuse-c alone does not; notify is an
#: update-notification address, not a contact).
REGISTRY_CONTACT_ROLES: frozenset[str] = frozenset({"admin-c", "tech-c"})

_US_PER_S = 1_000_000


@dataclass(frozen=True)
class Window:
    """A calendar month in UTC: ``[start, end)``."""

    month: dt.date

    @classmethod
    def of(cls, month: dt.date | str) -> Window:
        """The window of a month given as a date (any day) or ``YYYY-MM``."""
        if isinstance(month, str):
            month = dt.date.fromisoformat(month[:7] + "-01")
        return cls(month.replace(day=1))

    @property
    def label(self) -> str:
        """``YYYY-MM``."""
        return self.month.strftime("%Y-%m")

    @property
    def start(self) -> dt.datetime:
        """First instant of the month (UTC)."""
        return dt.datetime.combine(self.month, dt.time(), tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """First instant of the next month (UTC)."""
        nxt = (self.month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return dt.datetime.combine(nxt, dt.time(), tzinfo=dt.UTC)

    @property
    def start_us(self) -> int:
        """:attr:`start` in microseconds since the epoch."""
        return int(self.start.timestamp()) * _US_PER_S

    @property
    def end_us(self) -> int:
        """:attr:`end` in microseconds since the epoch."""
        return int(self.end.timestamp()) * _US_PER_S

    def previous(self) -> Window:
        """The month before."""
        return Window((self.month - dt.timedelta(days=1)).replace(day=1))


# ------------------------------------------------------------------------------ Action 1
def clipped_durations(
    start_us: npt.NDArray[np.int64], end_us: npt.NDArray[np.int64], open_: npt.NDArray[np.bool_],
    window: Window,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Duration inside the window of each span, and whether the span counts at all.

    An open span (``open_``) lasts to the window's end; a span that starts before the window
    counts from its start. Spans wholly outside the window do not count; a zero-length span
    counts when it lies inside the window.
    """
    w0, w1 = window.start_us, window.end_us
    lo = np.maximum(start_us, w0)
    hi = np.minimum(np.where(open_, w1, end_us), w1)
    inside = (start_us < w1) & ((hi > lo) | ((hi == lo) & (start_us >= w0)))
    return np.where(inside, hi - lo, 0).astype(np.int64), inside


def incident_weights(durations_us: npt.NDArray[np.int64], method: Methodology) -> npt.NDArray[
    np.float64
]:
    """MANRS weights: d < 30 min → 0.5; d < 24 h → 1; else floor(d / 24 h) + 1."""
    short = method.short_minutes * 60 * _US_PER_S
    day = method.day_hours * 3600 * _US_PER_S
    days = np.floor_divide(durations_us, day).astype(np.float64) + 1.0
    weights = np.where(durations_us < short, method.short_weight, np.where(durations_us < day,
                                                                          1.0, days))
    return weights.astype(np.float64)


def weigh_incidents(incidents: pa.Table, window: Window, method: Methodology) -> pa.Table:
    """Incidents of M1…M4C that touch the window, with ``duration_s`` and ``weight`` redone."""
    keep = pc.is_in(incidents.column("metric"), pa.array(INCIDENT_METRICS, pa.string()))
    table = incidents.filter(keep)
    start = _micros(table.column("start"))
    end_col = table.column("end")
    open_ = np.asarray(end_col.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
    durations, inside = clipped_durations(start, _micros(end_col), open_, window)
    table = _set_column(table, "duration_s", pa.array(durations / _US_PER_S, pa.float64()))
    table = _set_column(table, "weight", pa.array(incident_weights(durations, method)))
    return table.filter(pa.array(inside, pa.bool_()))


def _micros(column: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.int64]:
    """Microseconds since the epoch of a timestamp column (any unit; nulls become 0)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("us", tz=column.type.tz))
    ints = column.cast(pa.int64()).fill_null(0)
    return np.asarray(ints.to_numpy(zero_copy_only=False), dtype=np.int64)


def _set_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


def _metric_sums(weighed: pa.Table, asns: npt.NDArray[np.uint32], min_peer_asns: int) -> dict[
    str, npt.NDArray[np.float64]
]:
    """Per metric, the weight sum of each ASN in ``asns`` (sorted)."""
    counted = _counted(weighed, min_peer_asns)
    idx = _index(asns, counted.column("asn").to_numpy(zero_copy_only=False))
    metric = np.asarray(counted.column("metric").to_numpy(zero_copy_only=False), dtype=object)
    weight = np.asarray(counted.column("weight").to_numpy(zero_copy_only=False), np.float64)
    return {
        m: np.bincount(idx, weights=np.where(metric == m, weight, 0.0),
                       minlength=len(asns)).astype(np.float64)
        for m in INCIDENT_METRICS
    }


def _counted(weighed: pa.Table, min_peer_asns: int) -> pa.Table:
    """Weighed incidents that count against an AS (culprit known, visibility reached)."""
    counted = weighed.filter(pc.invert(pc.is_null(weighed.column("asn"))))
    if "peak_visibility" in counted.column_names:
        visible = pc.greater_equal(counted.column("peak_visibility"), min_peer_asns)
        counted = counted.filter(visible)
    return counted


# ------------------------------------------------------------------------------ Action 2, 3, 4
def m5_score(spoofable_prefixes: int, method: Methodology) -> float:
    """Action 2 score: exp(−c × √x) for x prefixes that let spoofed packets out."""
    return method.spoofer_score(spoofable_prefixes)


def m7_scores(pairs: int, valid: int, invalid: int, registered: int,
              method: Methodology) -> tuple[float | None, float | None]:
    """(M7IRR, M7RPKI) over an AS's announced pairs; ``(None, None)`` when it announced none."""
    if pairs == 0:
        return None, None
    rpki = max(0.0, valid / pairs - method.invalid_penalty * invalid / pairs)
    return registered / pairs, rpki


def _spoofer_counts(spoofer: pa.Table, window: Window) -> dict[int, tuple[int, int]]:
    """ASN → (tested prefixes, spoofable prefixes) for the window's month."""
    rows = spoofer.filter(pc.equal(spoofer.column("month"), pa.scalar(window.month, pa.date32())))
    tested: dict[int, set[str]] = {}
    spoofable: dict[int, set[str]] = {}
    for row in rows.select(["asn", "tested_prefixes", "spoofable_prefixes"]).to_pylist():
        tested.setdefault(row["asn"], set()).update(row["tested_prefixes"])
        spoofable.setdefault(row["asn"], set()).update(row["spoofable_prefixes"])
    return {asn: (len(tested[asn]), len(spoofable[asn])) for asn in tested}


def _contact_sources(peeringdb: pa.Table, aut_nums: pa.Table) -> dict[int, set[str]]:
    """ASN → where a coordination contact was found (``peeringdb`` or the registry name)."""
    found: dict[int, set[str]] = {}
    for row in peeringdb.select(["asn", "contact_roles"]).to_pylist():
        if COORDINATION_ROLES & set(row["contact_roles"] or ()):
            found.setdefault(row["asn"], set()).add("peeringdb")
    for row in aut_nums.select(["asn", "contact_roles", "source", "authoritative"]).to_pylist():
        if row["authoritative"] and REGISTRY_CONTACT_ROLES & set(row["contact_roles"] or ()):
            found.setdefault(row["asn"], set()).add(str(row["source"]).lower())
    return found


def _pair_counts(pairs: pa.Table, asns: npt.NDArray[np.uint32],
                 min_peer_asns: int) -> dict[str, npt.NDArray[np.int64]]:
    """Per ASN in ``asns``: announced pairs and how many are valid / invalid / not-found /
    registered. Pairs seen by fewer than ``min_peer_asns`` peer ASNs are left out."""
    seen = pairs.filter(pc.greater_equal(pairs.column("peer_asns"), min_peer_asns))
    seen = seen.filter(pc.is_in(seen.column("origin_asn"), pa.array(asns, pa.uint32())))
    seen = seen.group_by(["prefix", "origin_asn"], use_threads=False).aggregate(
        [("rov_state", "first"), ("irr_state", "first")]
    )
    idx = _index(asns, seen.column("origin_asn").to_numpy(zero_copy_only=False))
    rov = np.asarray(seen.column("rov_state_first").to_numpy(zero_copy_only=False), dtype=object)
    irr = np.asarray(seen.column("irr_state_first").to_numpy(zero_copy_only=False), dtype=object)
    def count(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        return np.bincount(idx, weights=flags, minlength=len(asns)).astype(np.int64)

    return {
        "pairs": count(np.ones(len(idx), np.bool_)),
        "pairs_rpki_valid": count(rov == "valid"),
        "pairs_rpki_invalid": count(rov == "invalid"),
        "pairs_rpki_not_found": count(rov == "not-found"),
        "pairs_irr_registered": count(irr == "registered"),
    }


# ------------------------------------------------------------------------------ measured set
def _index(asns: npt.NDArray[np.uint32], values: Iterable[int] | npt.NDArray[np.generic]) -> (
    npt.NDArray[np.intp]
):
    """Positions of ``values`` in the sorted unique ``asns`` (each value must be present)."""
    return np.searchsorted(asns, np.asarray(values, dtype=np.uint32)).astype(np.intp)


def _seen_asns(visibility: pa.Table, weighed: pa.Table, min_peer_asns: int) -> npt.NDArray[
    np.uint32
]:
    vis = visibility.filter(pc.greater_equal(visibility.column("peer_asns"), min_peer_asns))
    counted = _counted(weighed, min_peer_asns)
    parts = [vis.column("asn").to_numpy(zero_copy_only=False),
             counted.column("asn").to_numpy(zero_copy_only=False)]
    return np.unique(np.concatenate([np.asarray(p, dtype=np.uint32) for p in parts]))


def visibility_from_pairs(pairs: pa.Table) -> pa.Table:
    """:data:`ASN_VISIBILITY` of the origins of ``pairs`` (largest ``peer_asns`` per origin)."""
    grouped = pairs.group_by("origin_asn").aggregate([("peer_asns", "max")])
    return pa.table(
        {"asn": grouped.column("origin_asn"), "peer_asns": grouped.column("peer_asns_max")},
        schema=ASN_VISIBILITY,
    )


# ------------------------------------------------------------------------------ entry points
def compute_asn_metrics(
    *,
    incidents: pa.Table,
    pairs: pa.Table,
    spoofer: pa.Table,
    peeringdb: pa.Table,
    aut_nums: pa.Table,
    assigned: npt.NDArray[np.uint32] | Iterable[int],
    window: Window,
    method: Methodology,
    visibility: pa.Table | None = None,
) -> pa.Table:
    """:data:`ASN_METRICS` for every measured network of the window (sorted by ASN)."""
    weighed = weigh_incidents(incidents, window, method)
    vis = visibility if visibility is not None else visibility_from_pairs(pairs)
    seen_asns = _seen_asns(vis, weighed, method.min_peer_asns)
    assigned_asns = np.unique(np.asarray(list(assigned) if not isinstance(assigned, np.ndarray)
                                         else assigned, dtype=np.uint32))
    asns = np.union1d(seen_asns, assigned_asns).astype(np.uint32)
    seen = np.isin(asns, seen_asns)
    sums = _metric_sums(weighed, asns, method.min_peer_asns)
    counts = _pair_counts(pairs, asns, method.min_peer_asns)
    spoof = _spoofer_counts(spoofer, window)
    contacts = _contact_sources(peeringdb, aut_nums)
    columns: dict[str, object] = {
        "month": [window.month] * len(asns),
        "methodology": [method.version] * len(asns),
        "asn": asns,
        "seen": seen,
        "rir_assigned": np.isin(asns, assigned_asns),
    }
    for metric in INCIDENT_METRICS:
        columns[metric.lower()] = _masked(sums[metric], seen)
    columns["incidents"] = _incident_counts(weighed, asns, seen, method.min_peer_asns)
    columns.update(_spoofer_columns(asns, spoof, method))
    sources = [sorted(contacts.get(int(a), ())) for a in asns]
    columns["contact_sources"] = sources
    columns["m8"] = [1.0 if s else 0.0 for s in sources]
    columns.update(_pair_columns(counts, seen, method))
    return pa.table(columns, schema=ASN_METRICS)


def _masked(values: npt.NDArray[np.generic], keep: npt.NDArray[np.bool_]) -> pa.Array:
    return pa.array(values, mask=~keep)


def _incident_counts(weighed: pa.Table, asns: npt.NDArray[np.uint32],
                     seen: npt.NDArray[np.bool_], min_peer_asns: int) -> pa.Array:
    counted = _counted(weighed, min_peer_asns)
    idx = _index(asns, counted.column("asn").to_numpy(zero_copy_only=False))
    return pa.array(np.bincount(idx, minlength=len(asns)).astype(np.uint32), mask=~seen)


def _spoofer_columns(asns: npt.NDArray[np.uint32], spoof: dict[int, tuple[int, int]],
                     method: Methodology) -> dict[str, pa.Array]:
    found = [spoof.get(int(a)) for a in asns]
    return {
        "spoofer_tested_prefixes": pa.array([f[0] if f else None for f in found], pa.uint32()),
        "spoofer_spoofable_prefixes": pa.array([f[1] if f else None for f in found],
                                               pa.uint32()),
        "m5": pa.array([round_score(m5_score(f[1], method)) if f else None for f in found],
                       pa.float64()),
    }


def _pair_columns(counts: dict[str, npt.NDArray[np.int64]], seen: npt.NDArray[np.bool_],
                  method: Methodology) -> dict[str, pa.Array]:
    out = {name: pa.array(values.astype(np.uint32), mask=~seen) for name, values in counts.items()}
    scores = [
        m7_scores(int(n), int(v), int(i), int(r), method) if s else (None, None)
        for n, v, i, r, s in zip(counts["pairs"], counts["pairs_rpki_valid"],
                                 counts["pairs_rpki_invalid"], counts["pairs_irr_registered"],
                                 seen, strict=True)
    ]
    out["m7irr"] = pa.array([None if a is None else round_score(a) for a, _ in scores],
                            pa.float64())
    out["m7rpki"] = pa.array([None if b is None else round_score(b) for _, b in scores],
                             pa.float64())
    return out


def compute_action_scores(asn_metrics: pa.Table, method: Methodology) -> pa.Table:
    """:data:`ACTION_SCORES` from :data:`ASN_METRICS`: five scores per network, with bands."""
    n = asn_metrics.num_rows
    own = _sum_columns(asn_metrics, OWN_SCORED_METRICS)
    customers = _sum_columns(asn_metrics, CUSTOMER_SCORED_METRICS)
    filtering = [
        None if o is None or c is None else round_score(method.action1_score(o, c))
        for o, c in zip(own, customers, strict=True)
    ]
    per_action: dict[Action, pa.Array] = {
        Action.FILTERING: pa.array(filtering, pa.float64()),
        Action.ANTI_SPOOFING: asn_metrics.column("m5").combine_chunks(),
        Action.COORDINATION: asn_metrics.column("m8").combine_chunks(),
        Action.GLOBAL_VALIDATION_IRR: asn_metrics.column("m7irr").combine_chunks(),
        Action.GLOBAL_VALIDATION_RPKI: asn_metrics.column("m7rpki").combine_chunks(),
    }
    tables = [
        pa.table(
            {
                "month": asn_metrics.column("month"),
                "methodology": asn_metrics.column("methodology"),
                "asn": asn_metrics.column("asn"),
                "action": pa.array([action.value] * n, pa.string()),
                "score": scores,
                "band": bands_of(scores, method),
            },
            schema=ACTION_SCORES,
        )
        for action, scores in per_action.items()
    ]
    return pa.concat_tables(tables).sort_by([("asn", "ascending"), ("action", "ascending")])


def _sum_columns(table: pa.Table, names: tuple[str, ...]) -> list[float | None]:
    """Row sums of float columns; ``None`` where any is null."""
    total: list[float | None] = [0.0] * table.num_rows
    for name in names:
        for i, value in enumerate(table.column(name.lower()).to_pylist()):
            current = total[i]
            total[i] = None if value is None or current is None else current + float(value)
    return [None if t is None or math.isnan(t) else t for t in total]
