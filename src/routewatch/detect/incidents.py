"""Events to incidents: merge per metric and AS, clip to the window, weigh (METHODOLOGY §4).

Role: :func:`build_incidents` takes FINDINGS (from one or many partitions) and returns
INCIDENTS. Findings of the same metric and the same culprit whose spans, clipped to the
window, overlap or touch become one incident. Each finding whose accomplice counts
(culprit a customer of the accomplice, or unknown) also feeds the "C" metric of its
accomplice (``M1C`` … ``M4C``). A finding with no culprit (undetermined MOAS, AS_SET origin)
is merged per conflict prefix and counts against no AS. Under a methodology with a
confidence threshold (``rw-2026.2``), findings below it form their own *suspected*
incidents (label ``suspected``, ``scored`` false, with the class and reasons of
:mod:`.confidence`), never merged with confident ones.

Clipping: an incident counts only for its part inside the window. One that began before the
window (a hijack running since the previous month) starts at the window start; one still
open at the window end (or ending after it) ends there. So an incident crossing a month
boundary is counted in each month for the part inside it, each part weighed on its own.

Weight of an incident of duration d inside the window: d < 30 min → 0.5; d < 24 h → 1;
else floor(d / 24 h) + 1 (numbers from the methodology object). Peak visibility of an
incident is the largest peak of its findings (a lower bound of the peak of their union —
the exact union would need the spans, which partitions do not share).

Built column by column (Arrow and numpy, no Python row per finding), so a month's findings
cost their Arrow size. Pure: no I/O, no clock; the window comes from the caller.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from routewatch.detect.confidence import Confidence, confidence_rank, suspected
from routewatch.detect.findings import union_events
from routewatch.methodology import (
    CUSTOMER_SCORED_METRICS,
    INCIDENT_METRICS,
    OWN_SCORED_METRICS,
    Methodology,
)
from routewatch.schemas import INCIDENTS

__all__ = ["SCORED_METRICS", "build_incidents"]

I64 = npt.NDArray[np.int64]
#: Metrics the Action 1 score uses (M1/M1C are shown, not scored).
SCORED_METRICS = frozenset({*OWN_SCORED_METRICS, *CUSTOMER_SCORED_METRICS})
#: The own metrics that have a "C" metric for the accomplice (M1 -> M1C, ...).
_C_METRICS = {m: f"{m}C" for m in INCIDENT_METRICS if f"{m}C" in INCIDENT_METRICS}
_NONE = -1


def build_incidents(
    findings: pa.Table, method: Methodology, window_start: int, window_end: int
) -> pa.Table:
    """INCIDENTS from FINDINGS for the window [window_start, window_end) in microseconds."""
    events = _events(findings, window_start, window_end)
    if events is None:
        return INCIDENTS.empty_table()
    row, metric, asn, fallback, clip_start, clip_end = events
    doubt = _suspected(findings, row, method)
    group_key = _factorize(metric, asn, fallback, doubt)
    order = np.lexsort((row, clip_end, clip_start, group_key))
    row, clip_start, clip_end, group_key = (a[order] for a in (row, clip_start, clip_end,
                                                               group_key))  # fmt: skip
    doubt = doubt[order]
    metric, asn = metric.take(pa.array(order)), asn[order]
    incident = union_events(group_key, clip_start, clip_end)
    return _incident_table(findings, row, incident, metric, asn, doubt, clip_start, clip_end,
                           method, window_start, window_end)  # fmt: skip


def _suspected(findings: pa.Table, row: I64, method: Methodology) -> npt.NDArray[np.bool_]:
    """Per event: its finding is below the methodology's confidence threshold."""
    classes = findings.column("confidence").take(pa.array(row)).to_pylist()
    return np.array([suspected(c, method) for c in classes], np.bool_)


def _us(column: pa.ChunkedArray | pa.Array) -> I64:
    """Microseconds of a timestamp column, nulls as -1."""
    ints = column.cast(pa.int64()).fill_null(_NONE)
    out: I64 = np.asarray(ints.to_numpy(zero_copy_only=False), np.int64)
    return out


def _int(column: pa.ChunkedArray | pa.Array) -> I64:
    out: I64 = np.asarray(column.cast(pa.int64()).fill_null(_NONE).to_numpy(
        zero_copy_only=False), np.int64)  # fmt: skip
    return out


def _events(
    findings: pa.Table, window_start: int, window_end: int
) -> tuple[I64, pa.Array, I64, pa.Array, I64, I64] | None:
    """(finding row, metric, AS, fallback key, clipped start, clipped end) of every event:
    one per finding inside the window, plus one for its accomplice's "C" metric."""
    if findings.num_rows == 0:
        return None
    start, end = _us(findings.column("start")), _us(findings.column("end"))
    clip_start = np.maximum(start, window_start)
    clip_end = np.where(end < 0, window_end, np.minimum(end, window_end))
    inside = (clip_start <= clip_end) & (start < window_end)
    inside &= (clip_start != clip_end) | ((window_start <= start) & (start == clip_start))
    rows = np.flatnonzero(inside)
    if len(rows) == 0:
        return None
    take = pa.array(rows)
    metric = findings.column("metric").take(take).combine_chunks()
    culprit = _int(findings.column("culprit_asn").take(take))
    conflict = findings.column("conflict_prefix").take(take)
    fallback = pc.if_else(pc.is_null(conflict), findings.column("prefix").take(take), conflict)
    fallback = pc.if_else(pa.array(culprit >= 0), pa.scalar(""), fallback).combine_chunks()
    accomplice = _int(findings.column("accomplice_asn").take(take))
    counts = np.asarray(findings.column("accomplice_counts").take(take).fill_null(False)
                        .to_numpy(zero_copy_only=False), np.bool_)  # fmt: skip
    c_metric = pc.replace_substring_regex(metric, f"^({'|'.join(_C_METRICS)})$", r"\1C")
    has_c = counts & (accomplice >= 0) & np.asarray(
        pc.is_in(metric, pa.array(sorted(_C_METRICS))).to_numpy(zero_copy_only=False), np.bool_)
    extra = np.flatnonzero(has_c)
    extra_take = pa.array(extra)
    return (
        np.r_[rows, rows[extra]],
        pa.concat_arrays([metric, c_metric.take(extra_take)]),
        np.r_[culprit, accomplice[extra]],
        pa.concat_arrays([fallback, pa.array([""] * len(extra), pa.string())]),
        np.r_[clip_start[rows], clip_start[rows][extra]],
        np.r_[clip_end[rows], clip_end[rows][extra]],
    )


def _factorize(metric: pa.Array, asn: I64, fallback: pa.Array,
               doubt: npt.NDArray[np.bool_]) -> I64:
    """Group id per event, numbered in the order of (metric, AS with none first, fallback,
    confident before suspected)."""
    keys = pa.table({"metric": metric, "asn": pa.array(asn), "fallback": fallback,
                     "doubt": pa.array(doubt)})  # fmt: skip
    order = np.asarray(pc.sort_indices(keys, [(k, "ascending") for k in keys.column_names]))
    sorted_keys = keys.take(pa.array(order))
    same = np.ones(len(order), np.bool_)
    for name in keys.column_names:
        col = sorted_keys.column(name).combine_chunks()
        same[1:] &= np.asarray(pc.equal(col.slice(1), col.slice(0, len(col) - 1))
                               .to_numpy(zero_copy_only=False), np.bool_)  # fmt: skip
    same[0] = False
    group = np.empty(len(order), np.int64)
    group[order] = np.cumsum(~same) - 1
    return group


def _sorted_distinct(incident: I64, values: pa.Array, n: int) -> pa.ListArray:
    """Per incident, its non-null values sorted and without repeats."""
    table = pa.table({"i": pa.array(incident), "v": values}).filter(pc.is_valid(values))
    table = table.group_by(["i", "v"], use_threads=False).aggregate([])
    table = table.sort_by([("i", "ascending"), ("v", "ascending")])
    counts = np.bincount(np.asarray(table.column("i").to_numpy()), minlength=n)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), table.column("v").combine_chunks())


def _best_confidence(incident: I64, classes: pa.Array, n: int) -> pa.Array:
    """Per incident, the highest confidence class of its findings (null when none has one)."""
    rank = np.full(n, -1, np.int64)
    values = classes.to_pylist()
    known = [i for i, c in enumerate(values) if c is not None]
    if known:
        np.maximum.at(rank, incident[known],
                      np.array([confidence_rank(str(values[i])) for i in known], np.int64))
    names = {confidence_rank(c.value): c.value for c in Confidence}
    return pa.array([names.get(int(r)) for r in rank.tolist()], pa.string())


def _per_incident(
    incident: I64, n: int, values: I64, reduce: np.ufunc, initial: int
) -> I64:
    out = np.full(n, initial, np.int64)
    reduce.at(out, incident, values)
    return out


def _incident_table(
    findings: pa.Table,
    row: I64,
    incident: I64,
    metric: pa.Array,
    asn: I64,
    doubt: npt.NDArray[np.bool_],
    clip_start: I64,
    clip_end: I64,
    method: Methodology,
    window_start: int,
    window_end: int,
) -> pa.Table:
    n = int(incident[-1]) + 1
    first = np.flatnonzero(np.r_[True, incident[1:] != incident[:-1]])
    col = {name: findings.column(name).take(pa.array(row)).combine_chunks()
           for name in ("finding_id", "culprit_asn", "accomplice_asn", "accomplice_relation",
                        "decided_by", "labels", "prefix", "origin_asn", "as_path",
                        "peak_visibility", "witnesses", "confidence",
                        "confidence_reasons")}  # fmt: skip
    start, end = _us(findings.column("start"))[row], _us(findings.column("end"))[row]
    open_ = _per_incident(incident, n, (end < 0).astype(np.int64), np.maximum, 0) > 0
    began = _per_incident(incident, n, start, np.minimum, np.iinfo(np.int64).max)
    ended = _per_incident(incident, n, end, np.maximum, _NONE)
    duration = (_per_incident(incident, n, clip_end, np.maximum, np.iinfo(np.int64).min)
                - _per_incident(incident, n, clip_start, np.minimum, np.iinfo(np.int64).max))
    peak = _int(col["peak_visibility"])
    # the sample: the finding with the largest peak, ties to the largest finding id, then
    # to the first event
    ids = np.asarray(col["finding_id"].to_numpy(zero_copy_only=False), dtype=object)
    id_rank = np.unique(ids, return_inverse=True)[1]
    position = -np.arange(len(row))
    best_at = np.lexsort((position, id_rank, peak, incident))[np.r_[first[1:] - 1, len(row) - 1]]
    metrics = metric.take(pa.array(first))
    asns = asn[first]
    doubts = doubt[first]
    prefix0 = col["prefix"].take(pa.array(first)).to_pylist()
    incident_ids = [
        hashlib.sha1((f"{method.version}|{m}|{a if a >= 0 else None}|{p}|{s}"
                      + ("|suspected" if d else "")).encode()).hexdigest()[:16]
        for m, a, p, s, d in zip(metrics.to_pylist(), asns.tolist(), prefix0, began.tolist(),
                                 doubts.tolist(), strict=True)
    ]  # fmt: skip
    relations = pc.binary_join(_sorted_distinct(incident, col["accomplice_relation"], n), ",")
    relations = pc.if_else(pc.equal(relations, ""), pa.scalar(None, pa.string()), relations)
    labels = col["labels"]
    label_of = incident[pc.list_parent_indices(labels).to_numpy()]
    label_values = pc.list_flatten(labels)
    marked = np.flatnonzero(doubts)  # suspected incidents say so in their labels
    label_of = np.r_[label_of, marked]
    label_values = pa.concat_arrays([label_values.cast(pa.string()),
                                     pa.array(["suspected"] * len(marked), pa.string())])
    witnesses = col["witnesses"].take(pa.array(best_at))
    offsets = np.r_[0, np.cumsum(np.bincount(incident, minlength=n))].astype(np.int32)
    ts = pa.timestamp("us", tz="UTC")
    columns = {
        "incident_id": pa.array(incident_ids, pa.string()),
        "methodology": pa.array([method.version] * n, pa.string()),
        "metric": metrics,
        "asn": pa.array(np.maximum(asns, 0), pa.uint32(), mask=asns < 0),
        "culprit_asns": _sorted_distinct(incident, col["culprit_asn"], n),
        "accomplice_asns": _sorted_distinct(incident, col["accomplice_asn"], n),
        "accomplice_relation": relations,
        "scored": pa.array(np.asarray(pc.is_in(metrics, pa.array(sorted(SCORED_METRICS)))
                                      .to_numpy(zero_copy_only=False), np.bool_)
                           & (asns >= 0) & ~doubts),
        "start": pa.array(began, pa.int64()).cast(ts),
        "end": pa.array(np.where(open_, 0, ended), pa.int64(), mask=open_).cast(ts),
        "window_start": pa.array(np.full(n, window_start), pa.int64()).cast(ts),
        "window_end": pa.array(np.full(n, window_end), pa.int64()).cast(ts),
        "duration_s": pa.array(duration / 1e6, pa.float64()),
        "weight": pa.array([method.weight(int(d)) for d in duration.tolist()], pa.float64()),
        "peak_visibility": pa.array(
            _per_incident(incident, n, peak, np.maximum, 0), pa.uint32()),
        "prefixes": _sorted_distinct(incident, col["prefix"], n),
        "origins": _sorted_distinct(incident, col["origin_asn"], n),
        "decided_by": _sorted_distinct(incident, col["decided_by"], n),
        "labels": _sorted_distinct(label_of, label_values, n),
        "sample_path": col["as_path"].take(pa.array(best_at)),
        "sample_witness": pc.list_element(
            pc.if_else(pc.greater(pc.list_value_length(witnesses), 0), witnesses,
                       pa.scalar(None, witnesses.type)), 0),
        "finding_ids": pa.ListArray.from_arrays(pa.array(offsets), col["finding_id"]),
        "confidence": _best_confidence(incident, col["confidence"], n),
        "confidence_reasons": col["confidence_reasons"].take(pa.array(best_at)),
    }
    table = pa.table(columns)
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in INCIDENTS],
                                schema=INCIDENTS)
