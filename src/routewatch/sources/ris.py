"""RIPE NCC RIS raw data: full-table dumps (bview) every 8 h, updates every 5 min.

Layout: ``https://data.ris.ripe.net/rrcNN/YYYY.MM/bview.YYYYMMDD.HHMM.gz`` (00:00, 08:00,
16:00 UTC) and ``.../updates.YYYYMMDD.HHMM.gz``. Files are gzip MRT and immutable once
published. Known gaps: early years (1999-2002) used other cadences and the MRT framing of the
time; collectors retired over the years (rrc02, rrc08, rrc09, ...) return 404 after their end.
"""

from __future__ import annotations

import datetime as dt

from routewatch.sources.base import Content, PlanItem, Source, Window, steps

__all__ = ["RIS", "Ris"]

_BASE = "https://data.ris.ripe.net/"
_BVIEW_STEP = dt.timedelta(hours=8)
_UPDATE_STEP = dt.timedelta(minutes=5)


class Ris(Source):
    """RIS route collectors rrc00 … rrc26: ``bview`` (RIB) and ``updates`` files."""

    name = "ris"
    title = "RIPE NCC RIS MRT archive (bviews, updates)"
    cadence = "bview every 8 h, updates every 5 min"
    bases = (_BASE,)
    collectors = tuple(f"rrc{n:02d}" for n in range(27))
    kinds = ("rib", "updates")
    default_collectors = ("rrc00",)

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """The bview at or before the window start, bviews inside it, and overlapping updates."""
        ribs = [self._item(collector, "rib", "bview", t)
                for t in steps(window, _BVIEW_STEP, span=dt.timedelta(0))]
        return ribs + [self._item(collector, "updates", "updates", t)
                       for t in steps(window, _UPDATE_STEP, span=_UPDATE_STEP)]

    def _item(self, collector: str, kind: str, stem: str, when: dt.datetime) -> PlanItem:
        name = f"{stem}.{when:%Y%m%d.%H%M}.gz"
        url = f"{_BASE}{collector}/{when:%Y.%m}/{name}"
        return PlanItem(self.name, collector, kind, url, f"{self.name}/{collector}/{name}",
                        when, Content.GZIP, substitutable=kind == "rib")


RIS = Ris()
