"""Per-announcement verdicts: ROV, IRR, bogon prefix and bogon ASNs, each with its evidence.

Role: the reference data detection uses, bundled in :class:`References` (passed in
explicitly, so the same call runs per partition on a cluster), and :func:`pair_verdicts`,
which asks the reference indexes for the verdict of every distinct (prefix, origin) pair.
The lookups themselves live in :mod:`routewatch.reference` (``rov.VrpIndex``,
``irr.IrrIndex``, ``bogons.BogonIndex``, ``asrel.Relationships``); nothing here re-implements
them. Missing reference data gives no verdict (``None`` columns), never a guessed one.

Output: :class:`PairVerdicts` — numpy code arrays aligned with the pairs plus the result
objects that hold the evidence rows (matched VRPs, IRR objects, bogon rows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.reference.asrel import Rel, Relationships
from routewatch.reference.bogons import BogonIndex
from routewatch.reference.irr import IrrIndex, IrrResult
from routewatch.reference.rov import RovResult, VrpIndex

__all__ = [
    "PairVerdicts",
    "References",
    "Rel",
    "asn_bogons",
    "aspas_from_table",
    "pair_verdicts",
]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class References:
    """Reference data for one run or one partition; ``None`` means "not available".

    ``aspas`` maps a customer AS to its attested provider set. ``stamps`` are
    (kind, as-of date) pairs written next to every result so a reader sees the gaps;
    ``vrps_as_of`` is the date of the VRP snapshot (confidence weighs its age).
    """

    vrps: VrpIndex | None = None
    irr: IrrIndex | None = None
    bogons: BogonIndex | None = None
    relationships: Relationships | None = None
    aspas: dict[int, frozenset[int]] = field(default_factory=dict)
    stamps: tuple[tuple[str, str], ...] = ()
    vrps_as_of: dt.date | None = None

    _memo: dict[tuple[int, int], tuple[int, str | None]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def relation(self, a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.int8]:
        """Relationship codes of (a, b) pairs; all unknown without relationship data."""
        if self.relationships is None:
            return np.full(np.shape(a), Rel.UNKNOWN, np.int8)
        return np.asarray(self.relationships.relation(a, b), np.int8)

    def relation_of(self, a: int, b: int) -> int:
        """Relationship code of one pair (memoised; detectors ask for few distinct pairs)."""
        return self._pair(a, b)[0]

    def relation_source(self, a: int, b: int) -> str | None:
        """Where the relationship of (a, b) came from (serial-2 source column), if known."""
        return self._pair(a, b)[1]

    def _pair(self, a: int, b: int) -> tuple[int, str | None]:
        found = self._memo.get((a, b))
        if found is None:
            if self.relationships is None:
                found = (Rel.UNKNOWN, None)
            else:
                left, right = np.array([a], np.uint32), np.array([b], np.uint32)
                code = int(self.relationships.relation(left, right)[0])
                found = (code, self.relationships.source(left, right)[0])
            self._memo[(a, b)] = found
        return found


def aspas_from_table(table: pa.Table) -> dict[int, frozenset[int]]:
    """Customer AS -> provider set from a table with the ASPAS schema."""
    customers = table.column("customer_asn").to_pylist()
    providers = table.column("provider_asns").to_pylist()
    pairs = zip(customers, providers, strict=True)
    return {int(c): frozenset(int(p) for p in ps or ()) for c, ps in pairs}


@dataclass(frozen=True)
class PairVerdicts:
    """Verdict codes of n (prefix, origin) pairs; the result objects keep the evidence.

    ``rov_state`` uses ``reference.rov.STATE_CODES`` (0 not-found, 1 valid, 2 invalid) and
    ``rov_reason`` its ``REASON_CODES``; ``irr_state`` ``reference.irr.IRR_STATES``
    (0 not-registered, 1 other-origin, 2 registered); ``bogon`` ``reference.bogons.CODE_CATEGORIES``
    (0 none, 1 full, 2 administrative). A code of -1 means the reference data was not available.
    ``irr_authoritative`` is true where an object of an authoritative (RIR-run) registry
    registers the pair (false without IRR data).
    """

    rov_state: npt.NDArray[np.int8]
    rov_reason: npt.NDArray[np.int8]
    irr_state: npt.NDArray[np.int8]
    bogon: npt.NDArray[np.int8]
    bogon_row: I64
    rov: RovResult | None
    irr: IrrResult | None
    irr_authoritative: npt.NDArray[np.bool_]


def pair_verdicts(
    refs: References,
    afi: npt.NDArray[np.uint8],
    hi: npt.NDArray[np.uint64],
    lo: npt.NDArray[np.uint64],
    length: npt.NDArray[np.uint8],
    origin: npt.NDArray[np.int64],
) -> PairVerdicts:
    """ROV, IRR and bogon-prefix verdicts of pairs; ``origin`` -1 means "no origin" (AS_SET)."""
    n = len(afi)
    valid = origin >= 0
    asn = np.where(valid, origin, 0).astype(np.uint32)
    unknown = np.full(n, -1, np.int8)
    rov = irr = None
    rov_state, rov_reason, irr_state = unknown, unknown, unknown
    irr_authoritative = np.zeros(n, np.bool_)
    if refs.vrps is not None and n:
        rov = refs.vrps.validate(afi, hi, lo, length, asn, valid)
        rov_state = rov.state.astype(np.int8)
        rov_reason = rov.reason.astype(np.int8)
    if refs.irr is not None and n:
        irr = refs.irr.status(afi, hi, lo, length, asn, valid)
        irr_state = irr.state.astype(np.int8)
        irr_authoritative = _authoritative_match(refs.irr, irr)
    bogon, bogon_row = unknown, np.full(n, -1, np.int64)
    if refs.bogons is not None and n:
        codes, rows = refs.bogons.prefix_category(afi, hi, lo, length)
        bogon = np.asarray(codes, np.int8)
        bogon_row = np.asarray(rows, np.int64)
    return PairVerdicts(rov_state, rov_reason, irr_state, bogon, bogon_row, rov, irr,
                        irr_authoritative)  # fmt: skip


def _authoritative_match(index: IrrIndex, result: IrrResult) -> npt.NDArray[np.bool_]:
    """Per pair: one of the route objects that register it is from an authoritative registry."""
    flags = index.routes.column("authoritative").to_numpy(zero_copy_only=False).astype(np.bool_)
    hits = flags[result.matched_rows].astype(np.int64)
    running = np.zeros(len(hits) + 1, np.int64)
    np.cumsum(hits, out=running[1:])
    off = result.matched_offsets
    out: npt.NDArray[np.bool_] = running[off[1:]] > running[off[:-1]]
    return out


def asn_bogons(refs: References, asns: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int8], I64]:
    """Bogon category code and evidence row of each ASN (-1 without bogon data)."""
    if refs.bogons is None or len(asns) == 0:
        return np.full(len(asns), -1, np.int8), np.full(len(asns), -1, np.int64)
    codes, rows = refs.bogons.asn_category(asns.astype(np.uint32))
    return np.asarray(codes, np.int8), np.asarray(rows, np.int64)
