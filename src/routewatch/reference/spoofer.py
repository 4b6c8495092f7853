"""CAIDA Spoofer: which prefixes of which AS let spoofed packets out, month by month.

Role: the Anti-spoofing metric (M5, METHODOLOGY §5) counts, per ASN and window, the distinct
tested prefixes from which a Spoofer test saw spoofed packets leave (outcome ``received`` or
``rewritten``). :func:`load_spoofer` reads the test sessions into
:data:`~routewatch.schemas.SPOOFER_TESTS` (one row per session and address family, with both
outcomes as evidence); :func:`spoofable_prefixes` rolls them up into
:data:`~routewatch.schemas.SPOOFABLE_PREFIXES` (per ASN and month).

On-disk format (``spoofer-sessions-json``): session objects as the Spoofer Data API
publishes them (``/sessions``): either one JSON object per line (the collection's
``hydra:member`` items), or whole API pages ``{"hydra:member": [...], "hydra:view": ...}``.
A session has ``session``, ``timestamp`` (ISO 8601), ``asn4``/``asn6``, ``client4``/
``client6`` (the tested client prefix, e.g. a /24), ``country``, ``nat4``/``nat6`` and the
outcomes ``privatespoof``/``routedspoof`` (IPv4) and ``privatespoof6``/``routedspoof6``
(IPv6), each ``received``, ``rewritten``, ``blocked``, ``unknown`` or null. A family without
an ASN or client prefix was not tested and gives no row. As-of is the latest session's date.

Failure modes: malformed sessions and unknown outcome values are
:class:`~routewatch.reference.base.LineProblem` s (file and line: the object's index plus
one for API pages); fewer than ``min_sessions`` sessions raises
:class:`~routewatch.errors.ImplausibleInputError`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from routewatch.asns import parse_asn
from routewatch.errors import ImplausibleInputError
from routewatch.prefixes import format_prefix, parse_prefix
from routewatch.reference.base import Format, LineProblem, RefKind, Snapshot, register
from routewatch.reference.jsonscan import array_elements, array_start
from routewatch.reference.sniff import (
    HEADER_WITHIN,
    head_lines,
    numbered_lines,
    read_all_text,
    read_head,
)
from routewatch.schemas import SPOOFABLE_PREFIXES, SPOOFER_TESTS

__all__ = [
    "OUTCOMES",
    "SPOOFABLE_OUTCOMES",
    "SPOOFER_FORMAT",
    "load_spoofer",
    "sniff_spoofer",
    "spoofable_prefixes",
]

#: Outcome values the Spoofer API uses.
OUTCOMES: frozenset[str] = frozenset({"received", "rewritten", "blocked", "unknown"})
#: Outcomes that mean spoofed packets left the network (METHODOLOGY §5).
SPOOFABLE_OUTCOMES: frozenset[str] = frozenset({"received", "rewritten"})

_FAMILIES = (
    (4, "asn4", "client4", "nat4", "privatespoof", "routedspoof"),
    (6, "asn6", "client6", "nat6", "privatespoof6", "routedspoof6"),
)


@dataclass
class _Tests:
    columns: dict[str, list[object]] = field(
        default_factory=lambda: {name: [] for name in SPOOFER_TESTS.names}
    )
    sessions: int = 0

    def add(
        self, obj: dict[str, object], where: tuple[str, int], problems: list[LineProblem]
    ) -> None:
        """Append the rows of one session (all of its families, or none when malformed)."""
        session = int(str(obj["session"]))
        if not 0 <= session < 1 << 64:
            raise ValueError(f"session {session} out of range")
        stamp = dt.datetime.fromisoformat(str(obj["timestamp"]).replace("Z", "+00:00"))
        stamp = stamp.astimezone(dt.UTC) if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
        country = obj.get("country")
        if country is not None and not isinstance(country, str):
            raise ValueError(f"country {country!r} is not text")
        rows = [_family_row(obj, family, where, problems) for family in _FAMILIES]
        self.sessions += 1
        for row in rows:
            if row is None:
                continue
            row.update(session=session, timestamp=stamp, country=country)
            for key, value in row.items():
                self.columns[key].append(value)


def _family_row(
    obj: dict[str, object],
    family: tuple[int, str, str, str, str, str],
    where: tuple[str, int],
    problems: list[LineProblem],
) -> dict[str, object] | None:
    """The row of one address family of a session, or None when it was not tested."""
    afi, asn_key, client_key, nat_key, private_key, routed_key = family
    if obj.get(asn_key) in (None, "") or obj.get(client_key) in (None, ""):
        return None
    asn = parse_asn(obj[asn_key])
    prefix = parse_prefix(str(obj[client_key]))
    if prefix.afi != afi:
        raise ValueError(f"{client_key} {obj[client_key]!r} is not IPv{afi}")
    private, routed = (_outcome(obj.get(k), k, where, problems) for k in (private_key, routed_key))
    nat = obj.get(nat_key)
    return {
        "asn": asn,
        "prefix": format_prefix(*prefix),
        "afi": afi,
        "prefix_hi": prefix.hi,
        "prefix_lo": prefix.lo,
        "prefix_len": prefix.length,
        "nat": nat if isinstance(nat, bool) else None,
        "privatespoof": private,
        "routedspoof": routed,
        "spoofable": private in SPOOFABLE_OUTCOMES or routed in SPOOFABLE_OUTCOMES,
    }


def _outcome(
    value: object, key: str, where: tuple[str, int], problems: list[LineProblem]
) -> str | None:
    if value is None:
        return None
    text = str(value)
    if text not in OUTCOMES:
        problems.append(LineProblem(*where, f"unknown {key} outcome {text!r}, not counted"))
    return text


def _is_page(head: bytes) -> bool:
    """Whether the content is whole JSON documents (API pages) rather than JSON lines: the
    first line that is either a complete object or the opening of a document decides."""
    for line in head_lines(head)[: HEADER_WITHIN + 1]:
        text = line.strip()
        if text.startswith(b"{") and text.endswith(b"}") and b'"hydra:member"' not in text:
            return False
        if text.startswith((b"{", b"[")) or b'"hydra:member"' in text:
            return True
    return False


def _objects(path: Path, problems: list[LineProblem]) -> Iterator[tuple[int, object]]:
    """(line, object) for a JSON-lines file or for the members of whole API pages."""
    if _is_page(read_head(path)):
        yield from _page(read_all_text(path, problems), path, problems)
        return
    for lineno, raw in numbered_lines(path, problems):
        text = raw.strip()
        if not text:
            continue
        try:
            yield lineno, json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(LineProblem(str(path), lineno, f"malformed JSON: {exc.msg}"))


def _page(text: str, path: Path, problems: list[LineProblem]) -> Iterator[tuple[int, object]]:
    """(line, member) of whole API pages: the ``hydra:member`` list (or a bare list) read one
    member at a time, so that a damaged member costs only itself (see :mod:`~.jsonscan`)."""
    start = array_start(text, "hydra:member")
    if start is None and text.lstrip().startswith("["):
        start = text.index("[") + 1
    damage: list[LineProblem] = []
    if start is not None:
        yield from array_elements(text, start, str(path), damage)
    if not damage:  # damage outside the member list, if any
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            damage.append(LineProblem(str(path), exc.lineno, f"malformed JSON page: {exc.msg}"))
    if start is None and not damage:
        damage.append(LineProblem(str(path), 1, "no hydra:member list in the page"))
    problems.extend(damage)


def load_spoofer(paths: Sequence[Path], min_sessions: int = 1) -> Snapshot:
    """Load Spoofer session records into one row per session and tested address family."""
    tests = _Tests()
    problems: list[LineProblem] = []
    for path in paths:
        before = tests.sessions
        for line, obj in _objects(path, problems):
            where = (str(path), line)
            try:
                if not isinstance(obj, dict):
                    raise ValueError("not a JSON object")
                tests.add(obj, where, problems)
            except (KeyError, ValueError) as exc:
                problems.append(LineProblem(*where, f"bad session: {exc}"))
        if tests.sessions - before < min_sessions:
            first = next((f" First problem: line {p.line}: {p.detail}." for p in problems
                          if p.file == str(path)), "")
            raise ImplausibleInputError(
                f"{path}: {tests.sessions - before} Spoofer sessions, fewer than the "
                f"{min_sessions} expected; the download is probably empty or an error page "
                f"(fetch it again, or lower min_sessions).{first}"
            )
    table = pa.Table.from_pydict(tests.columns, schema=SPOOFER_TESTS)
    latest = pc.max(table.column("timestamp")).as_py() if table.num_rows else None
    return Snapshot(
        RefKind.SPOOFER,
        SPOOFER_FORMAT.name,
        table,
        latest.date() if latest else None,
        tuple(str(p) for p in paths),
        problems,
    )


def spoofable_prefixes(tests: pa.Table | Snapshot) -> pa.Table:
    """Per ASN and calendar month (UTC): sessions, tested prefixes, spoofable prefixes."""
    table = tests.table if isinstance(tests, Snapshot) else tests
    groups: dict[tuple[int, dt.date], tuple[set[int], set[str], set[str]]] = {}
    for row in table.select(["session", "timestamp", "asn", "prefix", "spoofable"]).to_pylist():
        month = row["timestamp"].date().replace(day=1)
        sessions, tested, spoofable = groups.setdefault((row["asn"], month), (set(), set(), set()))
        sessions.add(row["session"])
        tested.add(row["prefix"])
        if row["spoofable"]:
            spoofable.add(row["prefix"])
    keys = sorted(groups)
    return pa.Table.from_pydict(
        {
            "asn": [k[0] for k in keys],
            "month": [k[1] for k in keys],
            "sessions": [len(groups[k][0]) for k in keys],
            "tested_prefixes": [sorted(groups[k][1]) for k in keys],
            "spoofable_prefixes": [sorted(groups[k][2]) for k in keys],
        },
        schema=SPOOFABLE_PREFIXES,
    )


def sniff_spoofer(head: bytes, name: str) -> bool:
    """True for Spoofer session objects (``"@type": "Session"`` or the outcome fields)."""
    compact = head.replace(b" ", b"")
    return b'"@type":"Session"' in compact or (b'"session"' in head and b'"routedspoof"' in head)


SPOOFER_FORMAT = register(
    Format("spoofer-sessions-json", RefKind.SPOOFER, sniff_spoofer, lambda p: load_spoofer(p))
)
