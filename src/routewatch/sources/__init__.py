"""Sources stage: the only code in routewatch that touches the network.

Data flow::

    Source.plan(window, collector)      pure: canonical URLs -> PlanItems (key, as-of, content)
        -> Mirrors.rewrite              settings 'mirror' / 'source-urls'
        -> Fetcher.fetch_item           cache hit | Downloader (retries, conditional GET)
        -> verify                       length, HTML, full decompression, publisher checksum
        -> Cache.commit                 atomic rename into blobs/, then manifest row
        -> FetchResult                  local paths, each fresh / cached / stale (+ reason)

Entry points for the pipeline: :func:`fetch` (settings-driven) or
:meth:`Fetcher.fetch`; :func:`plan` to see the files without fetching. Failure: a file that
cannot be fetched and has no stand-in raises :class:`~routewatch.errors.FetchError`
(:class:`~routewatch.errors.OfflineError` in offline mode); a stand-in makes the result
``stale`` (CLI exit code 3). A failed download never replaces the last good snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

from routewatch.sources.base import Content, Mirrors, PlanItem, Source, Window
from routewatch.sources.cache import Cache, Entry
from routewatch.sources.fetcher import FetchedFile, Fetcher, FetchResult, Status
from routewatch.sources.registry import SOURCES, get_source, make_fetcher, mirrors

__all__ = [
    "SOURCES",
    "Cache",
    "Content",
    "Entry",
    "FetchResult",
    "FetchedFile",
    "Fetcher",
    "Mirrors",
    "PlanItem",
    "Source",
    "Status",
    "Window",
    "fetch",
    "get_source",
    "plan",
]


def plan(
    source: str,
    when: Window | dt.datetime | str,
    collector: str | None = None,
    *,
    kinds: Collection[str] = (),
) -> list[PlanItem]:
    """The files (URL, cache key, as-of) a fetch of ``source`` for ``when`` would need."""
    return get_source(source).plan(_window(when), collector, mirrors(), kinds=kinds)


def fetch(
    source: str,
    when: Window | dt.datetime | str,
    collector: str | None = None,
    *,
    offline: bool | None = None,
    kinds: Collection[str] = (),
    cache_dir: Path | None = None,
) -> FetchResult:
    """Fetch ``source`` for ``when`` into the cache and list the local files (see above)."""
    fetcher = make_fetcher(offline=offline, cache_dir=cache_dir)
    try:
        return fetcher.fetch(get_source(source), _window(when), collector, kinds=kinds)
    finally:
        fetcher.close()


def _window(when: Window | dt.datetime | str) -> Window:
    if isinstance(when, Window):
        return when
    if isinstance(when, dt.datetime):
        aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        return Window(aware, aware)
    return Window.parse(when)
