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
    engine       Engine.detect / aggregate (LocalEngine here; spark.SparkEngine on Apache
                 Spark; engine_named picks one): findings, incidents, announced pairs, AS
                 visibility — the same tables whatever the engine
                                             │
    month        run_month: scores, roll-ups, store (the month replaced atomically)

The CLI (``routewatch run`` / ``demo`` / ``detect``) and the web app call these and the
store — never a detector or a fetcher; the detection vocabulary they need (kinds, the
result type, the reference bundle) is re-exported here as the engine's interface.
"""

from routewatch import settings
from routewatch.detect import ALL_KINDS, Detection, Kind, References
from routewatch.errors import ConfigError
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
    "ENGINES",
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
    "engine_named",
    "gather_month",
    "ingest_inputs",
    "lake_slice",
    "load_references",
    "mrt_inputs",
    "mrt_stream",
    "run_month",
]

#: The engines ``--engine`` / the setting ``engine`` name.
ENGINES: tuple[str, ...] = ("local", "spark")


def engine_named(name: str | None = None, *, buckets: int | None = None,
                 master: str | None = None) -> Engine:
    """The engine called ``name`` (default: the ``engine`` setting) with ``buckets`` buckets
    (default: the setting ``buckets``, or ``spark-buckets`` for Spark); ``master`` is Spark's
    (default: the setting ``spark-master``). Spark is imported only when chosen."""
    chosen = name or str(settings.get("engine"))
    if chosen == "local":
        if master is not None:
            raise ConfigError("--spark-master needs --engine spark")
        return LocalEngine(buckets=buckets or int(settings.get("buckets")))
    if chosen == "spark":
        from routewatch.pipeline.spark import SparkEngine

        return SparkEngine(master or str(settings.get("spark-master")),
                           buckets or int(settings.get("spark-buckets")))  # fmt: skip
    raise ConfigError(f"unknown engine {chosen!r}: choose one of {', '.join(ENGINES)}")
