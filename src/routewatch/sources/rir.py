"""RIR statistics: the daily delegated-extended files of all five Regional Internet Registries.

Each RIR publishes ``delegated-{rir}-extended-YYYYMMDD`` (pipe-separated: registry, cc, type,
start, value, date, status, opaque-id) with an ``.md5`` beside it, which the fetch verifies:

- AFRINIC ``https://ftp.afrinic.net/pub/stats/afrinic/YYYY/delegated-afrinic-extended-YYYYMMDD``
- APNIC ``https://ftp.apnic.net/stats/apnic/YYYY/delegated-apnic-extended-YYYYMMDD.gz``
- ARIN ``https://ftp.arin.net/pub/stats/arin/delegated-arin-extended-YYYYMMDD``
- LACNIC ``https://ftp.lacnic.net/pub/stats/lacnic/delegated-lacnic-extended-YYYYMMDD``
- RIPE NCC ``https://ftp.ripe.net/pub/stats/ripencc/YYYY/delegated-ripencc-extended-YYYYMMDD.bz2``

Known gaps: the archive layouts (year folders, compression) changed over the years and the
older years of some RIRs exist only as non-extended files; a day the RIR skipped is a 404 and
the fetch falls back to the previous day it has.
"""

from __future__ import annotations

import datetime as dt

from routewatch.sources.base import UTC, Content, PlanItem, Source, Window

__all__ = ["RIR", "RirStats"]

_BASES = {
    "afrinic": ("https://ftp.afrinic.net/pub/stats/afrinic/", "{y}/", "", Content.TEXT),
    "apnic": ("https://ftp.apnic.net/stats/apnic/", "{y}/", ".gz", Content.GZIP),
    "arin": ("https://ftp.arin.net/pub/stats/arin/", "", "", Content.TEXT),
    "lacnic": ("https://ftp.lacnic.net/pub/stats/lacnic/", "", "", Content.TEXT),
    "ripencc": ("https://ftp.ripe.net/pub/stats/ripencc/", "{y}/", ".bz2", Content.BZIP2),
}


class RirStats(Source):
    """Delegated-extended statistics; collector = RIR (all five by default)."""

    name = "rir"
    title = "RIR delegated-extended statistics (all five RIRs)"
    cadence = "daily"
    bases = tuple(base for base, _, _, _ in _BASES.values())
    collectors = tuple(_BASES)
    kinds = ("delegated",)

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """One delegated-extended file per day, with the publisher's ``.md5``."""
        return [self._item(collector, day) for day in window.days()]

    def _item(self, rir: str, day: dt.date) -> PlanItem:
        base, folder, suffix, content = _BASES[rir]
        name = f"delegated-{rir}-extended-{day:%Y%m%d}{suffix}"
        url = f"{base}{folder.format(y=day.year)}{name}"
        return PlanItem(self.name, rir, "delegated", url, f"{self.name}/{rir}/{name}",
                        dt.datetime.combine(day, dt.time(), UTC), content,
                        checksum_url=f"{url}.md5", min_size=1024)


RIR = RirStats()
