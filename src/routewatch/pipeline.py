"""The pipeline: the one module that composes the stages for a month.

Data flow::

    gather_month (sources: fetch / cache)        demo_inputs (bundled sample)
                 └──────────────► MonthInputs ◄──────────┘
                                      │
    choose_references  closest snapshot before the month per series, never from the future
                       unless nothing earlier exists; every date and gap is stamped
                                      │
    ingest             MRT files → elems (optionally also written to the Parquet lake),
                       merged hour by hour in time order; announced pairs and AS visibility
                       are counted on the way
                                      │
    detect             routewatch.detect.detect → findings, incidents (clipped to the data
                       when the data ends before the month does)
                                      │
    metrics            per-ASN metrics, action scores and bands, areas, roll-ups
                                      │
    store              Store.write_snapshot (month replaced atomically; the run recorded)

The CLI (``routewatch run`` / ``demo``) and the web app call :func:`run_month`,
:func:`gather_month`, :func:`demo_inputs` and the store — never a detector or a fetcher.

Failure modes: no BGP data at all raises :class:`~routewatch.errors.InputError`; a BGP file
that cannot be fetched is a gap (the run is partial), so is a reference source that cannot
be fetched or loaded. Store errors propagate after the run is recorded as failed.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from routewatch.detect import References, build_incidents, detect
from routewatch.detect.verdicts import aspas_from_table, pair_verdicts
from routewatch.errors import FetchError, InputError, RoutewatchError
from routewatch.ingest.report import IngestReport
from routewatch.methodology import RW_2026_1, Methodology
from routewatch.metrics import (
    Window,
    asn_areas,
    compute_action_scores,
    compute_asn_metrics,
    compute_rollups,
)
from routewatch.reference.base import RefKind, Snapshot
from routewatch.schemas import (
    ANNOUNCED_PAIRS,
    ASN_AREAS,
    ASN_VISIBILITY,
    IRR_AUT_NUMS,
    NETWORKS,
    PEERINGDB_NETWORKS,
    SPOOFABLE_PREFIXES,
)
from routewatch.store import MonthTables, RunInfo, RunStatus, Store

if TYPE_CHECKING:
    from routewatch.reference.registry import Registry
    from routewatch.sources import FetchedFile, Fetcher
    from routewatch.sources import Window as SourceWindow

__all__ = [
    "DATA_END_SLACK_S",
    "DEFAULT_COLLECTORS",
    "MAX_AGE_DAYS",
    "MonthInputs",
    "MrtInput",
    "NullObserver",
    "Observer",
    "RefFile",
    "RunResult",
    "choose_references",
    "demo_inputs",
    "gather_month",
    "run_month",
]

#: Collectors a month run reads unless told otherwise: one RIS, one RouteViews collector.
DEFAULT_COLLECTORS: tuple[str, ...] = ("rrc00", "route-views2")
#: A reference snapshot older than this before the month is stamped as a gap.
MAX_AGE_DAYS = 35
#: BGP data ending less than this before the month's end counts as covering the month.
DATA_END_SLACK_S = 3600
#: Reference kinds a month uses, in load order.
REFERENCE_KINDS: tuple[str, ...] = (
    "vrps", "aspas", "irr-routes", "irr-aut-nums", "as-relationships", "as-orgs",
    "delegations", "peeringdb", "manrs-participants", "spoofer",
)  # fmt: skip
_US = 1_000_000
#: The prefix bits ride along with the text (they depend on it) so verdicts need no re-parsing.
_PREFIX_KEYS = ["prefix", "afi", "prefix_hi", "prefix_lo", "prefix_len"]
_PAIR_KEYS = [*_PREFIX_KEYS, "origin_asn", "peer_asn"]


# ------------------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class MrtInput:
    """One MRT archive of the month: path, collector, ``rib`` or ``updates``, its time."""

    path: Path
    collector: str
    kind: str
    as_of: dt.datetime | None = None


@dataclass(frozen=True)
class RefFile:
    """One reference file: kind (a ``RefKind`` value), series, the date it describes."""

    path: Path
    kind: str
    series: str
    as_of: dt.date | None


@dataclass(frozen=True)
class MonthInputs:
    """Everything a month run reads, plus what is already known to be missing or stale."""

    month: dt.date
    mrt: tuple[MrtInput, ...]
    references: tuple[RefFile, ...]
    gaps: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    fetch_manifest: str = "{}"


class Observer(Protocol):
    """Progress of a run: stages with an optional total, steps inside them, messages."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A stage begins (``total`` steps, if known)."""

    def advance(self, note: str = "") -> None:
        """One step of the current stage is done."""

    def message(self, text: str) -> None:
        """Something worth telling the user (a gap, a stale file)."""


class NullObserver:
    """An observer that shows nothing."""

    def stage(self, name: str, total: int | None = None) -> None:
        """Ignore."""

    def advance(self, note: str = "") -> None:
        """Ignore."""

    def message(self, text: str) -> None:
        """Ignore."""


# ------------------------------------------------------------------------------ snapshots
def choose_references(
    files: Iterable[RefFile], window: Window
) -> tuple[dict[str, list[RefFile]], dict[str, dt.date], list[str]]:
    """Per series, the snapshot to use: the latest dated on or before the month's first day;
    else the earliest inside the month; else (nothing earlier exists) the earliest after it.

    Returns the chosen files by kind, the date used per series, and one gap line per series
    whose snapshot is older than :data:`MAX_AGE_DAYS` before the month or from after it.
    """
    by_series: dict[tuple[str, str], list[RefFile]] = {}
    for ref in files:
        by_series.setdefault((ref.kind, ref.series), []).append(ref)
    chosen: dict[str, list[RefFile]] = {}
    dates: dict[str, dt.date] = {}
    gaps: list[str] = []
    for (kind, series), refs in sorted(by_series.items()):
        when = _pick_date(refs, window)
        picked = [r for r in refs if r.as_of == when]
        chosen.setdefault(kind, []).extend(picked)
        if when is None:
            gaps.append(f"{kind} ({series}): snapshot date unknown")
            continue
        dates[series] = when
        gap = _gap(when, window)
        if gap:
            gaps.append(f"{kind} ({series}): snapshot of {when.isoformat()}, {gap}")
    return chosen, dates, gaps


def _pick_date(refs: Sequence[RefFile], window: Window) -> dt.date | None:
    dated = sorted({r.as_of for r in refs if r.as_of is not None})
    if not dated:
        return None
    before = [d for d in dated if d <= window.month]
    return before[-1] if before else dated[0]


def _gap(when: dt.date, window: Window) -> str:
    end = window.end.date()
    if when >= end:
        return f"{(when - end).days + 1} days after the month (no earlier snapshot available)"
    age = (window.month - when).days
    if age > MAX_AGE_DAYS:
        return f"{age} days before the month"
    return ""


# ------------------------------------------------------------------------------ references
@dataclass
class _Loaded:
    """Reference data of one run, indexed, with the gaps met while loading."""

    refs: References
    registry: Registry | None = None
    signers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    peeringdb: pa.Table = field(default_factory=PEERINGDB_NETWORKS.empty_table)
    aut_nums: pa.Table = field(default_factory=IRR_AUT_NUMS.empty_table)
    spoofer: pa.Table = field(default_factory=SPOOFABLE_PREFIXES.empty_table)
    manrs: list[int] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


_FileKey = tuple[str, str, int, int]


class _SnapshotMemo:
    """Reference files parsed once while consecutive months read them (a bulk run's months
    share most snapshots: registries, relationships, IRR). Before each month, files it does
    not read are dropped, so memory stays one month's references. A file is known by path,
    size and modification time: a replaced file is parsed again."""

    def __init__(self) -> None:
        self._kept: dict[_FileKey, Snapshot] = {}

    @staticmethod
    def key(ref: RefFile, kind: str) -> _FileKey:
        try:
            info = ref.path.stat()
        except OSError:
            return str(ref.path), kind, -1, -1
        return str(ref.path), kind, info.st_size, info.st_mtime_ns

    def retain(self, chosen: Mapping[str, Sequence[RefFile]]) -> None:
        """Forget every file the next month does not read."""
        wanted = {self.key(ref, kind) for kind, refs in chosen.items() for ref in refs}
        self._kept = {k: v for k, v in self._kept.items() if k in wanted}

    def load(self, ref: RefFile, kind: str) -> Snapshot:
        """The file's snapshot, parsed now or earlier (errors are never kept)."""
        from routewatch.reference.sniff import load_any

        key = self.key(ref, kind)
        if key not in self._kept:
            self._kept[key] = load_any([ref.path], RefKind(kind))
        return self._kept[key]


_MEMO = _SnapshotMemo()


def _load_kind(kind: str, files: Sequence[RefFile], gaps: list[str]) -> Snapshot | None:
    """Load every file of one kind (one by one, so formats may differ) as one snapshot."""
    snapshots: list[Snapshot] = []
    for ref in files:
        try:
            snapshots.append(_MEMO.load(ref, kind))
        except RoutewatchError as exc:
            gaps.append(f"{kind}: {ref.path.name} could not be loaded ({exc})")
    if not snapshots:
        return None
    table = pa.concat_tables([s.table for s in snapshots], promote_options="permissive")
    first = snapshots[0]
    return Snapshot(first.kind, first.format, table, first.as_of,
                    tuple(f for s in snapshots for f in s.files))  # fmt: skip


def _load_references(chosen: Mapping[str, list[RefFile]], dates: Mapping[str, dt.date],
                     window: Window, observer: Observer) -> _Loaded:
    from routewatch.reference import bogons
    from routewatch.reference.asrel import Relationships
    from routewatch.reference.irr import IrrIndex
    from routewatch.reference.registry import Registry
    from routewatch.reference.rov import VrpIndex
    from routewatch.reference.spoofer import spoofable_prefixes

    gaps: list[str] = []
    observer.stage("Loading reference data", len(REFERENCE_KINDS))
    _MEMO.retain(chosen)
    snaps: dict[str, Snapshot | None] = {}
    for kind in REFERENCE_KINDS:
        snaps[kind] = _load_kind(kind, chosen.get(kind, []), gaps)
        observer.advance(kind)
    prefixes, asns = bogons.iana_bogon_prefixes(), bogons.iana_bogon_asns()
    rels, orgs = snaps["as-relationships"], snaps["as-orgs"]
    vrps = snaps["vrps"]
    stamps = [(series, day.isoformat()) for series, day in sorted(dates.items())]
    stamps += [(f"bogons/{s.kind.value}", s.as_of.isoformat() if s.as_of else "packaged")
               for s in (prefixes, asns)]  # fmt: skip
    refs = References(
        vrps=VrpIndex.build(vrps.table) if vrps else None,
        irr=IrrIndex.build(snaps["irr-routes"].table) if snaps["irr-routes"] else None,
        bogons=bogons.BogonIndex.build(prefixes.table, asns.table),
        relationships=Relationships.build(rels.table, orgs.table if orgs else None)
        if rels else None,
        aspas=aspas_from_table(snaps["aspas"].table) if snaps["aspas"] else {},
        stamps=tuple(stamps),
    )  # fmt: skip
    loaded = _Loaded(refs, gaps=gaps)
    for snap in (prefixes, asns):
        gap = _gap(snap.as_of, window) if snap.as_of else ""
        if gap:
            gaps.append(f"{snap.kind.value} (packaged IANA registries): snapshot of "
                        f"{snap.as_of}, {gap}")
    for kind in ("vrps", "irr-routes", "as-relationships", "delegations"):
        if snaps[kind] is None:
            gaps.append(f"{kind}: no snapshot available; the verdicts that need it are not "
                        "given (see 'routewatch sources')")
    if snaps["delegations"] is not None:
        loaded.registry = Registry.build(snaps["delegations"])
    if vrps is not None:
        loaded.signers = np.unique(vrps.table.column("asn").to_numpy()).astype(np.uint32)
    if snaps["peeringdb"] is not None:
        loaded.peeringdb = snaps["peeringdb"].table
    if snaps["irr-aut-nums"] is not None:
        loaded.aut_nums = snaps["irr-aut-nums"].table
    if snaps["spoofer"] is not None:
        loaded.spoofer = spoofable_prefixes(snaps["spoofer"])
    if snaps["manrs-participants"] is not None:
        loaded.manrs = [int(a) for a in snaps["manrs-participants"].table.column("asn").to_pylist()]
    return loaded


# ------------------------------------------------------------------------------ elems
class _Announced:
    """Distinct (prefix, origin, peer AS) and (AS in path, peer AS) of announcements."""

    def __init__(self, window_start_us: int) -> None:
        self.start = pa.scalar(window_start_us, pa.int64())
        self.pairs = _Distinct(_PAIR_KEYS, [])
        self.seen = _Distinct(["asn", "peer_asn"], [])

    def add(self, batch: pa.RecordBatch) -> None:
        """Count the announcements (RIB entries and announces) of a batch inside the window."""
        kinds = pc.cast(batch.column("elem_type"), pa.string())
        keep = pc.and_(pc.is_in(kinds, pa.array(["R", "A"])),
                       pc.greater_equal(batch.column("timestamp").cast(pa.int64()), self.start))
        rows = pa.Table.from_batches([batch]).filter(keep)
        if not rows.num_rows:
            return
        with_origin = rows.filter(pc.is_valid(rows.column("origin_asn")))
        self.pairs.add(with_origin.select(_PAIR_KEYS))
        paths = rows.column("path_asns").combine_chunks()
        owners = pc.list_parent_indices(paths)
        self.seen.add(pa.table({"asn": pc.list_flatten(paths),
                                "peer_asn": pc.take(rows.column("peer_asn"), owners)}))


class _Distinct:
    """Distinct rows over ``keys`` (other columns aggregated), compacted as they grow."""

    def __init__(self, keys: list[str], aggregates: list[tuple[str, str]]) -> None:
        self.keys = keys
        self.aggregates = aggregates
        self.parts: list[pa.Table] = []
        self.pending = 0
        self.compacted = 0

    def add(self, table: pa.Table) -> None:
        """Add rows; compact when the pending rows outgrow the compacted ones."""
        self.parts.append(self._group(table))
        self.pending += self.parts[-1].num_rows
        if self.pending > max(1_000_000, 2 * self.compacted):
            self.table()

    def table(self) -> pa.Table | None:
        """The distinct rows so far (``None`` before any)."""
        if not self.parts:
            return None
        merged = self._group(pa.concat_tables(self.parts)) if len(self.parts) > 1 \
            else self.parts[0]  # fmt: skip
        self.parts = [merged]
        self.pending = 0
        self.compacted = merged.num_rows
        return merged

    def _group(self, table: pa.Table) -> pa.Table:
        grouped = table.group_by(self.keys, use_threads=False).aggregate(self.aggregates)
        return grouped.rename_columns([_plain(n) for n in grouped.column_names])


def _plain(name: str) -> str:
    return name.removesuffix("_min")


@dataclass
class _ReadStats:
    """What reading the MRT files met."""

    files: int = 0
    elems: dict[str, int] = field(default_factory=dict)
    problems: int = 0
    problem_files: list[str] = field(default_factory=list)


def _hour_groups(files: Sequence[MrtInput]) -> list[list[MrtInput]]:
    """RIB files first, one group each (streamed: every entry has the dump time), then update
    files grouped by the hour they start, in time order (each group is merged by time)."""
    def key(f: MrtInput) -> tuple[int, int, dt.datetime]:
        when = f.as_of or dt.datetime.max.replace(tzinfo=dt.UTC)
        return (0 if f.kind == "rib" else 1, 0 if f.as_of else 1, when)

    groups: dict[object, list[MrtInput]] = {}
    for f in sorted(files, key=key):
        hour = (f.as_of.replace(minute=0, second=0, microsecond=0)
                if f.as_of and f.kind != "rib" else f.path)  # fmt: skip
        groups.setdefault(hour, []).append(f)
    return list(groups.values())


def _elem_batches(files: Sequence[MrtInput], stats: _ReadStats, announced: _Announced,
                  observer: Observer, lake: Path | None) -> Iterator[pa.RecordBatch]:
    """Elems of every file in time order: RIBs streamed batch by batch, update files merged
    hour by hour (memory: one hour of updates); announcements counted on the way."""
    observer.stage("Reading MRT and detecting", len(files))
    for group in _hour_groups(files):
        if len(group) == 1 and group[0].kind == "rib":
            for batch in _read(group[0], stats, observer, lake):
                announced.add(batch)
                yield batch
            continue
        batches = [b for mrt in group for b in _read(mrt, stats, observer, lake)]
        if not batches:
            continue
        table = pa.Table.from_batches(batches)
        table = table.take(pc.sort_indices(table, [("timestamp", "ascending")]))
        for batch in table.combine_chunks().to_batches(max_chunksize=65536):
            announced.add(batch)
            yield batch


def _read(mrt: MrtInput, stats: _ReadStats, observer: Observer,
          lake: Path | None) -> Iterator[pa.RecordBatch]:
    """The batches of one file (also written to the lake when one is given)."""
    from routewatch.ingest.mrt import read_elems

    if lake is not None:
        _ingest_to_lake(mrt, lake)
    report = IngestReport()
    yield from read_elems(mrt.path, collector=mrt.collector, report=report)
    _count(stats, report, mrt.path)
    observer.advance(mrt.path.name)


def _count(stats: _ReadStats, report: IngestReport, path: Path) -> None:
    stats.files += 1
    for name, count in report.elems.items():
        stats.elems[name] = stats.elems.get(name, 0) + int(count)
    problems = sum(report.problem_counts.values())
    if problems:
        stats.problems += problems
        stats.problem_files.append(path.name)


def _ingest_to_lake(mrt: MrtInput, lake: Path) -> None:
    from routewatch.ingest.lake import ingest_file

    ingest_file(mrt.path, lake, collector=mrt.collector)


# ------------------------------------------------------------------------------ pairs
def _announced_pairs(announced: _Announced, refs: References, window: Window,
                     method: Methodology) -> pa.Table:
    """:data:`~routewatch.schemas.ANNOUNCED_PAIRS` of the month, with ROV and IRR verdicts."""
    from routewatch.reference.irr import IRR_STATES
    from routewatch.reference.rov import REASON_CODES, STATE_CODES

    table = announced.pairs.table()
    if table is None:
        return ANNOUNCED_PAIRS.empty_table()
    grouped = table.group_by([*_PREFIX_KEYS, "origin_asn"], use_threads=False).aggregate(
        [("peer_asn", "count_distinct")]
    ).sort_by([("prefix", "ascending"), ("origin_asn", "ascending")])
    n = grouped.num_rows
    afi, hi, lo, length = (np.asarray(grouped.column(c).to_numpy()) for c in _PREFIX_KEYS[1:])
    verdicts = pair_verdicts(
        refs, afi, hi, lo, length, np.asarray(grouped.column("origin_asn").to_numpy(), np.int64)
    )
    rov = [STATE_CODES[c].value if c >= 0 else "not-found" for c in verdicts.rov_state]
    reason = [REASON_CODES[c].value if c >= 0 else None for c in verdicts.rov_reason]
    irr = [IRR_STATES[c].value if c >= 0 else "not-registered" for c in verdicts.irr_state]
    return pa.table({
        "month": [window.month] * n,
        "methodology": [method.version] * n,
        "prefix": grouped.column("prefix"),
        "origin_asn": grouped.column("origin_asn"),
        "peer_asns": grouped.column("peer_asn_count_distinct").cast(pa.uint32()),
        "rov_state": rov,
        "rov_reason": reason,
        "irr_state": irr,
    }, schema=ANNOUNCED_PAIRS)  # fmt: skip


def _visibility(announced: _Announced) -> pa.Table:
    table = announced.seen.table()
    if table is None:
        return ASN_VISIBILITY.empty_table()
    grouped = table.group_by("asn", use_threads=False).aggregate([("peer_asn", "count_distinct")])
    return pa.table({"asn": grouped.column("asn"),
                     "peer_asns": grouped.column("peer_asn_count_distinct").cast(pa.uint32())},
                    schema=ASN_VISIBILITY)  # fmt: skip


# ------------------------------------------------------------------------------ run
@dataclass(frozen=True)
class RunResult:
    """What a month run did: the run record, rows written and the summary numbers."""

    run: RunInfo
    db: Path
    written: Mapping[str, int]
    mrt_files: int
    elems: Mapping[str, int]
    mrt_problems: int
    observed: tuple[dt.datetime, dt.datetime] | None
    incidents_by_metric: Mapping[str, int]
    networks: int
    networks_seen: int
    bands: Mapping[str, Mapping[str, int]]
    seconds: float

    @property
    def partial(self) -> bool:
        """True when data was missing or stale (CLI exit code 3)."""
        return self.run.status is RunStatus.PARTIAL


def run_month(
    inputs: MonthInputs,
    db: Path,
    *,
    method: Methodology = RW_2026_1,
    observer: Observer | None = None,
    lake: Path | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> RunResult:
    """Ingest, detect, score and store one month; the run is recorded whatever happens."""
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    observer = observer or NullObserver()
    began = time.monotonic()
    window = Window.of(inputs.month)
    started = now()
    run_id = f"{window.label}-{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    store = Store.open(db)
    try:
        result = _run(inputs, store, window, method, observer, lake)
    except RoutewatchError:
        store.record_run(RunInfo(run_id, window.month, started, RunStatus.FAILED,
                                 method.version, now(), inputs.fetch_manifest))  # fmt: skip
        raise
    tables, dates, gaps, stats, observed = result
    from routewatch.coverage import month_coverage  # what the month rests on (trends, skips)
    from routewatch.impacts import month_impact  # cohorts and before/after, stored with it

    coverage = month_coverage(inputs, method, run_id, dates, observed)
    cohorts, did = month_impact(store, tables, coverage, method)
    tables = replace(tables, month_coverage=coverage, cohort_impact=cohorts, did_impact=did)
    status = RunStatus.PARTIAL if gaps or inputs.stale or stats.problems else RunStatus.COMPLETE
    run = RunInfo(run_id, window.month, started, status, method.version, now(),
                  inputs.fetch_manifest, dates, tuple(gaps))  # fmt: skip
    observer.stage("Storing", 1)
    written = store.write_snapshot(window.month, tables, run)
    observer.advance("stored")
    return _summarise(run, store.path, written, tables, stats, observed,
                      time.monotonic() - began)


_Outcome = tuple[MonthTables, dict[str, dt.date], list[str], _ReadStats,
                 tuple[dt.datetime, dt.datetime] | None]


def _run(inputs: MonthInputs, store: Store, window: Window, method: Methodology,
         observer: Observer, lake: Path | None) -> _Outcome:
    if not inputs.mrt:
        raise InputError(f"no BGP data for {window.label}; fetch it with 'routewatch run "
                         f"--month {window.label}' (online) or check the cache")
    chosen, dates, gaps = choose_references(inputs.references, window)
    gaps = [*inputs.gaps, *gaps]
    loaded = _load_references(chosen, dates, window, observer)
    gaps += loaded.gaps
    stats = _ReadStats()
    announced = _Announced(window.start_us)
    batches = _elem_batches(inputs.mrt, stats, announced, observer, lake)
    found = detect(batches, loaded.refs, method=method, window=(window.start_us, window.end_us))
    observed = _observed(found.report.first_time, found.report.last_time)
    if observed is None and stats.problems:
        raise InputError(f"no BGP data of {window.label} could be read: all "
                         f"{len(stats.problem_files)} MRT file(s) are broken (first: "
                         f"{stats.problem_files[0]}); check them with 'routewatch mrt stats'")
    incidents = found.incidents
    last = found.report.last_time
    if observed and last is not None and last < window.end_us - DATA_END_SLACK_S * _US:
        incidents = _clip_to_data(found.findings, method, window, last)
        since, until = (f"{t:%Y-%m-%d %H:%M}" for t in observed)
        gaps.append(f"bgp: data covers {since} to {until} UTC only; incidents still open then "
                    "end there")
    if stats.problems:
        gaps.append(f"bgp: {stats.problems} MRT problems in {len(stats.problem_files)} files "
                    "(see 'routewatch mrt stats')")
    observer.stage("Scoring", 1)
    tables = _score(found.findings, incidents, announced, loaded, window, method, store)
    observer.advance("scored")
    return tables, dates, gaps, stats, observed


def _observed(first: int | None, last: int | None) -> tuple[dt.datetime, dt.datetime] | None:
    if first is None or last is None:
        return None
    return (dt.datetime.fromtimestamp(first / _US, dt.UTC),
            dt.datetime.fromtimestamp(last / _US, dt.UTC))  # fmt: skip


def _clip_to_data(findings: pa.Table, method: Methodology, window: Window,
                  last_us: int) -> pa.Table:
    """Incidents of data that ends before the month: clipped to the data, open ones closed
    at the last elem and labelled ``open-at-data-end`` (nothing is known after it)."""
    incidents = build_incidents(findings, method, window.start_us, last_us)
    if not incidents.num_rows:
        return incidents
    open_ = pc.is_null(incidents.column("end"))
    last = pa.scalar(last_us, pa.timestamp("us", tz="UTC"))
    ends = pc.if_else(open_, last, incidents.column("end"))
    labels = [sorted({*(lab or []), "open-at-data-end"}) if o else lab
              for lab, o in zip(incidents.column("labels").to_pylist(), open_.to_pylist(),
                                strict=True)]  # fmt: skip
    incidents = incidents.set_column(incidents.schema.get_field_index("end"), "end", ends)
    index = incidents.schema.get_field_index("labels")
    return incidents.set_column(index, incidents.schema.field("labels"),
                                pa.array(labels, pa.list_(pa.string())))


def _score(findings: pa.Table, incidents: pa.Table, announced: _Announced, loaded: _Loaded,
           window: Window, method: Methodology, store: Store) -> MonthTables:
    pairs = _announced_pairs(announced, loaded.refs, window, method)
    registry = loaded.registry
    assigned = registry.assigned_asns() if registry is not None else np.zeros(0, np.uint32)
    metrics = compute_asn_metrics(
        incidents=incidents, pairs=pairs, spoofer=loaded.spoofer, peeringdb=loaded.peeringdb,
        aut_nums=loaded.aut_nums, assigned=assigned, window=window, method=method,
        visibility=_visibility(announced),
    )  # fmt: skip
    scores = compute_action_scores(metrics, method)
    asns = metrics.column("asn").to_numpy()
    if registry is not None:
        areas = asn_areas(asns, registry, manrs_asns=loaded.manrs, signer_asns=loaded.signers)
    else:
        areas = ASN_AREAS.empty_table()
    rollups = compute_rollups(asn_metrics=metrics, action_scores=scores, incidents=incidents,
                              areas=areas, window=window, method=method,
                              previous_readiness=_previous(store, window))  # fmt: skip
    return MonthTables(findings, incidents, metrics, scores, rollups.readiness,
                       rollups.summaries, _networks(areas, loaded.peeringdb, window, method),
                       pairs)  # fmt: skip


def _previous(store: Store, window: Window) -> pa.Table | None:
    try:
        table = store.table("area_readiness", window.previous().month)
    except RoutewatchError:
        return None
    return table if table.num_rows else None


def _networks(areas: pa.Table, peeringdb: pa.Table, window: Window,
              method: Methodology) -> pa.Table:
    names = {int(r["asn"]): r["name"] for r in peeringdb.select(["asn", "name"]).to_pylist()}
    n = areas.num_rows
    asns = areas.column("asn").to_pylist()
    columns = {name: areas.column(name) for name in ASN_AREAS.names}
    columns.update({"month": pa.array([window.month] * n, pa.date32()),
                    "methodology": pa.array([method.version] * n, pa.string()),
                    "name": pa.array([names.get(int(a)) for a in asns], pa.string())})
    return pa.table({name: columns[name] for name in NETWORKS.names}, schema=NETWORKS)


def _summarise(run: RunInfo, db: Path, written: Mapping[str, int], tables: MonthTables,
               stats: _ReadStats, observed: tuple[dt.datetime, dt.datetime] | None,
               seconds: float) -> RunResult:
    incidents = tables.incidents.column("metric").to_pylist()
    by_metric = {m: incidents.count(m) for m in sorted(set(incidents))}
    bands: dict[str, dict[str, int]] = {}
    for row in tables.action_scores.group_by(["action", "band"]).aggregate(
            [("asn", "count")]).to_pylist():
        bands.setdefault(str(row["action"]), {})[str(row["band"])] = int(row["asn_count"])
    seen = pc.sum(tables.asn_metrics.column("seen").cast(pa.int64())).as_py() or 0
    return RunResult(run, db, written, stats.files, dict(stats.elems), stats.problems, observed,
                     by_metric, tables.asn_metrics.num_rows, int(seen), bands, seconds)


# ------------------------------------------------------------------------------ demo
def demo_inputs() -> MonthInputs:
    """The bundled sample (:mod:`routewatch.demo`) as the inputs of its month."""
    from routewatch import demo

    missing = demo.files_missing()
    if missing:
        raise InputError(f"the demo dataset is incomplete ({', '.join(missing)} missing); "
                         "reinstall routewatch")
    folder = demo.data_dir()
    mrt = tuple(
        MrtInput(folder / f.name, f.collector, "updates",
                 dt.datetime.combine(f.as_of, dt.time(), dt.UTC))
        for f in demo.DEMO_FILES if f.kind == "mrt"
    )
    refs = tuple(RefFile(folder / f.name, f.kind, f.series, f.as_of)
                 for f in demo.DEMO_FILES if f.kind != "mrt")
    manifest = json.dumps({"dataset": "routewatch demo (bundled; see demo/PROVENANCE.md)",
                           "files": [f.name for f in demo.DEMO_FILES]})
    return MonthInputs(demo.DEMO_MONTH, mrt, refs, demo.DEMO_GAPS, (), manifest)


# ------------------------------------------------------------------------------ fetching
#: (source, collector, reference kind by file) of the reference data a month run fetches.
_REFERENCE_SOURCES: tuple[tuple[str, str], ...] = (
    *(("rpki", tal) for tal in ("afrinic", "apnic", "arin", "lacnic", "ripencc")),
    *(("rir", rir) for rir in ("afrinic", "apnic", "arin", "lacnic", "ripencc")),
    ("caida", "as-rel"), ("caida", "as-org"),
    *(("irr", name) for name in ("ripe", "apnic", "arin", "afrinic", "lacnic", "radb")),
    ("peeringdb", "caida"), ("manrs", "participants"), ("spoofer", "sessions"),
)  # fmt: skip
#: Current-only sources whose every cached snapshot is offered to the month (the closest
#: before the month is chosen): an ASN's MANRS join month is the first snapshot listing it.
_KEEP_HISTORY = ("manrs",)
_KIND_OF_SOURCE = {"rpki": "vrps", "rir": "delegations", "peeringdb": "peeringdb",
                   "manrs": "manrs-participants", "spoofer": "spoofer"}  # fmt: skip


def _ref_kinds(source: str, collector: str, filename: str) -> tuple[str, ...]:
    """Reference kinds a fetched file holds (a whole IRR dump holds routes and aut-nums)."""
    if source == "caida":
        found = {"as-rel": "as-relationships", "as-org": "as-orgs"}.get(collector)
        return (found,) if found else ()
    if source == "irr":
        split = {"route": ("irr-routes",), "route6": ("irr-routes",),
                 "aut-num": ("irr-aut-nums",), "as-set": ()}  # fmt: skip
        for part, kinds in split.items():
            if f".{part}." in filename:
                return kinds
        return ("irr-routes", "irr-aut-nums")
    found = _KIND_OF_SOURCE.get(source)
    return (found,) if found else ()


def gather_month(
    month: dt.date,
    collectors: Sequence[str] = DEFAULT_COLLECTORS,
    *,
    offline: bool | None = None,
    cache_dir: Path | None = None,
    observer: Observer | None = None,
) -> MonthInputs:
    """Fetch (or take from the cache) what a month needs: a RIB at the start of the month and
    every update file of each collector, and the reference snapshots at the month's start.

    A file that cannot be had becomes a gap; the run is then partial.
    """
    from routewatch.sources import Window as SourceWindow
    from routewatch.sources import get_source
    from routewatch.sources.registry import make_fetcher

    observer = observer or NullObserver()
    window = Window.of(month)
    span = SourceWindow(window.start, window.end)
    instant = SourceWindow(window.start, window.start)
    fetcher = make_fetcher(offline=offline, cache_dir=cache_dir)
    gaps: list[str] = []
    stale: list[str] = []
    manifest: list[dict[str, object]] = []
    try:
        mrt: list[MrtInput] = []
        for collector in collectors:
            source = get_source("ris" if collector.startswith("rrc") else "routeviews")
            items = [*source.plan(instant, collector, fetcher.mirrors, kinds=("rib",)),
                     *source.plan(span, collector, fetcher.mirrors, kinds=("updates",))]
            observer.stage(f"Fetching {collector}", len(items))
            missing = 0
            for item in items:
                try:
                    got = fetcher.fetch_item(item)
                except FetchError:
                    missing += 1
                    observer.advance(item.filename)
                    continue
                _note(got, manifest, stale)
                mrt.append(MrtInput(got.path, collector, item.kind, item.as_of))
                observer.advance(item.filename)
            if missing:
                gaps.append(f"bgp ({collector}): {missing} of {len(items)} files not available")
        refs = _fetch_references(fetcher, span, instant, gaps, stale, manifest, observer)
    finally:
        fetcher.close()
    return MonthInputs(window.month, tuple(mrt), tuple(refs), tuple(gaps), tuple(stale),
                       json.dumps({"files": manifest}, sort_keys=True))


def _fetch_references(fetcher: Fetcher, span: SourceWindow, instant: SourceWindow,
                      gaps: list[str], stale: list[str], manifest: list[dict[str, object]],
                      observer: Observer) -> list[RefFile]:
    from routewatch.sources import get_source

    refs: list[RefFile] = []
    observer.stage("Fetching reference data", len(_REFERENCE_SOURCES))
    for name, collector in _REFERENCE_SOURCES:
        source = get_source(name)
        when = span if name == "spoofer" else instant
        try:
            result = fetcher.fetch(source, when, collector)
        except FetchError as exc:
            gaps.append(f"{name}/{collector}: not available ({exc})")
            observer.advance(f"{name}/{collector}")
            continue
        for got in result.files:
            kinds = _ref_kinds(name, collector, got.item.filename)
            if kinds:
                _note(got, manifest, stale)
            as_of = (got.as_of or got.fetched_at).date()
            refs += [RefFile(got.path, kind, f"{name}/{collector}", as_of) for kind in kinds]
        if name in _KEEP_HISTORY:
            refs += _history(fetcher, name, collector, {r.path for r in refs})
        observer.advance(f"{name}/{collector}")
    return refs


def _history(fetcher: Fetcher, name: str, collector: str, taken: set[Path]) -> list[RefFile]:
    """Earlier cached snapshots of a current-only source, as dated reference files."""
    return [RefFile(entry.path, kind, f"{name}/{collector}",
                    (entry.as_of or entry.fetched_at).date())
            for entry in fetcher.cache.entries(name)
            if entry.collector == collector and entry.path not in taken
            for kind in _ref_kinds(name, collector, entry.key.rsplit("/", 1)[-1])]


def _note(got: FetchedFile, manifest: list[dict[str, object]], stale: list[str]) -> None:
    from routewatch.sources import Status

    manifest.append({"key": got.key or got.item.key, "sha256": got.sha256,
                     "status": got.status.value})
    if got.status is Status.STALE:
        stale.append(f"{got.item.key}: {got.reason or 'stale'}")
