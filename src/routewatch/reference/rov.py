"""Route origin validation (RFC 6811) over whole columns of routes, with the VRPs as evidence.

Role: detection hands this module numpy columns of routes (the ``afi``, ``prefix_hi``,
``prefix_lo``, ``prefix_len`` and ``origin_asn`` columns of ELEMS) and gets back one ROV state
and reason per route; for any route it can then ask which VRPs covered it and which matched.

Definitions (ROUTING-REFERENCE.md, RFC 6811, RFC 6483 §4, RFC 7607):

- a VRP *covers* a route when the VRP prefix contains the route prefix;
- it *matches* when it covers, route length <= maxLength, and VRP ASN = origin (never for
  AS0 VRPs, and never for a route without an origin: AS_SET or empty path);
- state ``not-found`` (nothing covers), ``valid`` (something matches), ``invalid`` (covered,
  nothing matches);
- reason of an invalid route: ``length`` (a covering VRP names the origin but the route is
  longer than its maxLength), ``as`` (no covering VRP names the origin, some covering VRP
  allows the length), ``as-length`` (no covering VRP names the origin and none allows the
  length). A route without an origin gets ``as`` or ``as-length`` by the same rule.

Data structure (:class:`PrefixChains`, shared with the bogon lookups): two prefixes either
nest or are disjoint, so the address space of each family splits into elementary intervals
in each of which one fixed chain of prefixes (outermost first) contains every address. The
chains are built once by a sweep over the prefixes sorted by address. A route's covering
prefixes are then the members of the chain of its first address whose length is at most
the route's: one binary search (narrowed by a table of the top 16 address bits) and a scan
of a chain that is rarely longer than a handful. The kernels are compiled with numba on
first use (cached on disk) and run over the routes in parallel.

Failure modes: arrays of different lengths raise :class:`ValueError`; an ``afi`` other than
4 or 6 is treated as a route nothing covers (``not-found``). Nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numba
import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = [
    "EVIDENCE_ROLES",
    "REASON_CODES",
    "STATE_CODES",
    "EvidenceRole",
    "PrefixChains",
    "RovReason",
    "RovResult",
    "RovState",
    "VrpIndex",
]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_NOT_FOUND, _VALID, _INVALID = 0, 1, 2
_NONE, _AS, _LENGTH, _AS_LENGTH = 0, 1, 2, 3
_MAX_LEN = 128
#: Address bits of the table that narrows each interval search (2 x 4 MiB of int32).
_TOP_BITS = 20


class RovState(StrEnum):
    """RFC 6811 validation state; values are the wire strings."""

    NOT_FOUND = "not-found"
    VALID = "valid"
    INVALID = "invalid"


class RovReason(StrEnum):
    """Why a route is invalid (``none`` for valid and not-found routes)."""

    NONE = "none"
    AS = "as"
    LENGTH = "length"
    AS_LENGTH = "as-length"


#: ``RovResult.state`` code -> state (code 0 not-found, 1 valid, 2 invalid).
STATE_CODES: tuple[RovState, ...] = (RovState.NOT_FOUND, RovState.VALID, RovState.INVALID)
#: ``RovResult.reason`` code -> reason (0 none, 1 as, 2 length, 3 as-length).
REASON_CODES: tuple[RovReason, ...] = (
    RovReason.NONE,
    RovReason.AS,
    RovReason.LENGTH,
    RovReason.AS_LENGTH,
)


def _mask_tables() -> tuple[U64, U64]:
    """Network masks of every length 0..128 as (hi, lo) words."""
    full = (1 << 64) - 1
    hi = np.zeros(_MAX_LEN + 1, dtype=np.uint64)
    lo = np.zeros(_MAX_LEN + 1, dtype=np.uint64)
    for length in range(1, _MAX_LEN + 1):
        if length <= 64:
            hi[length] = (full << (64 - length)) & full
        else:
            hi[length] = full
            lo[length] = (full << (128 - length)) & full
    return hi, lo


_MASK_HI, _MASK_LO = _mask_tables()


_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def family_codes(afi: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """Family index per row: 0 for afi 4, 1 for afi 6, -1 for anything else."""
    a = np.asarray(afi)
    return np.where(a == 4, 0, np.where(a == 6, 1, -1)).astype(np.int8)


def afi_of(fam: npt.NDArray[np.int8]) -> npt.NDArray[np.uint8]:
    """Inverse of :func:`family_codes` (unknown families become 0)."""
    return np.where(fam == 0, 4, np.where(fam == 1, 6, 0)).astype(np.uint8)


def column_numpy(table: pa.Table, name: str) -> npt.NDArray[np.generic]:
    """A column as numpy (nulls become 0 — the schemas declare these columns non-null)."""
    column = table.column(name)
    if column.null_count:
        column = column.fill_null(0)
    return np.asarray(column.to_numpy())


@dataclass(frozen=True)
class PrefixChains:
    """Prefixes of both families as elementary intervals with their chains (module doc).

    Positions ("pos") index the prefixes in sorted order (family, hi, lo, length,
    tiebreak); ``order[pos]`` is the input row. Breakpoint ``k`` starts an interval whose
    chain is ``chain[chain_start[k]:chain_start[k + 1]]`` (``chain_len`` holds the member
    lengths alongside, so scans read memory in order); ``top[f, x]`` is the first
    breakpoint of family ``f`` whose top ``_TOP_BITS`` bits are >= x; ``fam_first[f]`` the
    first breakpoint of family ``f``.
    """

    order: I64
    length: npt.NDArray[np.int16]
    bp_hi: U64
    bp_lo: U64
    chain_start: I64
    chain: I64
    chain_len: npt.NDArray[np.int16]
    top: npt.NDArray[np.int32]
    fam_first: I64

    @classmethod
    def build(
        cls,
        afi: npt.ArrayLike,
        hi: npt.ArrayLike,
        lo: npt.ArrayLike,
        length: npt.ArrayLike,
        tiebreak: npt.ArrayLike | None = None,
    ) -> PrefixChains:
        """Sort the prefixes and sweep them into chains; equal prefixes keep ``tiebreak``
        order (lowest first) inside a chain."""
        fam = family_codes(afi)
        h = np.asarray(hi, dtype=np.uint64)
        lw = np.asarray(lo, dtype=np.uint64)
        ln = np.asarray(length, dtype=np.int16)
        tb = np.zeros(len(fam), dtype=np.int64) if tiebreak is None else np.asarray(tiebreak)
        keep = np.flatnonzero(fam >= 0)
        order = keep[np.lexsort((tb[keep], ln[keep], lw[keep], h[keep], fam[keep]))]
        fam_s, len_s = fam[order], ln[order]
        bp_hi, bp_lo, chain_start, chain, first = _sweep_families(fam_s, h[order], lw[order], len_s)
        return cls(
            order.astype(np.int64), len_s, bp_hi, bp_lo, chain_start, chain, len_s[chain],
            _top_table(bp_hi, first), first,
        )  # fmt: skip

    def kernel_args(self) -> tuple[object, ...]:
        """The arrays the lookup kernels take, in their order."""
        return (
            self.bp_hi, self.bp_lo, self.chain_start, self.chain, self.top, self.fam_first,
            self.chain_len,
        )  # fmt: skip

    def longest_match(
        self, afi: npt.ArrayLike, hi: npt.ArrayLike, lo: npt.ArrayLike, length: npt.ArrayLike
    ) -> I64:
        """Input row of the most specific stored prefix containing each query, or -1; among
        equal prefixes the lowest ``tiebreak`` wins."""
        q = _queries(afi, hi, lo, length)
        order = address_order(q[0], q[1])
        if order is not None:
            q = tuple(column[order] for column in q)  # type: ignore[assignment]
        pos = np.full(len(q[0]), -1, dtype=np.int64)
        _longest_match_kernel(*q, *self.kernel_args(), pos)  # type: ignore[call-arg]
        if order is not None:
            pos[order] = pos.copy()
        if len(self.order) == 0:  # nothing stored: nothing matches
            return np.full(len(pos), -1, dtype=np.int64)
        rows: I64 = np.where(pos >= 0, self.order[np.maximum(pos, 0)], -1)
        return rows

    def covering(self, afi: int, hi: int, lo: int, length: int) -> I64:
        """Positions of every stored prefix containing one query prefix, outermost first."""
        fam = 0 if afi == 4 else 1 if afi == 6 else -1
        if fam < 0:
            return np.empty(0, dtype=np.int64)
        k = _find_interval(fam, np.uint64(hi), np.uint64(lo), *self.kernel_args()[:6])
        if k < 0:
            return np.empty(0, dtype=np.int64)
        members = self.chain[self.chain_start[k] : self.chain_start[k + 1]]
        inside: I64 = members[self.length[members] <= length]
        return inside


def _sweep_families(
    fam: npt.NDArray[np.int8], hi: U64, lo: U64, length: npt.NDArray[np.int16]
) -> tuple[U64, U64, I64, I64, I64]:
    """Breakpoints, chain offsets and chains of both families (sorted input), concatenated;
    ``first[f]`` is the first breakpoint of family ``f``."""
    parts, first = [], np.zeros(3, dtype=np.int64)
    for f in (0, 1):
        rows = np.flatnonzero(fam == f)
        offset = rows[0] if len(rows) else 0
        bp_hi, bp_lo, starts, chain = _sweep(hi[rows], lo[rows], length[rows], _MASK_HI, _MASK_LO)
        parts.append((bp_hi, bp_lo, starts, chain + offset))
        first[f + 1] = first[f] + len(bp_hi)
    chain_start = np.concatenate([parts[0][2][:-1], parts[1][2] + len(parts[0][3])])
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        chain_start.astype(np.int64),
        np.concatenate([p[3] for p in parts]),
        first,
    )


def _top_table(bp_hi: U64, first: I64) -> npt.NDArray[np.int32]:
    """For each family and each value x of the top ``_TOP_BITS`` address bits, the first
    breakpoint of the family whose top bits are >= x."""
    slots = (1 << _TOP_BITS) + 1
    top = np.empty((2, slots), dtype=np.int32)
    for f in (0, 1):
        tops = (bp_hi[first[f] : first[f + 1]] >> np.uint64(64 - _TOP_BITS)).astype(np.int64)
        top[f] = first[f] + np.searchsorted(tops, np.arange(slots), side="left")
    return top


def _queries(
    afi: npt.ArrayLike, hi: npt.ArrayLike, lo: npt.ArrayLike, length: npt.ArrayLike
) -> tuple[npt.NDArray[np.int8], U64, U64, npt.NDArray[np.int16]]:
    """Query columns as contiguous arrays of the kernel dtypes, checked for equal length."""
    fam = family_codes(afi)
    h = np.ascontiguousarray(hi, dtype=np.uint64)
    lw = np.ascontiguousarray(lo, dtype=np.uint64)
    ln = np.minimum(np.asarray(length, dtype=np.int16), _MAX_LEN).astype(np.int16)
    if not len(fam) == len(h) == len(lw) == len(ln):
        raise ValueError(
            f"afi, prefix_hi, prefix_lo and prefix_len differ in length "
            f"({len(fam)}, {len(h)}, {len(lw)}, {len(ln)}); pass columns of one table"
        )
    return fam, h, lw, ln


def address_order(fam: npt.NDArray[np.int8], hi: U64) -> I64 | None:
    """A permutation putting queries in (family, top 16 address bits) order, or None when
    they already are (RIB dumps are): lookups in that order read the index sequentially."""
    keys = np.where(fam >= 0, fam.astype(np.int64) << 16, 2 << 16) + (hi >> np.uint64(48))
    if len(keys) < 2 or bool(np.all(keys[1:] >= keys[:-1])):
        return None
    order: I64 = _counting_order(keys.astype(np.int64), (2 << 16) + (1 << 16))
    return order


@numba.njit(cache=True)
def _counting_order(keys, n_keys):  # type: ignore[no-untyped-def]
    """Stable permutation sorting small non-negative integer keys (counting sort)."""
    counts = np.zeros(n_keys + 1, dtype=np.int64)
    for key in keys:
        counts[key + 1] += 1
    for k in range(n_keys):
        counts[k + 1] += counts[k]
    out = np.empty(len(keys), dtype=np.int64)
    for i in range(len(keys)):
        out[counts[keys[i]]] = i
        counts[keys[i]] += 1
    return out


@numba.njit(cache=True)
def _emit(bp_hi, bp_lo, cs, chain, nb, nc, a_hi, a_lo, stack, depth):  # type: ignore[no-untyped-def]
    """Start an interval at (a_hi, a_lo) whose chain is the stack; equal starts coalesce."""
    if nb > 0 and bp_hi[nb - 1] == a_hi and bp_lo[nb - 1] == a_lo:
        nb -= 1
        nc = cs[nb]
    if nc + depth > len(chain):
        bigger = np.empty(2 * len(chain) + depth, dtype=np.int64)
        bigger[:nc] = chain[:nc]
        chain = bigger
    bp_hi[nb] = a_hi
    bp_lo[nb] = a_lo
    cs[nb] = nc
    chain[nc : nc + depth] = stack[:depth]
    return nb + 1, nc + depth, chain


@numba.njit(cache=True)
def _sweep(hi, lo, length, mask_hi, mask_lo):  # type: ignore[no-untyped-def]
    """Elementary intervals and chains of one family's prefixes sorted by (hi, lo, len)."""
    n = len(hi)
    bp_hi = np.empty(2 * n + 1, dtype=np.uint64)
    bp_lo = np.empty(2 * n + 1, dtype=np.uint64)
    cs = np.zeros(2 * n + 2, dtype=np.int64)
    chain = np.empty(4 * n + 16, dtype=np.int64)
    stack = np.empty(n + 1, dtype=np.int64)
    depth = nb = nc = 0
    full = np.uint64(0xFFFFFFFFFFFFFFFF)
    for v in range(n + 1):
        while depth > 0:
            t = stack[depth - 1]
            last_hi = hi[t] | (full ^ mask_hi[length[t]])
            last_lo = lo[t] | (full ^ mask_lo[length[t]])
            if v < n and (last_hi > hi[v] or (last_hi == hi[v] and last_lo >= lo[v])):
                break
            depth -= 1
            if last_lo != full:
                nb, nc, chain = _emit(
                    bp_hi, bp_lo, cs, chain, nb, nc, last_hi, last_lo + np.uint64(1), stack, depth
                )
            elif last_hi != full:
                nb, nc, chain = _emit(
                    bp_hi, bp_lo, cs, chain, nb, nc, last_hi + np.uint64(1), np.uint64(0), stack,
                    depth,
                )  # fmt: skip
        if v < n:
            stack[depth] = v
            depth += 1
            nb, nc, chain = _emit(bp_hi, bp_lo, cs, chain, nb, nc, hi[v], lo[v], stack, depth)
    cs[nb] = nc
    return bp_hi[:nb].copy(), bp_lo[:nb].copy(), cs[: nb + 1].copy(), chain[:nc].copy()


@numba.njit(cache=True)
def _find_interval(f, q_hi, q_lo, bp_hi, bp_lo, cs, chain, top, fam_first):  # type: ignore[no-untyped-def]
    """The breakpoint whose interval holds address (q_hi, q_lo) of family f, or -1."""
    slot = np.int64(q_hi >> np.uint64(64 - _TOP_BITS))
    start = np.int64(top[f, slot])
    end = np.int64(top[f, slot + 1])
    while start < end:
        mid = (start + end) >> 1
        if bp_hi[mid] < q_hi or (bp_hi[mid] == q_hi and bp_lo[mid] <= q_lo):
            start = mid + 1
        else:
            end = mid
    k = start - 1
    if k < fam_first[f]:
        return -1
    return k


@numba.njit(cache=True, parallel=True)
def _longest_match_kernel(  # type: ignore[no-untyped-def]
    fam, q_hi, q_lo, q_len, bp_hi, bp_lo, cs, chain, top, fam_first, c_len, out
):
    for i in numba.prange(len(fam)):
        f = fam[i]
        if f < 0:
            continue
        k = _find_interval(f, q_hi[i], q_lo[i], bp_hi, bp_lo, cs, chain, top, fam_first)
        if k < 0:
            continue
        best = -1
        for m in range(cs[k], cs[k + 1]):
            if c_len[m] <= q_len[i] and (best < 0 or c_len[m] > c_len[best]):
                best = m
        out[i] = chain[best] if best >= 0 else -1


@numba.njit(cache=True, parallel=True)
def _rov_kernel(  # type: ignore[no-untyped-def]
    fam, q_hi, q_lo, q_len, q_asn, q_has_origin,
    bp_hi, bp_lo, cs, chain, top, fam_first, c_len, c_max, c_asn,
    out_state, out_reason,
):  # fmt: skip
    for i in numba.prange(len(fam)):
        f = fam[i]
        covered = as_match = length_ok = matched = False
        k = -1
        if f >= 0:
            k = _find_interval(f, q_hi[i], q_lo[i], bp_hi, bp_lo, cs, chain, top, fam_first)
        if k >= 0:
            route_len = q_len[i]
            for m in range(cs[k], cs[k + 1]):
                if c_len[m] > route_len:
                    break
                covered = True
                same_as = q_has_origin[i] and c_asn[m] != 0 and c_asn[m] == q_asn[i]
                fits = route_len <= c_max[m]
                if same_as and fits:
                    matched = True
                    break
                as_match = as_match or same_as
                length_ok = length_ok or fits
        if matched:
            out_state[i] = 1
            out_reason[i] = 0
        elif not covered:
            out_state[i] = 0
            out_reason[i] = 0
        else:
            out_state[i] = 2
            out_reason[i] = 2 if as_match else (1 if length_ok else 3)


@dataclass(frozen=True)
class VrpIndex:
    """The VRPs of one snapshot, indexed for :meth:`validate`; ``vrps`` is the source table."""

    vrps: pa.Table
    chains: PrefixChains
    max_length: npt.NDArray[np.int16]
    asn: npt.NDArray[np.uint32]
    chain_max_length: npt.NDArray[np.int16]
    chain_asn: npt.NDArray[np.uint32]

    @classmethod
    def build(cls, vrps: pa.Table) -> VrpIndex:
        """Index a table with the VRPS schema (built once per snapshot)."""

        def col(name: str) -> npt.NDArray[np.generic]:
            return column_numpy(vrps, name)

        chains = PrefixChains.build(
            col("afi"), col("prefix_hi"), col("prefix_lo"), col("prefix_len")
        )
        order = chains.order
        max_length = np.ascontiguousarray(col("max_length").astype(np.int16)[order])
        asn = np.ascontiguousarray(col("asn").astype(np.uint32)[order])
        return cls(vrps, chains, max_length, asn, max_length[chains.chain], asn[chains.chain])

    def __len__(self) -> int:
        return int(self.vrps.num_rows)

    def validate(
        self,
        afi: npt.ArrayLike,
        prefix_hi: npt.ArrayLike,
        prefix_lo: npt.ArrayLike,
        prefix_len: npt.ArrayLike,
        origin_asn: npt.ArrayLike,
        origin_valid: npt.ArrayLike | None = None,
    ) -> RovResult:
        """RFC 6811 state and reason of every route.

        ``origin_valid`` is false where the route has no origin (AS_SET or empty path); the
        ``origin_asn`` of those rows is ignored. ``None`` means every origin is valid.
        """
        fam, hi, lo, length = _queries(afi, prefix_hi, prefix_lo, prefix_len)
        asn = np.ascontiguousarray(origin_asn, dtype=np.uint32)
        has_origin = (
            np.ones(len(fam), dtype=np.bool_)
            if origin_valid is None
            else np.ascontiguousarray(origin_valid, dtype=np.bool_)
        )
        if not len(asn) == len(has_origin) == len(fam):
            raise ValueError("origin_asn / origin_valid differ in length from the prefixes")
        order = address_order(fam, hi)
        q = (fam, hi, lo, length, asn, has_origin)
        if order is not None:
            q = tuple(column[order] for column in q)  # type: ignore[assignment]
        state = np.empty(len(fam), dtype=np.uint8)
        reason = np.empty(len(fam), dtype=np.uint8)
        _rov_kernel(  # type: ignore[call-arg]
            *q, *self.chains.kernel_args(), self.chain_max_length, self.chain_asn, state, reason
        )
        if order is not None:
            state[order], reason[order] = state.copy(), reason.copy()
        return RovResult(state, reason, self, (afi_of(fam), hi, lo, length, asn, has_origin))

    def validate_elems(self, elems: pa.Table) -> RovResult:
        """Validate the prefix and ``origin_asn`` columns of an ELEMS-shaped table.

        A null ``origin_asn`` (AS_SET or empty path) counts as "no origin".
        """
        origin = elems.column("origin_asn")
        valid = np.asarray(origin.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
        return self.validate(
            column_numpy(elems, "afi"),
            column_numpy(elems, "prefix_hi"),
            column_numpy(elems, "prefix_lo"),
            column_numpy(elems, "prefix_len"),
            np.asarray(origin.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.uint32),
            valid,
        )


@dataclass(frozen=True)
class RovResult:
    """Per-route codes (see :data:`STATE_CODES`, :data:`REASON_CODES`) and their evidence.

    ``state`` and ``reason`` are uint8 arrays aligned with the input. The evidence methods
    return row indices into ``index.vrps`` (take them with ``index.vrps.take(rows)``).
    """

    state: npt.NDArray[np.uint8]
    reason: npt.NDArray[np.uint8]
    index: VrpIndex
    queries: tuple[
        npt.NDArray[np.uint8], U64, U64, npt.NDArray[np.int16], npt.NDArray[np.uint32],
        npt.NDArray[np.bool_],
    ]  # fmt: skip

    def __len__(self) -> int:
        return len(self.state)

    def state_of(self, i: int) -> RovState:
        """The state of route ``i`` as its enum."""
        return STATE_CODES[int(self.state[i])]

    def reason_of(self, i: int) -> RovReason:
        """The reason of route ``i`` as its enum."""
        return REASON_CODES[int(self.reason[i])]

    def states(self) -> pa.Array:
        """The states as an Arrow dictionary array of wire strings (for tables)."""
        return _dictionary(self.state, STATE_CODES)

    def reasons(self) -> pa.Array:
        """The reasons as an Arrow dictionary array of wire strings."""
        return _dictionary(self.reason, REASON_CODES)

    def covering_vrps(self, i: int) -> I64:
        """Rows of every VRP whose prefix contains route ``i``'s prefix."""
        afi, hi, lo, length = (q[i] for q in self.queries[:4])
        positions = self.index.chains.covering(int(afi), int(hi), int(lo), int(length))
        rows: I64 = self.index.chains.order[positions]
        return rows

    def matched_vrps(self, i: int) -> I64:
        """Rows of the covering VRPs that match route ``i`` (non-empty iff valid)."""
        return self._select(i, _MATCHED)

    def unmatched_as_vrps(self, i: int) -> I64:
        """Covering VRPs that name another AS (AS0 VRPs included), as Routinator lists them."""
        return self._select(i, _UNMATCHED_AS)

    def unmatched_length_vrps(self, i: int) -> I64:
        """Covering VRPs that name route ``i``'s origin but whose maxLength is too short."""
        return self._select(i, _UNMATCHED_LENGTH)

    def evidence(self, routes: npt.ArrayLike | None = None) -> pa.Table:
        """Every covering VRP of the given routes (default: all) in one vectorised pass:
        columns ``route`` (input position), ``vrp_row`` (row of ``index.vrps``) and ``role``
        (``matched``, ``unmatched-as``, ``unmatched-length``), ordered by route."""
        which = (
            np.arange(len(self.state), dtype=np.int64)
            if routes is None
            else np.ascontiguousarray(routes, dtype=np.int64)
        )
        afi, hi, lo, length, asn, has_origin = self.queries
        index = self.index
        route, position, role = _evidence_kernel(  # type: ignore[call-arg]
            which, family_codes(afi), hi, lo, length, asn, has_origin,
            *index.chains.kernel_args(), index.chain_max_length, index.chain_asn,
        )  # fmt: skip
        return pa.table(
            {
                "route": pa.array(route),
                "vrp_row": pa.array(index.chains.order[position]),
                "role": _dictionary(role, EVIDENCE_ROLES),
            }
        )

    def _select(self, i: int, role: int) -> I64:
        table = self.evidence([i])
        keep = np.asarray(table.column("role").combine_chunks().indices) == role
        rows: I64 = np.asarray(table.column("vrp_row"))[keep]
        return rows


class EvidenceRole(StrEnum):
    """How a covering VRP relates to a route (Routinator's validity output)."""

    MATCHED = "matched"
    UNMATCHED_AS = "unmatched-as"
    UNMATCHED_LENGTH = "unmatched-length"


_MATCHED, _UNMATCHED_AS, _UNMATCHED_LENGTH = 0, 1, 2
#: ``RovResult.evidence`` role code -> role.
EVIDENCE_ROLES: tuple[EvidenceRole, ...] = (
    EvidenceRole.MATCHED,
    EvidenceRole.UNMATCHED_AS,
    EvidenceRole.UNMATCHED_LENGTH,
)


@numba.njit(cache=True)
def _evidence_kernel(  # type: ignore[no-untyped-def]
    which, fam, q_hi, q_lo, q_len, q_asn, q_has_origin,
    bp_hi, bp_lo, cs, chain, top, fam_first, c_len, c_max, c_asn,
):  # fmt: skip
    """(route, VRP position, role) of every covering VRP of the routes ``which``: a
    counting pass, then a filling pass."""
    total = 0
    found = np.full(len(which), -1, dtype=np.int64)
    for n in range(len(which)):
        i = which[n]
        if fam[i] >= 0:
            k = _find_interval(fam[i], q_hi[i], q_lo[i], bp_hi, bp_lo, cs, chain, top, fam_first)
            found[n] = k
            if k >= 0:
                for m in range(cs[k], cs[k + 1]):
                    total += c_len[m] <= q_len[i]
    route = np.empty(total, dtype=np.int64)
    position = np.empty(total, dtype=np.int64)
    role = np.empty(total, dtype=np.uint8)
    out = 0
    for n in range(len(which)):
        k = found[n]
        if k < 0:
            continue
        i = which[n]
        for m in range(cs[k], cs[k + 1]):
            if c_len[m] > q_len[i]:
                continue
            same_as = q_has_origin[i] and c_asn[m] != 0 and c_asn[m] == q_asn[i]
            route[out] = i
            position[out] = chain[m]
            role[out] = (0 if q_len[i] <= c_max[m] else 2) if same_as else 1
            out += 1
    return route, position, role


def _dictionary(codes: npt.NDArray[np.uint8], names: tuple[StrEnum, ...]) -> pa.Array:
    """Codes as an Arrow dictionary array whose values are the enums' wire strings."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int8), pa.int8()), pa.array([n.value for n in names])
    )
