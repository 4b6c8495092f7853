"""MANRS: who participates (the cohort), and what the MANRS Observatory measured for them.

Role: the cohort comparison (METHODOLOGY §6) needs the set of participating ASNs month by
month (and when each joined), and the validation of routewatch's own scores needs the
Observatory's per-ASN readiness scores. Outputs:
:data:`~routewatch.schemas.MANRS_PARTICIPANTS` (one row per participating ASN),
:data:`~routewatch.schemas.MANRS_JOINS` (join dates from a series of snapshots) and
:data:`~routewatch.schemas.MANRS_OBSERVATORY` (one row per ASN).

On-disk formats (CSV, UTF-8, header line first):

``manrs-participants-csv``
    The participants list the MANRS site publishes for network operators
    (``https://www.manrs.org/wp-json/manrs/v1/csv/4``, the file the Internet Yellow Pages
    crawler reads): a header line, then one line per organisation with seven fields —
    name, areas served (ISO 3166 codes separated by ``;``), ASNs (separated by ``;``, empty
    for an organisation without one), and ``Yes`` / ``No`` for Actions 1–4 (Filtering,
    Anti-spoofing, Coordination, Global Validation). Columns are read by position (the
    header's wording is not documented). The file carries no dates: the snapshot's as-of
    date is when it was fetched, and an ASN's join month is the first snapshot that lists
    it (:func:`join_dates`).
``manrs-observatory-csv``
    The Observatory's "details" export: ``ASN, Holder, Country, UN Regions, UN Sub-Regions,
    RIR Regions, Filtering, Anti-spoofing, Coordination, Global Validation IRR, Global
    Validation RPKI``; scores are 0..1, an empty cell is "no data". The as-of date is the
    month in the file name (``..._202210_...``: 2022-10-01), when present.

Failure modes: rows with a bad ASN, score, field count or action flag are
:class:`~routewatch.reference.base.LineProblem` s (file and line); a file without the
required columns raises :class:`~routewatch.errors.InputError`; fewer than ``min_rows`` rows
raises :class:`~routewatch.errors.ImplausibleInputError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from routewatch.asns import parse_asn
from routewatch.errors import ImplausibleInputError, InputError
from routewatch.reference.base import Format, LineProblem, RefKind, Snapshot, register
from routewatch.reference.sniff import numbered_lines
from routewatch.schemas import MANRS_JOINS, MANRS_OBSERVATORY, MANRS_PARTICIPANTS

__all__ = [
    "ACTIONS",
    "OBSERVATORY_FORMAT",
    "PARTICIPANTS_FORMAT",
    "join_dates",
    "load_observatory",
    "load_participants",
    "parse_asns",
    "participant_lines",
    "sniff_observatory",
    "sniff_participants",
]

#: The four Actions for network operators, as the MANRS site names them.
ACTIONS: tuple[str, ...] = ("Filtering", "Anti-spoofing", "Coordination", "Global Validation")

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
_PARTICIPANT_FIELDS = 7
_ASN_LIST = re.compile(r"^(?:\d+(?:\s*;\s*\d+)*)?$")


def parse_asns(text: str) -> list[int]:
    """``"AS64500, 64501;AS64502"`` -> ``[64500, 64501, 64502]``; ValueError on junk."""
    asns = []
    for token in re.split(r"[\s,;/]+", text.strip()):
        if not token:
            continue
        asns.append(parse_asn(token))
    return asns


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


def _participant_row(path: Path, line: int, row: list[str], out: dict[str, list[object]],
                     problems: list[LineProblem]) -> bool:
    """Append one organisation's ASNs; False (with a problem) when the row is malformed."""
    if len(row) != _PARTICIPANT_FIELDS:
        problems.append(LineProblem(str(path), line, f"{len(row)} fields, expected "
                                    f"{_PARTICIPANT_FIELDS} (organisation, areas, ASNs and "
                                    "four Yes/No action columns)"))
        return False
    organisation, areas, asn_text, *marks = (cell.strip() for cell in row)
    flags = [m.lower() for m in marks]
    try:
        if any(flag not in ("yes", "no") for flag in flags):
            raise ValueError(f"action columns must be Yes or No, found {', '.join(marks)}")
        asns = parse_asns(asn_text)
    except ValueError as exc:
        problems.append(LineProblem(str(path), line, str(exc)))
        return False
    countries = [cc.strip().upper() for cc in areas.split(";") if cc.strip()]
    actions = [action for action, flag in zip(ACTIONS, flags, strict=True) if flag == "yes"]
    for asn in asns:  # an organisation without ASNs is listed but measures nothing
        out["asn"].append(asn)
        out["organisation"].append(organisation)
        out["areas"].append(countries)
        out["actions"].append(actions)
    return True


def load_participants(paths: Sequence[Path], min_rows: int = 5) -> Snapshot:
    """Load MANRS participants CSV files (``wp-json/manrs/v1/csv/4``) into one row per
    participating ASN (an ASN listed by two organisations appears twice)."""
    out: dict[str, list[object]] = {name: [] for name in MANRS_PARTICIPANTS.names}
    problems: list[LineProblem] = []
    for path in paths:
        count = sum(_participant_row(path, line, row, out, problems)
                    for line, _, row in _rows(path, problems))
        _check_size(path, count, min_rows, "participants")
    table = pa.Table.from_pydict(out, schema=MANRS_PARTICIPANTS)
    return Snapshot(RefKind.MANRS_PARTICIPANTS, PARTICIPANTS_FORMAT.name, table, None,
                    tuple(str(p) for p in paths), problems)


def join_dates(snapshots: Iterable[tuple[dt.date, pa.Table]]) -> pa.Table:
    """:data:`~routewatch.schemas.MANRS_JOINS`: per ASN, the date of the first snapshot that
    lists it (its join month), from dated participant tables in any order. An ASN that
    leaves and comes back keeps its first date."""
    first: dict[int, tuple[dt.date, str]] = {}
    for when, table in sorted(snapshots, key=lambda s: s[0]):
        for asn, organisation in zip(table.column("asn").to_pylist(),
                                     table.column("organisation").to_pylist(), strict=True):
            first.setdefault(int(asn), (when, str(organisation)))
    asns = sorted(first)
    return pa.table({"asn": pa.array(asns, pa.uint32()),
                     "joined": pa.array([first[a][0] for a in asns], pa.date32()),
                     "organisation": pa.array([first[a][1] for a in asns], pa.string())},
                    schema=MANRS_JOINS)


def participant_lines(head: bytes) -> tuple[int, int]:
    """(data lines that look like participant rows, data lines) among the first lines of
    ``head`` — the header is skipped, a cut-off last line ignored."""
    lines = head.decode("utf-8", "replace").splitlines()[1:-1] or \
        head.decode("utf-8", "replace").splitlines()[1:]
    rows = [next(csv.reader([line]), []) for line in lines[:200] if line.strip()]
    good = sum(1 for row in rows if _looks_like_participant(row))
    return good, len(rows)


def _looks_like_participant(row: list[str]) -> bool:
    return (len(row) == _PARTICIPANT_FIELDS
            and all(cell.strip().lower() in ("yes", "no") for cell in row[3:])
            and _ASN_LIST.match(row[2].strip()) is not None)


def sniff_participants(head: bytes, name: str) -> bool:
    """True for a CSV whose data lines are organisation, areas, ASNs and four Yes/No."""
    good, total = participant_lines(head)
    return good > 0 and good >= 0.8 * total


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
    header = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").lower()
    return header.startswith("asn,") and "holder" in header and "global validation" in header


OBSERVATORY_FORMAT = register(
    Format(
        "manrs-observatory-csv",
        RefKind.MANRS_OBSERVATORY,
        sniff_observatory,
        lambda p: load_observatory(p),
    )
)
