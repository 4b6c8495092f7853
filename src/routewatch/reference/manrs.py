"""MANRS: who participates (the cohort), and what the MANRS Observatory measured for them.

Role: the cohort comparison (METHODOLOGY §6) needs the set of participating ASNs with their
join dates, and the validation of routewatch's own scores needs the Observatory's per-ASN
readiness scores. Outputs: :data:`~routewatch.schemas.MANRS_PARTICIPANTS` (one row per
participating ASN) and :data:`~routewatch.schemas.MANRS_OBSERVATORY` (one row per ASN).

On-disk formats (CSV, UTF-8, header line first):

``manrs-participants-csv``
    The participants table as the MANRS site lists it: ``Organization, Areas Served, ASNs,
    Filtering, Anti-spoofing, Coordination, Global Validation, Programme, Date Joined``.
    ``ASNs`` holds one or more numbers (``AS64500, 64501``); an action column is marked
    (``Yes``, ``x``, ``✓``, ``1``, ``true``) when implemented. Header names are matched
    without case; ``Organisation`` / ``Participant`` / ``Joined`` are accepted too. The
    snapshot's as-of date is the latest join date.
``manrs-observatory-csv``
    The Observatory's "details" export: ``ASN, Holder, Country, UN Regions, UN Sub-Regions,
    RIR Regions, Filtering, Anti-spoofing, Coordination, Global Validation IRR, Global
    Validation RPKI``; scores are 0..1, an empty cell is "no data". The as-of date is the
    month in the file name (``..._202210_...``: 2022-10-01), when present.

Failure modes: rows with a bad ASN, score or date are
:class:`~routewatch.reference.base.LineProblem` s (file and line); a file without the
required columns raises :class:`~routewatch.errors.InputError`; fewer than ``min_rows`` rows
raises :class:`~routewatch.errors.ImplausibleInputError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from routewatch.errors import ImplausibleInputError, InputError
from routewatch.reference.base import Format, LineProblem, RefKind, Snapshot, register
from routewatch.reference.sniff import numbered_lines
from routewatch.schemas import MANRS_OBSERVATORY, MANRS_PARTICIPANTS

__all__ = [
    "ACTIONS",
    "OBSERVATORY_FORMAT",
    "PARTICIPANTS_FORMAT",
    "load_observatory",
    "load_participants",
    "parse_asns",
    "sniff_observatory",
    "sniff_participants",
]

#: The four Actions for network operators, as the MANRS site names them.
ACTIONS: tuple[str, ...] = ("Filtering", "Anti-spoofing", "Coordination", "Global Validation")

_ACTION_NAMES: dict[str, str] = {a.lower(): a for a in ACTIONS}
_OBSERVATORY_COLUMNS: dict[str, str] = {
    "asn": "asn",
    "holder": "holder",
    "country": "country",
    "un regions": "un_region",
    "un sub-regions": "un_sub_region",
    "rir regions": "rir",
    "filtering": "filtering",
    "anti-spoofing": "anti_spoofing",
    "coordination": "coordination",
    "global validation irr": "global_validation_irr",
    "global validation rpki": "global_validation_rpki",
}
_SCORES = (
    "filtering",
    "anti_spoofing",
    "coordination",
    "global_validation_irr",
    "global_validation_rpki",
)
_PARTICIPANT_ALIASES: dict[str, str] = {
    "organization": "organisation",
    "organisation": "organisation",
    "participant": "organisation",
    "areas served": "areas",
    "area served": "areas",
    "areas": "areas",
    "asns": "asns",
    "asn": "asns",
    "programme": "programme",
    "program": "programme",
    "date joined": "joined",
    "joined": "joined",
    "participant since": "joined",
}
_MARKED = frozenset({"yes", "y", "x", "✓", "✔", "1", "true"})
_ASN = re.compile(r"^(?:AS)?(\d+)$", re.I)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%B %d, %Y", "%Y/%m/%d")


def parse_asns(text: str) -> list[int]:
    """``"AS64500, 64501;AS64502"`` -> ``[64500, 64501, 64502]``; ValueError on junk."""
    asns = []
    for token in re.split(r"[\s,;/]+", text.strip()):
        if not token:
            continue
        match = _ASN.match(token)
        if match is None or int(match.group(1)) > 0xFFFFFFFF:
            raise ValueError(f"not an ASN: {token!r}")
        asns.append(int(match.group(1)))
    return asns


def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text!r} (expected YYYY-MM-DD)")


def _rows(path: Path, problems: list[LineProblem]) -> Iterator[tuple[int, list[str], list[str]]]:
    """(line number, header, row) for each non-empty data row of a CSV file.

    Each line is parsed on its own: neither export has line breaks inside fields, and an
    unbalanced quote then spoils one row instead of swallowing the rest of the file.
    """
    header: list[str] | None = None
    for lineno, line in numbered_lines(path, problems):
        row = next(csv.reader([line]), [])
        if header is None:
            header = [h.strip().lstrip("\ufeff") for h in row]
        elif any(cell.strip() for cell in row):
            yield lineno, header, row


def _columns(
    header: list[str],
    names: dict[str, str],
    required: set[str],
    path: Path,
) -> dict[str, int]:
    found = {names[h.lower()]: i for i, h in enumerate(header) if h.lower() in names}
    missing = required - set(found)
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(sorted(missing))} in header "
            f"{', '.join(header)}; is this the right export?"
        )
    return found


def _check_size(path: Path, count: int, minimum: int, what: str) -> None:
    if count < minimum:
        raise ImplausibleInputError(
            f"{path}: {count} {what}, fewer than the {minimum} expected; the download is "
            "probably empty or an error page (fetch it again, or lower min_rows)."
        )


# ------------------------------------------------------------------------------------------
# Participants
# ------------------------------------------------------------------------------------------


def _participant_rows(path: Path, out: dict[str, list[object]], problems: list[LineProblem]) -> int:
    count = 0
    for line, header, row in _rows(path, problems):
        cols = _columns(header, _PARTICIPANT_ALIASES, {"organisation", "asns"}, path)
        actions = [
            _ACTION_NAMES[h.lower()]
            for i, h in enumerate(header)
            if h.lower() in _ACTION_NAMES and i < len(row) and row[i].strip().lower() in _MARKED
        ]

        def cell(name: str, row: list[str] = row, cols: dict[str, int] = cols) -> str:
            index = cols.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        try:
            asns, joined = parse_asns(cell("asns")), _parse_date(cell("joined"))
        except ValueError as exc:
            problems.append(LineProblem(str(path), line, str(exc)))
            continue
        count += 1
        for asn in asns:
            for key, value in (
                ("asn", asn),
                ("organisation", cell("organisation")),
                ("programme", cell("programme") or None),
                ("areas", cell("areas") or None),
                ("actions", actions),
                ("joined", joined),
            ):
                out[key].append(value)
    return count


def load_participants(paths: Sequence[Path], min_rows: int = 5) -> Snapshot:
    """Load MANRS participants CSV files into one row per participating ASN."""
    out: dict[str, list[object]] = {name: [] for name in MANRS_PARTICIPANTS.names}
    problems: list[LineProblem] = []
    for path in paths:
        _check_size(path, _participant_rows(path, out, problems), min_rows, "participants")
    table = pa.Table.from_pydict(out, schema=MANRS_PARTICIPANTS)
    dates = [d for d in out["joined"] if isinstance(d, dt.date)]
    return Snapshot(
        RefKind.MANRS_PARTICIPANTS,
        PARTICIPANTS_FORMAT.name,
        table,
        max(dates) if dates else None,
        tuple(str(p) for p in paths),
        problems,
    )


def _header_line(head: bytes) -> str:
    return head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").lower()


def sniff_participants(head: bytes, name: str) -> bool:
    """True for a CSV whose header has an organisation and an ASNs column."""
    header = _header_line(head)
    return (
        ("organi" in header or "participant" in header)
        and "asn" in header
        and ("filtering" in header or "joined" in header or "areas" in header)
    )


PARTICIPANTS_FORMAT = register(
    Format(
        "manrs-participants-csv",
        RefKind.MANRS_PARTICIPANTS,
        sniff_participants,
        lambda p: load_participants(p),
    )
)


# ------------------------------------------------------------------------------------------
# Observatory export
# ------------------------------------------------------------------------------------------


def _score(text: str) -> float | None:
    if not text.strip():
        return None
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"score {text!r} outside 0..1")
    return value


def _observatory_rows(path: Path, out: dict[str, list[object]], problems: list[LineProblem]) -> int:
    count = 0
    for line, header, row in _rows(path, problems):
        cols = _columns(header, _OBSERVATORY_COLUMNS, set(_OBSERVATORY_COLUMNS.values()), path)
        if len(row) != len(header):
            problems.append(
                LineProblem(str(path), line, f"{len(row)} fields, header has {len(header)}")
            )
            continue
        try:
            asn = parse_asns(row[cols["asn"]])
            scores = [_score(row[cols[s]]) for s in _SCORES]
        except ValueError as exc:
            problems.append(LineProblem(str(path), line, str(exc)))
            continue
        if len(asn) != 1:
            problems.append(LineProblem(str(path), line, "expected exactly one ASN"))
            continue
        count += 1
        out["asn"].append(asn[0])
        for key in ("holder", "country", "un_region", "un_sub_region", "rir"):
            out[key].append(row[cols[key]].strip() or None)
        for key, value in zip(_SCORES, scores, strict=True):
            out[key].append(value)
    return count


def _month_in_name(name: str) -> dt.date | None:
    match = re.search(r"(?:^|[_\-.])((?:19|20)\d{2})(0[1-9]|1[0-2])(?:[_\-.]|$)", name)
    return dt.date(int(match.group(1)), int(match.group(2)), 1) if match else None


def load_observatory(paths: Sequence[Path], min_rows: int = 5) -> Snapshot:
    """Load MANRS Observatory per-ASN "details" exports into one row per ASN."""
    out: dict[str, list[object]] = {name: [] for name in MANRS_OBSERVATORY.names}
    problems: list[LineProblem] = []
    for path in paths:
        _check_size(path, _observatory_rows(path, out, problems), min_rows, "ASN rows")
    months = [m for p in paths if (m := _month_in_name(p.name)) is not None]
    return Snapshot(
        RefKind.MANRS_OBSERVATORY,
        OBSERVATORY_FORMAT.name,
        pa.Table.from_pydict(out, schema=MANRS_OBSERVATORY),
        max(months) if months else None,
        tuple(str(p) for p in paths),
        problems,
    )


def sniff_observatory(head: bytes, name: str) -> bool:
    """True for a CSV whose header has ASN, Holder and the Global Validation columns."""
    header = _header_line(head)
    return header.startswith("asn,") and "holder" in header and "global validation" in header


OBSERVATORY_FORMAT = register(
    Format(
        "manrs-observatory-csv",
        RefKind.MANRS_OBSERVATORY,
        sniff_observatory,
        lambda p: load_observatory(p),
    )
)
