"""PeeringDB: networks, IXPs, facilities and their contacts (MANRS action 3, coordination).

- ``caida`` (default, historical): CAIDA's daily archive of the full PeeringDB dump,
  ``https://publicdata.caida.org/datasets/peeringdb/YYYY/MM/peeringdb_2_dump_YYYY_MM_DD.json``.
- ``api`` (current only): ``https://www.peeringdb.com/api/{net,ix,netixlan,org}``; anonymous
  requests are rate-limited and ``poc`` (contacts) needs an API key, so it is not fetched.

PeeringDB's AUP applies. Known gap: no API-key support yet.
"""

from __future__ import annotations

import datetime as dt

from routewatch.sources.base import UTC, Content, PlanItem, Source, Window

__all__ = ["PEERINGDB", "PeeringDb"]

_CAIDA = "https://publicdata.caida.org/datasets/peeringdb/"
_API = "https://www.peeringdb.com/api/"


class PeeringDb(Source):
    """PeeringDB dumps (CAIDA archive) or current API objects."""

    name = "peeringdb"
    title = "PeeringDB (CAIDA daily dumps; live API)"
    cadence = "daily"
    bases = (_CAIDA, _API)
    collectors = ("caida", "api")
    kinds = ("dump", "net", "ix", "netixlan", "org")
    default_collectors = ("caida",)

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """One dump per day (``caida``) or the four current API collections (``api``)."""
        if collector == "api":
            return [PlanItem(self.name, "api", obj, f"{_API}{obj}",
                             f"{self.name}/api/{obj}.json", None, Content.JSON,
                             immutable=False, min_size=64)
                    for obj in ("net", "ix", "netixlan", "org")]
        return [self._dump(day) for day in window.days()]

    def _dump(self, day: dt.date) -> PlanItem:
        name = f"peeringdb_2_dump_{day:%Y_%m_%d}.json"
        return PlanItem(self.name, "caida", "dump", f"{_CAIDA}{day:%Y/%m}/{name}",
                        f"{self.name}/caida/{name}", dt.datetime.combine(day, dt.time(), UTC),
                        Content.JSON, min_size=1024)


PEERINGDB = PeeringDb()
