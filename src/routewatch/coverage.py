"""What a month was computed from: collectors, minutes of BGP data, snapshot dates, inputs.

Role: every stored month carries its coverage (:data:`~routewatch.schemas.MONTH_COVERAGE`),
so that months computed from different collectors or amounts of data are never silently
compared (:class:`routewatch.metrics.trends.Coverage`) and a month already stored from the
same inputs under the same methodology can be skipped (:func:`inputs_digest`).

- **Minutes of BGP data**, per collector: the union of the intervals its update files cover
  (RIS 5 minutes, RouteViews 15, as named; :func:`routewatch.ingest.names.mrt_name`) inside the
  month — baseline files before the month do not count, RIB dumps add none.
- **Inputs digest**: SHA-256 over every input file's role, collector or kind and series,
  date, name, size and modification time, plus the gaps and stale notes the inputs came
  with. Cache files are named by their content hash, so the digest follows the content;
  a local file that is replaced or touched changes it (the month is then recomputed).

Inputs: a :class:`~routewatch.pipeline.MonthInputs` and what the run learned (its id, the
snapshot dates used, the time span of the data). Output: one-row Arrow table. Pure apart
from ``stat`` of the input files; a file that has gone is hashed as missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from routewatch.ingest.names import mrt_name, update_span
from routewatch.methodology import Methodology
from routewatch.metrics.trends import Coverage
from routewatch.schemas import MONTH_COVERAGE

__all__ = ["collector_minutes", "coverage_of", "inputs_digest", "month_coverage"]


class MrtInput(Protocol):
    """What coverage reads of one MRT input (:class:`routewatch.pipeline.MrtInput`)."""

    @property
    def path(self) -> Path: ...
    @property
    def collector(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def as_of(self) -> dt.datetime | None: ...


class RefFile(Protocol):
    """What coverage reads of one reference file (:class:`routewatch.pipeline.RefFile`)."""

    @property
    def path(self) -> Path: ...
    @property
    def kind(self) -> str: ...
    @property
    def series(self) -> str: ...
    @property
    def as_of(self) -> dt.date | None: ...


class MonthInputs(Protocol):
    """What coverage reads of a month's inputs (:class:`routewatch.pipeline.MonthInputs`)."""

    @property
    def month(self) -> dt.date: ...
    @property
    def mrt(self) -> Sequence[MrtInput]: ...
    @property
    def references(self) -> Sequence[RefFile]: ...
    @property
    def gaps(self) -> Sequence[str]: ...
    @property
    def stale(self) -> Sequence[str]: ...


def _interval(mrt: MrtInput) -> tuple[dt.datetime, dt.datetime] | None:
    named = mrt_name(mrt.path, mrt.collector)
    if named is not None:
        return named.start, named.end
    if mrt.as_of is None:
        return None
    return mrt.as_of, mrt.as_of + update_span(mrt.collector)


def collector_minutes(mrt: Sequence[MrtInput], month: dt.date) -> dict[str, float]:
    """Minutes of update data inside the month, per collector (every collector listed)."""
    start = dt.datetime.combine(month.replace(day=1), dt.time(), dt.UTC)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    spans: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {m.collector: [] for m in mrt}
    for item in mrt:
        interval = _interval(item) if item.kind == "updates" else None
        if interval is not None and interval[0] < end and interval[1] > start:
            spans[item.collector].append((max(interval[0], start), min(interval[1], end)))
    return {c: _union_minutes(s) for c, s in sorted(spans.items())}


def _union_minutes(spans: list[tuple[dt.datetime, dt.datetime]]) -> float:
    total = dt.timedelta(0)
    reach: dt.datetime | None = None
    for begin, finish in sorted(spans):
        if reach is not None and begin < reach:
            begin = reach
        if finish > begin:
            total += finish - begin
            reach = finish
    return total.total_seconds() / 60


def _stat(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return -1, -1
    return info.st_size, info.st_mtime_ns


def inputs_digest(inputs: MonthInputs) -> str:
    """SHA-256 of what the month reads (see the module doc)."""
    entries: list[list[object]] = []
    for m in inputs.mrt:
        entries.append(["mrt", m.collector, m.kind, m.as_of.isoformat() if m.as_of else None,
                        m.path.name, *_stat(m.path)])
    for r in inputs.references:
        entries.append(["ref", r.kind, r.series, r.as_of.isoformat() if r.as_of else None,
                        r.path.name, *_stat(r.path)])
    document = {"month": inputs.month.isoformat(), "files": sorted(entries, key=str),
                "gaps": sorted(inputs.gaps), "stale": sorted(inputs.stale)}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def month_coverage(inputs: MonthInputs, method: Methodology, run_id: str,
                   reference_dates: Mapping[str, dt.date],
                   observed: tuple[dt.datetime, dt.datetime] | None) -> pa.Table:
    """The one-row :data:`~routewatch.schemas.MONTH_COVERAGE` table of a month's run."""
    minutes = collector_minutes(inputs.mrt, inputs.month)
    row = {
        "month": inputs.month.replace(day=1), "methodology": method.version,
        "run_id": run_id, "inputs_digest": inputs_digest(inputs),
        "collectors": sorted(minutes), "bgp_minutes": float(sum(minutes.values())),
        "collector_minutes": json.dumps(minutes, sort_keys=True),
        "mrt_files": len(inputs.mrt), "baseline_days": method.baseline_days,
        "bgp_first": observed[0] if observed else None,
        "bgp_last": observed[1] if observed else None,
        "reference_dates": json.dumps({k: v.isoformat() for k, v in
                                       sorted(reference_dates.items())}),
    }  # fmt: skip
    return pa.Table.from_pylist([row], schema=MONTH_COVERAGE)


def coverage_of(row: Mapping[str, object]) -> Coverage:
    """The trend test's :class:`~routewatch.metrics.trends.Coverage` of a stored row."""
    collectors = row.get("collectors")
    names = tuple(str(c) for c in collectors) if isinstance(collectors, list | tuple) else ()
    minutes = row.get("bgp_minutes")
    return Coverage(str(row["methodology"]), names,
                    float(minutes) if isinstance(minutes, int | float) else 0.0)
