"""What a source is: canonical URLs, cadence, and a pure plan from a time window to files.

A :class:`Source` knows one publisher's archive layout. :meth:`Source.plan` turns a
:class:`Window` (and optionally one collector) into :class:`PlanItem` s — URL, cache key,
as-of time, expected content — without touching the network, the cache or the clock, so it
is tested on its own. Base URLs are rewritten by :class:`Mirrors` (settings ``mirror`` and
``source-urls``), which is how users point routewatch at a mirror and tests at 127.0.0.1.

Failure modes: an unknown collector or an empty/inverted window raises
:class:`~routewatch.errors.ConfigError` naming the valid choices.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from routewatch.errors import ConfigError

__all__ = [
    "UTC",
    "Content",
    "Mirrors",
    "PlanItem",
    "Source",
    "Window",
    "floor_time",
    "parse_when",
    "steps",
]

UTC = dt.UTC


class Content(StrEnum):
    """What a download must be; decides the integrity check (see :mod:`.verify`)."""

    GZIP = "gzip"
    BZIP2 = "bzip2"
    XZ = "xz"
    JSON = "json"
    CSV = "csv"
    TEXT = "text"


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)`` in UTC; ``start == end`` means one instant."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ConfigError("time window bounds must be timezone-aware (UTC)")
        if self.end < self.start:
            raise ConfigError(f"window ends ({self.end:%Y-%m-%d %H:%M}) before it starts "
                              f"({self.start:%Y-%m-%d %H:%M}); pass --to after --date")

    @classmethod
    def parse(cls, date_text: str, to_text: str | None = None) -> Window:
        """``--date D [--to T]``: a bare date without ``--to`` means that whole UTC day."""
        start = parse_when(date_text)
        if to_text is not None:
            return cls(start, parse_when(to_text))
        if len(date_text.strip()) == 10:
            return cls(start, start + dt.timedelta(days=1))
        return cls(start, start)

    @property
    def stop(self) -> dt.datetime:
        """Exclusive end; for an instant, just after it."""
        return self.end if self.end > self.start else self.start + dt.timedelta(microseconds=1)

    def days(self) -> Iterator[dt.date]:
        """Every UTC day the window touches."""
        day = self.start.date()
        while dt.datetime.combine(day, dt.time(), UTC) < self.stop:
            yield day
            day += dt.timedelta(days=1)

    @property
    def day(self) -> dt.date:
        """The UTC day the window starts on."""
        return self.start.date()


def parse_when(text: str) -> dt.datetime:
    """Parse ``2016-08-11``, ``2016-08-11T16:00`` or ``2016-08-11 16:00`` (UTC unless given)."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ConfigError(f"cannot read {text!r} as a date; use YYYY-MM-DD or "
                          "YYYY-MM-DDTHH:MM (UTC)") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def floor_time(when: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """The latest multiple of ``step`` (counted from midnight UTC) at or before ``when``."""
    midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + step * ((when - midnight) // step)


def steps(window: Window, step: dt.timedelta, *, span: dt.timedelta) -> Iterator[dt.datetime]:
    """Start times ``t`` on the ``step`` grid of files covering ``[t, t + span)`` that the
    window needs: with ``span == 0`` (snapshots such as RIBs) the one at or before the start
    plus those inside; otherwise those whose interval meets the window."""
    current = floor_time(window.start, step)
    if span and current + span <= window.start:
        current += step
    while current < window.stop:
        yield current
        current += step


@dataclass(frozen=True)
class PlanItem:
    """One file to have in the cache: where it lives, its cache key and what it must contain.

    ``key`` is stable and unique per published file (``ris/rrc21/updates.20160811.1600.gz``);
    ``series`` groups the snapshots that can stand in for each other when one is missing
    (``rir/ripencc/delegated``) if ``substitutable``; ``immutable`` files are never
    re-downloaded once cached, mutable ones are revalidated with a conditional request.
    ``as_of`` is None for sources that publish only their current state: the fetch then
    takes it from ``Last-Modified`` or the fetch time.
    """

    source: str
    collector: str
    kind: str
    url: str
    key: str
    as_of: dt.datetime | None
    content: Content
    checksum_url: str | None = None
    immutable: bool = True
    min_size: int = 1
    #: an older snapshot of the same series may stand in (RIBs, VRPs: yes; updates: no)
    substitutable: bool = True
    #: CSV only: the number of fields of the header and of (almost) every line; 0 = any
    columns: int = 0

    @property
    def series(self) -> str:
        """Snapshots of the same source, collector and kind."""
        return f"{self.source}/{self.collector}/{self.kind}"

    @property
    def filename(self) -> str:
        """The last component of the cache key."""
        return self.key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Mirrors:
    """Base-URL rewriting: a whole-archive mirror and per-source overrides.

    ``mirror`` is laid out like ``wget -m`` output: ``{mirror}/{host}/{path}``. A per-source
    override replaces the part of the canonical URL up to and including the source's base.
    """

    mirror: str = ""
    per_source: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, mirror: str, source_urls: str) -> Mirrors:
        """Read the ``mirror`` and ``source-urls`` (``name=url,name=url``) settings."""
        overrides: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in source_urls.split(","))):
            name, sep, url = part.partition("=")
            if not sep or not url.strip():
                raise ConfigError(f"source-urls entry {part!r} is not 'name=url'")
            overrides[name.strip()] = url.strip()
        return cls(mirror.strip(), overrides)

    def rewrite(self, source: Source, url: str) -> str:
        """The URL to download ``url`` (a canonical URL of ``source``) from."""
        override = self.per_source.get(source.name)
        if override is not None:
            for base in source.bases:
                if url.startswith(base):
                    return override.rstrip("/") + "/" + url[len(base):]
        if self.mirror:
            parts = urlsplit(url)
            rest = parts.path + (f"?{parts.query}" if parts.query else "")
            return f"{self.mirror.rstrip('/')}/{parts.netloc}{rest}"
        return url


class Source(ABC):
    """One publisher's archive: name, cadence, collectors, canonical base URLs, and a plan."""

    name: str
    title: str
    cadence: str
    #: canonical URL prefixes; a ``source-urls`` override replaces whichever one matches
    bases: tuple[str, ...]
    collectors: tuple[str, ...]
    #: kinds of file (``rib``, ``updates``, ``vrps``, ...), selectable with ``--kind``
    kinds: tuple[str, ...]
    #: collectors fetched when none is named (all of them unless a source says otherwise)
    default_collectors: tuple[str, ...] = ()
    #: False when the publisher keeps only the current snapshot (no dated archive)
    historical: bool = True

    @abstractmethod
    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """Files of one collector for the window, in time order (canonical URLs)."""

    def plan(
        self,
        window: Window,
        collector: str | None = None,
        mirrors: Mirrors | None = None,
        *,
        kinds: Collection[str] = (),
    ) -> list[PlanItem]:
        """Every file needed for the window, with URLs rewritten for the configured mirrors."""
        names = (collector,) if collector else (self.default_collectors or self.collectors)
        for kind in kinds:
            if kind not in self.kinds:
                raise ConfigError(f"source {self.name!r} has no kind {kind!r}; "
                                  f"choose one of: {', '.join(self.kinds)}")
        planned: list[PlanItem] = []
        for name in names:
            self.check_collector(name)
            planned.extend(i for i in self.items(window, name) if not kinds or i.kind in kinds)
        if mirrors is None:
            return planned
        return [_rewritten(item, self, mirrors) for item in planned]

    def follow(self, item: PlanItem, path: Path) -> list[PlanItem]:
        """Further files a fetched file points to (pagination); none by default."""
        return []

    def check_collector(self, collector: str) -> None:
        """Raise ConfigError naming the valid collectors when ``collector`` is not one."""
        if collector not in self.collectors:
            raise ConfigError(f"source {self.name!r} has no collector {collector!r}; "
                              f"choose one of: {', '.join(self.collectors)}")


def _rewritten(item: PlanItem, source: Source, mirrors: Mirrors) -> PlanItem:
    checksum = item.checksum_url
    if checksum is not None:
        checksum = mirrors.rewrite(source, checksum)
    return replace(item, url=mirrors.rewrite(source, item.url), checksum_url=checksum)
