"""Team Cymru full bogons: unallocated plus reserved prefixes, IPv4 and IPv6 (text, CIDR a line).

``https://www.team-cymru.org/Services/Bogons/fullbogons-ipv4.txt`` and ``fullbogons-ipv6.txt``,
refreshed every 4 hours; the first line is ``# last updated <unix time> (...)``. Current only.
"""

from __future__ import annotations

from routewatch.sources.base import Content, PlanItem, Source, Window

__all__ = ["CYMRU", "Cymru"]

_BASE = "https://www.team-cymru.org/Services/Bogons/"


class Cymru(Source):
    """Full-bogon lists; one collector (``fullbogons``), kinds ``ipv4`` and ``ipv6``."""

    name = "cymru"
    title = "Team Cymru full bogons"
    cadence = "every 4 h (current snapshot only)"
    bases = (_BASE,)
    collectors = ("fullbogons",)
    kinds = ("ipv4", "ipv6")
    historical = False

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """Both address families' lists."""
        return [PlanItem(self.name, collector, family, f"{_BASE}fullbogons-{family}.txt",
                         f"{self.name}/{collector}/fullbogons-{family}.txt", None,
                         Content.TEXT, immutable=False, min_size=256)
                for family in self.kinds]


CYMRU = Cymru()
