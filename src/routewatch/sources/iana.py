"""IANA registries behind bogon detection: special-purpose and allocation registries (CSV).

Under ``https://www.iana.org/assignments/``: ``iana-ipv4-special-registry/...-1.csv``,
``iana-ipv6-special-registry/...-1.csv``, ``iana-as-numbers-special-registry/
special-purpose-as-numbers.csv``, ``ipv4-address-space/ipv4-address-space.csv``,
``ipv6-unicast-address-assignments/ipv6-unicast-address-assignments.csv`` and
``as-numbers/as-numbers-{1,2}.csv``. Current only (changes are rare; each row is dated).
"""

from __future__ import annotations

from routewatch.sources.base import Content, PlanItem, Source, Window

__all__ = ["IANA", "Iana"]

_BASE = "https://www.iana.org/assignments/"
_FILES = {
    "ipv4-special": "iana-ipv4-special-registry/iana-ipv4-special-registry-1.csv",
    "ipv6-special": "iana-ipv6-special-registry/iana-ipv6-special-registry-1.csv",
    "asn-special": "iana-as-numbers-special-registry/special-purpose-as-numbers.csv",
    "ipv4-space": "ipv4-address-space/ipv4-address-space.csv",
    "ipv6-unicast": "ipv6-unicast-address-assignments/ipv6-unicast-address-assignments.csv",
    "asn-16bit": "as-numbers/as-numbers-1.csv",
    "asn-32bit": "as-numbers/as-numbers-2.csv",
}


class Iana(Source):
    """IANA CSV registries; one collector (``iana``), one kind per registry."""

    name = "iana"
    title = "IANA special-purpose and allocation registries"
    cadence = "on change (current snapshot only)"
    bases = (_BASE,)
    collectors = ("iana",)
    kinds = tuple(_FILES)
    historical = False

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """Every registry CSV."""
        return [PlanItem(self.name, collector, kind, f"{_BASE}{path}",
                         f"{self.name}/{collector}/{path.rsplit('/', 1)[-1]}", None,
                         Content.CSV, immutable=False, min_size=256)
                for kind, path in _FILES.items()]


IANA = Iana()
