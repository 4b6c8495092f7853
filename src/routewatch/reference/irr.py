"""IRR (RPSL) dumps to route, aut-num and as-set tables, and the IRR lookup detection uses.

Role: read the split or full database dumps every IRR publishes (RIPE, RIPE-NONAUTH, ARIN,
APNIC, AFRINIC, LACNIC, JPIRR, RADB, ALTDB, ...) into :data:`~routewatch.schemas.IRR_ROUTES`,
:data:`~routewatch.schemas.IRR_AUT_NUMS` and :data:`~routewatch.schemas.IRR_AS_SETS`, and
answer "is this (prefix, origin) registered?" for millions of pairs (:class:`IrrIndex`).

On-disk format (RPSL, RFC 2622 §2): objects are paragraphs separated by blank lines; the
first attribute names the class (``route:``, ``route6:``, ``aut-num:``, ``as-set:``, ...).
An attribute is ``name: value``; a line starting with a space, a tab or ``+`` continues the
previous attribute; lines starting with ``#`` or ``%`` are comments, and ``#`` ends the value
of an attribute line (inline comment). Attributes may repeat (``members:``, ``mnt-by:``).
Files may be plain, gzip or bzip2; the content decides, not the name. Objects of other
classes are skipped. ``source:`` names the registry; a registry run by an RIR is
authoritative (:data:`AUTHORITATIVE_SOURCES`, per ROUTING-REFERENCE.md "IRR matching").

As-of date: the newest ``last-modified:`` (or, for old objects without it, the newest date
of a ``changed:`` line) of every object read — a dump holds no other date — unless the caller
passes ``as_of``. Dumps published with personal data removed keep ``admin-c:`` / ``tech-c:``
with a dummy handle (``DUMY-RIPE``): the role still counts as present.

Failure modes: a malformed object or line (no ``origin:``, a bad prefix or ASN, an attribute
line without ``:``, a continuation outside an object, a cut-off compressed stream) becomes a
:class:`~routewatch.reference.base.LineProblem` with file and line number and the load goes
on; fewer than ``min_rows`` rows raises :class:`~routewatch.errors.ImplausibleInputError`.
"""

from __future__ import annotations

import datetime as dt
import lzma
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numba
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.asns import Notation, parse_asn
from routewatch.errors import ImplausibleInputError
from routewatch.prefixes import format_prefix, mask_words, parse_prefix
from routewatch.reference.base import (
    Format,
    LineProblem,
    ProblemLog,
    RefKind,
    Snapshot,
    register,
)
from routewatch.reference.sniff import head_lines, mostly, open_text
from routewatch.schemas import IRR_AS_SETS, IRR_AUT_NUMS, IRR_ROUTES

__all__ = [
    "AUTHORITATIVE_SOURCES",
    "CONTACT_ROLES",
    "IRR_STATES",
    "IrrIndex",
    "IrrResult",
    "IrrState",
    "RpslDump",
    "load_irr_as_sets",
    "load_irr_aut_nums",
    "load_irr_routes",
    "read_rpsl",
]

#: IRR ``source:`` names of registries run by an RIR or NIR (ROUTING-REFERENCE.md): objects
#: there are checked against the address holder. RADB, ALTDB, NTTCOM, LEVEL3, RIPE-NONAUTH,
#: ARIN-NONAUTH and every other source are not authoritative.
AUTHORITATIVE_SOURCES: frozenset[str] = frozenset(
    {"AFRINIC", "APNIC", "ARIN", "JPIRR", "LACNIC", "NIC.BR", "RIPE"}
)

#: aut-num attributes that name a contact; ``contact_roles`` lists those an object fills.
CONTACT_ROLES: tuple[str, ...] = ("admin-c", "tech-c", "abuse-c", "notify")

_CLASSES = ("route", "route6", "aut-num", "as-set")
_KEPT = frozenset(
    {
        *_CLASSES,
        *CONTACT_ROLES,
        "origin",
        "source",
        "last-modified",
        "changed",
        "mnt-by",
        "members",
        "mbrs-by-ref",
        "as-name",
        "org",
    }
)
_ATTR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_CHANGED_DATE = re.compile(r"(\d{8})\s*\Z")
_SPLIT_LIST = re.compile(r"[\s,]+")


# ---------------------------------------------------------------------------------------------
# Reading RPSL text
# ---------------------------------------------------------------------------------------------


def _numbered_lines(path: Path, problems: ProblemLog) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without newline); a cut-off stream ends it with a problem."""
    number = 0
    with open_text(path) as stream:
        try:
            for number, line in enumerate(stream, 1):
                yield number, line[:-1] if line[-1:] == "\n" else line
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            problems.add(path.name, number + 1, f"compressed stream is cut off or corrupt: {exc}")


@dataclass(frozen=True)
class RpslObject:
    """One object of a class routewatch reads: its class, first line and kept attributes.

    ``attrs`` holds (name, value, line) for the attributes routewatch uses, in file order,
    names lower case, values with continuation lines joined by a space and comments removed.
    """

    cls: str
    file: str
    line: int
    attrs: tuple[tuple[str, str, int], ...]

    def values(self, name: str) -> list[str]:
        """Every value of attribute ``name`` (empty list when absent)."""
        return [value for attr, value, _ in self.attrs if attr == name]

    def first(self, name: str) -> tuple[str, int] | None:
        """The first value of ``name`` and its line, or None."""
        for attr, value, line in self.attrs:
            if attr == name:
                return value, line
        return None


def _value(text: str) -> str:
    """An attribute value without its inline ``#`` comment and surrounding blanks."""
    return (text.split("#", 1)[0] if "#" in text else text).strip()


def _rpsl_objects(
    lines: Iterable[tuple[int, str]], file: str, problems: ProblemLog, seen: Counter[str]
) -> Iterator[RpslObject]:
    """Split numbered RPSL lines into objects of the classes routewatch reads.

    ``seen`` counts every object by class (including skipped classes).
    """
    attrs: list[tuple[str, str, int]] = []
    cls: str | None = None
    start = 0
    keep_continuation = False
    names: dict[str, str | None] = {}  # raw name -> lower case, None when not a name
    for number, line in lines:
        if not line or line.isspace():
            if cls in _CLASSES:
                yield RpslObject(cls, file, start, tuple(attrs))
            attrs, cls, keep_continuation = [], None, False
            continue
        first = line[0]
        if first in "#%":
            continue
        if first in " \t+":
            if cls is None:
                problems.add(file, number, "continuation line outside an object")
            elif keep_continuation:
                name, value, at = attrs[-1]
                more = _value(line[1:])
                attrs[-1] = (name, f"{value} {more}" if value and more else value or more, at)
            continue
        raw, colon, rest = line.partition(":")
        attr = names.get(raw, "")
        if attr == "":
            attr = names[raw] = raw.lower() if _ATTR_NAME.match(raw) else None
        if not colon or attr is None:
            problems.add(file, number, f"not an attribute line: {line[:60]!r}")
            keep_continuation = False
            continue
        if cls is None:
            cls, start = attr, number
            seen[attr] += 1
        keep_continuation = attr in _KEPT and cls in _CLASSES
        if keep_continuation:
            attrs.append((attr, _value(rest), number))
    if cls in _CLASSES:
        yield RpslObject(cls, file, start, tuple(attrs))


# ---------------------------------------------------------------------------------------------
# Objects to rows
# ---------------------------------------------------------------------------------------------


def _timestamp(obj: RpslObject) -> int | None:
    """Seconds since the epoch of ``last-modified:``, else of the newest ``changed:`` date."""
    last = obj.first("last-modified")
    if last is not None:
        try:
            return int(dt.datetime.fromisoformat(last[0].replace("Z", "+00:00")).timestamp())
        except ValueError:
            pass
    newest: int | None = None
    for changed in obj.values("changed"):
        match = _CHANGED_DATE.search(changed)
        if match:
            try:
                day = dt.datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=dt.UTC)
            except ValueError:
                continue
            stamp = int(day.timestamp())
            newest = stamp if newest is None else max(newest, stamp)
    return newest


def _list(obj: RpslObject, name: str) -> list[str]:
    """Every comma/blank separated item of every ``name`` attribute, upper case."""
    return [item.upper() for value in obj.values(name) for item in _SPLIT_LIST.split(value) if item]


@dataclass
class _Common:
    """source / authoritative / mnt-by / last-modified, shared by the three tables."""

    source: str
    authoritative: bool
    mnt_by: list[str]
    last_modified: int | None


class _Rows:
    """Column lists of one output table, appended object by object."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.columns: dict[str, list[object]] = {name: [] for name in schema.names}

    def append(self, **values: object) -> None:
        for name, column in self.columns.items():
            column.append(values[name])

    def __len__(self) -> int:
        return len(self.columns[self.schema.names[0]])

    def table(self) -> pa.Table:
        arrays = [pa.array(self.columns[f.name], type=f.type) for f in self.schema]
        return pa.Table.from_arrays(arrays, schema=self.schema)


@dataclass
class _Builder:
    """Turns objects into rows of the three tables, reporting what it cannot use."""

    problems: ProblemLog
    authoritative_sources: frozenset[str]
    default_source: str | None
    routes: _Rows = field(default_factory=lambda: _Rows(IRR_ROUTES))
    aut_nums: _Rows = field(default_factory=lambda: _Rows(IRR_AUT_NUMS))
    as_sets: _Rows = field(default_factory=lambda: _Rows(IRR_AS_SETS))
    newest: int | None = None

    def add(self, obj: RpslObject) -> None:
        common = self._common(obj)
        if common is None:
            return
        if common.last_modified is not None:
            self.newest = max(self.newest or 0, common.last_modified)
        if obj.cls in ("route", "route6"):
            self._route(obj, common)
        elif obj.cls == "aut-num":
            self._aut_num(obj, common)
        else:
            self._as_set(obj, common)

    def _common(self, obj: RpslObject) -> _Common | None:
        found = obj.first("source")
        source = found[0].upper() if found and found[0] else self.default_source
        if not source:
            self.problems.add(obj.file, obj.line, f"{obj.cls} object without source:, skipped")
            return None
        authoritative = source in self.authoritative_sources
        return _Common(source, authoritative, _list(obj, "mnt-by"), _timestamp(obj))

    def _route(self, obj: RpslObject, common: _Common) -> None:
        key = obj.first(obj.cls)
        origin = obj.first("origin")
        if key is None or origin is None:
            self.problems.add(obj.file, obj.line, f"{obj.cls} object without origin:, skipped")
            return
        try:
            prefix = parse_prefix(key[0]) if "/" in key[0] else None
        except ValueError as exc:
            self.problems.add(obj.file, key[1], f"{obj.cls}: {exc}")
            return
        if prefix is None or prefix.afi != (6 if obj.cls == "route6" else 4):
            self.problems.add(
                obj.file, key[1], f"{obj.cls}: {key[0]!r} is not a prefix of its family"
            )
            return
        try:
            asn = parse_asn(origin[0], notation=Notation.AS_PREFIX)
        except ValueError as exc:
            self.problems.add(obj.file, origin[1], f"{obj.cls} {key[0]}: origin: {exc}")
            return
        text = format_prefix(*prefix)
        if text != key[0].lower():
            self.problems.add(obj.file, key[1], f"{obj.cls}: {key[0]!r} read as {text} (host bits)")
        self.routes.append(
            prefix=text,
            afi=prefix.afi,
            prefix_hi=prefix.hi,
            prefix_lo=prefix.lo,
            prefix_len=prefix.length,
            origin=asn,
            source=common.source,
            authoritative=common.authoritative,
            mnt_by=common.mnt_by,
            last_modified=common.last_modified,
        )

    def _aut_num(self, obj: RpslObject, common: _Common) -> None:
        key = obj.first("aut-num")
        assert key is not None  # the class attribute is always kept
        try:
            asn = parse_asn(key[0], notation=Notation.AS_PREFIX)
        except ValueError as exc:
            self.problems.add(obj.file, key[1], f"aut-num: {exc}")
            return
        as_name = obj.first("as-name")
        org = obj.first("org")
        self.aut_nums.append(
            asn=asn,
            as_name=as_name[0] if as_name and as_name[0] else None,
            org=org[0] if org and org[0] else None,
            contact_roles=[role for role in CONTACT_ROLES if any(obj.values(role))],
            mnt_by=common.mnt_by,
            source=common.source,
            authoritative=common.authoritative,
            last_modified=common.last_modified,
        )

    def _as_set(self, obj: RpslObject, common: _Common) -> None:
        key = obj.first("as-set")
        assert key is not None
        name = key[0].upper()
        if not name or " " in name:
            self.problems.add(obj.file, key[1], f"as-set: bad set name {key[0]!r}")
            return
        members, asns, sets = [], [], []
        for item in _list(obj, "members"):
            if item.startswith("AS") and item[2:3].isdigit() and ":" not in item:
                try:
                    asns.append(parse_asn(item, notation=Notation.AS_PREFIX))
                except ValueError as exc:
                    self.problems.add(obj.file, obj.line, f"as-set {name}: {exc}")
                    continue
            elif "AS-" in item or ":" in item:
                sets.append(item)
            else:
                self.problems.add(obj.file, obj.line, f"as-set {name}: bad member {item!r}")
                continue
            members.append(item)
        self.as_sets.append(
            name=name,
            members=members,
            member_asns=asns,
            member_sets=sets,
            mbrs_by_ref=_list(obj, "mbrs-by-ref") or None,
            mnt_by=common.mnt_by,
            source=common.source,
            authoritative=common.authoritative,
            last_modified=common.last_modified,
        )


@dataclass
class RpslDump:
    """The three tables read from one or more RPSL dumps, with what was met on the way.

    ``newest`` is the newest last-modified of any object read (None when no object had one);
    ``objects`` counts objects by class, including classes routewatch skips.
    """

    routes: pa.Table
    aut_nums: pa.Table
    as_sets: pa.Table
    files: tuple[str, ...]
    problems: list[LineProblem]
    newest: dt.datetime | None
    objects: Counter[str]


def read_rpsl(
    paths: Sequence[Path],
    *,
    default_source: str | None = None,
    authoritative_sources: frozenset[str] = AUTHORITATIVE_SOURCES,
    max_problems: int = 1000,
) -> RpslDump:
    """Stream RPSL dumps (plain, gzip or bzip2) into route, aut-num and as-set tables.

    ``default_source`` is used for objects without a ``source:`` line (else they are
    reported and skipped). Never raises on bad content; see the module docstring.
    """
    problems = ProblemLog(max_problems)
    builder = _Builder(problems, authoritative_sources, default_source)
    seen: Counter[str] = Counter()
    for path in paths:
        lines = _numbered_lines(path, problems)
        for obj in _rpsl_objects(lines, path.name, problems, seen):
            builder.add(obj)
    newest = (
        dt.datetime.fromtimestamp(builder.newest, dt.UTC) if builder.newest is not None else None
    )
    return RpslDump(
        routes=builder.routes.table(),
        aut_nums=builder.aut_nums.table(),
        as_sets=builder.as_sets.table(),
        files=tuple(str(p) for p in paths),
        problems=problems.final(),
        newest=newest,
        objects=seen,
    )


def _snapshot(
    kind: RefKind,
    fmt: str,
    table: pa.Table,
    dump: RpslDump,
    as_of: dt.date | None,
    min_rows: int,
) -> Snapshot:
    what = {RefKind.IRR_ROUTES: "route/route6", RefKind.IRR_AUT_NUMS: "aut-num"}
    if table.num_rows < min_rows:
        label = what.get(kind, "as-set")
        raise ImplausibleInputError(
            f"{', '.join(dump.files) or 'no files'}: {table.num_rows} {label} objects read, "
            f"fewer than the {min_rows} expected; check that the file is a complete RPSL dump "
            f"of {label} objects ({len(dump.problems)} problems met, first: "
            f"{dump.problems[0] if dump.problems else 'none'})."
        )
    day = as_of if as_of is not None else (dump.newest.date() if dump.newest else None)
    return Snapshot(kind, fmt, table, day, dump.files, dump.problems)


def load_irr_routes(
    paths: Sequence[Path],
    *,
    as_of: dt.date | None = None,
    min_rows: int = 1,
    default_source: str | None = None,
    authoritative_sources: frozenset[str] = AUTHORITATIVE_SOURCES,
) -> Snapshot:
    """route/route6 objects of RPSL dumps as an IRR_ROUTES snapshot (as-of: see module doc)."""
    dump = read_rpsl(
        paths, default_source=default_source, authoritative_sources=authoritative_sources
    )
    return _snapshot(RefKind.IRR_ROUTES, "rpsl-route", dump.routes, dump, as_of, min_rows)


def load_irr_aut_nums(
    paths: Sequence[Path],
    *,
    as_of: dt.date | None = None,
    min_rows: int = 1,
    default_source: str | None = None,
    authoritative_sources: frozenset[str] = AUTHORITATIVE_SOURCES,
) -> Snapshot:
    """aut-num objects of RPSL dumps as an IRR_AUT_NUMS snapshot."""
    dump = read_rpsl(
        paths, default_source=default_source, authoritative_sources=authoritative_sources
    )
    return _snapshot(RefKind.IRR_AUT_NUMS, "rpsl-aut-num", dump.aut_nums, dump, as_of, min_rows)


def load_irr_as_sets(
    paths: Sequence[Path],
    *,
    as_of: dt.date | None = None,
    min_rows: int = 1,
    default_source: str | None = None,
    authoritative_sources: frozenset[str] = AUTHORITATIVE_SOURCES,
) -> Snapshot:
    """as-set objects of RPSL dumps as an IRR_AS_SETS snapshot."""
    dump = read_rpsl(
        paths, default_source=default_source, authoritative_sources=authoritative_sources
    )
    return _snapshot(RefKind.IRR_AS_SETS, "rpsl-as-set", dump.as_sets, dump, as_of, min_rows)


def _sniffer(classes: tuple[str, ...]) -> re.Pattern[bytes]:
    names = "|".join(re.escape(c) for c in classes)
    return re.compile(rb"(?:\A|\n)(?:" + names.encode() + rb"):[ \t]", re.IGNORECASE)


_RPSL_LINE = re.compile(rb"\A[A-Za-z0-9][A-Za-z0-9_-]*:")


def _looks_rpsl(head: bytes) -> bool:
    """The first lines that are not comments are ``attribute:`` or continuation lines."""
    lines = [line for line in head_lines(head) if line[:1] not in (b"#", b"%")][:20]
    return mostly(lines, lambda line: bool(_RPSL_LINE.match(line)) or line[:1] in b" \t+")


def _sniff_routes(head: bytes, name: str) -> bool:
    """RPSL with a route: or route6: object."""
    return _looks_rpsl(head) and _ROUTE_OBJECT.search(head) is not None


def _sniff_aut_nums(head: bytes, name: str) -> bool:
    """RPSL with an aut-num: object."""
    return _looks_rpsl(head) and _AUT_NUM_OBJECT.search(head) is not None


def _sniff_as_sets(head: bytes, name: str) -> bool:
    """RPSL with an as-set: object."""
    return _looks_rpsl(head) and _AS_SET_OBJECT.search(head) is not None


_ROUTE_OBJECT = _sniffer(("route", "route6"))
_AUT_NUM_OBJECT = _sniffer(("aut-num",))
_AS_SET_OBJECT = _sniffer(("as-set",))

RPSL_ROUTES = register(
    Format("rpsl-route", RefKind.IRR_ROUTES, _sniff_routes, lambda p: load_irr_routes(p))
)
RPSL_AUT_NUMS = register(
    Format("rpsl-aut-num", RefKind.IRR_AUT_NUMS, _sniff_aut_nums, lambda p: load_irr_aut_nums(p))
)
RPSL_AS_SETS = register(
    Format("rpsl-as-set", RefKind.IRR_AS_SETS, _sniff_as_sets, lambda p: load_irr_as_sets(p))
)


# ---------------------------------------------------------------------------------------------
# Lookup
# ---------------------------------------------------------------------------------------------


class IrrState(StrEnum):
    """IRR verdict of a (prefix, origin) pair (METHODOLOGY.md §3); values are wire strings."""

    NOT_REGISTERED = "not-registered"
    OTHER_ORIGIN = "other-origin"
    REGISTERED = "registered"


#: ``IrrResult.state`` code i means ``IRR_STATES[i]``.
IRR_STATES: tuple[IrrState, ...] = (
    IrrState.NOT_REGISTERED,
    IrrState.OTHER_ORIGIN,
    IrrState.REGISTERED,
)


@dataclass(frozen=True)
class IrrResult:
    """Verdicts for n pairs and their evidence, as row numbers of the index's route table.

    ``state[i]`` is a code into :data:`IRR_STATES`. The evidence of pair i is
    ``covering_rows[covering_offsets[i]:covering_offsets[i + 1]]`` (every route object whose
    prefix equals or covers the pair's prefix, any origin) and the same for ``matched_*``
    (those of them whose origin is the pair's origin). Rows index ``IrrIndex.routes``.
    """

    state: npt.NDArray[np.uint8]
    matched_offsets: npt.NDArray[np.int64]
    matched_rows: npt.NDArray[np.int64]
    covering_offsets: npt.NDArray[np.int64]
    covering_rows: npt.NDArray[np.int64]

    def states(self) -> list[IrrState]:
        """The verdicts as :class:`IrrState` values."""
        return [IRR_STATES[code] for code in self.state.tolist()]

    def matched(self, i: int) -> npt.NDArray[np.int64]:
        """Rows of the route objects that register pair i (same origin, equal or covering)."""
        return self.matched_rows[self.matched_offsets[i] : self.matched_offsets[i + 1]]

    def covering(self, i: int) -> npt.NDArray[np.int64]:
        """Rows of every route object equal to or covering pair i's prefix."""
        return self.covering_rows[self.covering_offsets[i] : self.covering_offsets[i + 1]]


def _match_kernel(
    g_afi: npt.NDArray[np.uint8],
    g_len: npt.NDArray[np.uint8],
    g_start: npt.NDArray[np.int64],
    g_end: npt.NDArray[np.int64],
    g_mask_hi: npt.NDArray[np.uint64],
    g_mask_lo: npt.NDArray[np.uint64],
    k_hi: npt.NDArray[np.uint64],
    k_lo: npt.NDArray[np.uint64],
    k_origin: npt.NDArray[np.uint32],
    k_row: npt.NDArray[np.int64],
    q_afi: npt.NDArray[np.uint8],
    q_hi: npt.NDArray[np.uint64],
    q_lo: npt.NDArray[np.uint64],
    q_len: npt.NDArray[np.uint8],
    q_origin: npt.NDArray[np.uint32],
    q_valid: npt.NDArray[np.bool_],
    cov_off: npt.NDArray[np.int64],
    match_off: npt.NDArray[np.int64],
    cov_rows: npt.NDArray[np.int64],
    match_rows: npt.NDArray[np.int64],
    state: npt.NDArray[np.uint8],
    fill: bool,
) -> None:
    """For every query and every (afi, length) group no longer than it: binary-search the
    masked query in the group's sorted keys and walk the equal keys. First pass counts,
    second pass (``fill``) writes the rows at the offsets the caller summed up."""
    for i in range(q_afi.shape[0]):
        n_cov = 0
        n_match = 0
        for g in range(g_afi.shape[0]):  # groups are sorted by (afi, length)
            if g_afi[g] < q_afi[i]:
                continue
            if g_afi[g] > q_afi[i] or g_len[g] > q_len[i]:
                break
            want_hi = q_hi[i] & g_mask_hi[g]
            want_lo = q_lo[i] & g_mask_lo[g]
            lo = g_start[g]
            hi = g_end[g]
            while lo < hi:
                mid = (lo + hi) // 2
                if k_hi[mid] < want_hi or (k_hi[mid] == want_hi and k_lo[mid] < want_lo):
                    lo = mid + 1
                else:
                    hi = mid
            while lo < g_end[g] and k_hi[lo] == want_hi and k_lo[lo] == want_lo:
                if fill:
                    cov_rows[cov_off[i] + n_cov] = k_row[lo]
                n_cov += 1
                if q_valid[i] and k_origin[lo] == q_origin[i]:
                    if fill:
                        match_rows[match_off[i] + n_match] = k_row[lo]
                    n_match += 1
                lo += 1
        if not fill:
            cov_off[i + 1] = n_cov
            match_off[i + 1] = n_match
            state[i] = 2 if n_match else (1 if n_cov else 0)


_match: Callable[..., None] = numba.njit(cache=True, nogil=True)(_match_kernel)


def _u(values: object, dtype: type[np.generic]) -> npt.NDArray[np.generic]:
    return np.ascontiguousarray(np.asarray(values), dtype=dtype)


class IrrIndex:
    """route/route6 objects sorted by (family, length, address, origin) for batch lookup.

    Matching (ROUTING-REFERENCE.md "IRR matching"): an object with the pair's prefix or a
    covering prefix and the pair's origin → registered; objects equal or covering but none
    with this origin → other-origin; none → not-registered. IRR has no maxLength, so a more
    specific announcement of a registered prefix is registered. To count only authoritative
    registries, build from ``routes.filter(routes["authoritative"])``.
    """

    def __init__(
        self,
        routes: pa.Table,
        groups: tuple[npt.NDArray[np.generic], ...],
        keys: tuple[npt.NDArray[np.generic], ...],
    ) -> None:
        self.routes = routes
        self._groups = groups
        self._keys = keys

    @classmethod
    def build(cls, routes: pa.Table) -> IrrIndex:
        """Index an IRR_ROUTES table (row numbers in results refer to this table)."""
        afi = routes.column("afi").to_numpy().astype(np.uint8)
        length = routes.column("prefix_len").to_numpy().astype(np.uint8)
        hi = routes.column("prefix_hi").to_numpy().astype(np.uint64)
        lo = routes.column("prefix_lo").to_numpy().astype(np.uint64)
        origin = routes.column("origin").to_numpy().astype(np.uint32)
        order = np.lexsort((origin, lo, hi, length, afi)).astype(np.int64)
        afi, length, hi, lo, origin = afi[order], length[order], hi[order], lo[order], origin[order]
        group_key = afi.astype(np.int64) * 256 + length
        starts = (
            np.flatnonzero(np.r_[True, group_key[1:] != group_key[:-1]])
            if len(order)
            else (np.zeros(0, dtype=np.int64))
        )
        ends = np.r_[starts[1:], len(order)].astype(np.int64)
        g_len = length[starts]
        masks = [mask_words(int(n)) for n in g_len]
        groups = (
            afi[starts],
            g_len,
            starts.astype(np.int64),
            ends,
            np.array([m[0] for m in masks], dtype=np.uint64),
            np.array([m[1] for m in masks], dtype=np.uint64),
        )
        return cls(routes, groups, (hi, lo, origin, order))

    def status(
        self,
        afi: npt.ArrayLike,
        prefix_hi: npt.ArrayLike,
        prefix_lo: npt.ArrayLike,
        prefix_len: npt.ArrayLike,
        origin_asn: npt.ArrayLike,
        origin_valid: npt.ArrayLike,
    ) -> IrrResult:
        """Verdicts and evidence for n (prefix, origin) pairs given as equal-length arrays.

        ``origin_valid`` false (no RFC 6811 origin, e.g. an AS_SET) matches no object, so such
        a pair is other-origin when something covers it, else not-registered.
        """
        q = (
            _u(afi, np.uint8),
            _u(prefix_hi, np.uint64),
            _u(prefix_lo, np.uint64),
            _u(prefix_len, np.uint8),
            _u(origin_asn, np.uint32),
            _u(origin_valid, np.bool_),
        )
        n = q[0].shape[0]
        if any(a.shape != (n,) for a in q):
            raise ValueError("IrrIndex.status: all six arrays must be one-dimensional, same length")
        cov_off = np.zeros(n + 1, dtype=np.int64)
        match_off = np.zeros(n + 1, dtype=np.int64)
        state = np.zeros(n, dtype=np.uint8)
        empty = np.zeros(0, dtype=np.int64)
        _match(*self._groups, *self._keys, *q, cov_off, match_off, empty, empty, state, False)
        np.cumsum(cov_off, out=cov_off)
        np.cumsum(match_off, out=match_off)
        cov_rows = np.empty(int(cov_off[-1]), dtype=np.int64)
        match_rows = np.empty(int(match_off[-1]), dtype=np.int64)
        _match(
            *self._groups, *self._keys, *q, cov_off, match_off, cov_rows, match_rows, state, True
        )
        return IrrResult(state, match_off, match_rows, cov_off, cov_rows)
