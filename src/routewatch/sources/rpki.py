"""RPKI validated ROA payloads: the RIPE NCC daily archive and the rpki-client console.

- ``rpki``: RIPE NCC runs a validator once a day per trust anchor and archives the VRPs at
  ``https://ftp.ripe.net/rpki/{ta}.tal/YYYY/MM/DD/roas.csv.xz`` (columns URI, ASN, IP Prefix,
  Max Length, Not Before, Not After). Immutable; as-of is the archive day. Known issues the
  RIPE NCC documents: APNIC partial between about 2021-10 and 2022-02, days missing in 2023-06
  and 2023-07 (404 here; the fetch then falls back to the previous day and says so).
- ``rpki-client``: ``https://console.rpki-client.org/vrps.json``, the current output of the
  rpki-client validator run by its authors (all five RIR TALs), refreshed about hourly. Only
  the current state is published; as-of comes from ``Last-Modified``.
"""

from __future__ import annotations

import datetime as dt

from routewatch.sources.base import UTC, Content, PlanItem, Source, Window

__all__ = ["RPKI_CLIENT", "RPKI_RIPE", "RipeRpkiArchive", "RpkiClientConsole"]

_RIPE = "https://ftp.ripe.net/rpki/"
_CONSOLE = "https://console.rpki-client.org/"
_TALS = ("afrinic", "apnic", "arin", "lacnic", "ripencc")


class RipeRpkiArchive(Source):
    """Daily VRP snapshots per trust anchor (collector = TAL name)."""

    name = "rpki"
    title = "RIPE NCC RPKI archive (daily VRPs per trust anchor)"
    cadence = "daily"
    bases = (_RIPE,)
    collectors = _TALS
    kinds = ("vrps",)

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """One ``roas.csv.xz`` per trust anchor and day."""
        return [self._item(collector, day) for day in window.days()]

    def _item(self, tal: str, day: dt.date) -> PlanItem:
        url = f"{_RIPE}{tal}.tal/{day:%Y/%m/%d}/roas.csv.xz"
        key = f"{self.name}/{tal}/{day:%Y-%m-%d}/roas.csv.xz"
        return PlanItem(self.name, tal, "vrps", url, key,
                        dt.datetime.combine(day, dt.time(), UTC), Content.XZ, min_size=64)


class RpkiClientConsole(Source):
    """The current VRP set from console.rpki-client.org (one collector: ``console``)."""

    name = "rpki-client"
    title = "rpki-client console VRPs (current only)"
    cadence = "about hourly (current snapshot only)"
    bases = (_CONSOLE,)
    collectors = ("console",)
    kinds = ("vrps",)
    historical = False

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """The current ``vrps.json``; the cache keeps each distinct version fetched."""
        return [PlanItem(self.name, collector, "vrps", f"{_CONSOLE}vrps.json",
                         f"{self.name}/{collector}/vrps.json", None, Content.JSON,
                         immutable=False, min_size=1024)]


RPKI_RIPE = RipeRpkiArchive()
RPKI_CLIENT = RpkiClientConsole()
