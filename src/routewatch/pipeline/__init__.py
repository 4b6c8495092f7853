"""The pipeline: the one package that composes the stages, split by role.

Data flow::

    gather.gather_month (sources: lake / cache / network)      month.demo_inputs (bundled)
                 └────────────────────► MonthInputs ◄──────────────────┘
                                             │
    references   choose_references / load_references: the closest snapshot before the month
                 per series, never from the future unless nothing earlier exists; every date
                 and gap stamped on the run
                                             │
    elems        ingest_inputs: MRT files -> the Parquet lake (once); LakeSlice; elem_stream
                 merges the parts in the total elem order (bounded memory)
                                             │
    engine       Engine.month (LocalEngine here; a cluster elsewhere): findings, incidents,
                 announced pairs, AS visibility — the same tables whatever the engine
                                             │
    month        run_month: scores, roll-ups, store (the month replaced atomically)

The CLI (``routewatch run`` / ``demo`` / ``detect``) and the web app call these and the
store — never a detector or a fetcher; the detection vocabulary they need (kinds, the
result type, the reference bundle) is re-exported here as the engine's interface.
"""

from routewatch.detect import ALL_KINDS, Detection, Kind, References
from routewatch.pipeline.elems import (
    LakeSlice,
    MrtInput,
    ReadStats,
    elem_stream,
    ingest_inputs,
    lake_slice,
    mrt_inputs,
    mrt_stream,
)
from routewatch.pipeline.engine import Engine, LocalEngine, MonthDetection, TimeSpan
from routewatch.pipeline.gather import DEFAULT_COLLECTORS, gather_month
from routewatch.pipeline.month import (
    DATA_END_SLACK_S,
    MonthInputs,
    RunResult,
    data_start,
    demo_inputs,
    run_month,
)
from routewatch.pipeline.observer import NullObserver, Observer
from routewatch.pipeline.references import (
    MAX_AGE_DAYS,
    REFERENCE_KINDS,
    LoadedReferences,
    RefFile,
    build_references,
    choose_references,
    load_references,
)

__all__ = [
    "ALL_KINDS",
    "DATA_END_SLACK_S",
    "DEFAULT_COLLECTORS",
    "MAX_AGE_DAYS",
    "REFERENCE_KINDS",
    "Detection",
    "Engine",
    "Kind",
    "LakeSlice",
    "LoadedReferences",
    "LocalEngine",
    "MonthDetection",
    "MonthInputs",
    "MrtInput",
    "NullObserver",
    "Observer",
    "ReadStats",
    "RefFile",
    "References",
    "RunResult",
    "TimeSpan",
    "build_references",
    "choose_references",
    "data_start",
    "demo_inputs",
    "elem_stream",
    "gather_month",
    "ingest_inputs",
    "lake_slice",
    "load_references",
    "mrt_inputs",
    "mrt_stream",
    "run_month",
]
