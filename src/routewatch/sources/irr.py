"""Internet Routing Registries: bulk RPSL dumps (route, route6, aut-num, as-set objects).

The registries publish only their current database, refreshed daily; as-of comes from
``Last-Modified``. Collectors and files:

- ``ripe`` / ``ripe-nonauth``: ``https://ftp.ripe.net/ripe/dbase/split/{db}.db.{type}.gz``
- ``apnic``: ``https://ftp.apnic.net/apnic/whois/apnic.db.{type}.gz``
- ``radb``: ``https://ftp.radb.net/radb/dbase/radb.db.gz``
- ``arin``: ``https://ftp.arin.net/pub/rr/arin.db.gz``
- ``afrinic``: ``https://ftp.afrinic.net/pub/dbase/afrinic.db.gz``
- ``lacnic``: ``https://ftp.lacnic.net/lacnic/irr/lacnic.db.gz``

Known gap: no public history; routewatch keeps every distinct version it fetched, and a past
date can only use what was fetched then.
"""

from __future__ import annotations

from routewatch.sources.base import Content, PlanItem, Source, Window

__all__ = ["IRR", "Irr"]

_SPLIT_TYPES = ("route", "route6", "aut-num", "as-set")
_FILES: dict[str, tuple[str, ...]] = {
    "ripe": tuple(f"https://ftp.ripe.net/ripe/dbase/split/ripe.db.{t}.gz" for t in _SPLIT_TYPES),
    "ripe-nonauth": tuple(f"https://ftp.ripe.net/ripe/dbase/split/ripe-nonauth.db.{t}.gz"
                          for t in ("route", "route6", "aut-num")),
    "apnic": tuple(f"https://ftp.apnic.net/apnic/whois/apnic.db.{t}.gz" for t in _SPLIT_TYPES),
    "radb": ("https://ftp.radb.net/radb/dbase/radb.db.gz",),
    "arin": ("https://ftp.arin.net/pub/rr/arin.db.gz",),
    "afrinic": ("https://ftp.afrinic.net/pub/dbase/afrinic.db.gz",),
    "lacnic": ("https://ftp.lacnic.net/lacnic/irr/lacnic.db.gz",),
}


class Irr(Source):
    """Current RPSL dumps of seven registries; collector = registry."""

    name = "irr"
    title = "IRR databases (RPSL dumps, current only)"
    cadence = "daily (current snapshot only)"
    bases = ("https://ftp.ripe.net/ripe/dbase/split/", "https://ftp.apnic.net/apnic/whois/",
             "https://ftp.radb.net/radb/dbase/", "https://ftp.arin.net/pub/rr/",
             "https://ftp.afrinic.net/pub/dbase/", "https://ftp.lacnic.net/lacnic/irr/")
    collectors = tuple(_FILES)
    kinds = ("rpsl",)
    historical = False

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """Every dump file of the registry (the window does not matter: current only)."""
        return [PlanItem(self.name, collector, "rpsl", url,
                         f"{self.name}/{collector}/{url.rsplit('/', 1)[-1]}", None,
                         Content.GZIP, immutable=False, min_size=1024)
                for url in _FILES[collector]]


IRR = Irr()
