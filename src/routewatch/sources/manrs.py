"""MANRS participants: the list of network operators that joined (CSV from manrs.org).

``https://www.manrs.org/wp-json/manrs/v1/csv/4`` (network-operator programme), the file the
Internet Yellow Pages crawler reads: a header line, then per organisation its name, areas
served, ASNs and Yes/No for Actions 1-4 — seven fields a line (the loader,
:mod:`routewatch.reference.manrs`, reads them). The publisher keeps only the current list:
each fetch that finds new content adds a snapshot to the cache, as of ``Last-Modified`` or the
fetch time, and an ASN's join month is the first snapshot that lists it. A download that is
not a seven-field CSV (an error message served with status 200, a changed format) is refused
and the last good snapshot stays in use (stale). Known gap: the Observatory's per-ASN
readiness export needs a login and is not fetched.
"""

from __future__ import annotations

from routewatch.sources.base import Content, PlanItem, Source, Window

__all__ = ["MANRS", "PARTICIPANT_FIELDS", "Manrs"]

_BASE = "https://www.manrs.org/"
#: Fields of every line of the participants CSV.
PARTICIPANT_FIELDS = 7


class Manrs(Source):
    """MANRS participants; one collector (``participants``)."""

    name = "manrs"
    title = "MANRS participants (network operators)"
    cadence = "on change (current snapshot only)"
    bases = (_BASE,)
    collectors = ("participants",)
    kinds = ("participants",)
    historical = False

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """The participants CSV."""
        return [PlanItem(self.name, collector, "participants",
                         f"{_BASE}wp-json/manrs/v1/csv/4",
                         f"{self.name}/{collector}/participants.csv", None, Content.CSV,
                         immutable=False, min_size=256, columns=PARTICIPANT_FIELDS)]


MANRS = Manrs()
