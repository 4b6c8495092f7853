"""AS relationships, customer cones and AS-to-organisation, and the lookup leak detection uses.

Role: read inferred AS relationships into :data:`~routewatch.schemas.AS_RELATIONSHIPS`,
CAIDA customer cones into :data:`~routewatch.schemas.CUSTOMER_CONES` and CAIDA
AS-to-organisation files into :data:`~routewatch.schemas.AS_ORGS`; answer "what is the
relationship of a and b" for millions of edges (:class:`Relationships`).

On-disk formats (``#`` starts a comment line in all of them):

- CAIDA serial-1 ``<provider>|<customer>|-1`` and ``<peer>|<peer>|0``; TopoScope and
  ProbLink publish the same lines (no header). Format ``caida-as-rel``.
- CAIDA serial-2: the same plus a fourth column naming the inference source (``bgp``,
  ``mlp``, ...). Format ``caida-as-rel2``.
- The older CAIDA AS-taxonomy / as-rank file ``<as1> <as2> <rel>``, blank separated, rel
  relative to as1: -1 customer, 0 peer, 1 provider, 2 sibling; every link is listed from
  both ends. Format ``caida-as-taxonomy-rel``. Rows are normalised to the CAIDA convention
  (``relationship`` -1 provider→customer, 0 peers, 2 siblings) and each link kept once.
- CAIDA ``ppdc-ases``: ``<cone-as> <member> <member> ...`` per line. Format ``caida-ppdc-ases``.
- CAIDA ``as-org2info.txt``: a ``# format:org_id|changed|org_name|country|source`` section
  and a ``# format:aut|changed|aut_name|org_id|opaque_id|source`` section; each aut row is
  joined to its organisation. Format ``caida-as-org2info``.
- CAIDA ``as-org2info.jsonl`` (the JSON Lines edition of the same data, gzip or plain): one
  object per line; ``"type": "Organization"`` objects carry ``organizationId``, ``name``,
  ``country``, ``source``, ``changed``; ``"type": "ASN"`` objects carry ``asn`` (a string in
  CAIDA's files; a number is accepted), ``name``, ``organizationId``, ``opaqueId``,
  ``source``, ``changed``. Format ``caida-as-org2info-jsonl``; the same records give the
  same AS_ORGS rows as the pipe format.

A link listed twice with the same meaning is kept once; listed with a different meaning it
is a problem (line number of the later one) and the first one read wins — pass files in
order of preference. As-of date: the first ``YYYYMMDD`` or ``YYYYMM`` in the file name
(CAIDA's ``20180101.as-rel.txt``, TopoScope's ``asrel_201801.txt``), else the caller's
``as_of``, else none.

Failure modes: a malformed line becomes a :class:`~routewatch.reference.base.LineProblem`
(file, line number) and the load goes on; fewer than ``min_rows`` rows raises
:class:`~routewatch.errors.ImplausibleInputError`.
"""

from __future__ import annotations

import datetime as dt
import json
import lzma
import re
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.asns import Notation, parse_asn
from routewatch.errors import ImplausibleInputError
from routewatch.reference.base import (
    Format,
    LineProblem,
    ProblemLog,
    RefKind,
    Snapshot,
    register,
)
from routewatch.reference.sniff import head_lines, mostly, open_text, read_head
from routewatch.schemas import AS_ORGS, AS_RELATIONSHIPS, AS_TAXONOMY, CUSTOMER_CONES

__all__ = [
    "AS_TAXONOMY_CLASSES",
    "ConeSource",
    "Dialect",
    "Rel",
    "RelationshipProvenance",
    "Relationships",
    "as_of_from_name",
    "load_as_orgs",
    "load_as_relationships",
    "load_customer_cones",
    "read_as_relationships",
    "read_as_taxonomy",
]

_MAX_ASN = 0xFFFFFFFF
#: Format name of CAIDA's JSON Lines AS-to-organisation file.
CAIDA_AS_ORG2INFO_JSONL_NAME = "caida-as-org2info-jsonl"
_FILES_KEY = b"routewatch.files"
#: Metadata of an AS_RELATIONSHIPS table: the date it describes (ISO), and for inferred
#: tables the method and period (written by ``reference.relinfer``).
AS_OF_KEY = b"routewatch.as_of"
METHOD_KEY = b"routewatch.method"
PERIOD_KEY = b"routewatch.period"


class Rel(IntEnum):
    """Relationship of the edge a→b from a's point of view."""

    C2P = -1  # a is a customer of b
    P2P = 0
    P2C = 1  # a is a provider of b
    SIBLING = 2
    UNKNOWN = 127


class Dialect(StrEnum):
    """The relationship line formats; values are the registered format names."""

    SERIAL_1 = "caida-as-rel"
    SERIAL_2 = "caida-as-rel2"
    AS_TAXONOMY = "caida-as-taxonomy-rel"


@dataclass(frozen=True)
class RelationshipProvenance:
    """What a relationship table describes: a published snapshot (its date and files) or an
    inference (method and the period whose paths it read). Confidence uses its age."""

    inferred: bool
    as_of: dt.date | None
    name: str
    period: tuple[dt.date, dt.date] | None = None

    @classmethod
    def of_table(cls, table: pa.Table) -> RelationshipProvenance:
        """From the table's schema metadata (files and date, or method and period)."""
        meta = table.schema.metadata or {}
        method = meta.get(METHOD_KEY, b"").decode()
        period_text = meta.get(PERIOD_KEY, b"").decode()
        if method and "/" in period_text:
            first, last = (dt.date.fromisoformat(d) for d in period_text.split("/", 1))
            return cls(True, last, f"{method}:{period_text}", (first, last))
        files = meta.get(_FILES_KEY, b"").decode()
        stamped = meta.get(AS_OF_KEY, b"").decode()
        as_of = dt.date.fromisoformat(stamped) if stamped else None
        if as_of is None:
            as_of = next((d for d in map(as_of_from_name, files.split(",")) if d), None)
        return cls(False, as_of, files or "relationship table")

    def describe(self) -> str:
        """One line for evidence: ``toposcope_asrel_201801.txt of 2018-01-01``."""
        when = self.as_of.isoformat() if self.as_of else "unknown date"
        return f"inferred {self.name}" if self.inferred else f"{self.name} of {when}"


class ConeSource(StrEnum):
    """Where :meth:`Relationships.in_cone` answers come from."""

    PPDC_ASES = "ppdc-ases"  # CAIDA's published provider-peer customer cones
    P2C_CLOSURE = "p2c-closure"  # every AS reachable from the cone AS over p2c edges


# ---------------------------------------------------------------------------------------------
# Reading text
# ---------------------------------------------------------------------------------------------


def _data_lines(path: Path, problems: ProblemLog) -> Iterator[tuple[int, str]]:
    """(line number, stripped line) of every line that is neither blank nor a ``#`` comment."""
    number = 0
    with open_text(path) as stream:
        try:
            for number, line in enumerate(stream, 1):
                text = line.strip()
                if text and text[0] != "#":
                    yield number, text
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            problems.add(path.name, number + 1, f"compressed stream is cut off or corrupt: {exc}")


def _asn(value: object) -> int:
    """An AS number as CAIDA writes it: plain digits (:func:`~routewatch.asns.parse_asn`)."""
    return parse_asn(value, notation=Notation.ASPLAIN)


def _uint32(text: str) -> int:
    """A count that fits the uint32 columns it goes to."""
    value = int(text)
    if not 0 <= value <= _MAX_ASN:
        raise ValueError(f"number out of range: {text}")
    return value


_NAME_DATE = re.compile(r"(?<!\d)(\d{8}|\d{6})(?!\d)")


def as_of_from_name(name: str) -> dt.date | None:
    """The date in a file name: ``20180101.as-rel.txt`` → 2018-01-01, ``asrel_201801`` → 2018-01."""
    for match in _NAME_DATE.finditer(name):
        digits = match.group(1)
        try:
            return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8] or 1))
        except ValueError:
            continue
    return None


def _snapshot(
    kind: RefKind,
    fmt: str,
    table: pa.Table,
    paths: Sequence[Path],
    problems: list[LineProblem],
    as_of: dt.date | None,
    min_rows: int,
) -> Snapshot:
    """The snapshot, or ImplausibleInputError when fewer than ``min_rows`` rows were read."""
    names = ", ".join(str(p) for p in paths) or "no files"
    if table.num_rows < min_rows:
        raise ImplausibleInputError(
            f"{names}: {table.num_rows} rows of {kind.value} read, fewer than the {min_rows} "
            f"expected; check that the file is a complete {fmt} file "
            f"({len(problems)} problems met, first: {problems[0] if problems else 'none'})."
        )
    if as_of is None:
        as_of = next((d for d in (as_of_from_name(p.name) for p in paths) if d), None)
    if kind is RefKind.AS_RELATIONSHIPS and as_of is not None:
        meta = dict(table.schema.metadata or {})
        meta[AS_OF_KEY] = as_of.isoformat().encode()
        table = table.replace_schema_metadata(meta)
    return Snapshot(kind, fmt, table, as_of, tuple(str(p) for p in paths), problems)


# ---------------------------------------------------------------------------------------------
# Relationship files
# ---------------------------------------------------------------------------------------------

_SERIAL_1 = re.compile(r"\d+\|\d+\|(?:-1|0)\Z")
_SERIAL_2 = re.compile(r"\d+\|\d+\|(?:-1|0)\|[^|\s]+\Z")
_TAXONOMY = re.compile(r"\d+[ \t]+\d+[ \t]+(?:-1|0|1|2)\Z")
_LINE_SHAPES: dict[Dialect, re.Pattern[str]] = {
    Dialect.SERIAL_1: _SERIAL_1,
    Dialect.SERIAL_2: _SERIAL_2,
    Dialect.AS_TAXONOMY: _TAXONOMY,
}


def _head_lines(head: bytes) -> list[str]:
    """Complete data lines (no comments) of a file head, for sniffing."""
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if lines and not head.endswith(b"\n"):
        lines = lines[:-1]  # the head (or a cut-off file) may end inside a line
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _sniff_dialect(dialect: Dialect) -> Callable[[bytes, str], bool]:
    shape = _LINE_SHAPES[dialect]

    def sniff(head: bytes, name: str) -> bool:
        return mostly(_head_lines(head)[:200], lambda line: shape.match(line) is not None)

    sniff.__doc__ = f"The data lines of the head are {dialect.value} lines (a few bad ones aside)."
    return sniff


def _detect(path: Path) -> Dialect | None:
    head = read_head(path)
    return next((d for d in Dialect if _sniff_dialect(d)(head, path.name)), None)


@dataclass
class _Edges:
    """Relationship rows kept so far (as written), keyed by the unordered pair."""

    rows: dict[int, tuple[int, int, int, str | None, str, int]] = field(default_factory=dict)

    def add(
        self,
        a: int,
        b: int,
        rel: int,
        source: str | None,
        file: str,
        line: int,
        problems: ProblemLog,
    ) -> None:
        key = (min(a, b) << 32) | max(a, b)
        seen = self.rows.get(key)
        if seen is None:
            self.rows[key] = (a, b, rel, source, file, line)
            return
        same_direction = (seen[0], seen[1]) == (a, b)
        if seen[2] != rel or (rel == -1 and not same_direction):  # peers, siblings: undirected
            problems.add(
                file,
                line,
                f"{a}|{b}|{rel} conflicts with {seen[0]}|{seen[1]}|{seen[2]} "
                f"({seen[4]} line {seen[5]}); kept the first",
            )

    def table(self, files: Sequence[str]) -> pa.Table:
        rows = list(self.rows.values())
        table = pa.Table.from_arrays(
            [
                pa.array([r[0] for r in rows], pa.uint32()),
                pa.array([r[1] for r in rows], pa.uint32()),
                pa.array([r[2] for r in rows], pa.int8()),
                pa.array([r[3] for r in rows], pa.string()),
            ],
            schema=AS_RELATIONSHIPS,
        )
        meta = dict(AS_RELATIONSHIPS.metadata or {})
        meta[_FILES_KEY] = ",".join(files).encode()
        return table.replace_schema_metadata(meta)


def _parse_rel_line(dialect: Dialect, text: str) -> tuple[int, int, int, str | None]:
    """One data line as (asn_a, asn_b, CAIDA relationship, source); ValueError if malformed."""
    if dialect is Dialect.AS_TAXONOMY:
        parts = text.split()
        if len(parts) != 3:
            raise ValueError("expected '<as1> <as2> <rel>'")
        a, b, rel = _asn(parts[0]), _asn(parts[1]), int(parts[2])
        if rel == 1:
            return a, b, -1, None
        if rel == -1:
            return b, a, -1, None
        if rel in (0, 2):
            return a, b, rel, None
        raise ValueError(f"relationship {rel} is not -1, 0, 1 or 2")
    parts = text.split("|")
    width = 4 if dialect is Dialect.SERIAL_2 else 3
    if len(parts) != width:
        raise ValueError(f"expected {width} '|'-separated fields, got {len(parts)}")
    rel = int(parts[2])
    if rel not in (-1, 0):
        raise ValueError(f"relationship {rel} is not -1 (provider|customer) or 0 (peers)")
    source = parts[3].strip() or None if width == 4 else None
    return _asn(parts[0]), _asn(parts[1]), rel, source


def read_as_relationships(
    paths: Sequence[Path], dialect: Dialect | None = None, *, max_problems: int = 1000
) -> tuple[pa.Table, list[LineProblem], Dialect | None]:
    """Relationship files to one AS_RELATIONSHIPS table (dialect detected per file if None).

    Returns the table, the problems and the dialect of the last file. The table's schema
    metadata ``routewatch.files`` names the files (evidence for serial-1 rows, which have
    no source column).
    """
    problems = ProblemLog(max_problems)
    edges = _Edges()
    used: Dialect | None = dialect
    for path in paths:
        used = dialect or _detect(path)
        if used is None:
            problems.add(path.name, 1, "no line looks like a relationship line; file skipped")
            continue
        for number, text in _data_lines(path, problems):
            try:
                a, b, rel, source = _parse_rel_line(used, text)
            except ValueError as exc:
                problems.add(path.name, number, f"{exc}: {text[:60]!r}")
                continue
            if a == b:
                problems.add(path.name, number, f"AS{a} related to itself: {text[:60]!r}")
                continue
            edges.add(a, b, rel, source, path.name, number, problems)
    return edges.table([p.name for p in paths]), problems.final(), used


def load_as_relationships(
    paths: Sequence[Path],
    *,
    dialect: Dialect | None = None,
    as_of: dt.date | None = None,
    min_rows: int = 1,
) -> Snapshot:
    """Relationship files (serial-1, serial-2, AS-taxonomy) as an AS_RELATIONSHIPS snapshot."""
    table, problems, used = read_as_relationships(paths, dialect)
    fmt = (used or Dialect.SERIAL_1).value
    return _snapshot(RefKind.AS_RELATIONSHIPS, fmt, table, paths, problems, as_of, min_rows)


# ---------------------------------------------------------------------------------------------
# Customer cones and AS-to-organisation
# ---------------------------------------------------------------------------------------------


def load_customer_cones(
    paths: Sequence[Path], *, as_of: dt.date | None = None, min_rows: int = 1
) -> Snapshot:
    """CAIDA ``ppdc-ases`` files as a CUSTOMER_CONES snapshot (one row per cone AS)."""
    problems = ProblemLog(1000)
    asns: list[int] = []
    members: list[list[int]] = []
    for path in paths:
        for number, text in _data_lines(path, problems):
            cone: list[int] = []
            for token in text.split():
                try:
                    cone.append(_asn(token))
                except ValueError:
                    problems.add(path.name, number, f"not an AS number: {token[:30]!r}, skipped")
            if cone:
                asns.append(cone[0])
                members.append(cone[1:])
    table = pa.Table.from_arrays(
        [pa.array(asns, pa.uint32()), pa.array(members, pa.list_(pa.uint32()))],
        schema=CUSTOMER_CONES,
    )
    return _snapshot(
        RefKind.CUSTOMER_CONES, "caida-ppdc-ases", table, paths, problems.final(), as_of, min_rows
    )


_ORG_HEADER = "#format:org_id|"
_AUT_HEADER = "#format:aut|"


@dataclass(frozen=True)
class _Org:
    """One organisation record: its id, name and country."""

    org_id: str
    name: str
    country: str


@dataclass(frozen=True)
class _Aut:
    """One AS record of an organisation file, with where it was read (evidence)."""

    asn: int
    org_id: str
    as_name: str
    source: str
    file: str
    line: int


def _org_sections(path: Path, problems: ProblemLog) -> Iterator[tuple[str, int, list[str]]]:
    """("org" | "aut", line number, fields) for every data line under a ``# format:`` header."""
    section: str | None = None
    number = 0
    with open_text(path) as stream:
        try:
            for number, raw in enumerate(stream, 1):
                line = raw.rstrip("\r\n")
                compact = line.replace(" ", "")
                if compact.startswith(_ORG_HEADER):
                    section = "org"
                elif compact.startswith(_AUT_HEADER):
                    section = "aut"
                elif line.strip() and not line.startswith("#"):
                    if section is None:
                        problems.add(path.name, number, "data line before any '# format:' header")
                    else:
                        yield section, number, line.split("|")
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            problems.add(path.name, number + 1, f"compressed stream is cut off or corrupt: {exc}")


def _org_fields(fields: list[str], width: int, name_at: int) -> list[str] | None:
    """Fields of a row whose name column may itself contain '|': rejoin the middle."""
    if len(fields) < width:
        return None
    extra = len(fields) - width
    name = "|".join(fields[name_at : name_at + extra + 1])
    return [*fields[:name_at], name, *fields[name_at + extra + 1 :]]


def _org_records_pipe(path: Path, problems: ProblemLog) -> Iterator[_Org | _Aut]:
    """The records of a pipe-separated ``as-org2info.txt`` file."""
    for section, number, raw in _org_sections(path, problems):
        fields = _org_fields(raw, 5 if section == "org" else 6, 2)
        if fields is None:
            problems.add(path.name, number, f"{section} line with {len(raw)} fields")
            continue
        if section == "org":
            yield _Org(fields[0], fields[2], fields[3])
            continue
        try:
            asn = _asn(fields[0])
        except ValueError:
            problems.add(path.name, number, f"not an AS number: {fields[0][:30]!r}")
            continue
        yield _Aut(asn, fields[3], fields[2], fields[5], path.name, number)


def _json_text(value: object) -> str:
    """A JSON field as text ("" for null or absent; numbers as written)."""
    return "" if value is None else str(value)


def _org_record_json(obj: dict[str, object], file: str, number: int) -> _Org | _Aut:
    """One JSON Lines object as a record; ValueError names what is wrong with it."""
    kind = obj.get("type")
    org_id = _json_text(obj.get("organizationId"))
    if not org_id:
        raise ValueError(f"{kind or 'object'} without organizationId")
    if kind == "Organization":
        return _Org(org_id, _json_text(obj.get("name")), _json_text(obj.get("country")))
    if kind == "ASN":
        asn = obj.get("asn")
        if isinstance(asn, bool) or not isinstance(asn, int | str):
            raise ValueError(f"asn {asn!r} is not an AS number")
        return _Aut(_asn(asn), org_id, _json_text(obj.get("name")),
                    _json_text(obj.get("source")), file, number)  # fmt: skip
    raise ValueError(f"type {kind!r} is neither 'Organization' nor 'ASN'")


def _org_records_jsonl(path: Path, problems: ProblemLog) -> Iterator[_Org | _Aut]:
    """The records of a JSON Lines ``as-org2info.jsonl`` file (one object per line)."""
    for number, text in _data_lines(path, problems):
        try:
            obj = json.loads(text)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            yield _org_record_json(obj, path.name, number)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            problems.add(path.name, number, f"{exc}: {text[:60]!r}")


def _is_jsonl_orgs(head: bytes) -> bool:
    """JSON Lines rather than the pipe format: a JSON object comes before any format header."""
    for raw in head_lines(head):
        line = raw.strip()
        if line.startswith(b"{"):
            return True
        if line.replace(b" ", b"").startswith(b"#format:"):
            return False
    return False


def _is_org_json_line(line: bytes) -> bool:
    compact = line.replace(b" ", b"")
    return line.startswith(b"{") and b'"organizationId":' in compact and (
        b'"type":"Organization"' in compact or b'"type":"ASN"' in compact
    )


def _joined_orgs(orgs: dict[str, _Org], auts: list[_Aut], problems: ProblemLog) -> pa.Table:
    """AS records joined to their organisations as an AS_ORGS table."""
    columns: list[list[object]] = [[], [], [], [], [], []]
    for aut in auts:
        org = orgs.get(aut.org_id)
        if org is None:
            problems.add(aut.file, aut.line, f"AS{aut.asn}: org_id {aut.org_id!r} not in the "
                                             "org section")  # fmt: skip
        values = (aut.asn, aut.org_id, org.name if org else "", aut.as_name,
                  org.country if org else "", aut.source)  # fmt: skip
        for column, value in zip(columns, values, strict=True):
            column.append(value if value != "" else None)
    return pa.Table.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(columns, AS_ORGS, strict=True)], schema=AS_ORGS
    )


def load_as_orgs(
    paths: Sequence[Path], *, as_of: dt.date | None = None, min_rows: int = 1
) -> Snapshot:
    """CAIDA AS-to-organisation files as an AS_ORGS snapshot (AS records joined to orgs).

    Each file is read in its own format, recognised from its content: the pipe-separated
    ``as-org2info.txt`` or the JSON Lines ``as-org2info.jsonl`` (gzip or plain). Both give
    the same table for the same records. An AS listed again in a later file replaces nothing:
    both rows are kept (``Relationships`` uses the first).
    """
    problems = ProblemLog(1000)
    orgs: dict[str, _Org] = {}
    auts: list[_Aut] = []
    formats: set[str] = set()
    for path in paths:
        jsonl = _is_jsonl_orgs(read_head(path))
        formats.add(CAIDA_AS_ORG2INFO_JSONL_NAME if jsonl else "caida-as-org2info")
        reader = _org_records_jsonl if jsonl else _org_records_pipe
        for record in reader(path, problems):
            if isinstance(record, _Org):
                orgs[record.org_id] = record
            else:
                auts.append(record)
    table = _joined_orgs(orgs, auts, problems)
    fmt = formats.pop() if len(formats) == 1 else "caida-as-org2info"
    return _snapshot(RefKind.AS_ORGS, fmt, table, paths, problems.final(), as_of, min_rows)


#: Classes of the CAIDA AS-taxonomy (PAM 2006): large ISP, small ISP, university, IXP, NIC,
#: customer network, no prediction.
AS_TAXONOMY_CLASSES: frozenset[str] = frozenset(
    {"t1", "t2", "edu", "ix", "nic", "comp", "abstained"}
)


def read_as_taxonomy(
    paths: Sequence[Path], *, min_rows: int = 1
) -> tuple[pa.Table, list[LineProblem]]:
    """CAIDA AS-taxonomy ``as2attr`` files (tab separated: AS, description, providers, peers,
    customers, /24 equivalents, prefixes, class) as an AS_TAXONOMY table.

    Registered as format ``caida-as2attr`` of kind ``as-attributes``. The file is dated only by
    its release (about 2006); its neighbour counts are those of the companion ``as_rel`` file.
    """
    problems = ProblemLog(1000)
    rows: list[tuple[object, ...]] = []
    for path in paths:
        for number, text in _data_lines(path, problems):
            fields = [f.strip() for f in text.split("\t")]
            try:
                if len(fields) != 8 or fields[7] not in AS_TAXONOMY_CLASSES:
                    raise ValueError("expected 8 tab-separated fields ending in an AS class")
                counts = [_uint32(f) for f in fields[2:7]]
                rows.append((_asn(fields[0]), fields[1] or None, *counts, fields[7]))
            except ValueError as exc:
                problems.add(path.name, number, f"{exc}: {text[:60]!r}")
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(AS_TAXONOMY)
    table = pa.Table.from_arrays(
        [pa.array(list(c), type=f.type) for c, f in zip(columns, AS_TAXONOMY, strict=True)],
        schema=AS_TAXONOMY,
    )
    if table.num_rows < min_rows:
        raise ImplausibleInputError(
            f"{', '.join(str(p) for p in paths)}: {table.num_rows} AS-taxonomy rows read, "
            f"fewer than the {min_rows} expected; check that the file is a CAIDA as2attr file."
        )
    return table, problems.final()


# ---------------------------------------------------------------------------------------------
# Format registry
# ---------------------------------------------------------------------------------------------


def load_as_taxonomy(paths: Sequence[Path], *, min_rows: int = 100) -> Snapshot:
    """CAIDA ``as2attr`` files as an AS-attributes snapshot (no as-of date in the format)."""
    table, problems = read_as_taxonomy(paths, min_rows=min_rows)
    return Snapshot(
        RefKind.AS_ATTRIBUTES, "caida-as2attr", table, None, tuple(str(p) for p in paths), problems
    )


def _sniff_as_taxonomy(head: bytes, name: str) -> bool:
    return mostly(_head_lines(head)[:20], _as_taxonomy_line)


def _as_taxonomy_line(line: str) -> bool:
    fields = [f.strip() for f in line.split("\t")]
    return len(fields) == 8 and fields[0].isdigit() and fields[7] in AS_TAXONOMY_CLASSES


def _sniff_cones(head: bytes, name: str) -> bool:
    """Lines of blank-separated ASNs, and not the three-column AS-taxonomy file."""
    lines = _head_lines(head)[:200]
    if not mostly(lines, lambda line: re.fullmatch(r"\d+(?:[ \t]+\d+)*", line) is not None):
        return False
    return "ppdc" in name or not _sniff_dialect(Dialect.AS_TAXONOMY)(head, name)


def _sniff_as_orgs(head: bytes, name: str) -> bool:
    """A CAIDA as-org2info section header."""
    compact = head.replace(b" ", b"")
    return b"#format:aut|" in compact or b"#format:org_id|" in compact


def _sniff_as_orgs_jsonl(head: bytes, name: str) -> bool:
    """The data lines are CAIDA as-org2info JSON objects (Organization or ASN)."""
    lines = [line.strip() for line in head_lines(head) if not line.strip().startswith(b"#")]
    return mostly(lines[:20], _is_org_json_line)


def _relationship_loader(dialect: Dialect) -> Callable[[list[Path]], Snapshot]:
    def load(paths: list[Path]) -> Snapshot:
        return load_as_relationships(paths, dialect=dialect)

    return load


RELATIONSHIP_FORMATS: tuple[Format, ...] = tuple(
    register(Format(d.value, RefKind.AS_RELATIONSHIPS, _sniff_dialect(d), _relationship_loader(d)))
    for d in Dialect
)
CAIDA_PPDC_ASES = register(
    Format(
        "caida-ppdc-ases", RefKind.CUSTOMER_CONES, _sniff_cones, lambda p: load_customer_cones(p)
    )
)
CAIDA_AS2ATTR = register(
    Format("caida-as2attr", RefKind.AS_ATTRIBUTES, _sniff_as_taxonomy, load_as_taxonomy)
)
CAIDA_AS_ORG2INFO = register(
    Format("caida-as-org2info", RefKind.AS_ORGS, _sniff_as_orgs, lambda p: load_as_orgs(p))
)
CAIDA_AS_ORG2INFO_JSONL = register(
    Format(
        CAIDA_AS_ORG2INFO_JSONL_NAME,
        RefKind.AS_ORGS,
        _sniff_as_orgs_jsonl,
        lambda p: load_as_orgs(p),
    )
)


# ---------------------------------------------------------------------------------------------
# Lookup
# ---------------------------------------------------------------------------------------------


def _pair_keys(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    left = np.asarray(a).astype(np.uint64)
    right = np.asarray(b).astype(np.uint64)
    keys: npt.NDArray[np.uint64] = (left << np.uint64(32)) | right
    return keys


class Relationships:
    """Directed edges a→b as sorted ``a << 32 | b`` keys, each with its :class:`Rel` from a's
    point of view and its evidence; optional organisations (siblings) and customer cones.

    Siblings: two different ASes with the same CAIDA ``org_id`` are siblings, and
    :meth:`relation` answers SIBLING for them whatever the relationship file says (CAIDA
    itself lets sibling inferences override). Cones: from a ``ppdc-ases`` table when one is
    given (:attr:`cone_source` = ``ppdc-ases``), else computed as every AS reachable from the
    cone AS over provider→customer edges (``p2c-closure``, a superset of CAIDA's cones,
    which only follow customer links seen in paths). An AS is always in its own cone.
    :attr:`provenance` says what the relationships describe (read from the table's metadata:
    a snapshot's files and date, or an inference's method and period); :attr:`has_orgs`
    whether organisation data was given (without it siblings cannot be recognised).
    """

    provenance: RelationshipProvenance

    def __init__(
        self,
        keys: npt.NDArray[np.uint64],
        rels: npt.NDArray[np.int8],
        source_codes: npt.NDArray[np.int32],
        sources: list[str | None],
        orgs: tuple[npt.NDArray[np.uint32], npt.NDArray[np.int32], list[str]],
        cones: npt.NDArray[np.uint64] | None,
    ) -> None:
        self._keys = keys
        self._rels = rels
        self._source_codes = source_codes
        self._sources = sources
        self._org_asns, self._org_codes, self._org_ids = orgs
        self._cone_keys = cones
        self._cone_cache: dict[int, npt.NDArray[np.uint32]] = {}
        self.cone_source = ConeSource.PPDC_ASES if cones is not None else ConeSource.P2C_CLOSURE
        self.provenance = RelationshipProvenance(False, None, "relationship table")

    @property
    def has_orgs(self) -> bool:
        """Whether organisation (AS-to-org) data is indexed."""
        return len(self._org_asns) > 0

    @classmethod
    def build(
        cls, rels: pa.Table, orgs: pa.Table | None = None, cones: pa.Table | None = None
    ) -> Relationships:
        """Index an AS_RELATIONSHIPS table, optionally AS_ORGS and CUSTOMER_CONES tables."""
        a = rels.column("asn_a").to_numpy().astype(np.uint64)
        b = rels.column("asn_b").to_numpy().astype(np.uint64)
        caida = rels.column("relationship").to_numpy().astype(np.int8)
        known = [caida == -1, caida == 0, caida == 2]
        forward = np.select(known, [Rel.P2C, Rel.P2P, Rel.SIBLING], Rel.UNKNOWN)
        backward = np.select(known, [Rel.C2P, Rel.P2P, Rel.SIBLING], Rel.UNKNOWN)
        # both directions of row i before those of row i + 1, so that the first row wins
        # for both directions of a pair listed twice
        keys = np.column_stack([_pair_keys(a, b), _pair_keys(b, a)]).ravel()
        values = np.column_stack([forward, backward]).ravel().astype(np.int8)
        codes, sources = cls._source_codes_of(rels)
        keys, first = np.unique(keys, return_index=True)
        index = cls(
            keys,
            values[first],
            np.repeat(codes, 2)[first],
            sources,
            cls._orgs_of(orgs),
            cls._cones_of(cones),
        )
        index.provenance = RelationshipProvenance.of_table(rels)
        return index

    @staticmethod
    def _source_codes_of(rels: pa.Table) -> tuple[npt.NDArray[np.int32], list[str | None]]:
        meta = rels.schema.metadata or {}
        files = meta.get(_FILES_KEY, b"").decode() or None
        encoded = rels.column("source").combine_chunks().dictionary_encode()
        names: list[str | None] = [*encoded.dictionary.to_pylist(), files]
        codes = encoded.indices.fill_null(len(names) - 1).to_numpy(zero_copy_only=False)
        return codes.astype(np.int32), names

    @staticmethod
    def _orgs_of(
        orgs: pa.Table | None,
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int32], list[str]]:
        if orgs is None or orgs.num_rows == 0:
            return np.zeros(0, np.uint32), np.zeros(0, np.int32), []
        asn = orgs.column("asn").to_numpy().astype(np.uint32)
        encoded = orgs.column("org_id").combine_chunks().dictionary_encode()
        codes = encoded.indices.to_numpy().astype(np.int32)
        asn, first = np.unique(asn, return_index=True)
        return asn, codes[first], encoded.dictionary.to_pylist()

    @staticmethod
    def _cones_of(cones: pa.Table | None) -> npt.NDArray[np.uint64] | None:
        if cones is None:
            return None
        lengths = cones.column("members").combine_chunks().value_lengths().to_numpy()
        owner = np.repeat(cones.column("asn").to_numpy(), lengths)
        member = cones.column("members").combine_chunks().flatten().to_numpy()
        return np.unique(_pair_keys(owner, member))

    def _find(
        self, a: npt.ArrayLike, b: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        query = _pair_keys(a, b)
        pos = np.searchsorted(self._keys, query)
        pos = np.minimum(pos, max(len(self._keys) - 1, 0))
        found = (self._keys[pos] == query) if len(self._keys) else np.zeros(len(query), bool)
        return pos, found

    def _org_of(self, asns: npt.ArrayLike) -> npt.NDArray[np.int32]:
        values = np.asarray(asns).astype(np.uint32)
        if not len(self._org_asns):
            return np.full(values.shape, -1, np.int32)
        pos = np.minimum(np.searchsorted(self._org_asns, values), len(self._org_asns) - 1)
        return np.where(self._org_asns[pos] == values, self._org_codes[pos], -1).astype(np.int32)

    def _org_siblings(self, a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        org_a, org_b = self._org_of(a), self._org_of(b)
        same: npt.NDArray[np.bool_] = (org_a >= 0) & (org_a == org_b)
        different: npt.NDArray[np.bool_] = np.asarray(a) != np.asarray(b)
        return same & different

    def relation(self, a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.int8]:
        """:class:`Rel` codes of the edges a[i]→b[i] (UNKNOWN where no data)."""
        pos, found = self._find(a, b)
        out = np.where(found, self._rels[pos] if len(self._rels) else Rel.UNKNOWN, Rel.UNKNOWN)
        return np.where(self._org_siblings(a, b), Rel.SIBLING, out).astype(np.int8)

    def source(self, a: npt.ArrayLike, b: npt.ArrayLike) -> list[str | None]:
        """Evidence per edge: ``as2org:<org_id>`` for organisation siblings, else the serial-2
        source column or the relationship file names; None where there is no data."""
        pos, found = self._find(a, b)
        org = self._org_of(a)
        siblings = self._org_siblings(a, b)
        out: list[str | None] = []
        for i in range(len(found)):
            if siblings[i]:
                out.append(f"as2org:{self._org_ids[org[i]]}")
            elif found[i]:
                out.append(self._sources[self._source_codes[pos[i]]])
            else:
                out.append(None)
        return out

    def siblings(self, a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Same organisation, or a sibling edge in the relationship file."""
        found: npt.NDArray[np.bool_] = self.relation(a, b) == Rel.SIBLING
        return found

    def _neighbours(self, asn: int, rel: Rel) -> npt.NDArray[np.uint32]:
        lo = np.searchsorted(self._keys, np.uint64(asn) << np.uint64(32))
        hi = np.searchsorted(self._keys, np.uint64(asn + 1) << np.uint64(32))
        chosen = self._keys[lo:hi][self._rels[lo:hi] == rel]
        asns: npt.NDArray[np.uint32] = (chosen & np.uint64(_MAX_ASN)).astype(np.uint32)
        return asns

    def providers(self, asn: int) -> npt.NDArray[np.uint32]:
        """The providers of ``asn`` (sorted)."""
        return self._neighbours(asn, Rel.C2P)

    def customers(self, asn: int) -> npt.NDArray[np.uint32]:
        """The customers of ``asn`` (sorted)."""
        return self._neighbours(asn, Rel.P2C)

    def peers(self, asn: int) -> npt.NDArray[np.uint32]:
        """The peers of ``asn`` (sorted)."""
        return self._neighbours(asn, Rel.P2P)

    def cone(self, asn: int) -> npt.NDArray[np.uint32]:
        """The customer cone of ``asn``, itself included, sorted (see :attr:`cone_source`)."""
        cached = self._cone_cache.get(asn)
        if cached is not None:
            return cached
        if self._cone_keys is not None:
            lo = np.searchsorted(self._cone_keys, np.uint64(asn) << np.uint64(32))
            hi = np.searchsorted(self._cone_keys, np.uint64(asn + 1) << np.uint64(32))
            members = (self._cone_keys[lo:hi] & np.uint64(_MAX_ASN)).astype(np.uint32)
            result = np.union1d(members, np.array([asn], np.uint32))
        else:
            result = self._closure(asn)
        self._cone_cache[asn] = result
        return result

    def _closure(self, asn: int) -> npt.NDArray[np.uint32]:
        seen = {asn}
        todo = deque([asn])
        while todo:
            for customer in self.customers(todo.popleft()).tolist():
                if customer not in seen:
                    seen.add(customer)
                    todo.append(customer)
        return np.array(sorted(seen), dtype=np.uint32)

    def in_cone(self, cone_asn: int, asn: int) -> bool:
        """Whether ``asn`` is in the customer cone of ``cone_asn``."""
        members = self.cone(cone_asn)
        pos = int(np.searchsorted(members, asn))
        return pos < len(members) and int(members[pos]) == asn
