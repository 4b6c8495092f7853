"""Query and path parameters of the web app: parsing, validation, and the one error shape.

Role: every value a client sends (ASN, prefix, month, economy, area kind, action, metric,
band, paging) is parsed here into a typed value, or rejected with an :class:`ApiError`
whose body is the single documented error shape of the API and the dashboard::

    {"error": {"status": 400, "code": "invalid-asn",
               "message": "an AS number such as 64500 or AS64500 (0 to 4294967295)",
               "parameter": "asn"}}

``code`` is stable (``invalid-<parameter kind>``, ``unknown-parameter``, ``not-found``,
``query-timeout``, ``internal-error``); ``message`` says what was expected; ``parameter``
names the offending parameter (``null`` when none). Pinned by ``tests/test_web_errors.py``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from routewatch.metrics import Action, Band
from routewatch.metrics.rollups import AREA_KINDS, UNKNOWN_AREA
from routewatch.metrics.scores import INCIDENT_METRICS
from routewatch.reference.registry import m49_regions

__all__ = [
    "MAX_LIMIT",
    "ApiError",
    "Area",
    "economies",
    "parse_action",
    "parse_area",
    "parse_area_kind",
    "parse_areas",
    "parse_asn",
    "parse_band",
    "parse_economy",
    "parse_limit",
    "parse_metric",
    "parse_month",
    "parse_offset",
    "parse_prefix",
]

#: Largest page of rows an API request may ask for.
MAX_LIMIT = 1000
_ASN = re.compile(r"^(?:AS)?(\d{1,10})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")
_ECONOMY = re.compile(r"^[A-Za-z]{2}$")


class ApiError(Exception):
    """A request the app refuses; rendered as the one error shape (JSON) or an error page."""

    def __init__(self, status: int, code: str, message: str,
                 parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter

    def body(self) -> dict[str, object]:
        """The documented error document."""
        return {"error": {"status": self.status, "code": self.code, "message": self.message,
                          "parameter": self.parameter}}


@dataclass(frozen=True)
class Area:
    """An area of the roll-ups: ``kind`` (world, economy, region, ...) and its name."""

    kind: str
    name: str

    @property
    def key(self) -> str:
        """``kind:name``, the form used in URLs."""
        return f"{self.kind}:{self.name}"


WORLD = Area("world", "world")


def _bad(parameter: str, kind: str, expected: str) -> ApiError:
    return ApiError(400, f"invalid-{kind}", expected, parameter)


def parse_asn(text: str, parameter: str = "asn") -> int:
    """An AS number from ``64500`` or ``AS64500``."""
    match = _ASN.match(text.strip())
    if match is None or int(match.group(1)) > 0xFFFFFFFF:
        raise _bad(parameter, "asn", "an AS number such as 64500 or AS64500 (0 to 4294967295)")
    return int(match.group(1))


def parse_month(text: str, parameter: str = "month") -> dt.date:
    """The first day of a month written ``YYYY-MM`` (or ``YYYY-MM-01``)."""
    match = _MONTH.match(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
        raise _bad(parameter, "month", "a month written YYYY-MM, such as 2024-06")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def parse_prefix(text: str, parameter: str = "prefix") -> str:
    """A canonical IPv4 or IPv6 prefix (no host bits set)."""
    try:
        if "/" not in text:
            raise ValueError(text)
        return str(ipaddress.ip_network(text.strip(), strict=True))
    except ValueError:
        raise _bad(parameter, "prefix", "an IP prefix such as 192.0.2.0/24 or 2001:db8::/32, "
                   "with no host bits set") from None


@cache
def economies() -> dict[str, str]:
    """ISO 3166 alpha-2 code -> name, from the packaged M49 table."""
    return {cc: region.name for cc, region in sorted(m49_regions().items())}


def parse_economy(text: str, parameter: str = "economy") -> str:
    """An economy code: two letters (ISO 3166 alpha-2, or an RIR pseudo-code such as EU as
    the delegation files carry it), upper-cased; or ``unknown``."""
    code = text.strip()
    if code.lower() == UNKNOWN_AREA:
        return UNKNOWN_AREA
    if not _ECONOMY.match(code):
        raise _bad(parameter, "economy", "an ISO 3166 alpha-2 economy code such as NL or BR")
    return code.upper()


def parse_area_kind(text: str, parameter: str = "kind") -> str:
    """One of the roll-up area kinds."""
    if text not in AREA_KINDS:
        raise _bad(parameter, "area-kind", f"one of {', '.join(AREA_KINDS)}")
    return text


def parse_area(text: str, parameter: str = "area") -> Area:
    """An area written ``kind:name`` (``economy:NL``, ``region:Europe``, ``cohort:manrs``),
    a bare economy code, or ``world``."""
    kind, sep, name = text.partition(":")
    if not sep:
        if text == "world":
            return WORLD
        return Area("economy", parse_economy(text, parameter))
    if kind not in AREA_KINDS or not name:
        raise _bad(parameter, "area", "an area written kind:name, such as economy:NL, "
                   "region:Europe or cohort:manrs (kinds: " + ", ".join(AREA_KINDS) + ")")
    if kind == "economy":
        return Area(kind, parse_economy(name, parameter))
    return Area(kind, name)


def parse_areas(text: str, parameter: str = "areas") -> list[Area]:
    """Two or more comma-separated areas (see :func:`parse_area`), at most eight."""
    areas = [parse_area(part.strip(), parameter) for part in text.split(",") if part.strip()]
    if not 2 <= len(areas) <= 8:
        raise _bad(parameter, "areas", "two to eight comma-separated areas such as "
                   "economy:NL,economy:DE or cohort:manrs,cohort:non-manrs")
    return areas


def parse_action(text: str, parameter: str = "action") -> str:
    """One of the five scored actions."""
    values = [a.value for a in Action]
    if text not in values:
        raise _bad(parameter, "action", f"one of {', '.join(values)}")
    return text


def parse_metric(text: str, parameter: str = "metric") -> str:
    """An incident metric (M1 … M4C)."""
    if text.upper() not in INCIDENT_METRICS:
        raise _bad(parameter, "metric", f"one of {', '.join(INCIDENT_METRICS)}")
    return text.upper()


def parse_band(text: str, parameter: str = "band") -> str:
    """A readiness band."""
    values = [b.value for b in Band]
    if text not in values:
        raise _bad(parameter, "band", f"one of {', '.join(values)}")
    return text


def parse_limit(text: str, parameter: str = "limit") -> int:
    """A page size, 1 … :data:`MAX_LIMIT`."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise _bad(parameter, "limit", f"a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def parse_offset(text: str, parameter: str = "offset") -> int:
    """A row offset, 0 or more."""
    if not text.isdigit() or int(text) > 10_000_000:
        raise _bad(parameter, "offset", "a whole number, 0 or more")
    return int(text)


def check_known(query: Mapping[str, str], known: set[str]) -> None:
    """Refuse a query parameter the endpoint does not take (a typo would silently be ignored)."""
    for name in query:
        if name not in known:
            raise ApiError(400, "unknown-parameter",
                           f"this endpoint takes {', '.join(sorted(known)) or 'no parameters'}",
                           name)
