"""Bogon prefixes and ASNs: loaders for IANA's registries and Team Cymru's lists, and lookups.

Role: build the BOGON_PREFIXES and BOGON_ASNS tables detection's M3 / M4 metrics rest on,
and answer "is this prefix / ASN a bogon, which kind, and which row says so" for whole
columns at once (:class:`BogonIndex`).

Categories (METHODOLOGY §3): ``full`` (IANA special-purpose space that is not globally
reachable, space IANA has not allocated, special-purpose ASNs) is scored; ``administrative``
(space an RIR holds but has not assigned, e.g. the parts of Team Cymru's fullbogons outside
IANA's full set) is reported only; ``exempt`` rows are globally reachable special-purpose
blocks inside bogon space (AS112 192.31.196.0/24, 192.175.48.0/24, AMT 192.52.193.0/24,
64:ff9b::/96, 2620:4f:8000::/48, 2001:4:112::/48, ...): a prefix inside one is never a bogon.
Lookups are longest-match: the most specific row containing the prefix decides, and at equal
prefixes ``exempt`` beats ``full`` beats ``administrative``.

Inputs (all registered formats for ``routewatch ref show``):

- IANA IPv4 / IPv6 special-purpose registries (``iana-ipv{4,6}-special-registry-1.csv``:
  ``Address Block,Name,RFC,...,Globally Reachable,Reserved-by-Protocol``): ``Globally
  Reachable`` False or a termination date -> full; True -> exempt; N/A -> no row (the
  enclosing entry decides: TEREDO inside 2001::/23 is full, 6to4 2002::/16 is not flagged);
- IANA address-space registries (``ipv4-address-space.csv``, ``ipv6-unicast-address-
  assignments.csv``: ``Prefix,Designation,Date,WHOIS,RDAP,Status,Note``): RESERVED /
  UNALLOCATED -> full; for IPv6 also everything outside 2000::/3 and every part of 2000::/3
  the registry does not list;
- IANA AS-number registries (``as-numbers-{1,2}.csv``: ``Number,Description,...``): Reserved,
  Unallocated, private-use, documentation and AS_TRANS blocks -> full;
- Team Cymru fullbogons (``fullbogons-ipv{4,6}.txt``: one prefix a line after ``# last
  updated <epoch>``): an entry inside IANA's full set is full (with IANA's reason), any other
  entry administrative.

Copies of the IANA registries ship as package data (``reference/data``, see
``bogons.PROVENANCE.md`` for their sources and dates); :func:`iana_bogon_prefixes` and
:func:`iana_bogon_asns` load them.

Failure modes: malformed lines become :class:`~routewatch.reference.base.LineProblem` and are
skipped (an allocation date with no such month, or a Team Cymru ``# last updated`` that is
no time, is a problem too, and plays no part in the file's date); an input with fewer rows
than ``min_rows`` raises :class:`~routewatch.errors.ImplausibleInputError`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from routewatch.errors import ImplausibleInputError
from routewatch.prefixes import format_prefix, parse_prefix
from routewatch.reference.base import Format, LineProblem, RefKind, Snapshot, register
from routewatch.reference.rov import PrefixChains, column_numpy
from routewatch.reference.rpki import as_of_from_name, csv_records, parse_prefix_text
from routewatch.reference.sniff import HEADER_WITHIN, head_lines, header_line, mostly, open_text
from routewatch.schemas import BOGON_ASNS, BOGON_PREFIXES

__all__ = [
    "CATEGORY_CODES",
    "CODE_CATEGORIES",
    "SPECIAL_PURPOSE_ASNS",
    "BogonCategory",
    "BogonIndex",
    "iana_bogon_asns",
    "iana_bogon_prefixes",
    "load_cymru_fullbogons",
    "load_iana_address_space",
    "load_iana_as_numbers",
    "load_iana_special_registry",
    "special_purpose_asns",
]

_DATA = "routewatch.reference.data"
_FOOTNOTE = re.compile(r"\s*\[\d+\]")


class BogonCategory(StrEnum):
    """How a bogon row counts (METHODOLOGY §3); ``exempt`` rows are never bogons; ``none`` is
    only a lookup answer (no bogon row decides)."""

    NONE = "none"
    FULL = "full"
    ADMINISTRATIVE = "administrative"
    EXEMPT = "exempt"


#: Codes the lookups return: 0 not a bogon, 1 full, 2 administrative.
CATEGORY_CODES: dict[str, int] = {"full": 1, "administrative": 2, "exempt": 0}
#: The inverse: lookup code i means ``CODE_CATEGORIES[i]``.
CODE_CATEGORIES: tuple[BogonCategory, ...] = (
    BogonCategory.NONE,
    BogonCategory.FULL,
    BogonCategory.ADMINISTRATIVE,
)
#: Tie-break at equal prefixes / overlapping ASN ranges: lower wins.
_PRIORITY: dict[str, int] = {"exempt": 0, "full": 1, "administrative": 2}


class AsnRange(NamedTuple):
    """An inclusive ASN range with its reason."""

    first: int
    last: int
    reason: str


#: Special-purpose ASNs (ROUTING-REFERENCE.md "Bogons"; IANA special-purpose AS numbers and
#: as-numbers registries). AS112 (RFC 7534) is special-purpose but routed: not listed.
SPECIAL_PURPOSE_ASNS: tuple[AsnRange, ...] = (
    AsnRange(0, 0, "AS0, reserved [RFC7607]"),
    AsnRange(23456, 23456, "AS_TRANS [RFC6793]; must not survive AS4 path reconstruction"),
    AsnRange(64496, 64511, "documentation and sample code [RFC5398]"),
    AsnRange(64512, 65534, "private use [RFC6996]"),
    AsnRange(65535, 65535, "last 16-bit ASN, reserved [RFC7300]"),
    AsnRange(65536, 65551, "documentation and sample code [RFC5398]"),
    AsnRange(65552, 131071, "IANA reserved"),
    AsnRange(4200000000, 4294967294, "private use [RFC6996]"),
    AsnRange(4294967295, 4294967295, "last 32-bit ASN, reserved [RFC7300]"),
)


# ------------------------------------------------------------------------------------------
# Building tables
# ------------------------------------------------------------------------------------------


class _PrefixRows:
    """Column buffers for BOGON_PREFIXES rows."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, int, int, int, str, str, str]] = []
        self.problems: list[LineProblem] = []

    def add(self, prefix: str, category: str, reason: str, source: str) -> None:
        afi, hi, lo, length, text = parse_prefix_text(prefix)
        self.rows.append((text, afi, hi, lo, length, category, reason, source))

    def problem(self, file: str, line: int, detail: str) -> None:
        self.problems.append(LineProblem(file, line, detail))

    def table(self) -> pa.Table:
        columns = list(zip(*self.rows, strict=True)) if self.rows else [()] * 8
        return pa.Table.from_arrays(
            [pa.array(list(c), f.type) for c, f in zip(columns, BOGON_PREFIXES, strict=True)],
            schema=BOGON_PREFIXES,
        )


def _asn_table(rows: Iterable[tuple[int, int, str, str, str]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) or [()] * 5
    return pa.Table.from_arrays(
        [pa.array(list(c), f.type) for c, f in zip(columns, BOGON_ASNS, strict=True)],
        schema=BOGON_ASNS,
    )


def _check_size(count: int, min_rows: int, names: tuple[str, ...], what: str) -> None:
    if count < min_rows:
        raise ImplausibleInputError(
            f"{', '.join(names)}: only {count} {what} read, a real file has at least "
            f"{min_rows}. The file is empty, truncated or of another format: fetch it again, "
            "or pass a lower min_rows if this small input is intended."
        )


def _clean(text: str) -> str:
    """A registry cell without footnote marks and with whitespace runs collapsed."""
    return " ".join(_FOOTNOTE.sub("", text).split())


def _read_csv(
    path: Path, columns: tuple[str, ...], problems: list[LineProblem]
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header (lower case, footnotes removed) and (line, row) pairs of an IANA CSV.

    The header is the first record naming all ``columns`` among the first few (see
    :data:`~routewatch.reference.sniff.HEADER_WITHIN`; else the first record); records
    before it become problems. Records the csv module cannot split are dropped (IANA files
    are small and regenerated whole).
    """
    with open_text(path) as stream:
        records = list(csv_records(stream, str(path), []))
    names = [[_clean(h).lower() for h in row] for _, row in records[: HEADER_WITHIN + 1]]
    at = next((i for i, row in enumerate(names) if set(columns) <= set(row)), 0)
    for line, row in records[:at]:
        if any(c.strip() for c in row):
            problems.append(LineProblem(str(path), line, "not the CSV header, skipped"))
    header = names[at] if records else []
    return header, [(line, row) for line, row in records[at + 1 :] if any(c.strip() for c in row)]


# ------------------------------------------------------------------------------------------
# IANA special-purpose address registries
# ------------------------------------------------------------------------------------------


_SPECIAL_COLUMNS = ("address block", "name", "rfc", "globally reachable", "termination date")


def load_iana_special_registry(paths: list[Path], *, min_rows: int = 10) -> Snapshot:
    """Bogon rows of IANA's IPv4 / IPv6 special-purpose address registries (CSV)."""
    out = _PrefixRows()
    for path in paths:
        header, rows = _read_csv(path, _SPECIAL_COLUMNS, out.problems)
        try:
            i_block, i_name = header.index("address block"), header.index("name")
            i_rfc, i_reach = header.index("rfc"), header.index("globally reachable")
            i_end = header.index("termination date")
        except ValueError:
            out.problem(str(path), 1, f"header {header!r} is not a special-purpose registry")
            continue
        source = f"IANA special-purpose registry ({path.name})"
        for line, row in rows:
            if len(row) <= max(i_block, i_name, i_rfc, i_reach, i_end):
                out.problem(str(path), line, f"short row {row!r}")
                continue
            name, rfc = _clean(row[i_name]), _clean(row[i_rfc])
            reach, ended = _clean(row[i_reach]).lower(), _clean(row[i_end]) not in ("", "N/A")
            if ended:
                category, why = "full", "deprecated"
            elif reach == "false":
                category, why = "full", "not globally reachable"
            elif reach == "true":
                category, why = "exempt", "globally reachable"
            else:
                continue
            for block in re.split(r"[,\s]+", _clean(row[i_block])):
                try:
                    out.add(block, category, f"{name} {rfc}: {why}", source)
                except ValueError as exc:
                    out.problem(str(path), line, str(exc))
    names = tuple(str(p) for p in paths)
    _check_size(len(out.rows), min_rows, names, "special-purpose blocks")
    return Snapshot(
        RefKind.BOGON_PREFIXES, "iana-special-registry-csv", out.table(),
        _newest_allocation(paths, out.problems), names, out.problems,
    )  # fmt: skip


def _newest_allocation(paths: list[Path], problems: list[LineProblem]) -> dt.date | None:
    """The first day of the month of the newest allocation date (the registry's lower bound);
    a date with no such month (``2015-00``) is a problem and plays no part."""
    newest: dt.date | None = None
    for path in paths:
        _, rows = _read_csv(path, _SPECIAL_COLUMNS, [])
        for line, row in rows:
            match = re.fullmatch(r"(\d{4})-(\d{2})", _clean(row[3]) if len(row) > 3 else "")
            if not match:
                continue
            try:
                day = dt.date(int(match[1]), int(match[2]), 1)
            except ValueError:
                detail = (
                    f"allocation date {match[0]} is not a month; the row is kept, the date "
                    "ignored for the registry's date. The file is damaged: fetch it again"
                )
                problems.append(LineProblem(str(path), line, detail))
                continue
            newest = day if newest is None or day > newest else newest
    return newest


# ------------------------------------------------------------------------------------------
# IANA address-space registries
# ------------------------------------------------------------------------------------------


def load_iana_address_space(paths: list[Path], *, min_rows: int = 5) -> Snapshot:
    """Full-bogon rows of IANA's IPv4 address space / IPv6 unicast assignments registries.

    RESERVED and UNALLOCATED blocks are bogons; in IPv6 so is everything outside 2000::/3
    and each part of 2000::/3 the registry does not list (not yet allocated by IANA).
    """
    out = _PrefixRows()
    for path in paths:
        header, rows = _read_csv(path, ("prefix", "designation", "status"), out.problems)
        try:
            i_prefix, i_name = header.index("prefix"), header.index("designation")
            i_status = header.index("status")
        except ValueError:
            out.problem(str(path), 1, f"header {header!r} is not an IANA address-space registry")
            continue
        source = f"IANA address-space registry ({path.name})"
        listed_v6: list[tuple[int, int]] = []
        slash8: list[tuple[int, str]] = []
        for line, row in rows:
            try:
                prefix = _iana_block(row[i_prefix])
                status = _clean(row[i_status]).upper()
            except (ValueError, IndexError) as exc:
                out.problem(str(path), line, f"{exc}: {row!r}")
                continue
            p = parse_prefix(prefix)
            if p.afi == 6:
                listed_v6.append((p.hi, p.length))
            if status not in ("RESERVED", "UNALLOCATED"):
                continue
            reason = f"IANA {status}: {_clean(row[i_name])}"
            if p.afi == 4 and p.length == 8:
                slash8.append((p.hi >> 56, reason))
            else:
                out.add(prefix, "full", reason, source)
        for prefix, reason in _merge_slash8s(slash8):
            out.add(prefix, "full", reason, source)
        if listed_v6:
            for gap in _ipv6_unlisted(listed_v6):
                out.add(gap, "full", "IANA unallocated: not in the IPv6 unicast registry", source)
            for outside in ("::/3", "4000::/2", "8000::/1"):
                out.add(outside, "full", "outside 2000::/3 global unicast space", source)
    names = tuple(str(p) for p in paths)
    _check_size(len(out.rows), min_rows, names, "reserved or unallocated blocks")
    as_of = next((d for d in (as_of_from_name(p.name) for p in paths) if d), None)
    return Snapshot(
        RefKind.BOGON_PREFIXES, "iana-address-space-csv", out.table(), as_of, names, out.problems
    )


def _iana_block(text: str) -> str:
    """``045/8`` (IANA's IPv4 form) -> ``45.0.0.0/8``; other blocks as written."""
    block = _clean(text)
    match = re.fullmatch(r"(\d{1,3})/8", block)
    if match:
        return f"{int(match[1])}.0.0.0/8"
    parse_prefix(block)
    return block


def _merge_slash8s(blocks: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """Runs of adjacent /8s with the same reason as the fewest prefixes (224/8..239/8 with
    reason "Multicast" become 224.0.0.0/4), so that an aggregate announcement matches."""
    out: list[tuple[str, str]] = []
    blocks = sorted(blocks)
    i = 0
    while i < len(blocks):
        j = i
        while j + 1 < len(blocks) and blocks[j + 1] == (blocks[j][0] + 1, blocks[i][1]):
            j += 1
        first, last = blocks[i][0], blocks[j][0]
        for prefix in _range_to_prefixes(first << 56, (last + 1) << 56):
            out.append((_as_ipv4(prefix), blocks[i][1]))
        i = j + 1
    return out


def _as_ipv4(ipv6_text: str) -> str:
    """The IPv4 prefix whose left-aligned bits _range_to_prefixes wrote as IPv6 text."""
    p = parse_prefix(ipv6_text)
    return format_prefix(4, p.hi, 0, p.length)


def _ipv6_unlisted(listed: list[tuple[int, int]]) -> list[str]:
    """The parts of 2000::/3 covered by no listed block, as prefixes (top 64 bits suffice:
    every registry block is /23 or shorter)."""
    gaps: list[str] = []
    start, end = 0x2000 << 48, 0x4000 << 48
    spans = sorted((hi, hi + (1 << (64 - length))) for hi, length in listed if length <= 64)
    cursor = start
    for lo, hi in spans:
        if lo > cursor:
            gaps.extend(_range_to_prefixes(cursor, min(lo, end)))
        cursor = max(cursor, hi)
    if cursor < end:
        gaps.extend(_range_to_prefixes(cursor, end))
    return gaps


def _range_to_prefixes(lo: int, hi: int) -> list[str]:
    """Minimal prefixes covering [lo, hi) of the top 64 address bits."""
    out: list[str] = []
    while lo < hi:
        size = lo & -lo if lo else 1 << 64
        while size > hi - lo:
            size >>= 1
        out.append(format_prefix(6, lo, 0, 64 - size.bit_length() + 1))
        lo += size
    return out


# ------------------------------------------------------------------------------------------
# Team Cymru fullbogons
# ------------------------------------------------------------------------------------------

_CYMRU_HEADER = re.compile(rb"^# last updated (\d+)")


def load_cymru_fullbogons(
    paths: list[Path], *, iana: pa.Table | None = None, min_rows: int = 50
) -> Snapshot:
    """Team Cymru fullbogons: entries in IANA's full set (``iana``, default the packaged
    registries) are ``full`` with IANA's reason, the rest (RIR-held, unassigned space)
    ``administrative``. IANA's ``exempt`` rows are appended, so that globally reachable
    blocks inside a listed entry (64:ff9b::/96 inside ``::/8``) stay unflagged."""
    out = _PrefixRows()
    entries, sources, as_of = _read_cymru(paths, out)
    names = tuple(str(p) for p in paths)
    _check_size(len(entries), min_rows, names, "fullbogon prefixes")
    iana_table = iana if iana is not None else iana_bogon_prefixes().table
    for entry, source, (category, reason) in zip(
        entries, sources, _classify_against(iana_table, entries), strict=True
    ):
        out.rows.append((entry[4], *entry[:4], category, reason, source))
    for exempt in iana_table.filter(pc.equal(iana_table["category"], "exempt")).to_pylist():
        out.rows.append(tuple(exempt.values()))
    return Snapshot(
        RefKind.BOGON_PREFIXES, "team-cymru-fullbogons", out.table(),
        as_of or next((d for d in (as_of_from_name(p.name) for p in paths) if d), None),
        names, out.problems,
    )  # fmt: skip


def _read_cymru(
    paths: list[Path], out: _PrefixRows
) -> tuple[list[tuple[int, int, int, int, str]], list[str], dt.date | None]:
    """Parsed prefixes, their source labels and the newest ``# last updated`` date."""
    entries: list[tuple[int, int, int, int, str]] = []
    sources: list[str] = []
    as_of: dt.date | None = None
    for path in paths:
        with open_text(path) as stream:
            for number, line in enumerate(stream, start=1):
                text = line.strip()
                header = _CYMRU_HEADER.match(text.encode())
                if header:
                    try:
                        stamp = dt.datetime.fromtimestamp(int(header[1]), dt.UTC).date()
                    except (OverflowError, OSError, ValueError):
                        detail = (
                            f"'# last updated {header[1].decode()}' is not a time (seconds "
                            "since 1970); the file's date is taken from elsewhere. The file "
                            "is damaged: fetch it again"
                        )
                        out.problem(str(path), number, detail)
                        continue
                    as_of = stamp if as_of is None or stamp > as_of else as_of
                if not text or text.startswith("#"):
                    continue
                try:
                    entries.append(parse_prefix_text(text))
                    sources.append(f"Team Cymru fullbogons ({path.name})")
                except ValueError as exc:
                    out.problem(str(path), number, str(exc))
    return entries, sources, as_of


def _classify_against(
    iana: pa.Table, entries: list[tuple[int, int, int, int, str]]
) -> list[tuple[str, str]]:
    """(category, reason) of each entry: full when IANA's full rows cover all of it."""
    reference = BogonIndex.build(iana)
    afi, hi, lo, length, _ = (np.array(c) for c in zip(*entries, strict=True))
    codes, rows = reference.prefix_category(afi, hi.astype(np.uint64), lo.astype(np.uint64), length)
    first_codes, first_rows = reference.prefix_category(
        afi, hi.astype(np.uint64), lo.astype(np.uint64), np.where(afi == 4, 32, 128)
    )
    reasons = iana.column("reason").to_pylist()
    union = _FullUnion(iana)
    out: list[tuple[str, str]] = []
    for i, entry in enumerate(entries):
        if codes[i] == 1:
            out.append(("full", f"{reasons[rows[i]]} (listed by Team Cymru)"))
        elif first_codes[i] == 1 and union.contains(entry):
            out.append(("full", f"{reasons[first_rows[i]]} and adjacent IANA blocks (Team Cymru)"))
        else:
            out.append(("administrative", "RIR-held but unassigned space (Team Cymru)"))
    return out


class _FullUnion:
    """The union of the full rows (up to /64) as merged intervals of the top 64 bits."""

    def __init__(self, table: pa.Table) -> None:
        self.spans: dict[int, tuple[list[int], list[int]]] = {}
        for afi in (4, 6):
            rows = sorted(
                (r["prefix_hi"], r["prefix_hi"] + (1 << (64 - r["prefix_len"])))
                for r in table.select(["afi", "prefix_hi", "prefix_len", "category"]).to_pylist()
                if r["afi"] == afi and r["category"] == "full" and r["prefix_len"] <= 64
            )
            starts: list[int] = []
            ends: list[int] = []
            for lo, hi in rows:
                if ends and lo <= ends[-1]:
                    ends[-1] = max(ends[-1], hi)
                else:
                    starts.append(lo)
                    ends.append(hi)
            self.spans[afi] = (starts, ends)

    def contains(self, entry: tuple[int, int, int, int, str]) -> bool:
        """True when the entry's whole span lies inside one merged interval."""
        afi, hi, _, length, _ = entry
        starts, ends = self.spans.get(afi, ([], []))
        k = bisect.bisect_right(starts, hi) - 1
        return k >= 0 and hi + (1 << (64 - min(length, 64))) <= ends[k]


# ------------------------------------------------------------------------------------------
# ASNs
# ------------------------------------------------------------------------------------------

_ASN_BOGON_WORDS = re.compile(
    r"reserved|unallocated|private use|documentation|as_trans", re.IGNORECASE
)


def special_purpose_asns() -> Snapshot:
    """:data:`SPECIAL_PURPOSE_ASNS` as a BOGON_ASNS snapshot (all full)."""
    source = "ROUTING-REFERENCE.md special-purpose ASNs (IANA, RFC 7607/6793/5398/6996/7300)"
    table = _asn_table((r.first, r.last, "full", r.reason, source) for r in SPECIAL_PURPOSE_ASNS)
    return Snapshot(RefKind.BOGON_ASNS, "special-purpose-asns", table, None, ())


def load_iana_as_numbers(paths: list[Path], *, min_rows: int = 3) -> Snapshot:
    """Full-bogon ASN ranges of IANA's as-numbers registries: reserved, unallocated,
    private-use, documentation and AS_TRANS blocks (``Assigned by ...`` blocks are not)."""
    rows: list[tuple[int, int, str, str, str]] = []
    problems: list[LineProblem] = []
    for path in paths:
        header, records = _read_csv(path, ("number", "description"), problems)
        if "number" not in header or "description" not in header:
            problems.append(
                LineProblem(str(path), 1, f"header {header!r} lacks Number,Description")
            )
            continue
        i_num, i_desc = header.index("number"), header.index("description")
        for line, row in records:
            description = _clean(row[i_desc]) if len(row) > i_desc else ""
            if description.lower().startswith("see sub-registry"):
                continue
            try:
                first, _, last = _clean(row[i_num]).upper().removeprefix("AS").partition("-")
                lo, hi = int(first), int(last or first)
                if not 0 <= lo <= hi <= 0xFFFFFFFF:
                    raise ValueError(f"bad range {row[i_num]!r}")
            except (ValueError, IndexError) as exc:
                problems.append(LineProblem(str(path), line, str(exc)))
                continue
            if not description.lower().startswith("assigned") and _ASN_BOGON_WORDS.search(
                description
            ):
                rows.append(
                    (lo, hi, "full", f"IANA: {description}", f"IANA as-numbers ({path.name})")
                )
    names = tuple(str(p) for p in paths)
    _check_size(len(rows), min_rows, names, "reserved or unallocated ASN blocks")
    return Snapshot(
        RefKind.BOGON_ASNS, "iana-as-numbers-csv", _asn_table(rows), None, names, problems
    )


# ------------------------------------------------------------------------------------------
# Packaged IANA registries
# ------------------------------------------------------------------------------------------


def _packaged(*names: str) -> list[Path]:
    base = resources.files(_DATA)
    return [Path(str(base.joinpath(name))) for name in names]


def iana_bogon_prefixes() -> Snapshot:
    """IANA's full bogon prefix set plus exemptions, from the packaged registries."""
    special = load_iana_special_registry(
        _packaged("iana-ipv4-special-registry-1.csv", "iana-ipv6-special-registry-1.csv")
    )
    space = load_iana_address_space(
        _packaged("ipv4-address-space.csv", "ipv6-unicast-address-assignments.csv")
    )
    table = pa.concat_tables([special.table, space.table])
    return Snapshot(
        RefKind.BOGON_PREFIXES, "iana-packaged", table, special.as_of,
        special.files + space.files, special.problems + space.problems,
    )  # fmt: skip


def iana_bogon_asns() -> Snapshot:
    """Special-purpose ASNs plus IANA's reserved / unallocated blocks (packaged registry)."""
    registry = load_iana_as_numbers(_packaged("as-numbers-1.csv", "as-numbers-2.csv"))
    table = pa.concat_tables([special_purpose_asns().table, registry.table])
    return Snapshot(
        RefKind.BOGON_ASNS, "iana-packaged", table, None, registry.files, registry.problems
    )


# ------------------------------------------------------------------------------------------
# Lookups
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BogonIndex:
    """Bogon prefixes and ASN ranges indexed for column lookups (build once per snapshot).

    Both lookups return ``(codes, rows)``: codes uint8 (0 not a bogon, 1 full,
    2 administrative) and the row of ``prefixes`` / ``asns`` that decided, -1 for code 0.
    """

    prefixes: pa.Table
    asns: pa.Table
    chains: PrefixChains
    prefix_codes: npt.NDArray[np.uint8]
    seg_first: npt.NDArray[np.int64]
    seg_row: npt.NDArray[np.int64]
    asn_codes: npt.NDArray[np.uint8]

    @classmethod
    def build(cls, prefixes: pa.Table, asns: pa.Table | None = None) -> BogonIndex:
        """Index BOGON_PREFIXES and BOGON_ASNS tables (``asns`` may be omitted)."""
        asns = asns if asns is not None else _asn_table(())
        p_cat = prefixes.column("category").to_pylist()
        tiebreak = np.array([_PRIORITY.get(c, 3) for c in p_cat], dtype=np.int64)
        chains = PrefixChains.build(
            column_numpy(prefixes, "afi"),
            column_numpy(prefixes, "prefix_hi"),
            column_numpy(prefixes, "prefix_lo"),
            column_numpy(prefixes, "prefix_len"),
            tiebreak * (len(p_cat) + 1) + np.arange(len(p_cat)),
        )
        prefix_codes = np.array([CATEGORY_CODES.get(c, 0) for c in p_cat], dtype=np.uint8)
        a_cat = asns.column("category").to_pylist()
        asn_codes = np.array([CATEGORY_CODES.get(c, 0) for c in a_cat], dtype=np.uint8)
        seg_first, seg_row = _asn_segments(
            column_numpy(asns, "asn_first").astype(np.int64),
            column_numpy(asns, "asn_last").astype(np.int64),
            [_PRIORITY.get(c, 3) for c in a_cat],
        )
        return cls(prefixes, asns, chains, prefix_codes, seg_first, seg_row, asn_codes)

    def prefix_category(
        self,
        afi: npt.ArrayLike,
        prefix_hi: npt.ArrayLike,
        prefix_lo: npt.ArrayLike,
        prefix_len: npt.ArrayLike,
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        """Category code and deciding row of each prefix (longest match; see class doc)."""
        rows = self.chains.longest_match(afi, prefix_hi, prefix_lo, prefix_len)
        codes = _codes_at(self.prefix_codes, rows)
        return codes, np.where(codes > 0, rows, -1)

    def asn_category(
        self, asns: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        """Category code and deciding row of each ASN."""
        values = np.asarray(asns, dtype=np.int64)
        seg = np.searchsorted(self.seg_first, values, side="right") - 1
        rows = _codes_at(self.seg_row, seg, missing=-1).astype(np.int64)
        codes = _codes_at(self.asn_codes, rows)
        return codes, np.where(codes > 0, rows, -1)


def _codes_at(
    values: npt.NDArray[Any], rows: npt.NDArray[np.int64], missing: int = 0
) -> npt.NDArray[Any]:
    """``values[rows]`` where ``rows >= 0``, else ``missing`` — also when ``values`` is empty."""
    if len(values) == 0:
        return np.full(len(rows), missing, dtype=np.int64 if missing < 0 else np.uint8)
    picked = np.where(rows >= 0, values[np.maximum(rows, 0)], missing)
    return picked.astype(np.int64 if missing < 0 else np.uint8)


def _asn_segments(
    first: npt.NDArray[np.int64], last: npt.NDArray[np.int64], priority: list[int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Disjoint segments covering every range, each with the row that wins there."""
    bounds = np.unique(np.concatenate([first, last + 1, np.array([0], dtype=np.int64)]))
    seg_row = np.full(len(bounds), -1, dtype=np.int64)
    order = sorted(range(len(first)), key=lambda r: (priority[r], r), reverse=True)
    for row in order:
        lo = np.searchsorted(bounds, first[row])
        hi = np.searchsorted(bounds, last[row] + 1)
        seg_row[lo:hi] = row
    return bounds, seg_row


# ------------------------------------------------------------------------------------------
# Format registrations
# ------------------------------------------------------------------------------------------


def _sniff_header(prefix: bytes) -> Callable[[bytes, str], bool]:
    def sniff(head: bytes, name: str) -> bool:
        return header_line(head, lambda line: line.lower().startswith(prefix)) is not None

    return sniff


def _sniff_cymru(head: bytes, name: str) -> bool:
    if _CYMRU_HEADER.match(head):
        return True
    lines = [ln.strip() for ln in head_lines(head)[:20]]
    prefix_like = re.compile(rb"[0-9a-fA-F.:]+/\d{1,3}")
    return "bogon" in name.lower() and mostly(
        lines, lambda ln: prefix_like.fullmatch(ln) is not None or ln.startswith(b"#")
    )


IANA_SPECIAL_CSV = register(
    Format(
        "iana-special-registry-csv",
        RefKind.BOGON_PREFIXES,
        _sniff_header(b"address block,name,rfc,allocation date"),
        load_iana_special_registry,
    )
)
IANA_ADDRESS_SPACE_CSV = register(
    Format(
        "iana-address-space-csv",
        RefKind.BOGON_PREFIXES,
        _sniff_header(b"prefix,designation,date,whois"),
        load_iana_address_space,
    )
)
IANA_AS_NUMBERS_CSV = register(
    Format(
        "iana-as-numbers-csv",
        RefKind.BOGON_ASNS,
        _sniff_header(b"number,description,whois"),
        load_iana_as_numbers,
    )
)
CYMRU_FULLBOGONS = register(
    Format(
        "team-cymru-fullbogons",
        RefKind.BOGON_PREFIXES,
        _sniff_cymru,
        lambda paths: load_cymru_fullbogons(paths),
    )
)
