"""Fetch a source's plan into the cache and say, file by file, what the run can use.

For each :class:`~routewatch.sources.base.PlanItem`:

1. an immutable file already cached is used as is (``cached``), without network;
2. otherwise it is downloaded into ``tmp/`` (conditionally, when a mutable file is cached),
   verified (HTTP length, HTML, decompression to the end, publisher checksum) and committed
   (atomic rename, then manifest) — ``fresh``, or ``cached`` when the publisher answers 304
   or serves identical bytes;
3. when that fails, the last good copy of the same key — or, for substitutable kinds (RIBs,
   VRPs, registries), the newest older snapshot of the same series — is used and marked
   ``stale`` with the reason; the CLI then exits with code 3.

Files no copy can stand in for raise :class:`~routewatch.errors.FetchError` (or
:class:`~routewatch.errors.OfflineError` in offline mode) after every other file was tried,
naming the files and the command that fetches them. A failed download never touches the
cache's previous content.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from routewatch.errors import FetchError, OfflineError
from routewatch.sources.base import Mirrors, PlanItem, Source, Window
from routewatch.sources.cache import Cache, Entry, Fields
from routewatch.sources.http import Download, Downloader, Progress, Validators
from routewatch.sources.verify import verify_checksum, verify_content

__all__ = ["FetchResult", "FetchedFile", "Fetcher", "Status", "fetch_command"]

Clock = Callable[[], dt.datetime]


class Status(StrEnum):
    """How a file of a fetch result was obtained; values are the wire strings."""

    FRESH = "fresh"  # downloaded and verified in this run
    CACHED = "cached"  # the cache's copy is current (immutable, HTTP 304 or identical bytes)
    STALE = "stale"  # the download failed; an older good copy stands in (see reason)


@dataclass(frozen=True)
class FetchedFile:
    """One usable local file: what was asked for, what is on disk, and how it got there."""

    item: PlanItem
    path: Path
    size: int
    sha256: str
    as_of: dt.datetime | None
    fetched_at: dt.datetime
    status: Status
    reason: str | None = None
    checksum: str | None = None
    key: str = ""

    @classmethod
    def of(cls, item: PlanItem, entry: Entry, status: Status, reason: str | None = None
           ) -> FetchedFile:
        """Describe the cache entry ``entry`` as the file standing for ``item``."""
        return cls(item, entry.path, entry.size, entry.sha256, entry.as_of, entry.fetched_at,
                   status, reason, entry.checksum, entry.key)


@dataclass(frozen=True)
class FetchResult:
    """Every file a fetch made available, in plan order; ``stale`` if any is a stand-in."""

    source: str
    window: Window
    files: tuple[FetchedFile, ...]

    @property
    def stale(self) -> bool:
        """True when at least one file is an older stand-in: finished with partial data."""
        return any(f.status is Status.STALE for f in self.files)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why files are stale, one line each."""
        return tuple(f"{f.item.key}: {f.reason}" for f in self.files
                     if f.status is Status.STALE and f.reason)

    @property
    def paths(self) -> tuple[Path, ...]:
        """The local paths, in plan order, for the ingest and reference stages."""
        return tuple(f.path for f in self.files)


class Fetcher:
    """Fetch plans through one cache and one downloader (created on first use)."""

    def __init__(
        self,
        cache: Cache,
        *,
        downloader: Downloader | None = None,
        make_downloader: Callable[[], Downloader] | None = None,
        offline: bool = False,
        mirrors: Mirrors | None = None,
        clock: Clock | None = None,
        progress: Callable[[PlanItem], Progress] | None = None,
    ) -> None:
        self.cache = cache
        self.offline = offline
        self.mirrors = mirrors or Mirrors()
        self._downloader = downloader
        self._make_downloader = make_downloader or Downloader
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._progress = progress

    def fetch(
        self,
        source: Source,
        window: Window,
        collector: str | None = None,
        *,
        kinds: Collection[str] = (),
        refresh: bool = False,
    ) -> FetchResult:
        """Make every file of the plan available locally (see the module docstring)."""
        queue = deque(source.plan(window, collector, self.mirrors, kinds=kinds))
        done: list[FetchedFile] = []
        failures: list[tuple[PlanItem, FetchError]] = []
        while queue:
            item = queue.popleft()
            try:
                got = self.fetch_item(item, refresh=refresh)
            except FetchError as exc:
                failures.append((item, exc))
                continue
            done.append(got)
            if got.status is not Status.STALE:
                queue.extend(source.follow(item, got.path))
        if failures:
            raise _failure(source, window, collector, failures, len(done))
        return FetchResult(source.name, window, tuple(done))

    def fetch_item(self, item: PlanItem, *, refresh: bool = False) -> FetchedFile:
        """One file: cached, fresh, or a stale stand-in; raise when none is available."""
        cached = self.cache.latest(item.key)
        if cached is not None and item.immutable and not refresh:
            return FetchedFile.of(item, cached, Status.CACHED)
        if self.offline:
            return self._offline(item, cached)
        try:
            return self._download(item, cached)
        except OSError as exc:  # writing into the cache: disk full, quota, permissions
            failed = FetchError(f"{item.key}: cannot write the download into the cache "
                                f"{self.cache.root}: {exc.strerror or exc}; check free space "
                                "and permissions there.")
            return self._stand_in(item, cached, failed)
        except FetchError as exc:
            return self._stand_in(item, cached, exc)

    def close(self) -> None:
        """Close the downloader's connections."""
        if self._downloader is not None:
            self._downloader.close()

    def _offline(self, item: PlanItem, cached: Entry | None) -> FetchedFile:
        if cached is not None:
            return FetchedFile.of(item, cached, Status.CACHED, "offline: not revalidated")
        substitute = self.cache.latest_in_series(item) if item.substitutable else None
        if substitute is not None:
            return FetchedFile.of(item, substitute, Status.STALE,
                                  f"offline and not cached; using {_describe(substitute)}")
        raise OfflineError(f"{item.key} is not in the cache and offline mode forbids downloading.")

    def _stand_in(self, item: PlanItem, cached: Entry | None, exc: FetchError) -> FetchedFile:
        substitute = cached
        if substitute is None and item.substitutable:
            substitute = self.cache.latest_in_series(item)
        if substitute is None:
            raise exc
        return FetchedFile.of(item, substitute, Status.STALE,
                              f"{exc} Using the last good copy: {_describe(substitute)}")

    def _download(self, item: PlanItem, cached: Entry | None) -> FetchedFile:
        downloader = self._get_downloader()
        validators = None
        if cached is not None and not item.immutable:
            validators = Validators(cached.etag, cached.last_modified)
        progress = self._progress(item) if self._progress else None
        with self.cache.temporary(suffix=Path(item.filename).suffix) as temp:
            got = downloader.download(item.url, temp, validators=validators, progress=progress)
            now = self._clock()
            if got.not_modified and cached is not None:
                self.cache.touch(cached, now)
                return FetchedFile.of(item, cached, Status.CACHED, "not modified (HTTP 304)")
            verify_content(temp, item.content, min_size=item.min_size, label=item.key,
                           columns=item.columns)
            checksum = self._checksum(item, temp)
            entry = self.cache.commit(temp, item, self._fields(item, got, now, checksum))
        if cached is not None and cached.sha256 == entry.sha256:
            return FetchedFile.of(item, entry, Status.CACHED, "unchanged since the last fetch")
        return FetchedFile.of(item, entry, Status.FRESH)

    def _checksum(self, item: PlanItem, temp: Path) -> str | None:
        if item.checksum_url is None:
            return None
        text = self._get_downloader().get_text(item.checksum_url)
        if text is None:
            return None  # the publisher has no checksum for this file
        return verify_checksum(temp, text, label=item.key)

    def _fields(self, item: PlanItem, got: Download, now: dt.datetime,
                checksum: str | None) -> Fields:
        as_of = item.as_of or _http_date(got.last_modified) or now
        return Fields(item.url, got.sha256, got.size, as_of, now, got.etag, got.last_modified,
                      checksum)

    def _get_downloader(self) -> Downloader:
        if self._downloader is None:
            self._downloader = self._make_downloader()
        return self._downloader


def fetch_command(source: str, window: Window, collector: str | None) -> str:
    """The ``routewatch fetch`` command line that downloads this source and window."""
    midnight = window.start.replace(hour=0, minute=0, second=0, microsecond=0)
    if window.start == midnight and window.end == midnight + dt.timedelta(days=1):
        command = f"routewatch fetch {source} --date {window.start:%Y-%m-%d}"
    else:
        command = f"routewatch fetch {source} --date {window.start:%Y-%m-%dT%H:%M}"
        if window.end > window.start:
            command += f" --to {window.end:%Y-%m-%dT%H:%M}"
    return command + (f" --collector {collector}" if collector else "")


def _failure(source: Source, window: Window, collector: str | None,
             failures: list[tuple[PlanItem, FetchError]], fetched: int) -> FetchError:
    shown = " ".join(f"{item.key}: {exc}" for item, exc in failures[:3])
    more = f" (and {len(failures) - 3} more.)" if len(failures) > 3 else ""
    command = fetch_command(source.name, window, collector)
    if all(isinstance(exc, OfflineError) for _, exc in failures):
        keys = ", ".join(item.key for item, _ in failures[:3])
        return OfflineError(f"{len(failures)} file(s) of {source.name} are not in the cache "
                            f"({keys}{', ...' if len(failures) > 3 else ''}). Run '{command}' "
                            "without --offline first.")
    return FetchError(f"{len(failures)} file(s) of {source.name} could not be fetched and no "
                      f"earlier copy can stand in: {shown}{more} {fetched} other file(s) are "
                      "in the cache, which keeps its earlier content. Check the network or the "
                      f"'mirror' / 'source-urls' settings, then run '{command}' again.")


def _describe(entry: Entry) -> str:
    as_of = f"as of {entry.as_of:%Y-%m-%d %H:%M}" if entry.as_of else "as of unknown"
    return f"{entry.key} ({as_of}, fetched {entry.fetched_at:%Y-%m-%d %H:%M} UTC)"


def _http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).astimezone(dt.UTC)
    except (TypeError, ValueError):
        return None
