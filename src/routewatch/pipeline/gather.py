"""What a month needs, fetched (or taken from the cache or the lake): BGP files and references.

Role: :func:`gather_month` plans every file a month run reads — for each collector the RIB at
the start of the baseline (``baseline_days`` before the month) and every update file from
then to the month's end, so origins are established by their history across the month
boundary; and the reference snapshots at the month's start — takes each from the lake when
it was ingested before, else from the download cache, else from the network, and returns
:class:`~routewatch.pipeline.month.MonthInputs`. Only :mod:`routewatch.sources` touches the
network.

Failure modes: a file that cannot be had becomes a gap (the run is then partial, exit 3);
a stale file (the last good copy kept after a failed refresh) is listed as stale.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from routewatch.errors import FetchError
from routewatch.ingest.lake import IngestManifest
from routewatch.methodology import RW_2026_1, Methodology
from routewatch.metrics import Window
from routewatch.pipeline.elems import MrtInput, lake_index
from routewatch.pipeline.month import MonthInputs, data_start
from routewatch.pipeline.observer import NullObserver, Observer
from routewatch.pipeline.references import RefFile

if TYPE_CHECKING:
    from routewatch.sources import FetchedFile, Fetcher, PlanItem
    from routewatch.sources import Window as SourceWindow

__all__ = ["DEFAULT_COLLECTORS", "gather_month"]

#: Collectors a month run reads unless told otherwise: one RIS, one RouteViews collector.
DEFAULT_COLLECTORS: tuple[str, ...] = ("rrc00", "route-views2")

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
    method: Methodology = RW_2026_1,
    offline: bool | None = None,
    cache_dir: Path | None = None,
    lake: Path | None = None,
    observer: Observer | None = None,
) -> MonthInputs:
    """Fetch (or take from the lake or the cache) what a month needs: per collector the RIB
    at the start of the baseline and every update file from then to the month's end, and the
    reference snapshots at the month's start.

    A file that cannot be had becomes a gap; the run is then partial.
    """
    from routewatch.sources import Window as SourceWindow
    from routewatch.sources import get_source
    from routewatch.sources.registry import make_fetcher

    observer = observer or NullObserver()
    window = Window.of(month)
    start = data_start(window, method)
    span = SourceWindow(window.start, window.end)
    instant = SourceWindow(window.start, window.start)
    ingested = lake_index(lake) if lake is not None else {}
    fetcher = make_fetcher(offline=offline, cache_dir=cache_dir)
    gaps: list[str] = []
    stale: list[str] = []
    manifest: list[dict[str, object]] = []
    try:
        mrt: list[MrtInput] = []
        for collector in collectors:
            source = get_source("ris" if collector.startswith("rrc") else "routeviews")
            items = [*source.plan(SourceWindow(start, start), collector, fetcher.mirrors,
                                  kinds=("rib",)),
                     *source.plan(SourceWindow(start, window.end), collector, fetcher.mirrors,
                                  kinds=("updates",))]  # fmt: skip
            observer.stage(f"Fetching {collector}", len(items))
            missing = 0
            for item in items:
                found = _from_lake(item, collector, ingested, manifest) or _fetched(
                    item, collector, fetcher, manifest, stale)
                if found is None:
                    missing += 1
                else:
                    mrt.append(found)
                observer.advance(item.filename)
            if missing:
                gaps.append(f"bgp ({collector}): {missing} of {len(items)} files not available "
                            f"(baseline from {start:%Y-%m-%d} and the month)")
        refs = _fetch_references(fetcher, span, instant, gaps, stale, manifest, observer)
    finally:
        fetcher.close()
    return MonthInputs(window.month, tuple(mrt), tuple(refs), tuple(gaps), tuple(stale),
                       json.dumps({"files": manifest}, sort_keys=True))


def _from_lake(item: PlanItem, collector: str, ingested: Mapping[tuple[str, str], IngestManifest],
               manifest: list[dict[str, object]]) -> MrtInput | None:
    """The archive file from the lake, when it was ingested before (no download)."""
    found = ingested.get((collector, item.filename))
    if found is None:
        return None
    manifest.append({"key": item.key, "sha256": found.sha256, "status": "lake"})
    return MrtInput(Path(found.source), collector, item.kind, item.as_of, found.file_id)


def _fetched(item: PlanItem, collector: str, fetcher: Fetcher,
             manifest: list[dict[str, object]], stale: list[str]) -> MrtInput | None:
    """The archive file from the cache or the network; None when it cannot be had."""
    try:
        got = fetcher.fetch_item(item)
    except FetchError:
        return None
    _note(got, manifest, stale)
    return MrtInput(got.path, collector, item.kind, item.as_of)


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
