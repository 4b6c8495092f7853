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

Weight of an incident of duration d inside the window: d < 30 min → 0.5; d < 24 h → 1;
else floor(d / 24 h) + 1 (numbers from the methodology object). Peak visibility of an
incident is the largest peak of its findings (a lower bound of the peak of their union —
the exact union would need the spans, which partitions do not share).

Pure: no I/O, no clock; the window comes from the caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import pyarrow as pa

from routewatch.detect.confidence import confidence_rank, suspected
from routewatch.methodology import Methodology
from routewatch.schemas import INCIDENTS

__all__ = ["SCORED_METRICS", "build_incidents"]

#: Metrics the Action 1 score uses (M1/M1C are shown, not scored).
SCORED_METRICS = frozenset({"M2", "M3", "M4", "M2C", "M3C", "M4C"})
_C_METRICS = {"M1": "M1C", "M2": "M2C", "M3": "M3C", "M4": "M4C"}
_NEEDED = ("finding_id", "metric", "culprit_asn", "accomplice_asn", "accomplice_relation",
           "accomplice_counts", "decided_by", "labels", "prefix", "origin_asn", "as_path",
           "start", "end", "peak_visibility", "witnesses", "conflict_prefix", "confidence",
           "confidence_reasons")  # fmt: skip


@dataclass
class _Event:
    start: int
    end: int | None
    clip_start: int
    clip_end: int
    row: dict[str, object]


@dataclass
class _Incident:
    metric: str
    asn: int | None
    events: list[_Event] = field(default_factory=list)
    clip_end: int = 0
    suspected: bool = False


def build_incidents(
    findings: pa.Table, method: Methodology, window_start: int, window_end: int
) -> pa.Table:
    """INCIDENTS from FINDINGS for the window [window_start, window_end) in microseconds."""
    groups: dict[tuple[str, int | None, str, bool], list[_Event]] = {}
    for row in findings.select(list(_NEEDED)).to_pylist():
        event = _clip(row, window_start, window_end)
        if event is None:
            continue
        metric = str(row["metric"])
        culprit = row["culprit_asn"]
        fallback = "" if culprit is not None else str(row["conflict_prefix"] or row["prefix"])
        doubt = suspected(row["confidence"], method)  # below the threshold: its own incidents
        groups.setdefault((metric, _int(culprit), fallback, doubt), []).append(event)
        accomplice = row["accomplice_asn"]
        if row["accomplice_counts"] and metric in _C_METRICS and accomplice is not None:
            groups.setdefault((_C_METRICS[metric], _int(accomplice), "", doubt), []).append(event)
    rows = []
    for (metric, asn, _, doubt), events in sorted(groups.items(), key=lambda kv: _sort_key(kv[0])):
        for incident in _merge(metric, asn, events):
            incident.suspected = doubt
            rows.append(_incident_row(incident, method, window_start, window_end))
    return pa.Table.from_pylist(rows, schema=INCIDENTS)


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _sort_key(key: tuple[str, int | None, str, bool]) -> tuple[str, int, str, bool]:
    return key[0], -1 if key[1] is None else key[1], key[2], key[3]


def _us(value: object) -> int:
    """Microseconds of a timestamp value from ``to_pylist`` (datetime) or an int."""
    if isinstance(value, int):
        return value
    assert isinstance(value, dt.datetime)
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _clip(row: dict[str, object], window_start: int, window_end: int) -> _Event | None:
    start = _us(row["start"])
    end = None if row["end"] is None else _us(row["end"])
    clip_start = max(start, window_start)
    clip_end = min(window_end if end is None else end, window_end)
    if clip_start > clip_end or start >= window_end:
        return None
    if clip_start == clip_end and not (window_start <= start and start == clip_start):
        return None
    return _Event(start, end, clip_start, clip_end, row)


def _merge(metric: str, asn: int | None, events: list[_Event]) -> list[_Incident]:
    out: list[_Incident] = []
    for event in sorted(events, key=lambda e: (e.clip_start, e.clip_end)):
        if out and event.clip_start <= out[-1].clip_end:
            out[-1].events.append(event)
            out[-1].clip_end = max(out[-1].clip_end, event.clip_end)
        else:
            out.append(_Incident(metric, asn, [event], event.clip_end))
    return out


def _incident_row(
    incident: _Incident, method: Methodology, window_start: int, window_end: int
) -> dict[str, object]:
    events = incident.events
    rows = [e.row for e in events]
    start = min(e.start for e in events)
    end = None if any(e.end is None for e in events) else max(e.end or 0 for e in events)
    duration = incident.clip_end - min(e.clip_start for e in events)
    best = max(rows, key=lambda r: (int(str(r["peak_visibility"])), str(r["finding_id"])))
    witnesses = best["witnesses"]
    sample_witness = witnesses[0] if isinstance(witnesses, list) and witnesses else None
    ident = f"{method.version}|{incident.metric}|{incident.asn}|{rows[0]['prefix']}|{start}"
    ident += "|suspected" if incident.suspected else ""
    labels = {str(label) for r in rows for label in _list(r["labels"])}
    labels |= {"suspected"} if incident.suspected else set()
    relations = sorted({str(r["accomplice_relation"]) for r in rows if r["accomplice_relation"]})
    return {
        "incident_id": hashlib.sha1(ident.encode()).hexdigest()[:16],
        "methodology": method.version,
        "metric": incident.metric,
        "asn": incident.asn,
        "culprit_asns": sorted(
            {int(str(r["culprit_asn"])) for r in rows if r["culprit_asn"] is not None}
        ),
        "accomplice_asns": sorted(
            {int(str(r["accomplice_asn"])) for r in rows if r["accomplice_asn"] is not None}
        ),
        "accomplice_relation": ",".join(relations) or None,
        "scored": incident.metric in SCORED_METRICS and incident.asn is not None
        and not incident.suspected,
        "start": start,
        "end": end,
        "window_start": window_start,
        "window_end": window_end,
        "duration_s": duration / 1e6,
        "weight": method.weight(duration),
        "peak_visibility": max(int(str(r["peak_visibility"])) for r in rows),
        "prefixes": sorted({str(r["prefix"]) for r in rows}),
        "origins": sorted({int(str(r["origin_asn"])) for r in rows if r["origin_asn"] is not None}),
        "decided_by": sorted({str(r["decided_by"]) for r in rows}),
        "labels": sorted(labels),
        "sample_path": best["as_path"],
        "sample_witness": sample_witness,
        "finding_ids": [str(r["finding_id"]) for r in rows],
        "confidence": _best_confidence(rows),
        "confidence_reasons": best["confidence_reasons"],
    }


def _best_confidence(rows: list[dict[str, object]]) -> str | None:
    found = [str(r["confidence"]) for r in rows if r["confidence"] is not None]
    return max(found, key=confidence_rank) if found else None


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
