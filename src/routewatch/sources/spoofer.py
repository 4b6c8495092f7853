"""CAIDA Spoofer Data API: source-address-validation test sessions (MANRS action 2).

``https://api.spoofer.caida.org/sessions?timestamp[after]=D&timestamp[before]=D+1&page=N``
returns a Hydra collection (``hydra:member`` items, ``hydra:view`` → ``hydra:next``), 30
sessions a page. The plan names page 1 of each day; :func:`next_pages` reads a fetched page
and names the next one, so the fetch follows pages until ``hydra:next`` is absent.
CAIDA's AUA applies; more than 1,000 requests a day should be announced to CAIDA.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from routewatch.sources.base import UTC, Content, PlanItem, Source, Window

__all__ = ["SPOOFER", "Spoofer", "next_pages"]

_BASE = "https://api.spoofer.caida.org/"
_MAX_PAGES = 1000


class Spoofer(Source):
    """Spoofer sessions per UTC day; one collector (``sessions``)."""

    name = "spoofer"
    title = "CAIDA Spoofer sessions (API)"
    cadence = "continuous; fetched per day"
    bases = (_BASE,)
    collectors = ("sessions",)
    kinds = ("sessions",)

    def items(self, window: Window, collector: str) -> list[PlanItem]:
        """Page 1 of the sessions of each day in the window."""
        return [page_item(day, 1, _BASE) for day in window.days()]

    def follow(self, item: PlanItem, path: Path) -> list[PlanItem]:
        """The next page, when this one names it."""
        return next_pages(item, path)


def page_item(day: dt.date, page: int, base: str) -> PlanItem:
    """The plan item of one page of one day's sessions (``base`` may be a mirror)."""
    after, before = day, day + dt.timedelta(days=1)
    query = urlencode({"timestamp[after]": after.isoformat(),
                       "timestamp[before]": before.isoformat(), "page": page})
    return PlanItem("spoofer", "sessions", "sessions", f"{base}sessions?{query}",
                    f"spoofer/sessions/{day:%Y-%m-%d}/page-{page:04d}.json",
                    dt.datetime.combine(day, dt.time(), UTC), Content.JSON, min_size=2,
                    substitutable=False)


def next_pages(item: PlanItem, path: Path) -> list[PlanItem]:
    """The item for the page after ``item`` when the fetched page names one, else nothing."""
    with path.open("rb") as handle:
        document = json.load(handle)
    view = document.get("hydra:view") if isinstance(document, dict) else None
    following = view.get("hydra:next") if isinstance(view, dict) else None
    if not isinstance(following, str) or item.as_of is None:
        return []
    page = _page_number(urlsplit(urljoin(item.url, following)).query)
    if page is None or page <= _current_page(item) or page > _MAX_PAGES:
        return []
    base = item.url.split("sessions?", 1)[0]
    return [page_item(item.as_of.date(), page, base)]


def _current_page(item: PlanItem) -> int:
    return _page_number(urlsplit(item.url).query) or 1


def _page_number(query: str) -> int | None:
    """The ``page`` of a query string, or None when it is missing or not a plain number (it
    comes from a fetched page, so it is hostile until checked)."""
    text = parse_qs(query).get("page", [""])[0]
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


SPOOFER = Spoofer()
