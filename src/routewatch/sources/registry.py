"""Every source routewatch can fetch, by name: the list behind ``routewatch sources``.

Also builds a :class:`~routewatch.sources.fetcher.Fetcher` from the settings registry
(``cache-dir``, ``offline``, ``mirror``, ``source-urls``, ``http-timeout``, ``http-retries``,
``http-backoff``), which is what the pipeline and the CLI use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from routewatch import settings
from routewatch.errors import ConfigError
from routewatch.sources.base import Mirrors, PlanItem, Source
from routewatch.sources.cache import Cache
from routewatch.sources.caida import CAIDA
from routewatch.sources.cymru import CYMRU
from routewatch.sources.fetcher import Fetcher
from routewatch.sources.http import Downloader, HttpPolicy, Progress
from routewatch.sources.iana import IANA
from routewatch.sources.irr import IRR
from routewatch.sources.manrs import MANRS
from routewatch.sources.peeringdb import PEERINGDB
from routewatch.sources.rir import RIR
from routewatch.sources.ris import RIS
from routewatch.sources.routeviews import ROUTEVIEWS
from routewatch.sources.rpki import RPKI_CLIENT, RPKI_RIPE
from routewatch.sources.spoofer import SPOOFER

__all__ = ["SOURCES", "get_source", "http_policy", "make_fetcher", "mirrors"]

SOURCES: Mapping[str, Source] = {
    s.name: s
    for s in (ROUTEVIEWS, RIS, RPKI_RIPE, RPKI_CLIENT, RIR, IRR, CAIDA, PEERINGDB, IANA,
              CYMRU, MANRS, SPOOFER)
}


def get_source(name: str) -> Source:
    """The source called ``name``; ConfigError listing the known names otherwise."""
    try:
        return SOURCES[name]
    except KeyError:
        raise ConfigError(f"unknown source {name!r}; known sources: "
                          f"{', '.join(SOURCES)} (see 'routewatch sources')") from None


def mirrors() -> Mirrors:
    """Base-URL rewriting from the ``mirror`` and ``source-urls`` settings."""
    return Mirrors.parse(str(settings.get("mirror")), str(settings.get("source-urls")))


def http_policy() -> HttpPolicy:
    """Timeout, attempts and backoff from the ``http-*`` settings."""
    return HttpPolicy(timeout=float(settings.get("http-timeout")),
                      retries=int(settings.get("http-retries")),
                      backoff=float(settings.get("http-backoff")))


def make_fetcher(
    *,
    offline: bool | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[PlanItem], Progress] | None = None,
) -> Fetcher:
    """A fetcher configured from the settings; arguments override the settings."""
    root = cache_dir or Path(str(settings.get("cache-dir"))).expanduser()
    use_offline = bool(settings.get("offline")) if offline is None else offline
    policy = http_policy()
    return Fetcher(Cache(root), offline=use_offline, mirrors=mirrors(),
                   make_downloader=lambda: Downloader(policy), progress=progress)
