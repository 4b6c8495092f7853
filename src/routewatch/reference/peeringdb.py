"""PeeringDB: per-ASN contact presence by role and IXP presence.

Role: the Coordination metric (M8, METHODOLOGY §5) needs to know which networks publish a
NOC, technical or policy contact; the network pages show at how many IXPs a network peers.
Output: :data:`~routewatch.schemas.PEERINGDB_NETWORKS`, one row per ASN.

On-disk formats:

``peeringdb-json``
    A PeeringDB API response ``{"data": [...], "meta": {"generated": <unix time>}}`` for
    ``net``, ``poc``, ``ix``, ``ixlan`` or ``netixlan`` (the object type is recognised from
    the objects' fields; ``net`` objects fetched with ``depth=2`` embed ``poc_set`` and
    ``netixlan_set``, which are read too), or a full dump with every object type as a key:
    ``{"net": {"data": [...]}, "poc": {"data": [...]}, ...}``. Load the files of one
    snapshot together (``poc`` objects name a ``net_id``; the ``net`` objects map it to an ASN).
``caida-ixp-jsonl``
    CAIDA's IXP dataset, JSON lines: ``ixs_YYYYMM.jsonl`` (``ix_id``, ``name``, ...) and
    ``ix-asns_YYYYMM.jsonl`` (``asn``, ``ix_id``, ``ipv4``, ``ipv6``); ``#`` lines are
    comments. It has no contacts.

A contact counts for its role when the poc has an email or a phone number. The JSON
documents are parsed whole (the standard library has no streaming JSON parser; a full dump
is tens of MB), object by object so that one malformed object is reported with its line and
the rest still load; JSON lines are streamed.

Failure modes: malformed objects and pocs whose ``net_id`` has no ``net`` object in the input
are :class:`~routewatch.reference.base.LineProblem` s; fewer than ``min_objects`` objects
raises :class:`~routewatch.errors.ImplausibleInputError`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from routewatch.asns import parse_asn
from routewatch.errors import ImplausibleInputError
from routewatch.reference.base import Format, LineProblem, RefKind, Snapshot, register
from routewatch.reference.jsonscan import array_elements
from routewatch.reference.sniff import (
    head_lines,
    header_line,
    mostly,
    numbered_lines,
    read_all_text,
)
from routewatch.schemas import PEERINGDB_NETWORKS

__all__ = [
    "CAIDA_IXP_FORMAT",
    "COORDINATION_ROLES",
    "PEERINGDB_FORMAT",
    "load_caida_ixps",
    "load_peeringdb",
    "sniff_caida_ixp",
    "sniff_peeringdb",
]

#: Roles that make a network reachable for coordination (METHODOLOGY §5, M8); Abuse alone
#: does not count.
COORDINATION_ROLES: frozenset[str] = frozenset({"NOC", "Technical", "Policy"})

_DATA_ARRAY = re.compile(r'"data"\s*:\s*\[')
_TYPE_KEY = re.compile(r'"(\w+)"\s*:\s*\{\s*$')
_OBJECT_TYPES = ("net", "poc", "ix", "ixlan", "netixlan", "org", "fac", "netfac", "ixfac")
_PDB_FIELDS = re.compile(rb'"(irr_as_set|info_type|ixlan_id|net_id|region_continent|role)"')


@dataclass
class _Networks:
    """What the objects read so far say about networks, contacts and IXPs."""

    names: dict[int, str] = field(default_factory=dict)
    net_ids: dict[int, int] = field(default_factory=dict)  # net_id -> asn
    roles: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))  # asn
    pending_roles: list[tuple[int, str, str, int]] = field(default_factory=list)
    ixes: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # asn
    ix_names: dict[int, str] = field(default_factory=dict)
    ixlan_ix: dict[int, int] = field(default_factory=dict)
    objects: int = 0

    def add(self, kind: str, obj: dict[str, object], where: tuple[str, int]) -> None:
        """Record one PeeringDB object of type ``kind``."""
        self.objects += 1
        if kind == "net":
            self._add_net(obj, where)
        elif kind == "poc":
            self._add_poc(obj, where, None)
        elif kind == "netixlan":
            self._add_member(obj)
        elif kind == "ix":
            self.ix_names[_int(obj["id"])] = str(obj.get("name") or "")
        elif kind == "ixlan":
            self.ixlan_ix[_int(obj["id"])] = _int(obj["ix_id"])

    def _add_net(self, obj: dict[str, object], where: tuple[str, int]) -> None:
        asn = parse_asn(obj["asn"])
        self.net_ids[_int(obj["id"])] = asn
        self.names[asn] = str(obj.get("name") or "")
        for poc in _dicts(obj.get("poc_set")):
            self._add_poc(poc, where, asn)
        for member in _dicts(obj.get("netixlan_set")):
            self._add_member({"asn": asn, **member})

    def _add_poc(self, obj: dict[str, object], where: tuple[str, int], asn: int | None) -> None:
        if not (obj.get("email") or obj.get("phone")) or obj.get("status", "ok") != "ok":
            return
        role = str(obj["role"])
        if asn is not None:
            self.roles[asn].add(role)
        else:
            self.pending_roles.append((_int(obj["net_id"]), role, *where))

    def _add_member(self, obj: dict[str, object]) -> None:
        asn = parse_asn(obj["asn"])
        ix_id = obj.get("ix_id")
        if ix_id is None and obj.get("ixlan_id") is not None:
            ix_id = self.ixlan_ix.get(_int(obj["ixlan_id"]))
        if ix_id is None:
            return
        self.ixes[asn].add(_int(ix_id))
        if obj.get("name") and _int(ix_id) not in self.ix_names:
            self.ix_names[_int(ix_id)] = str(obj["name"])

    def resolve(self, problems: list[LineProblem]) -> None:
        """Attach pocs to ASNs through ``net_id`` once every file is read."""
        for net_id, role, file, line in self.pending_roles:
            asn = self.net_ids.get(net_id)
            if asn is None:
                problems.append(
                    LineProblem(
                        file,
                        line,
                        f"poc for net_id {net_id} without a net object in the input; "
                        "load the net file of the same snapshot with it",
                    )
                )
            else:
                self.roles[asn].add(role)
        self.pending_roles.clear()

    def table(self) -> pa.Table:
        asns = sorted(set(self.names) | set(self.roles) | set(self.ixes))
        asn_net = {asn: net_id for net_id, asn in self.net_ids.items()}
        ix_ids = [sorted(self.ixes.get(a, ())) for a in asns]
        return pa.Table.from_pydict(
            {
                "asn": asns,
                "net_id": [asn_net.get(a) for a in asns],
                "name": [self.names.get(a) for a in asns],
                "contact_roles": [sorted(self.roles.get(a, ())) for a in asns],
                "ix_count": [len(ids) for ids in ix_ids],
                "ix_ids": ix_ids,
                "ix_names": [[self.ix_names.get(i, "") for i in ids] for ids in ix_ids],
            },
            schema=PEERINGDB_NETWORKS,
        )


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected an integer, got {value!r}")
    number = int(value)
    if not 0 <= number <= 0xFFFFFFFF:
        raise ValueError(f"{number} is outside 0..4294967295")
    return number


def _dicts(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _object_type(obj: dict[str, object]) -> str:
    """The PeeringDB object type of an API object, from the fields only that type has."""
    if "role" in obj:
        return "poc"
    if "ixlan_id" in obj and "asn" in obj:
        return "netixlan"
    if "asn" in obj and ("info_type" in obj or "irr_as_set" in obj or "poc_set" in obj):
        return "net"
    if "region_continent" in obj or "proto_unicast" in obj:
        return "ix"
    if "ix_id" in obj and ("mtu" in obj or "dot1q_support" in obj):
        return "ixlan"
    return "other"


# ------------------------------------------------------------------------------------------
# PeeringDB JSON documents
# ------------------------------------------------------------------------------------------


def _iter_arrays(text: str) -> Iterator[tuple[str | None, int]]:
    """Each ``"data": [`` array: the dump key in front of it (if any) and the array start."""
    for match in _DATA_ARRAY.finditer(text):
        before = _TYPE_KEY.search(text, max(0, match.start() - 200), match.start())
        key = before.group(1) if before and before.group(1) in _OBJECT_TYPES else None
        yield key, match.end()


def _iter_objects(
    text: str, start: int, file: str, problems: list[LineProblem]
) -> Iterator[tuple[int, dict[str, object]]]:
    """(line, object) for each element of the JSON array starting at ``start`` (a damaged
    element is skipped and reported, the others are kept: see :mod:`~.jsonscan`)."""
    for line, obj in array_elements(text, start, file, problems):
        if isinstance(obj, dict):
            yield line, obj
        else:
            problems.append(LineProblem(file, line, "array element is not an object"))


def _generated(text: str) -> dt.date | None:
    stamps = [float(m) for m in re.findall(r'"generated"\s*:\s*(\d{1,10}(?:\.\d+)?)\b', text)]
    if not stamps:
        return None
    return dt.datetime.fromtimestamp(max(stamps), tz=dt.UTC).date()


def _read_document(path: Path, nets: _Networks, problems: list[LineProblem]) -> dt.date | None:
    text = read_all_text(path, problems)
    opening = text.find("{")
    for number, stray in enumerate(text[: max(opening, 0)].splitlines(), start=1):
        if stray.strip():
            problems.append(LineProblem(str(path), number, "text before the JSON document"))
    for key, start in _iter_arrays(text):
        for line, obj in _iter_objects(text, start, str(path), problems):
            kind = key or _object_type(obj)
            try:
                nets.add(kind, obj, (str(path), line))
            except KeyError as exc:
                problems.append(LineProblem(str(path), line, f"{kind} object without {exc}"))
            except ValueError as exc:
                problems.append(LineProblem(str(path), line, f"{kind} object: {exc}"))
    return _generated(text)


def load_peeringdb(paths: Sequence[Path], min_objects: int = 1) -> Snapshot:
    """Load PeeringDB API responses and/or full dumps of one snapshot into per-ASN rows."""
    nets = _Networks()
    problems: list[LineProblem] = []
    dates = [d for p in paths if (d := _read_document(p, nets, problems)) is not None]
    _check_size(paths, nets.objects, min_objects, "PeeringDB objects")
    nets.resolve(problems)
    return Snapshot(
        RefKind.PEERINGDB,
        PEERINGDB_FORMAT.name,
        nets.table(),
        max(dates) if dates else None,
        tuple(str(p) for p in paths),
        problems,
    )


def _check_size(paths: Sequence[Path], count: int, minimum: int, what: str) -> None:
    if count < minimum:
        names = ", ".join(str(p) for p in paths)
        raise ImplausibleInputError(
            f"{names}: {count} {what}, fewer than the {minimum} expected; the download is "
            "probably empty or an error page (fetch it again, or lower the minimum)."
        )


def sniff_peeringdb(head: bytes, name: str) -> bool:
    """True for a JSON object with a ``data`` array of PeeringDB objects (the object may
    follow a few stray lines)."""
    opens = header_line(head, lambda line: line.lstrip().startswith(b"{")) is not None
    return opens and b'"data"' in head and _PDB_FIELDS.search(head) is not None


PEERINGDB_FORMAT = register(
    Format("peeringdb-json", RefKind.PEERINGDB, sniff_peeringdb, lambda p: load_peeringdb(p))
)


# ------------------------------------------------------------------------------------------
# CAIDA IXP dataset (JSON lines)
# ------------------------------------------------------------------------------------------


def _caida_line(obj: dict[str, object], nets: _Networks) -> None:
    if "asn" in obj:
        nets.ixes[parse_asn(obj["asn"])].add(_int(obj["ix_id"]))
    else:
        nets.ix_names[_int(obj["ix_id"])] = str(obj["name"])
    nets.objects += 1


def _read_jsonl(path: Path, nets: _Networks, problems: list[LineProblem]) -> None:
    for lineno, raw in numbered_lines(path, problems):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        try:
            obj = json.loads(text)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            _caida_line(obj, nets)
        except (KeyError, ValueError) as exc:
            problems.append(LineProblem(str(path), lineno, f"bad CAIDA IXP line: {exc}"))


def load_caida_ixps(paths: Sequence[Path], min_objects: int = 1) -> Snapshot:
    """Load CAIDA IXP dataset files (``ixs`` and ``ix-asns`` together) into per-ASN rows."""
    nets = _Networks()
    problems: list[LineProblem] = []
    for path in paths:
        _read_jsonl(path, nets, problems)
    _check_size(paths, nets.objects, min_objects, "IXP records")
    stamp = re.search(r"(\d{4})(\d{2})\D*$", paths[-1].name) if paths else None
    as_of = dt.date(int(stamp.group(1)), int(stamp.group(2)), 1) if stamp else None
    return Snapshot(
        RefKind.PEERINGDB,
        CAIDA_IXP_FORMAT.name,
        nets.table(),
        as_of,
        tuple(str(p) for p in paths),
        problems,
    )


def sniff_caida_ixp(head: bytes, name: str) -> bool:
    """True for JSON lines of objects with ``ix_id`` and ``asn`` or ``name``."""
    lines = [line.strip() for line in head_lines(head) if not line.strip().startswith(b"#")]
    return mostly(lines[:20], _caida_ixp_line)


def _caida_ixp_line(line: bytes) -> bool:
    return (
        line.startswith(b"{") and b'"ix_id"' in line and (b'"asn"' in line or b'"name"' in line)
    )


CAIDA_IXP_FORMAT = register(
    Format("caida-ixp-jsonl", RefKind.PEERINGDB, sniff_caida_ixp, lambda p: load_caida_ixps(p))
)
