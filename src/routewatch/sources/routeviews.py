"""RouteViews (University of Oregon) MRT archive: RIBs every 2 h, updates every 15 min.

Layout: ``http://archive.routeviews.org/{collector}/bgpdata/YYYY.MM/RIBS/rib.YYYYMMDD.HHMM.bz2``
and ``.../UPDATES/updates.YYYYMMDD.HHMM.bz2``; the original collector ``route-views2`` has no
collector folder (``/bgpdata/...``). Files are bzip2 MRT (RFC 6396) and never change once
published. Known gap: before about 2003 RIB times were not on the 2-hour grid.
"""

from __future__ import annotations

import datetime as dt

from routewatch.sources.base import Content, PlanItem, Source, Window, steps

__all__ = ["ROUTEVIEWS", "RouteViews"]

_BASE = "http://archive.routeviews.org/"
_RIB_STEP = dt.timedelta(hours=2)
_UPDATE_STEP = dt.timedelta(minutes=15)
_COLLECTORS = (
    "route-views2", "route-views3", "route-views4", "route-views6", "route-views.amsix",
    "route-views.chicago", "route-views.chile", "route-views.eqix", "route-views.flix",
    "route-views.isc", "route-views.jinx", "route-views.kixp", "route-views.linx",
    "route-views.napafrica", "route-views.nwax", "route-views.perth", "route-views.saopaulo",
    "route-views.sfmix", "route-views.sg", "route-views.soxrs", "route-views.sydney",
    "route-views.telxatl", "route-views.wide",
)


class RouteViews(Source):
    """RouteViews collectors: ``rib`` and ``updates`` files."""

    name = "routeviews"
    title = "RouteViews MRT archive (RIBs, updates)"
    cadence = "RIB every 2 h, updates every 15 min"
    bases = (_BASE,)
    collectors = _COLLECTORS
    kinds = ("rib", "updates")
    default_collectors = ("route-views2",)

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """The RIB at or before the window start, RIBs inside it, and overlapping updates."""
        ribs = [self._item(collector, "rib", t)
                for t in steps(window, _RIB_STEP, span=dt.timedelta(0))]
        return ribs + [self._item(collector, "updates", t)
                       for t in steps(window, _UPDATE_STEP, span=_UPDATE_STEP)]

    def _item(self, collector: str, kind: str, when: dt.datetime) -> PlanItem:
        folder = "RIBS" if kind == "rib" else "UPDATES"
        name = f"{kind}.{when:%Y%m%d.%H%M}.bz2"
        prefix = "" if collector == "route-views2" else f"{collector}/"
        url = f"{_BASE}{prefix}bgpdata/{when:%Y.%m}/{folder}/{name}"
        return PlanItem(self.name, collector, kind, url, f"{self.name}/{collector}/{name}",
                        when, Content.BZIP2, substitutable=kind == "rib")


ROUTEVIEWS = RouteViews()
