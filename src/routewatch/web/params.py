"""Query and path parameters of the web app: their declarations, parsing, and the one error shape.

Role: a :class:`Param` declares one parameter — name, place (query or path), help, the JSON
Schema of the text the server accepts (type, pattern, enum, range) and the parser that turns
that text into a typed value. Page specs (:mod:`routewatch.web.pages`) and table specs
(:mod:`routewatch.web.tables`) are built from these declarations, and the OpenAPI document
(:mod:`routewatch.web.openapi`) publishes their schemas, so what the document says is what
the server enforces: each parser accepts exactly the strings its schema allows (patterns are
the regular expressions the parsers run, with Python's ``re.search`` semantics, as JSON Schema
validators in Python apply them; ``tests/test_web_params.py`` checks the two agree).

A refused value raises :class:`ApiError`, whose body is the single documented error shape of
the API and the dashboard::

    {"error": {"status": 400, "code": "invalid-asn",
               "message": "an AS number such as 64500 or AS64500 (0 to 4294967295)",
               "parameter": "asn"}}

``code`` is stable (``invalid-<parameter kind>``, ``unknown-parameter``, ``not-found``,
``method-not-allowed``, ``query-timeout``, ``store-unavailable``, ``internal-error``);
``message`` says what was expected; ``parameter`` names the offending parameter (``null``
when none). Pinned by ``tests/test_web_errors.py``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from routewatch.asns import MAX_ASN
from routewatch.metrics.vocabulary import (
    AREA_KINDS,
    INCIDENT_METRICS,
    UNKNOWN_AREA,
    Action,
    Band,
)

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "ApiError",
    "Area",
    "Param",
    "check_known",
    "choice",
    "enum",
    "parse_action",
    "parse_area",
    "parse_area_kind",
    "parse_areas",
    "parse_asn",
    "parse_band",
    "parse_bool",
    "parse_economy",
    "parse_format",
    "parse_incident_id",
    "parse_limit",
    "parse_metric",
    "parse_month",
    "parse_offset",
    "parse_prefix",
    "parse_text",
    "string",
    "up_to",
]

#: Largest page of rows an API request may ask for.
MAX_LIMIT = 1000
#: Largest row offset (deeper pages: narrow the query instead).
MAX_OFFSET = 10_000_000


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


# ------------------------------------------------------------------------------ patterns
def _any_case(word: str) -> str:
    """A pattern matching ``word`` in any letter case."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


def up_to(limit: int) -> str:
    """A pattern (no anchors) for the decimal numbers 0 … ``limit``, without leading zeros."""
    digits = str(limit)
    width = len(digits)
    parts = ["0"] if width == 1 else ["0", f"[1-9][0-9]{{0,{width - 2}}}"]
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            top = str(int(d) - 1)
            span = top if int(top) == low else f"[{low}-{top}]"
            parts.append(digits[:i] + span + (f"[0-9]{{{width - i - 1}}}" if i < width - 1
                                              else ""))
    parts.append(digits)
    return "(?:" + "|".join(dict.fromkeys(parts)) + ")"


def _full(pattern: str) -> str:
    return f"^(?:{pattern})$"


ASN_PATTERN = _full(f"(?:{_any_case('AS')})?({up_to(MAX_ASN)})")
MONTH_PATTERN = _full("(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])(?:-01)?")
_ECONOMY_BODY = f"[A-Za-z]{{2}}|{_any_case(UNKNOWN_AREA)}"
ECONOMY_PATTERN = _full(_ECONOMY_BODY)
_KINDS = "|".join(re.escape(k) for k in AREA_KINDS if k != "economy")
_AREA_BODY = f"world|{_ECONOMY_BODY}|economy:(?:{_ECONOMY_BODY})|(?:{_KINDS}):[^,\\n]+"
AREA_PATTERN = _full(_AREA_BODY)
AREAS_PATTERN = _full(f"(?:{_AREA_BODY})(?:,(?:{_AREA_BODY})){{1,7}}")
METRIC_PATTERN = _full("[Mm][1-4][Cc]?")
INCIDENT_ID_PATTERN = _full("[A-Za-z0-9._:-]{1,64}")


def _accepted(pattern: str, text: str) -> re.Match[str] | None:
    """The match of ``pattern`` in ``text`` as a JSON Schema validator in Python finds it."""
    return re.search(pattern, text)


# ------------------------------------------------------------------------------ parsers
def parse_asn(text: str, parameter: str = "asn") -> int:
    """An AS number from ``64500`` or ``AS64500`` (0 to 4294967295)."""
    match = _accepted(ASN_PATTERN, text)
    if match is None:
        raise _bad(parameter, "asn", f"an AS number such as 64500 or AS64500 (0 to {MAX_ASN})")
    return int(match.group(1))


def parse_month(text: str, parameter: str = "month") -> dt.date:
    """The first day of a month written ``YYYY-MM`` (or ``YYYY-MM-01``), 1970 or later."""
    match = _accepted(MONTH_PATTERN, text)
    if match is None:
        raise _bad(parameter, "month", "a month written YYYY-MM, such as 2024-06")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def parse_prefix(text: str, parameter: str = "prefix") -> str:
    """A canonical IPv4 or IPv6 prefix (no host bits set)."""
    try:
        if "/" not in text or text != text.strip():
            raise ValueError(text)
        return str(ipaddress.ip_network(text, strict=True))
    except ValueError:
        raise _bad(parameter, "prefix", "an IP prefix such as 192.0.2.0/24 or 2001:db8::/32, "
                   "with no host bits set") from None


def parse_economy(text: str, parameter: str = "economy") -> str:
    """An economy code: two letters (ISO 3166 alpha-2, or an RIR pseudo-code such as EU as
    the delegation files carry it), upper-cased; or ``unknown``."""
    match = _accepted(ECONOMY_PATTERN, text)
    if match is None:
        raise _bad(parameter, "economy", "an ISO 3166 alpha-2 economy code such as NL or BR")
    code = match.group(0)
    return UNKNOWN_AREA if code.lower() == UNKNOWN_AREA else code.upper()


def parse_area_kind(text: str, parameter: str = "kind") -> str:
    """One of the roll-up area kinds."""
    return choice("area-kind", AREA_KINDS)(text, parameter)


def parse_area(text: str, parameter: str = "area") -> Area:
    """An area written ``kind:name`` (``economy:NL``, ``region:Europe``, ``cohort:manrs``),
    a bare economy code, or ``world``."""
    match = _accepted(AREA_PATTERN, text)
    kind, sep, name = (text if match is None else match.group(0)).partition(":")
    if not sep:
        if kind == "world":
            return WORLD
        return Area("economy", parse_economy(kind, parameter))
    if kind == "economy":
        return Area(kind, parse_economy(name, parameter))
    if match is None:
        raise _bad(parameter, "area", "an area written kind:name, such as economy:NL, "
                   "region:Europe or cohort:manrs (kinds: " + ", ".join(AREA_KINDS) + ")")
    return Area(kind, name)


def parse_areas(text: str, parameter: str = "areas") -> list[Area]:
    """Two to eight comma-separated areas (see :func:`parse_area`)."""
    match = _accepted(AREAS_PATTERN, text)
    parts = (text if match is None else match.group(0)).split(",")
    areas = [parse_area(part, parameter) for part in parts if part]
    if match is None:
        raise _bad(parameter, "areas", "two to eight comma-separated areas such as "
                   "economy:NL,economy:DE or cohort:manrs,cohort:non-manrs")
    return areas


def choice(kind: str, values: Iterable[str]) -> Callable[[str, str], str]:
    """A parser accepting exactly one of ``values``."""
    allowed = tuple(values)

    def parse(text: str, parameter: str) -> str:
        if text not in allowed:
            raise _bad(parameter, kind, f"one of {', '.join(allowed)}")
        return text
    return parse


def parse_action(text: str, parameter: str = "action") -> str:
    """One of the five scored actions."""
    return choice("action", (a.value for a in Action))(text, parameter)


def parse_metric(text: str, parameter: str = "metric") -> str:
    """An incident metric (M1 … M4C, any case)."""
    match = _accepted(METRIC_PATTERN, text)
    if match is None:
        raise _bad(parameter, "metric", f"one of {', '.join(INCIDENT_METRICS)}")
    return match.group(0).upper()


def parse_band(text: str, parameter: str = "band") -> str:
    """A readiness band."""
    return choice("band", (b.value for b in Band))(text, parameter)


def _whole(text: str, parameter: str, low: int, high: int, expected: str) -> int:
    # an integer parameter has no pattern: the whole text must be the number ("1\n" is not,
    # though a pattern's "$" would let it through)
    match = re.fullmatch(f"({up_to(high)})", text)
    if match is None or int(match.group(1)) < low:
        raise _bad(parameter, parameter, expected)
    return int(match.group(1))


def parse_limit(text: str, parameter: str = "limit") -> int:
    """A page size, 1 … :data:`MAX_LIMIT` (decimal digits only)."""
    return _whole(text, parameter, 1, MAX_LIMIT, f"a whole number from 1 to {MAX_LIMIT}")


def parse_offset(text: str, parameter: str = "offset") -> int:
    """A row offset, 0 … :data:`MAX_OFFSET` (decimal digits only)."""
    return _whole(text, parameter, 0, MAX_OFFSET,
                  f"a whole number, 0 or more (at most {MAX_OFFSET:,})")


def parse_incident_id(text: str, parameter: str = "incident_id") -> str:
    """An incident id: 1 to 64 letters, digits, ``-``, ``_``, ``.`` or ``:``."""
    match = _accepted(INCIDENT_ID_PATTERN, text)
    if match is None:
        raise _bad(parameter, "incident-id", "an incident id such as 3f2a9c0d1e4b5a69 "
                   "(letters, digits, - _ . :)")
    return match.group(0)


def parse_bool(text: str, parameter: str) -> bool:
    """``true`` or ``false``."""
    return choice("boolean", ("true", "false"))(text, parameter) == "true"


def parse_format(text: str, parameter: str = "format") -> str:
    """``json`` or ``csv``."""
    if text not in ("json", "csv"):
        raise _bad(parameter, "format", "json or csv")
    return text


def parse_text(text: str, parameter: str) -> str:
    """Any text, as sent."""
    return text


# ------------------------------------------------------------------------------ declarations
@dataclass(frozen=True)
class Param:
    """One query or path parameter: what it is, what the server accepts, how it is parsed.

    ``schema`` is the JSON Schema of the accepted text (published in the OpenAPI document);
    ``parse(text, name)`` returns the typed value or raises :class:`ApiError`; ``default``
    is the value when a query parameter is absent; ``arg`` the keyword of the view function
    that receives it (default: ``name``).
    """

    name: str
    help: str
    parse: Callable[[str, str], Any]
    schema: Mapping[str, object] = field(default_factory=lambda: {"type": "string"})
    where: str = "query"
    default: Any = None
    arg: str = ""

    @property
    def keyword(self) -> str:
        """The view function's keyword for this parameter."""
        return self.arg or self.name

    def value(self, text: str | None) -> Any:
        """The parsed value, or the default when the parameter is absent."""
        return self.default if text is None else self.parse(text, self.name)

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI parameter object."""
        return {"name": self.name, "in": self.where, "required": self.where == "path",
                "description": self.help, "schema": dict(self.schema)}


def string(pattern: str) -> Mapping[str, object]:
    """A string schema with a pattern."""
    return {"type": "string", "pattern": pattern}


def enum(values: Iterable[str]) -> Mapping[str, object]:
    """A string schema of fixed values."""
    return {"type": "string", "enum": list(values)}


ASN = Param("asn", "AS number, e.g. 64500 or AS64500", parse_asn, string(ASN_PATTERN))
MONTH = Param("month", "month YYYY-MM (default: the newest with data)", parse_month,
              string(MONTH_PATTERN))
LIMIT = Param("limit", f"rows per page, 1 … {MAX_LIMIT} (default 100)", parse_limit,
              {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, default=100)
OFFSET = Param("offset", "rows to skip", parse_offset,
               {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, default=0)
FORMAT = Param("format", "json (default) or csv", parse_format,
               enum(("json", "csv")), default="json")
ACTION = Param("action", "a scored action", parse_action, enum(a.value for a in Action))
METRIC = Param("metric", "incident metric M1 … M4C", parse_metric, string(METRIC_PATTERN))
BAND = Param("band", "readiness band", parse_band, enum(b.value for b in Band))
AREA_KIND = Param("kind", "area kind (" + ", ".join(AREA_KINDS) + ")", parse_area_kind,
                  enum(AREA_KINDS))
ECONOMY = Param("economy", "economy code (ISO 3166 alpha-2, or unknown)", parse_economy,
                string(ECONOMY_PATTERN))
#: The OpenAPI format of an IP prefix: IPv4 or IPv6, canonical, no host bits set.
PREFIX_FORMAT = "ip-prefix"
PREFIX_SCHEMA: Mapping[str, object] = {"type": "string", "format": PREFIX_FORMAT}


def check_known(query: Mapping[str, str], known: Iterable[str]) -> None:
    """Refuse a query parameter the endpoint does not take (a typo would silently be ignored)."""
    names = set(known)
    for name in query:
        if name not in names:
            raise ApiError(400, "unknown-parameter",
                           f"this endpoint takes {', '.join(sorted(names)) or 'no parameters'}",
                           name)
