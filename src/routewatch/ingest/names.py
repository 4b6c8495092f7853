"""What an MRT archive's name and folders say: collector, RIB or updates, start time, span.

Role: the archives name their files after what they hold; routewatch reads months from
files on disk (:mod:`routewatch.archives`) and measures how many minutes of BGP data a month
rests on (:mod:`routewatch.coverage`) from these names alone, without opening the files.

Recognised (:func:`mrt_name`):

- RIS layout ``…/rrc00/2021.01/updates.20210101.0000.gz`` (and ``bview.…``);
- RouteViews layout ``…/route-views.sydney/bgpdata/2022.06/UPDATES/updates.20220601.0230.bz2``
  (``RIBS/rib.…``); ``…/bgpdata/…`` without a collector folder is ``route-views2``;
- flat names ``ris-rrc23_updates.20220421.0200.gz``, ``route-views2_rib.20140523.0600….bz2``;
- BGPStream cache names ``ris.rrc06.updates.1609563900.300.cache`` (their span included).

RIS update files span 5 minutes, RouteViews update files 15; a RIB dump is an instant.
Pure (no I/O). Failure modes: none — a name that says nothing gives ``None``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RIS_UPDATE_SPAN", "ROUTEVIEWS_UPDATE_SPAN", "MrtName", "mrt_name", "update_span"]

_UTC = dt.UTC
#: How long one update file of each archive covers.
RIS_UPDATE_SPAN = dt.timedelta(minutes=5)
ROUTEVIEWS_UPDATE_SPAN = dt.timedelta(minutes=15)
_STEM = r"(bview|updates|ribs?6?|rib)\.(\d{8})\.(\d{4})"
_ARCHIVE = re.compile(rf"^{_STEM}(?:\.[\w.\-]*)?$")
_FLAT = re.compile(rf"^(?:ris-)?(rrc\d\d|route-views[\w.\-]*?)_{_STEM}(?:[._][\w.\-]*)?$")
_BGPSTREAM = re.compile(
    r"^(ris|routeviews)\.(.+)\.(updates|ribs)\.(\d{9,11})(?:\.(\d+))?(?:\.\w+)?$")
_COLLECTOR = re.compile(r"^(rrc\d\d|route-views[\w.\-]*)$")


@dataclass(frozen=True)
class MrtName:
    """What an MRT file's name and place say: collector, ``rib`` or ``updates``, when, span."""

    collector: str
    kind: str
    start: dt.datetime
    span: dt.timedelta

    @property
    def end(self) -> dt.datetime:
        """End of the interval the file covers (its start for a RIB dump)."""
        return self.start + self.span


def update_span(collector: str) -> dt.timedelta:
    """How long one update file of ``collector`` covers (RIS 5 minutes, RouteViews 15)."""
    return RIS_UPDATE_SPAN if collector.startswith("rrc") else ROUTEVIEWS_UPDATE_SPAN


def _span(collector: str, kind: str) -> dt.timedelta:
    return dt.timedelta(0) if kind == "rib" else update_span(collector)


def _kind(stem: str) -> str:
    return "updates" if stem == "updates" else "rib"


def _when(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.strptime(day + hhmm, "%Y%m%d%H%M").replace(tzinfo=_UTC)


def mrt_name(path: Path, collector: str | None = None) -> MrtName | None:
    """Collector, kind, start and span of an MRT archive from its name and folders (see the
    module doc); ``collector`` overrides the one the path gives. None when the name says
    nothing."""
    name = path.name
    stream = _BGPSTREAM.match(name)
    if stream:
        _project, found, kind, epoch, span = stream.groups()
        start = dt.datetime.fromtimestamp(int(epoch), _UTC)
        return MrtName(collector or found, _kind(kind), start,
                       dt.timedelta(seconds=int(span)) if span and kind == "updates"
                       else _span(found, _kind(kind)))  # fmt: skip
    flat = _FLAT.match(name)
    if flat:
        found, stem, day, hhmm = flat.groups()
        who = collector or found
        return MrtName(who, _kind(stem), _when(day, hhmm), _span(who, _kind(stem)))
    archive = _ARCHIVE.match(name)
    if archive:
        who = collector or _collector_of(path)
        if who is None:
            return None
        stem, day, hhmm = archive.groups()
        return MrtName(who, _kind(stem), _when(day, hhmm), _span(who, _kind(stem)))
    return None


def _collector_of(path: Path) -> str | None:
    """``rrc00`` of ``…/rrc00/2021.01/x``; ``route-views.sydney`` of
    ``…/route-views.sydney/bgpdata/2022.06/UPDATES/x``; ``route-views2`` for ``…/bgpdata/…``."""
    parts = path.parts
    if len(parts) >= 3 and _COLLECTOR.match(parts[-3]) and parts[-3].startswith("rrc"):
        return parts[-3]
    if len(parts) >= 4 and parts[-4] == "bgpdata":
        above = parts[-5] if len(parts) >= 5 else ""
        return above if above.startswith("route-views") else "route-views2"
    return None
