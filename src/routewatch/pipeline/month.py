"""A month, end to end: inputs → lake → engine → scores → store.

Data flow::

    MonthInputs (gather.gather_month, or demo_inputs)
        │ references.choose_references / load_references     snapshots, dates, gaps
        │ elems.ingest_inputs                                 MRT files -> the lake (once)
        │ references.choose_month_relationships: no snapshot   Engine.observed_paths ->
        │   within relationships-max-gap-months -> inferred     AS-Rank relationships, cones
        ▼
    Engine.month (engine.LocalEngine, or a cluster)           findings, incidents, announced
        │                                                     pairs, AS visibility
        ▼
    scores: metrics, action scores, bands, areas, roll-ups    (routewatch.metrics)
        ▼
    Store.write_snapshot                                      the month replaced atomically

**Time.** The data starts ``baseline_days`` before the month (the methodology's baseline:
origins are established by their history, which reaches across the month boundary) and ends
at the month's end; incidents are counted for their part inside the month. Data that starts
later than the baseline's first instant, or ends before the month's end, is a gap stamped on
the run (and incidents still open at the data's end end there).

Failure modes: no BGP data at all raises :class:`~routewatch.errors.InputError`; a reference
source that cannot be loaded, MRT problems, missing baseline days and stale files make the
run partial (exit 3), never silently complete. Store errors propagate after the run is
recorded as failed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from routewatch import settings
from routewatch.coverage import month_coverage
from routewatch.detect import build_incidents
from routewatch.detect.verdicts import pair_verdicts
from routewatch.errors import InputError, RoutewatchError
from routewatch.impacts import month_impact
from routewatch.methodology import RW_2026_1, Methodology
from routewatch.metrics import (
    Window,
    asn_areas,
    compute_action_scores,
    compute_asn_metrics,
    compute_rollups,
)
from routewatch.pipeline.elems import LakeSlice, MrtInput, ReadStats, ingest_inputs
from routewatch.pipeline.engine import Engine, LocalEngine, MonthDetection, TimeSpan
from routewatch.pipeline.observer import NullObserver, Observer
from routewatch.pipeline.references import (
    INFERRED_SERIES,
    LoadedReferences,
    RefFile,
    choose_month_relationships,
    choose_references,
    load_references,
    use_inferred_relationships,
)
from routewatch.reference.relinfer import RelationshipChoice
from routewatch.schemas import ANNOUNCED_PAIRS, ASN_AREAS, ASN_VISIBILITY, NETWORKS
from routewatch.store import MonthTables, RunInfo, RunStatus, Store

__all__ = [
    "DATA_END_SLACK_S",
    "MonthInputs",
    "RunResult",
    "StageClock",
    "data_start",
    "demo_inputs",
    "run_month",
]

#: BGP data ending less than this before the month's end (or starting less than this after
#: the baseline's start) counts as covering it.
DATA_END_SLACK_S = 3600
_US = 1_000_000


@dataclass(frozen=True)
class MonthInputs:
    """Everything a month run reads, plus what is already known to be missing or stale.

    ``mrt`` should cover the baseline (``baseline_days`` before the month) and the month.
    """

    month: dt.date
    mrt: tuple[MrtInput, ...]
    references: tuple[RefFile, ...]
    gaps: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    fetch_manifest: str = "{}"


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
    #: per stage (references, ingest, relationships when inferred, detect, aggregate, score,
    #: store): wall and CPU seconds
    stages: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        """True when data was missing or stale (CLI exit code 3)."""
        return self.run.status is RunStatus.PARTIAL


def data_start(window: Window, method: Methodology) -> dt.datetime:
    """The first instant of a month's data: ``baseline_days`` before the month."""
    return window.start - dt.timedelta(days=method.baseline_days)


def run_month(
    inputs: MonthInputs,
    db: Path,
    *,
    method: Methodology = RW_2026_1,
    observer: Observer | None = None,
    lake: Path | None = None,
    engine: Engine | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> RunResult:
    """Ingest, detect, score and store one month; the run is recorded whatever happens.

    ``lake`` keeps the month's elems (a temporary lake is used and removed otherwise);
    ``engine`` defaults to :class:`LocalEngine` with the ``buckets`` setting.
    """
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    observer = observer or NullObserver()
    engine = engine or LocalEngine(buckets=int(settings.get("buckets")))
    began = time.monotonic()
    timer = StageClock()
    window = Window.of(inputs.month)
    started = now()
    run_id = f"{window.label}-{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    store = Store.open(db)
    try:
        with _lake_folder(lake) as folder:
            result = _run(inputs, store, window, method, observer, folder, engine, timer)
    except RoutewatchError:
        store.record_run(RunInfo(run_id, window.month, started, RunStatus.FAILED,
                                 method.version, now(), inputs.fetch_manifest))  # fmt: skip
        raise
    tables, dates, gaps, stats, observed = result
    coverage = month_coverage(inputs, method, run_id, dates, observed)
    cohorts, did = month_impact(store, tables, coverage, method)
    tables = replace(tables, month_coverage=coverage, cohort_impact=cohorts, did_impact=did)
    status = RunStatus.PARTIAL if gaps or inputs.stale or stats.problems else RunStatus.COMPLETE
    run = RunInfo(run_id, window.month, started, status, method.version, now(),
                  inputs.fetch_manifest, dates, tuple(gaps))  # fmt: skip
    observer.stage("Storing", 1)
    with timer.stage("store"):
        written = store.write_snapshot(window.month, tables, run)
    observer.advance("stored")
    return _summarise(run, store.path, written, tables, stats, observed,
                      time.monotonic() - began, timer.seconds)


class StageClock:
    """Wall and CPU seconds (this process) of each named stage of a run."""

    def __init__(self) -> None:
        self.seconds: dict[str, tuple[float, float]] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name``."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = (time.perf_counter() - wall, time.process_time() - cpu)


@contextlib.contextmanager
def _lake_folder(lake: Path | None) -> Iterator[Path]:
    if lake is not None:
        yield lake
        return
    with tempfile.TemporaryDirectory(prefix="routewatch-lake-") as folder:
        yield Path(folder)


_Outcome = tuple[MonthTables, dict[str, dt.date], list[str], ReadStats,
                 tuple[dt.datetime, dt.datetime] | None]


def _run(inputs: MonthInputs, store: Store, window: Window, method: Methodology,
         observer: Observer, lake: Path, engine: Engine, timer: StageClock) -> _Outcome:
    if not inputs.mrt:
        raise InputError(f"no BGP data for {window.label}; fetch it with 'routewatch run "
                         f"--month {window.label}' (online) or check the cache")
    chosen, dates, gaps = choose_references(inputs.references, window)
    gaps = [*inputs.gaps, *gaps]
    with timer.stage("references"):
        loaded = load_references(chosen, dates, window, observer)
    gaps += loaded.gaps
    stats = ReadStats()
    with timer.stage("ingest"):
        elems = ingest_inputs(inputs.mrt, lake, stats, observer, engine.ingest)
    start = data_start(window, method)
    span = TimeSpan(int(start.timestamp()) * _US, window.start_us, window.end_us)
    choice = choose_month_relationships(inputs.references, window, method.baseline_days)
    if choice.period is not None:
        with timer.stage("relationships"):
            gaps, dates = _infer_relationships(choice, loaded, engine, elems, span, chosen,
                                               gaps, dates)  # fmt: skip
    observer.stage(f"Detecting ({engine.name} engine)", 2)
    with timer.stage("detect"):
        detection = engine.detect(elems, loaded.refs, method, span)
    observer.advance("detected")
    first, last = detection.report.first_time, detection.report.last_time
    observed = _observed(first, last)
    if observed is None and stats.problems:
        raise InputError(f"no BGP data of {window.label} could be read: all "
                         f"{len(stats.problem_files)} MRT file(s) are broken (first: "
                         f"{stats.problem_files[0]}); check them with 'routewatch mrt stats'")
    with timer.stage("aggregate"):
        found = engine.aggregate(elems, span, detection)
    observer.advance("announced pairs and visibility")
    incidents = found.detection.incidents
    gaps += _coverage_gaps(observed, start, window)
    if observed and last is not None and last < window.end_us - DATA_END_SLACK_S * _US:
        incidents = _clip_to_data(found.detection.findings, method, window, last)
    if stats.problems:
        gaps.append(f"bgp: {stats.problems} MRT problems in {len(stats.problem_files)} files "
                    "(see 'routewatch mrt stats')")
    observer.stage("Scoring", 1)
    with timer.stage("score"):
        tables = _score(found, incidents, loaded, window, method, store)
    observer.advance("scored")
    return tables, dates, gaps, stats, observed


def _infer_relationships(choice: RelationshipChoice, loaded: LoadedReferences, engine: Engine,
                         elems: LakeSlice, span: TimeSpan, chosen: Mapping[str, list[RefFile]],
                         gaps: list[str], dates: dict[str, dt.date],
                         ) -> tuple[list[str], dict[str, dt.date]]:  # fmt: skip
    """Relationships of the month inferred from its paths (no snapshot close enough): the
    snapshot's date and gap give way to the inference's period (its last day, under
    :data:`INFERRED_SERIES`); an inference that fails is a gap and the snapshot stays."""
    problem = use_inferred_relationships(loaded, choice, engine.observed_paths(elems, span))
    if problem is not None:
        return [*gaps, f"{problem}; {choice.reason}"], dates
    assert choice.period is not None
    series = {ref.series for ref in chosen.get("as-relationships", [])}
    kept = [g for g in gaps if not g.startswith("as-relationships")]
    dated = {k: v for k, v in dates.items() if k not in series}
    dated[INFERRED_SERIES] = choice.period.last
    return kept, dated


def _coverage_gaps(observed: tuple[dt.datetime, dt.datetime] | None, start: dt.datetime,
                   window: Window) -> list[str]:
    """Gaps of the BGP data against the baseline and the month."""
    if observed is None:
        return [f"bgp: no elems between {start:%Y-%m-%d} and {window.end:%Y-%m-%d}"]
    first, last = observed
    slack = dt.timedelta(seconds=DATA_END_SLACK_S)
    out = []
    if first > start + slack:
        days = (window.start - start).days
        out.append(f"baseline: BGP data starts {first:%Y-%m-%d %H:%M} UTC, not {days} days "
                   f"before the month ({start:%Y-%m-%d}); origins first seen after its start "
                   "are established only by what the data shows")
    if last < window.end - slack:
        out.append(f"bgp: data covers {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC "
                   "only; incidents still open then end there")
    return out


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


def _score(found: MonthDetection, incidents: pa.Table, loaded: LoadedReferences,
           window: Window, method: Methodology, store: Store) -> MonthTables:
    pairs = _stored_pairs(found.pairs, loaded, window, method)
    registry = loaded.registry
    assigned = registry.assigned_asns() if registry is not None else np.zeros(0, np.uint32)
    visibility = found.visibility.select(ASN_VISIBILITY.names).cast(ASN_VISIBILITY)
    metrics = compute_asn_metrics(
        incidents=incidents, pairs=pairs, spoofer=loaded.spoofer, peeringdb=loaded.peeringdb,
        aut_nums=loaded.aut_nums, assigned=assigned, window=window, method=method,
        visibility=visibility,
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
    return MonthTables(found.detection.findings, incidents, metrics, scores, rollups.readiness,
                       rollups.summaries, _networks(areas, loaded.peeringdb, window, method),
                       pairs)  # fmt: skip


def _stored_pairs(grouped: pa.Table, loaded: LoadedReferences, window: Window,
                  method: Methodology) -> pa.Table:
    """:data:`~routewatch.schemas.ANNOUNCED_PAIRS` of the month, with ROV and IRR verdicts."""
    from routewatch.reference.irr import IRR_STATES
    from routewatch.reference.rov import REASON_CODES, STATE_CODES

    n = grouped.num_rows
    if n == 0:
        return ANNOUNCED_PAIRS.empty_table()
    afi, hi, lo, length = (np.asarray(grouped.column(c).to_numpy())
                           for c in ("afi", "prefix_hi", "prefix_lo", "prefix_len"))  # fmt: skip
    origin = np.asarray(grouped.column("origin_asn").to_numpy(), np.int64)
    verdicts = pair_verdicts(loaded.refs, afi, hi, lo, length, origin)
    rov = [STATE_CODES[c].value if c >= 0 else "not-found" for c in verdicts.rov_state]
    reason = [REASON_CODES[c].value if c >= 0 else None for c in verdicts.rov_reason]
    irr = [IRR_STATES[c].value if c >= 0 else "not-registered" for c in verdicts.irr_state]
    table = pa.table({
        "month": [window.month] * n,
        "methodology": [method.version] * n,
        "prefix": grouped.column("prefix"),
        "origin_asn": grouped.column("origin_asn"),
        "peer_asns": grouped.column("peer_asns").cast(pa.uint32()),
        "rov_state": rov,
        "rov_reason": reason,
        "irr_state": irr,
    }, schema=ANNOUNCED_PAIRS)  # fmt: skip
    return table.sort_by([("prefix", "ascending"), ("origin_asn", "ascending")])


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
               stats: ReadStats, observed: tuple[dt.datetime, dt.datetime] | None,
               seconds: float, stages: Mapping[str, tuple[float, float]]) -> RunResult:
    incidents = tables.incidents.column("metric").to_pylist()
    by_metric = {m: incidents.count(m) for m in sorted(set(incidents))}
    bands: dict[str, dict[str, int]] = {}
    for row in tables.action_scores.group_by(["action", "band"]).aggregate(
            [("asn", "count")]).to_pylist():
        bands.setdefault(str(row["action"]), {})[str(row["band"])] = int(row["asn_count"])
    seen = pc.sum(tables.asn_metrics.column("seen").cast(pa.int64())).as_py() or 0
    return RunResult(run, db, written, stats.files, dict(stats.elems), stats.problems, observed,
                     by_metric, tables.asn_metrics.num_rows, int(seen), bands, seconds,
                     dict(stages))


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
