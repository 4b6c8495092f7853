"""What every reference loader returns, and the registry of formats ``ref show`` sniffs.

A loader reads one real format (rpki-client JSON, RPSL, CAIDA serial-2, ...) and returns a
:class:`Snapshot`: an Arrow table with a schema from :mod:`routewatch.schemas`, the date the
data describes, the files it came from and every malformed line (file and line number),
which never stops the load.

Failure modes: content no registered format recognises raises
:class:`~routewatch.errors.UnsupportedFormatError`; an empty or implausibly small input
raises :class:`~routewatch.errors.ImplausibleInputError` (never an empty table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import pyarrow as pa

__all__ = ["FORMATS", "Format", "LineProblem", "ProblemLog", "RefKind", "Snapshot", "register"]


class RefKind(StrEnum):
    """Kinds of reference data; values are the names ``routewatch ref show`` accepts."""

    VRPS = "vrps"
    ASPAS = "aspas"
    IRR_ROUTES = "irr-routes"
    IRR_AUT_NUMS = "irr-aut-nums"
    IRR_AS_SETS = "irr-as-sets"
    BOGON_PREFIXES = "bogon-prefixes"
    BOGON_ASNS = "bogon-asns"
    AS_RELATIONSHIPS = "as-relationships"
    CUSTOMER_CONES = "customer-cones"
    AS_ORGS = "as-orgs"
    AS_ATTRIBUTES = "as-attributes"
    DELEGATIONS = "delegations"
    PEERINGDB = "peeringdb"
    MANRS_PARTICIPANTS = "manrs-participants"
    MANRS_OBSERVATORY = "manrs-observatory"
    SPOOFER = "spoofer"


@dataclass(frozen=True)
class LineProblem:
    """A malformed line or object: file, 1-based line number, what was wrong."""

    file: str
    line: int
    detail: str


@dataclass
class ProblemLog:
    """A loader's problem list, capped so that a garbage file cannot fill memory."""

    limit: int
    kept: list[LineProblem] = field(default_factory=list)
    dropped: int = 0

    def add(self, file: str, line: int, detail: str) -> None:
        """Record one problem (beyond ``limit`` only counted)."""
        if len(self.kept) < self.limit:
            self.kept.append(LineProblem(file, line, detail))
        else:
            self.dropped += 1

    def final(self) -> list[LineProblem]:
        """The kept problems, plus one line saying how many more there were."""
        if not self.dropped:
            return self.kept
        return [*self.kept, LineProblem("*", 0, f"{self.dropped} more problems not listed")]


@dataclass
class Snapshot:
    """One loaded reference snapshot: table, kind, format, as-of date, sources, problems."""

    kind: RefKind
    format: str
    table: pa.Table
    as_of: dt.date | None
    files: tuple[str, ...]
    problems: list[LineProblem] = field(default_factory=list)


@dataclass(frozen=True)
class Format:
    """A reference file format: how to recognise it from its first bytes and how to load it.

    ``sniff(head, name)`` gets up to the first 64 KiB of the (decompressed) content and the
    file name, and answers whether this format reads it; content decides, the name only
    breaks ties. ``load(paths)`` reads one or more files of the format into a snapshot.
    """

    name: str
    kind: RefKind
    sniff: Callable[[bytes, str], bool]
    load: Callable[[list[Path]], Snapshot]


FORMATS: list[Format] = []


def register(fmt: Format) -> Format:
    """Add a format to the registry ``ref show`` consults; returns it for module constants."""
    FORMATS.append(fmt)
    return fmt
