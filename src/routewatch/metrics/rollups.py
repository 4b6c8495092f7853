"""Roll-ups of per-ASN scores to economies, regions, RIRs and cohorts (METHODOLOGY §6).

Role: from one month's :data:`~routewatch.schemas.ASN_METRICS`,
:data:`~routewatch.schemas.ACTION_SCORES` and incidents, and the area of every ASN
(:data:`~routewatch.schemas.ASN_AREAS`, built by :func:`asn_areas`), compute

- :data:`~routewatch.schemas.AREA_READINESS` — per area and action: networks in each band,
  band shares (no-data shown but excluded from the shares), mean score (over networks with
  data), and the change of the ready share since the previous month (from the previous
  month's table);
- :data:`~routewatch.schemas.AREA_SUMMARIES` — per area, the state of routing security:
  incidents by metric whose counted AS is in the area (the culprit for M1…M4, the accomplice
  for M1C…M4C),
  networks involved (ASes with at least one such incident), incidents per 100 measured
  networks (own metrics M1…M4), and the shares of the area's announced pairs that are RPKI
  valid / invalid / not-found and IRR registered.

Areas (``area_kind`` / ``area``): ``world`` / ``world``; ``economy`` / ISO 3166 alpha-2;
``region`` / M49 region; ``sub-region`` / M49 sub-region; ``rir`` / registry name; ``cohort``
/ ``manrs``, ``non-manrs``, ``rpki-signer``, ``rpki-non-signer``. An ASN with no delegation
record falls in the area ``unknown`` of each geographic kind, so every kind adds up to the
world.

Pure: no I/O, no clock. Failure modes: none beyond Arrow's own for malformed tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from routewatch.methodology import AREA_KINDS, INCIDENT_METRICS, UNKNOWN_AREA, Band, Methodology
from routewatch.metrics.scores import Window, weigh_incidents
from routewatch.reference.registry import Registry
from routewatch.schemas import AREA_READINESS, AREA_SUMMARIES, ASN_AREAS

__all__ = [
    "COHORTS",
    "Rollups",
    "asn_areas",
    "compute_rollups",
]

#: Cohort names: (member, rest) per cohort flag of :data:`~routewatch.schemas.ASN_AREAS`.
COHORTS: dict[str, tuple[str, str]] = {
    "manrs": ("manrs", "non-manrs"),
    "rpki_signer": ("rpki-signer", "rpki-non-signer"),
}
#: Metrics counted against the culprit itself (M1…M4; the "C" ones go to the accomplice).
_OWN_METRICS = tuple(m for m in INCIDENT_METRICS if not m.endswith("C"))


@dataclass(frozen=True)
class Rollups:
    """The two roll-up tables of one month: readiness and summaries (schemas
    :data:`~routewatch.schemas.AREA_READINESS`, :data:`~routewatch.schemas.AREA_SUMMARIES`)."""

    readiness: pa.Table
    summaries: pa.Table


# ------------------------------------------------------------------------------ areas
def asn_areas(
    asns: Iterable[int] | npt.NDArray[np.integer],
    registry: Registry,
    *,
    manrs_asns: Iterable[int] = (),
    signer_asns: Iterable[int] = (),
) -> pa.Table:
    """:data:`~routewatch.schemas.ASN_AREAS` of ``asns`` from the RIR delegations, MANRS
    participants (as of the month) and the ASNs of the month's VRPs (AS0 is not a signer)."""
    query = np.unique(np.asarray(list(asns) if not isinstance(asns, np.ndarray) else asns,
                                 dtype=np.uint32))
    found = registry.economy_of(query)
    region, sub_region = registry.regions_of(found.cc) if len(query) else (found.cc, found.cc)
    signers = np.setdiff1d(np.asarray(list(signer_asns), dtype=np.uint32), [0])
    return pa.table(
        {
            "asn": query,
            "economy": _or_null(found.cc),
            "region": _or_null(region),
            "sub_region": _or_null(sub_region),
            "rir": _or_null(found.rir),
            "manrs": np.isin(query, np.asarray(list(manrs_asns), dtype=np.uint32)),
            "rpki_signer": np.isin(query, signers),
        },
        schema=ASN_AREAS,
    )


def _or_null(values: npt.NDArray[np.str_]) -> pa.Array:
    strings = [str(v) for v in values]
    return pa.array([s or None for s in strings], pa.string())


def _membership(areas: pa.Table) -> pa.Table:
    """Long table (asn, area_kind, area): each ASN once per geographic kind, twice in
    ``cohort`` (one per cohort), once in ``world``."""
    asns = areas.column("asn")
    n = areas.num_rows
    parts = [_member_rows(asns, "world", pa.array(["world"] * n, pa.string()))]
    for kind, column in (("economy", "economy"), ("region", "region"),
                         ("sub-region", "sub_region"), ("rir", "rir")):
        parts.append(_member_rows(asns, kind, areas.column(column).fill_null(UNKNOWN_AREA)))
    for flag, (member, rest) in COHORTS.items():
        names = pc.if_else(areas.column(flag), member, rest)
        parts.append(_member_rows(asns, "cohort", names))
    return pa.concat_tables(parts)


def _member_rows(asns: pa.ChunkedArray, kind: str, area: pa.Array | pa.ChunkedArray) -> pa.Table:
    return pa.table({
        "asn": asns,
        "area_kind": pa.array([kind] * len(asns), pa.string()),
        "area": area,
    })


# ------------------------------------------------------------------------------ roll-ups
def compute_rollups(
    *,
    asn_metrics: pa.Table,
    action_scores: pa.Table,
    incidents: pa.Table,
    areas: pa.Table,
    window: Window,
    method: Methodology,
    previous_readiness: pa.Table | None = None,
) -> Rollups:
    """Both roll-up tables for the window (areas of ASNs missing from ``areas`` are unknown)."""
    areas = _complete_areas(areas, asn_metrics.column("asn"))
    members = _membership(areas)
    readiness = _readiness(action_scores, members, window, method, previous_readiness)
    summaries = _summaries(asn_metrics, incidents, members, window, method)
    return Rollups(readiness, summaries)


def _complete_areas(areas: pa.Table, asns: pa.ChunkedArray) -> pa.Table:
    """``areas`` restricted to ``asns``, with an all-unknown row for each ASN it lacks."""
    wanted = pa.array(np.unique(asns.to_numpy()), pa.uint32())
    known = areas.filter(pc.is_in(areas.column("asn"), wanted)).cast(ASN_AREAS)
    missing = pc.filter(wanted, pc.invert(pc.is_in(wanted, known.column("asn"))))
    n = len(missing)
    filler = pa.table(
        {
            "asn": missing,
            "economy": pa.nulls(n, pa.string()),
            "region": pa.nulls(n, pa.string()),
            "sub_region": pa.nulls(n, pa.string()),
            "rir": pa.nulls(n, pa.string()),
            "manrs": pa.array([False] * n),
            "rpki_signer": pa.array([False] * n),
        },
        schema=ASN_AREAS,
    )
    return pa.concat_tables([known, filler])


def _stamp(table: pa.Table, window: Window, method: Methodology) -> pa.Table:
    n = table.num_rows
    table = table.add_column(0, "methodology", pa.array([method.version] * n, pa.string()))
    return table.add_column(0, "month", pa.array([window.month] * n, pa.date32()))


def _readiness(action_scores: pa.Table, members: pa.Table, window: Window, method: Methodology,
               previous: pa.Table | None) -> pa.Table:
    scored = action_scores.select(["asn", "action", "score", "band"])
    for band in Band:
        flag = pc.cast(pc.equal(scored.column("band"), band.value), pa.uint32())
        scored = scored.append_column(_band_column(band), flag)
    # sorted and on one thread: a mean of floats depends on the order it adds them in, and a
    # hash join's output order does not stay the same from run to run
    joined = members.join(scored, "asn", join_type="inner").sort_by(
        [(k, "ascending") for k in ("area_kind", "area", "action", "asn")])
    aggregates = [(_band_column(b), "sum") for b in Band] + [("score", "mean"), ("asn", "count")]
    grouped = joined.group_by(["area_kind", "area", "action"], use_threads=False).aggregate(
        aggregates)
    counts = {b: grouped.column(f"{_band_column(b)}_sum").to_numpy().astype(np.int64)
              for b in Band}
    with_data = counts[Band.READY] + counts[Band.ASPIRING] + counts[Band.LAGGING]
    table = pa.table({
        "area_kind": grouped.column("area_kind"),
        "area": grouped.column("area"),
        "action": grouped.column("action"),
        "networks": grouped.column("asn_count").cast(pa.uint32()),
        "ready": counts[Band.READY].astype(np.uint32),
        "aspiring": counts[Band.ASPIRING].astype(np.uint32),
        "lagging": counts[Band.LAGGING].astype(np.uint32),
        "no_data": counts[Band.NO_DATA].astype(np.uint32),
        "ready_share": _share(counts[Band.READY], with_data),
        "aspiring_share": _share(counts[Band.ASPIRING], with_data),
        "lagging_share": _share(counts[Band.LAGGING], with_data),
        "mean_score": grouped.column("score_mean"),
    })
    table = table.append_column("ready_share_change", _change(table, previous))
    table = _stamp(table, window, method).cast(AREA_READINESS)
    return _sorted(table, ["action"])


def _band_column(band: Band) -> str:
    return "band_" + band.value.replace("-", "_")


def _share(part: npt.NDArray[np.int64], whole: npt.NDArray[np.int64]) -> pa.Array:
    """part / whole, null where whole is 0."""
    safe = np.where(whole > 0, whole, 1)
    return pa.array(part / safe, pa.float64(), mask=whole == 0)


def _change(table: pa.Table, previous: pa.Table | None) -> pa.Array:
    """ready_share minus last month's for the same (area_kind, area, action); null if none."""
    if previous is None or previous.num_rows == 0:
        return pa.nulls(table.num_rows, pa.float64())
    keys = ["area_kind", "area", "action"]
    before = previous.select([*keys, "ready_share"]).rename_columns([*keys, "previous_share"])
    indexed = table.select(keys).append_column("row", pa.array(np.arange(table.num_rows)))
    joined = indexed.join(before, keys, join_type="left outer").sort_by("row")
    current = table.column("ready_share")
    return pc.subtract(current, joined.column("previous_share").cast(pa.float64()))


def _sorted(table: pa.Table, extra: list[str]) -> pa.Table:
    order = {kind: i for i, kind in enumerate(AREA_KINDS)}
    rank = pa.array([order.get(k, len(order)) for k in table.column("area_kind").to_pylist()],
                    pa.int32())
    ranked = table.append_column("_rank", rank)
    keys = [("_rank", "ascending"), ("area", "ascending"), *[(c, "ascending") for c in extra]]
    return ranked.sort_by(keys).drop_columns(["_rank"])


def _summaries(asn_metrics: pa.Table, incidents: pa.Table, members: pa.Table, window: Window,
               method: Methodology) -> pa.Table:
    base = _pair_sums(asn_metrics, members)
    counts = _incident_counts(incidents, members, window, method)
    table = base.join(counts, ["area_kind", "area"], join_type="left outer")
    columns = [f"incidents_{m.lower()}" for m in INCIDENT_METRICS] + ["networks_involved"]
    for name in columns:
        filled = table.column(name).fill_null(0).cast(pa.uint32())
        table = table.set_column(table.column_names.index(name), name, filled)
    own = sum(table.column(f"incidents_{m.lower()}").to_numpy().astype(np.int64)
              for m in _OWN_METRICS)
    networks = table.column("networks").to_numpy().astype(np.int64)
    per_100 = _share(np.asarray(own, dtype=np.int64) * 100, networks)
    table = table.append_column("incidents_per_100_networks", per_100)
    pairs = table.column("pairs").to_numpy().astype(np.int64)
    for share, count in (("rpki_valid_share", "pairs_rpki_valid"),
                         ("rpki_invalid_share", "pairs_rpki_invalid"),
                         ("rpki_not_found_share", "pairs_rpki_not_found"),
                         ("irr_registered_share", "pairs_irr_registered")):
        table = table.append_column(share, _share(table.column(count).to_numpy(), pairs))
    table = _stamp(table, window, method)
    return _sorted(table.select(AREA_SUMMARIES.names).cast(AREA_SUMMARIES), [])


def _pair_sums(asn_metrics: pa.Table, members: pa.Table) -> pa.Table:
    counts = ["pairs", "pairs_rpki_valid", "pairs_rpki_invalid", "pairs_rpki_not_found",
              "pairs_irr_registered"]
    per_asn = asn_metrics.select(["asn", *counts])
    for name in counts:
        filled = per_asn.column(name).fill_null(0).cast(pa.uint64())
        per_asn = per_asn.set_column(per_asn.column_names.index(name), name, filled)
    joined = members.join(per_asn, "asn", join_type="inner")
    grouped = joined.group_by(["area_kind", "area"]).aggregate(
        [("asn", "count"), *[(c, "sum") for c in counts]]
    )
    renamed = {"asn_count": "networks", **{f"{c}_sum": c for c in counts}}
    return grouped.rename_columns([renamed.get(c, c) for c in grouped.column_names])


def _incident_counts(incidents: pa.Table, members: pa.Table, window: Window,
                     method: Methodology) -> pa.Table:
    weighed = weigh_incidents(incidents, window, method)
    weighed = weighed.filter(pc.invert(pc.is_null(weighed.column("asn"))))
    if "peak_visibility" in weighed.column_names:
        visible = pc.greater_equal(weighed.column("peak_visibility"), method.min_peer_asns)
        weighed = weighed.filter(visible)
    per_asn = weighed.select(["asn", "metric"])
    joined = members.join(per_asn, "asn", join_type="inner")
    keys = ["area_kind", "area"]
    involved = joined.group_by(keys).aggregate([("asn", "count_distinct")])
    by_metric = joined.group_by([*keys, "metric"]).aggregate([("asn", "count")])
    out = involved.rename_columns([*keys, "networks_involved"])
    for metric in INCIDENT_METRICS:
        rows = by_metric.filter(pc.equal(by_metric.column("metric"), metric))
        rows = rows.select([*keys, "asn_count"]).rename_columns(
            [*keys, f"incidents_{metric.lower()}"])
        out = out.join(rows, keys, join_type="left outer")
    return out
