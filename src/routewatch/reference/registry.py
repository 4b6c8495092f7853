"""RIR delegation statistics: which economy, region and RIR each ASN and prefix belongs to.

Role: read the RIR statistics exchange format (``delegated-<rir>-<date>`` and
``delegated-<rir>-extended-<date>`` of AFRINIC, APNIC, ARIN, LACNIC and RIPE NCC) into the
:data:`~routewatch.schemas.DELEGATIONS` table, and answer the lookups the metrics need:
economy (ISO 3166 alpha-2) and RIR of an ASN, UN M49 region of an economy, every ASN an RIR
assigned ("networks measured", METHODOLOGY §6), and the status of ASNs and prefixes —
``available`` / ``reserved`` space is the administrative bogon input
(:func:`administrative_bogons`).

On-disk format (one record a line, ``|``-separated, ``#`` comments)::

    2|ripencc|1404165599|85681|19830705|20140630|+0200      version|registry|serial|records|
                                                             startdate|enddate|UTCoffset
    ripencc|*|ipv4|*|49932|summary                           per-type record counts
    ripencc|FR|ipv4|2.0.0.0|1048576|20100712|allocated       registry|cc|type|start|value|
    afrinic|ZA|asn|1228|1|19910301|allocated|F36B9F4B        date|status[|opaque-id[|ext...]]

``value`` is a count of addresses for IPv4 (not always a power of two: such ranges become
several CIDR rows), a prefix length for IPv6 and a count of ASNs for ``asn`` (kept as one
range row). The snapshot's as-of date is the header's end date (its serial when that is a
date), the latest over the files given.

Failure modes: malformed records are :class:`~routewatch.reference.base.LineProblem` s (file
and line), never fatal; a header whose record count disagrees with the records read is
reported the same way (a truncated download); fewer than ``min_records`` records raises
:class:`~routewatch.errors.ImplausibleInputError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
import socket
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from routewatch.errors import ImplausibleInputError
from routewatch.prefixes import format_prefix, parse_prefix
from routewatch.reference.base import Format, LineProblem, RefKind, Snapshot, register
from routewatch.reference.sniff import numbered_lines
from routewatch.schemas import BOGON_ASNS, BOGON_PREFIXES, DELEGATIONS

__all__ = [
    "ASSIGNED_STATUSES",
    "DELEGATED_FORMAT",
    "REGISTRIES",
    "AsnEconomy",
    "Region",
    "Registry",
    "administrative_bogons",
    "ipv4_range_to_prefixes",
    "load_delegations",
    "m49_regions",
    "sniff_delegated",
]

#: The registry names the statistics files use.
REGISTRIES: frozenset[str] = frozenset({"afrinic", "apnic", "arin", "iana", "lacnic", "ripencc"})
STATUSES: frozenset[str] = frozenset({"allocated", "assigned", "available", "reserved"})
#: Statuses that mean "in use by a holder" (the others are administrative bogons).
ASSIGNED_STATUSES: frozenset[str] = frozenset({"allocated", "assigned"})
TYPES: frozenset[str] = frozenset({"asn", "ipv4", "ipv6"})

_HEADER = re.compile(rb"^\s*\d+(?:\.\d+)?\|(afrinic|apnic|arin|iana|lacnic|ripencc)\|", re.M)
_RECORD = re.compile(
    rb"^(afrinic|apnic|arin|iana|lacnic|ripencc)\|[A-Z]{0,2}\|(asn|ipv4|ipv6)\|", re.M
)
_CC = re.compile(r"^[A-Z]{2}$")


# ------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------


def ipv4_range_to_prefixes(start: int, count: int) -> list[tuple[int, int]]:
    """Split the IPv4 range ``start`` .. ``start + count - 1`` into (network, length) CIDRs."""
    prefixes: list[tuple[int, int]] = []
    end = start + count
    while start < end:
        size = start & -start if start else 1 << 32
        while size > end - start:
            size >>= 1
        prefixes.append((start, 33 - size.bit_length()))
        start += size
    return prefixes


@functools.lru_cache(maxsize=65536)
def _parse_date(text: str) -> dt.date | None:
    """``YYYYMMDD`` -> date; empty or all zeros -> None; anything else ValueError."""
    if not text or text.strip("0") == "":
        return None
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"not a YYYYMMDD date: {text!r}")
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


#: registry, cc, type, status, date, opaque-id, line: what every row of one record shares
_Common = tuple[str, str | None, str, str, dt.date | None, str | None, int]


@dataclass
class _Columns:
    """Column lists of the DELEGATIONS table, filled record by record."""

    registry: list[str] = field(default_factory=list)
    cc: list[str | None] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    date: list[dt.date | None] = field(default_factory=list)
    opaque_id: list[str | None] = field(default_factory=list)
    asn_first: list[int | None] = field(default_factory=list)
    asn_last: list[int | None] = field(default_factory=list)
    prefix: list[str | None] = field(default_factory=list)
    afi: list[int | None] = field(default_factory=list)
    prefix_hi: list[int | None] = field(default_factory=list)
    prefix_lo: list[int | None] = field(default_factory=list)
    prefix_len: list[int | None] = field(default_factory=list)
    line: list[int] = field(default_factory=list)

    def add(
        self,
        common: _Common,
        asns: tuple[int, int] | None,
        prefix: tuple[int, int, int, int] | None,
    ) -> None:
        registry, cc, rtype, status, date, opaque, line = common
        self.registry.append(registry)
        self.cc.append(cc)
        self.type.append(rtype)
        self.status.append(status)
        self.date.append(date)
        self.opaque_id.append(opaque)
        self.line.append(line)
        self.asn_first.append(asns[0] if asns else None)
        self.asn_last.append(asns[1] if asns else None)
        if prefix is None:
            for column in (self.prefix, self.afi, self.prefix_hi, self.prefix_lo, self.prefix_len):
                column.append(None)
            return
        afi, hi, lo, length = prefix
        self.prefix.append(format_prefix(afi, hi, lo, length))
        self.afi.append(afi)
        self.prefix_hi.append(hi)
        self.prefix_lo.append(lo)
        self.prefix_len.append(length)

    def table(self) -> pa.Table:
        return pa.Table.from_pydict(
            {name: getattr(self, name) for name in DELEGATIONS.names}, schema=DELEGATIONS
        )


@dataclass
class _FileState:
    """What one file's header promised and what its records delivered."""

    name: str
    as_of: dt.date | None = None
    promised: int | None = None
    records: int = 0
    header_line: int = 0


def _parse_header(fields: list[str], state: _FileState, lineno: int) -> None:
    state.header_line = lineno
    if len(fields) >= 4 and fields[3].isdigit():
        state.promised = int(fields[3])
    for candidate in (fields[5] if len(fields) > 5 else "", fields[2] if len(fields) > 2 else ""):
        try:
            state.as_of = _parse_date(candidate) if len(candidate) == 8 else None
        except ValueError:
            continue
        if state.as_of is not None:
            return


def _parse_record(fields: list[str], lineno: int, out: _Columns) -> str | None:
    """Append one record's rows; return a problem description instead when malformed."""
    if len(fields) < 7:
        return f"expected at least 7 '|'-separated fields, found {len(fields)}"
    registry, cc, rtype, start, value, date_text, status = fields[:7]
    if registry not in REGISTRIES:
        return f"unknown registry {registry!r}"
    if rtype not in TYPES:
        return f"unknown type {rtype!r} (expected asn, ipv4 or ipv6)"
    if status not in STATUSES:
        return f"unknown status {status!r} (expected {', '.join(sorted(STATUSES))})"
    if cc and cc != "ZZ" and not _CC.match(cc):
        return f"bad country code {cc!r}"
    if rtype == "asn" and not _is_number(start):
        return f"bad ASN {start!r} (expected digits)"
    if not _is_number(value):
        return f"bad value {value!r} (expected digits)"
    try:
        date = _parse_date(date_text)
    except ValueError:
        return f"bad date {date_text!r} (expected YYYYMMDD)"
    count = int(value)
    opaque = fields[7] if len(fields) > 7 and fields[7] else None
    common = (registry, cc if cc and cc != "ZZ" else None, rtype, status, date, opaque, lineno)
    return _add_resource(rtype, start, count, common, out)


def _is_number(text: str) -> bool:
    """Plain ASCII digits only (``int()`` would also take ``+5``, ``1_000`` and ``-5``)."""
    return text.isascii() and text.isdigit()


def _add_resource(
    rtype: str,
    start: str,
    count: int,
    common: _Common,
    out: _Columns,
) -> str | None:
    try:
        if rtype == "asn":
            first = int(start)
            if count < 1 or first + count - 1 > 0xFFFFFFFF:
                return f"ASN range {start}+{count} out of range"
            out.add(common, (first, first + count - 1), None)
        elif rtype == "ipv4":
            base = int.from_bytes(socket.inet_aton(start), "big")
            if count < 1 or base + count > 1 << 32 or start.count(".") != 3:
                return f"IPv4 range {start}+{count} out of range"
            for network, length in ipv4_range_to_prefixes(base, count):
                out.add(common, None, (4, network << 32, 0, length))
        else:
            prefix = parse_prefix(f"{start}/{count}")
            if prefix.afi != 6:
                return f"not an IPv6 address: {start!r}"
            out.add(common, None, (6, prefix.hi, prefix.lo, prefix.length))
    except (OSError, ValueError) as exc:
        return f"bad start {start!r}: {exc}"
    return None


def _read_file(path: Path, out: _Columns, problems: list[LineProblem]) -> _FileState:
    state = _FileState(name=str(path))
    for lineno, raw in numbered_lines(path, problems):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        fields = text.split("|")
        if state.header_line == 0 and fields[0][:1].isdigit():
            _parse_header(fields, state, lineno)
        elif len(fields) >= 6 and fields[5] == "summary":
            continue
        else:
            state.records += 1
            detail = _parse_record(fields, lineno, out)
            if detail is not None:
                problems.append(LineProblem(state.name, lineno, detail))
    return state


def load_delegations(paths: Sequence[Path], min_records: int = 100) -> Snapshot:
    """Load RIR delegation statistics files (any mix of RIRs) into one snapshot.

    ``min_records`` is the fewest records a file must hold (a real RIR file has thousands);
    lower it for excerpts.
    """
    out = _Columns()
    problems: list[LineProblem] = []
    as_of: dt.date | None = None
    for path in paths:
        state = _read_file(path, out, problems)
        if state.records < min_records:
            raise ImplausibleInputError(
                f"{path}: {state.records} delegation records, fewer than the {min_records} "
                "expected of an RIR statistics file; the download is probably truncated or an "
                "error page (fetch it again, or lower min_records for an excerpt)."
            )
        if state.promised is not None and state.promised != state.records:
            problems.append(
                LineProblem(
                    state.name,
                    state.header_line,
                    f"header announces {state.promised} records, file holds {state.records}",
                )
            )
        if state.as_of is not None and (as_of is None or state.as_of > as_of):
            as_of = state.as_of
    return Snapshot(
        kind=RefKind.DELEGATIONS,
        format=DELEGATED_FORMAT.name,
        table=out.table(),
        as_of=as_of,
        files=tuple(str(p) for p in paths),
        problems=problems,
    )


def sniff_delegated(head: bytes, name: str) -> bool:
    """True for RIR statistics exchange content: a version header or registry records."""
    return bool(_HEADER.search(head) or len(_RECORD.findall(head)) >= 2)


DELEGATED_FORMAT = register(
    Format(
        name="rir-delegated",
        kind=RefKind.DELEGATIONS,
        sniff=sniff_delegated,
        load=lambda paths: load_delegations(paths),
    )
)


# ------------------------------------------------------------------------------------------
# M49 regions
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """The UN M49 classification of one economy (empty strings where M49 has no level)."""

    alpha2: str
    m49: str
    name: str
    region: str
    sub_region: str
    intermediate_region: str


def m49_regions() -> dict[str, Region]:
    """The packaged M49 table (``reference/data/m49.csv``) keyed by ISO 3166 alpha-2."""
    text = resources.files("routewatch.reference").joinpath("data/m49.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        row["alpha2"]: Region(
            row["alpha2"],
            row["m49"],
            row["name"],
            row["region"],
            row["sub_region"],
            row["intermediate_region"],
        )
        for row in rows
    }


# ------------------------------------------------------------------------------------------
# Lookups
# ------------------------------------------------------------------------------------------


class AsnEconomy(NamedTuple):
    """Per queried ASN: economy (``""`` when unknown), RIR and delegation status."""

    cc: npt.NDArray[np.str_]
    rir: npt.NDArray[np.str_]
    status: npt.NDArray[np.str_]


@dataclass(frozen=True)
class _Intervals:
    """Sorted, non-overlapping ranges with a label per range, for searchsorted lookups."""

    first: npt.NDArray[np.uint64]
    last: npt.NDArray[np.uint64]
    cc: npt.NDArray[np.str_]
    rir: npt.NDArray[np.str_]
    status: npt.NDArray[np.str_]

    @classmethod
    def build(
        cls, first: npt.NDArray[np.uint64], last: npt.NDArray[np.uint64], table: pa.Table
    ) -> _Intervals:
        order = np.argsort(first, kind="stable")
        labels = [
            np.asarray(table.column(c).fill_null("").to_numpy(zero_copy_only=False), dtype=str)
            for c in ("cc", "registry", "status")
        ]
        return cls(first[order], last[order], *(a[order] for a in labels))

    def find(
        self, first: npt.NDArray[np.uint64], last: npt.NDArray[np.uint64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """Index of the range holding each query range, and whether one does."""
        if not len(self.first):
            return np.zeros(len(first), dtype=np.intp), np.zeros(len(first), dtype=np.bool_)
        idx = np.searchsorted(self.first, first, side="right").astype(np.intp) - 1
        safe = np.clip(idx, 0, None)
        return safe, (idx >= 0) & (last <= self.last[safe])

    def label(
        self,
        values: npt.NDArray[np.str_],
        first: npt.NDArray[np.uint64],
        last: npt.NDArray[np.uint64],
    ) -> npt.NDArray[np.str_]:
        idx, hit = self.find(first, last)
        result: npt.NDArray[np.str_] = np.append(values, "")[np.where(hit, idx, len(values))]
        return result


def _asn_intervals(table: pa.Table) -> _Intervals:
    asns = table.filter(pc.equal(table.column("type"), "asn"))
    first = asns.column("asn_first").to_numpy(zero_copy_only=False).astype(np.uint64)
    last = asns.column("asn_last").to_numpy(zero_copy_only=False).astype(np.uint64)
    return _Intervals.build(first, last, asns)


def _prefix_intervals(table: pa.Table, afi: int) -> _Intervals:
    rows = table.filter(pc.equal(table.column("afi"), afi))
    hi = rows.column("prefix_hi").to_numpy(zero_copy_only=False).astype(np.uint64)
    length = rows.column("prefix_len").to_numpy(zero_copy_only=False).astype(np.int64)
    return _Intervals.build(hi, _last_hi(hi, length), rows)


def _last_hi(hi: npt.NDArray[np.uint64], length: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    """The highest ``prefix_hi`` word inside each prefix (lengths past 64 keep ``hi``)."""
    host_bits = np.clip(64 - length, 0, 64).astype(np.uint64)
    span = np.where(
        host_bits == 64,
        np.uint64(0xFFFFFFFFFFFFFFFF),
        (np.uint64(1) << (host_bits % np.uint64(64))) - np.uint64(1),
    )
    result: npt.NDArray[np.uint64] = hi | span.astype(np.uint64)
    return result


@dataclass(frozen=True)
class Registry:
    """Vectorised lookups over one set of delegations (build with :meth:`build`).

    Lookups are binary searches over the records sorted by start, which assumes records do
    not overlap: build from one file per RIR (the same RIR at two dates would overlap).
    IPv6 prefixes are compared on their first 64 bits, which holds for RIR delegations
    (none is longer than /64).
    """

    asns: _Intervals
    ipv4: _Intervals
    ipv6: _Intervals
    rirs: dict[str, str]
    regions: dict[str, Region]
    assigned: npt.NDArray[np.uint32]

    @classmethod
    def build(cls, delegations: pa.Table | Snapshot) -> Registry:
        """Index a DELEGATIONS table (or the snapshot holding one)."""
        table = delegations.table if isinstance(delegations, Snapshot) else delegations
        return cls(
            asns=_asn_intervals(table),
            ipv4=_prefix_intervals(table, 4),
            ipv6=_prefix_intervals(table, 6),
            rirs=_majority_rir(table),
            regions=m49_regions(),
            assigned=_assigned_asns(table),
        )

    def economy_of(self, asns: Iterable[int] | npt.NDArray[np.integer]) -> AsnEconomy:
        """Economy, RIR and status of each ASN (``""`` where no delegation holds it)."""
        query = np.asarray(asns, dtype=np.uint64)
        idx, hit = self.asns.find(query, query)
        slot = np.where(hit, idx, len(self.asns.first))  # the last slot holds ""
        return AsnEconomy(
            np.append(self.asns.cc, "")[slot],
            np.append(self.asns.rir, "")[slot],
            np.append(self.asns.status, "")[slot],
        )

    def status_of_asns(self, asns: Iterable[int] | npt.NDArray[np.integer]) -> npt.NDArray[np.str_]:
        """Delegation status of each ASN: allocated/assigned/available/reserved or ``""``."""
        return self.economy_of(asns).status

    def status_of_prefixes(
        self,
        afi: npt.NDArray[np.uint8],
        hi: npt.NDArray[np.uint64],
        length: npt.NDArray[np.uint8],
    ) -> npt.NDArray[np.str_]:
        """Status of the delegation that covers each prefix whole (``""`` when none does)."""
        afi = np.asarray(afi)
        hi = np.asarray(hi, dtype=np.uint64)
        last = _last_hi(hi, np.asarray(length, dtype=np.int64))
        result = np.full(len(hi), "", dtype="<U9")
        for family, index in ((4, self.ipv4), (6, self.ipv6)):
            mask = afi == family
            result[mask] = index.label(index.status, hi[mask], last[mask])
        return result

    def region_of(self, cc: str) -> Region | None:
        """UN M49 region of an economy; ``None`` for RIR pseudo-codes (EU, AP, ZZ) and unknowns."""
        return self.regions.get(cc.upper())

    def regions_of(
        self, ccs: Sequence[str] | npt.NDArray[np.str_]
    ) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.str_]]:
        """Vectorised :meth:`region_of`: (region, sub-region) per economy, ``""`` if none."""
        codes, inverse = np.unique(np.asarray(ccs, dtype=str), return_inverse=True)
        found = [self.regions.get(str(c).upper()) for c in codes]
        region = np.array([r.region if r else "" for r in found] or [""], dtype=str)
        sub_region = np.array([r.sub_region if r else "" for r in found] or [""], dtype=str)
        return region[inverse], sub_region[inverse]

    def rir_of(self, cc: str) -> str | None:
        """The RIR holding most of the economy's delegation records (``None`` if it has none)."""
        return self.rirs.get(cc.upper())

    def assigned_asns(self) -> npt.NDArray[np.uint32]:
        """Every ASN an RIR allocated or assigned, sorted and unique."""
        return self.assigned


def _majority_rir(table: pa.Table) -> dict[str, str]:
    counts: Counter[tuple[str, str]] = Counter(
        zip(table.column("cc").to_pylist(), table.column("registry").to_pylist(), strict=True)
    )
    best: dict[str, tuple[int, str]] = {}
    for (cc, rir), n in counts.items():
        if cc and (cc not in best or n > best[cc][0]):
            best[cc] = (n, rir)
    return {cc: rir for cc, (_, rir) in best.items()}


def _assigned_asns(table: pa.Table) -> npt.NDArray[np.uint32]:
    held = pc.is_in(table.column("status"), pa.array(sorted(ASSIGNED_STATUSES)))
    rows = table.filter(pc.and_(pc.equal(table.column("type"), "asn"), held))
    first = rows.column("asn_first").to_numpy(zero_copy_only=False).astype(np.int64)
    last = rows.column("asn_last").to_numpy(zero_copy_only=False).astype(np.int64)
    if not len(first):
        return np.zeros(0, dtype=np.uint32)
    sizes = last - first + 1
    offsets = np.repeat(first - np.cumsum(sizes) + sizes, sizes)
    expanded = offsets + np.arange(int(sizes.sum()), dtype=np.int64)
    return np.unique(expanded).astype(np.uint32)


# ------------------------------------------------------------------------------------------
# Administrative bogons
# ------------------------------------------------------------------------------------------


def administrative_bogons(delegations: pa.Table | Snapshot) -> tuple[pa.Table, pa.Table]:
    """Available and reserved RIR space as (BOGON_PREFIXES, BOGON_ASNS) tables.

    ``category`` is ``administrative``; ``reason`` names the RIR and status (``lacnic
    reserved``); ``source`` is ``rir-delegated:<registry>``.
    """
    table = delegations.table if isinstance(delegations, Snapshot) else delegations
    free = pc.is_in(table.column("status"), pa.array(["available", "reserved"]))
    rows = table.filter(free)
    reason = pc.binary_join_element_wise(rows.column("registry"), rows.column("status"), " ")
    source = pc.binary_join_element_wise("rir-delegated", rows.column("registry"), ":")
    rows = rows.append_column("reason", reason).append_column("source", source)
    is_asn = pc.equal(rows.column("type"), "asn")
    prefixes = rows.filter(pc.invert(is_asn))
    asns = rows.filter(is_asn)
    prefix_table = pa.table(
        {
            **{name: prefixes.column(name) for name in BOGON_PREFIXES.names[:5]},
            "category": pa.array(["administrative"] * prefixes.num_rows, pa.string()),
            "reason": prefixes.column("reason"),
            "source": prefixes.column("source"),
        }
    ).cast(BOGON_PREFIXES)
    asn_table = pa.table(
        {
            "asn_first": asns.column("asn_first"),
            "asn_last": asns.column("asn_last"),
            "category": pa.array(["administrative"] * asns.num_rows, pa.string()),
            "reason": asns.column("reason"),
            "source": asns.column("source"),
        }
    ).cast(BOGON_ASNS)
    return prefix_table, asn_table
