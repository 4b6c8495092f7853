"""MANRS participants: the list of network operators that joined (CSV from manrs.org).

``https://www.manrs.org/wp-json/manrs/v1/csv/4`` (network-operator programme). Current only;
as-of comes from ``Last-Modified`` or the fetch time. Known gap: the Observatory's per-ASN
readiness export needs a login and is not fetched.
"""

from __future__ import annotations

from routewatch.sources.base import Content, PlanItem, Source, Window

__all__ = ["MANRS", "Manrs"]

_BASE = "https://www.manrs.org/"


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
                         immutable=False, min_size=256)]


MANRS = Manrs()
