"""CAIDA datasets: AS relationships, customer cones, AS-to-organisation mapping.

- ``as-rel``: ``https://publicdata.caida.org/datasets/as-relationships/serial-2/YYYYMM01.as-rel2.txt.bz2``
  monthly (``provider|customer|-1|source`` and ``peer|peer|0|source`` lines).
- ``ppdc``: ``https://publicdata.caida.org/datasets/as-relationships/serial-1/YYYYMM01.ppdc-ases.txt.bz2``
  monthly customer cones.
- ``as-org``: ``https://publicdata.caida.org/datasets/as-organizations/YYYYMM01.as-org2info.txt.gz``
  quarterly (January, April, July, October).

The snapshot for a window is the release at or before its start. CAIDA's AUA applies. Known
gap: recent as-org releases are also published as JSONL; only the text form is fetched.
"""

from __future__ import annotations

import datetime as dt

from routewatch.sources.base import UTC, Content, PlanItem, Source, Window

__all__ = ["CAIDA", "Caida"]

_BASE = "https://publicdata.caida.org/datasets/"


class Caida(Source):
    """CAIDA relationship and organisation datasets; collector = dataset."""

    name = "caida"
    title = "CAIDA AS relationships, customer cones, AS organisations"
    cadence = "monthly (as-org quarterly)"
    bases = (_BASE,)
    collectors = ("as-rel", "ppdc", "as-org")
    kinds = ("as-rel", "ppdc", "as-org")

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """The release at or before the window start and every release inside the window."""
        months = 3 if collector == "as-org" else 1
        return [self._item(collector, release) for release in _releases(window, months)]

    def _item(self, dataset: str, release: dt.date) -> PlanItem:
        stamp = f"{release:%Y%m}01"
        path, name, content = {
            "as-rel": ("as-relationships/serial-2/", f"{stamp}.as-rel2.txt.bz2", Content.BZIP2),
            "ppdc": ("as-relationships/serial-1/", f"{stamp}.ppdc-ases.txt.bz2", Content.BZIP2),
            "as-org": ("as-organizations/", f"{stamp}.as-org2info.txt.gz", Content.GZIP),
        }[dataset]
        return PlanItem(self.name, dataset, dataset, f"{_BASE}{path}{name}",
                        f"{self.name}/{dataset}/{name}",
                        dt.datetime.combine(release, dt.time(), UTC), content, min_size=1024)


def _releases(window: Window, months: int) -> list[dt.date]:
    start = window.start.date()
    month = (start.month - 1) // months * months + 1
    release = dt.date(start.year, month, 1)
    found: list[dt.date] = []
    while dt.datetime.combine(release, dt.time(), UTC) < window.stop or not found:
        found.append(release)
        total = release.year * 12 + release.month - 1 + months
        release = dt.date(total // 12, total % 12 + 1, 1)
    return found


CAIDA = Caida()
