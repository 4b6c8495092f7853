"""Route state: elems in, route spans out — who had which route, from when to when.

Role: replay elems (RIB entries ``R``, announcements ``A``, withdrawals ``W``, session state
changes ``S``) into one table per collector peer (collector, peer IP, peer ASN) exactly as
METHODOLOGY §2 says: an announcement replaces the peer's route for the prefix (implicit
withdrawal), a withdrawal removes it, a state change away from Established (6) removes every
route of that peer, a duplicate (same path and OTC as the live route) changes nothing and is
counted. The RIB key is (collector, peer IP, peer ASN, prefix, ADD-PATH path id).

Output: :class:`Spans` — one row per (peer, prefix, path) interval ``[start, end)`` in
microseconds, ``end = -1`` while still open when the data ends — plus a :class:`Catalog` that
interns peers, prefixes and paths into small integers (spans carry ids, never lists).

Speed: batches are encoded column-wise (numpy), interned through dicts over the *unique*
values of a batch only, and replayed by one numba kernel over a live table (a hash map of
:mod:`.keytable` from route key to slot; numba's typed dict was slower and compiled its
Python-side helpers again in every process, about 0.5 s). Memory is bounded by live routes
plus the spans the caller keeps. Feed batches in time order; within a batch the row order is
the order of the messages.

Failure modes: more than 65,535 peers, 2^32 prefixes or 65,535 distinct ADD-PATH ids raise
:class:`~routewatch.errors.InputError` (the key packing would overflow); per-row oddities
(withdrawal of an unknown route, duplicates) are counted in :class:`StateCounts`.
Interning hashes are 64-bit; a collision (~n²/2^65) would merge two paths or prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import types as nbt
from numba.typed import Dict as NbDict

from routewatch.detect.keytable import (
    KeyTable,
    factorize,
    map_find,
    map_put,
    map_remove,
    map_room,
    new_map,
)
from routewatch.errors import InputError
from routewatch.prefixes import format_prefix

__all__ = [
    "Catalog",
    "RouteState",
    "Spans",
    "StateCounts",
    "peak_visibility",
    "ranges",
    "sweep_events",
]

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
U64 = npt.NDArray[np.uint64]

_CODES = {"R": 0, "A": 1, "W": 2, "S": 3}
_ESTABLISHED = 6
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


@dataclass
class StateCounts:
    """What the replay met: elems by type, duplicates, unknown withdrawals, session resets.

    Each input elem is counted once however detection is partitioned: route elems by the
    partition that owns their prefix, state changes (``state``, ``resets``) by the splitter.
    """

    rib: int = 0
    announce: int = 0
    withdraw: int = 0
    state: int = 0
    duplicates: int = 0
    withdraw_unknown: int = 0
    resets: int = 0
    reset_removed: int = 0

    def add(self, values: npt.NDArray[np.int64]) -> None:
        """Add the kernel's counter vector (same field order)."""
        self.rib += int(values[0])
        self.announce += int(values[1])
        self.withdraw += int(values[2])
        self.state += int(values[3])
        self.duplicates += int(values[4])
        self.withdraw_unknown += int(values[5])
        self.resets += int(values[6])
        self.reset_removed += int(values[7])

    def merge(self, other: StateCounts) -> None:
        """Add another partition's counts."""
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class _Column:
    """A growable numpy column: ``values`` is a view of the filled part (no copy)."""

    def __init__(self, dtype: type[np.generic]) -> None:
        self._data: npt.NDArray[np.generic] = np.zeros(16, dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def values(self) -> npt.NDArray[np.generic]:
        """The filled part of the column (a view: do not keep it across appends)."""
        return self._data[: self._size]

    def extend(self, values: npt.ArrayLike) -> None:
        """Append values (converted to the column's type)."""
        new = np.asarray(values, self._data.dtype)
        need = self._size + len(new)
        if need > len(self._data):
            grown = np.zeros(max(need, 2 * len(self._data)), self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : need] = new
        self._size = need


class Catalog:
    """Interned peers, prefixes and paths; ids index these columns.

    Prefixes and paths are columnar (numpy): ``prefix_afi``/``prefix_hi``/``prefix_lo``/
    ``prefix_len`` per prefix id; a path's ASNs are ``path_values[path_offsets[p]:
    path_offsets[p+1]]`` (bgpdump order, collector peer first), with ``path_as_set`` and
    ``path_otc`` (-1 when the route had no OTC attribute) per path id. About 4 bytes per
    ASN plus 17 per path, so the catalog of a month stays small next to the live routes.
    Peers are few and kept as lists.
    """

    def __init__(self) -> None:
        self.peer_collector: list[str] = []
        self.peer_ip: list[str] = []
        self.peer_asn: list[int] = []
        self._peers: dict[tuple[str, str, int], int] = {}
        self._prefix = {name: _Column(t) for name, t in
                        (("afi", np.uint8), ("hi", np.uint64), ("lo", np.uint64),
                         ("len", np.uint8))}  # fmt: skip
        self._path_values = _Column(np.uint32)
        self._path_offsets = _Column(np.int64)
        self._path_offsets.extend([0])
        self._path_as_set = _Column(np.bool_)
        self._path_otc = _Column(np.int64)
        self._prefixes = KeyTable()
        self._paths = KeyTable()

    # ------------------------------------------------------------------ peers
    def peer_id(self, collector: str, peer_ip: str, peer_asn: int) -> int:
        """The id of a collector peer, interning it on first sight."""
        key = (collector, peer_ip, peer_asn)
        found = self._peers.get(key)
        if found is None:
            found = len(self.peer_asn)
            self._peers[key] = found
            self.peer_collector.append(collector)
            self.peer_ip.append(peer_ip)
            self.peer_asn.append(peer_asn)
        return found

    def peer_asns(self) -> npt.NDArray[np.uint32]:
        """Peer ASN per peer id."""
        return np.asarray(self.peer_asn, dtype=np.uint32)

    def peer_rank(self) -> I64:
        """Rank of each peer id in the content order (collector, peer IP, peer ASN).

        Lists of peers inside findings are ordered by content, never by id: ids depend on
        the order elems arrive in, which differs between partitions and batch sizes.
        """
        keys = sorted(range(len(self.peer_asn)), key=lambda i: (
            self.peer_collector[i], self.peer_ip[i], self.peer_asn[i]))  # fmt: skip
        rank = np.empty(len(keys), np.int64)
        rank[np.asarray(keys, np.int64)] = np.arange(len(keys), dtype=np.int64)
        return rank

    # ------------------------------------------------------------------ prefixes
    @property
    def prefix_afi(self) -> npt.NDArray[np.uint8]:
        """Address family (4 or 6) per prefix id."""
        return self._prefix["afi"].values  # type: ignore[return-value]

    @property
    def prefix_hi(self) -> U64:
        """High 64 address bits per prefix id."""
        return self._prefix["hi"].values  # type: ignore[return-value]

    @property
    def prefix_lo(self) -> U64:
        """Low 64 address bits per prefix id."""
        return self._prefix["lo"].values  # type: ignore[return-value]

    @property
    def prefix_len(self) -> npt.NDArray[np.uint8]:
        """Prefix length per prefix id."""
        return self._prefix["len"].values  # type: ignore[return-value]

    def prefix_text(self, prefix: int) -> str:
        """Canonical text of one prefix id."""
        return format_prefix(int(self.prefix_afi[prefix]), int(self.prefix_hi[prefix]),
                             int(self.prefix_lo[prefix]), int(self.prefix_len[prefix]))  # fmt: skip

    def add_prefixes(
        self, keys: I64, afi: U64, hi: U64, lo: U64, length: U64
    ) -> None:
        """Intern new prefixes (``keys`` are their distinct 64-bit hashes, not yet known)."""
        self._prefixes.insert(keys, len(self._prefix["len"]))
        for name, values in (("afi", afi), ("hi", hi), ("lo", lo), ("len", length)):
            self._prefix[name].extend(values)

    # ------------------------------------------------------------------ paths
    @property
    def n_paths(self) -> int:
        """Number of interned paths."""
        return len(self._path_as_set)

    @property
    def path_values(self) -> npt.NDArray[np.uint32]:
        """Every ASN of every path, concatenated (see :attr:`path_offsets`)."""
        return self._path_values.values  # type: ignore[return-value]

    @property
    def path_offsets(self) -> I64:
        """Path p is ``path_values[path_offsets[p]:path_offsets[p+1]]``."""
        return self._path_offsets.values  # type: ignore[return-value]

    @property
    def path_as_set(self) -> npt.NDArray[np.bool_]:
        """Per path id: the path has an AS_SET (members inlined)."""
        return self._path_as_set.values  # type: ignore[return-value]

    @property
    def path_otc(self) -> I64:
        """Per path id: the OTC attribute's ASN, -1 when absent."""
        return self._path_otc.values  # type: ignore[return-value]

    def path(self, p: int) -> tuple[int, ...]:
        """The ASNs of path ``p`` (bgpdump order)."""
        lo, hi = self.path_offsets[p], self.path_offsets[p + 1]
        return tuple(self.path_values[lo:hi].tolist())

    def path_sort_key(self, p: int) -> tuple[tuple[int, ...], bool, int]:
        """A content key of path ``p`` (ASNs, AS_SET flag, OTC) for id-independent ties."""
        return self.path(p), bool(self.path_as_set[p]), int(self.path_otc[p])

    def add_paths(self, keys: I64, offsets: I64, values: npt.NDArray[np.uint32],
                  as_set: npt.NDArray[np.bool_], otc: I64) -> None:
        """Intern new (path, AS_SET flag, OTC) triples given by their distinct hashes.

        ``values[offsets[i]:offsets[i+1]]`` are the ASNs of new path i; ``otc`` is -1 where
        the route had no OTC attribute.
        """
        self._paths.insert(keys, self.n_paths)
        base = int(self.path_offsets[-1])
        self._path_values.extend(values)
        self._path_offsets.extend(offsets[1:] + base)
        self._path_as_set.extend(as_set)
        self._path_otc.extend(otc)

    def origins(self) -> npt.NDArray[np.int64]:
        """RFC 6811 origin per path id: last AS of a final sequence, -1 for AS_SET or empty."""
        ends = self.path_offsets[1:]
        size = ends - self.path_offsets[:-1]
        values = np.r_[self.path_values.astype(np.int64), -1]  # an empty path reads -1
        out: I64 = np.where((size >= 1) & ~self.path_as_set, values[ends - 1], -1)
        return out


@dataclass(frozen=True)
class Spans:
    """Route spans: row i = peer ``peer[i]`` had ``path[i]`` for ``prefix[i]`` in [start, end).

    Times are microseconds since the epoch; ``end`` is -1 for a span still open at the end of
    the data; ``rib`` is true when the span began with a RIB entry.
    """

    peer: I32
    prefix: I32
    path: I32
    start: I64
    end: I64
    rib: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.peer)

    @staticmethod
    def concat(parts: list[Spans]) -> Spans:
        """Concatenate span chunks (empty list gives empty spans)."""
        if not parts:
            z32, z64 = np.zeros(0, np.int32), np.zeros(0, np.int64)
            return Spans(z32, z32, z32, z64, z64, np.zeros(0, np.bool_))
        return Spans(
            *(np.concatenate([getattr(p, name) for p in parts]) for name in _SPAN_FIELDS)
        )

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> Spans:
        """The spans selected by an index or mask."""
        return Spans(*(getattr(self, name)[index] for name in _SPAN_FIELDS))

    def end_or(self, horizon: int) -> I64:
        """End times with open spans ended at ``horizon``."""
        return np.where(self.end < 0, np.int64(horizon), self.end)


_SPAN_FIELDS = ("peer", "prefix", "path", "start", "end", "rib")


def _mix(x: U64) -> U64:
    x = (x ^ (x >> np.uint64(30))) * _M2
    x = (x ^ (x >> np.uint64(27))) * _M3
    return x ^ (x >> np.uint64(31))


@nb.njit(cache=True)
def _path_hashes(
    offsets: I64, values: npt.NDArray[np.uint32], as_set: npt.NDArray[np.uint8], otc: U64
) -> U64:
    n = len(offsets) - 1
    out = np.empty(n, np.uint64)
    for i in range(n):
        h = np.uint64(1469598103934665603) ^ (as_set[i] * np.uint64(0x100000001B3))
        h ^= otc[i] * np.uint64(0x9E3779B97F4A7C15)
        for k in range(offsets[i], offsets[i + 1]):
            h = (h ^ np.uint64(values[k])) * np.uint64(0x100000001B3)
            h ^= h >> np.uint64(29)
        out[i] = h ^ np.uint64(offsets[i + 1] - offsets[i])
    return out


@nb.njit(cache=True)
def _replay(
    code: npt.NDArray[np.int8],
    ts: I64,
    peer: I32,
    rkey: I64,
    prefix: I32,
    path: I32,
    new_state: npt.NDArray[np.int16],
    owned: npt.NDArray[np.bool_],
    live: I64,
    slot_key: I64,
    slot_peer: I32,
    slot_prefix: I32,
    slot_path: I32,
    slot_start: I64,
    slot_rib: npt.NDArray[np.bool_],
    slot_owned: npt.NDArray[np.bool_],
    free: I64,
    meta: I64,
    out_peer: I32,
    out_prefix: I32,
    out_path: I32,
    out_start: I64,
    out_end: I64,
    out_rib: npt.NDArray[np.bool_],
    counts: I64,
) -> int:
    # meta[0] = high-water slot, meta[1] = number of free slots, meta[2] = live routes (keys
    # of ``live``, a map of :mod:`.keytable` with room for this batch). Only owned rows and slots
    # are counted (a partition counts the elems of the prefixes it owns; state changes are
    # counted once by the caller): counts[3] and counts[6] stay 0 here.
    n_out = 0
    for i in range(len(code)):
        c = code[i]
        t = ts[i]
        if c == 3:
            if new_state[i] == 6:
                continue
            p = peer[i]
            for s in range(meta[0]):
                if slot_key[s] >= 0 and slot_peer[s] == p:
                    out_peer[n_out] = p
                    out_prefix[n_out] = slot_prefix[s]
                    out_path[n_out] = slot_path[s]
                    out_start[n_out] = slot_start[s]
                    out_end[n_out] = t
                    out_rib[n_out] = slot_rib[s]
                    n_out += 1
                    map_remove(live, slot_key[s])
                    meta[2] -= 1
                    slot_key[s] = -1
                    free[meta[1]] = s
                    meta[1] += 1
                    if slot_owned[s]:
                        counts[7] += 1
            continue
        k = rkey[i]
        h, s = map_find(live, k)
        mine = owned[i]
        if c == 2:
            counts[2] += mine
            if s < 0:
                counts[5] += mine
                continue
        else:
            counts[c] += mine
            if s >= 0 and slot_path[s] == path[i]:
                counts[4] += mine
                continue
        if s >= 0:
            out_peer[n_out] = slot_peer[s]
            out_prefix[n_out] = slot_prefix[s]
            out_path[n_out] = slot_path[s]
            out_start[n_out] = slot_start[s]
            out_end[n_out] = t
            out_rib[n_out] = slot_rib[s]
            n_out += 1
            if c == 2:
                map_remove(live, k)
                meta[2] -= 1
                slot_key[s] = -1
                free[meta[1]] = s
                meta[1] += 1
                continue
        else:
            if meta[1] > 0:
                meta[1] -= 1
                s = free[meta[1]]
            else:
                s = meta[0]
                meta[0] += 1
            map_put(live, h, k, s)
            meta[2] += 1
            slot_key[s] = k
            slot_peer[s] = peer[i]
            slot_prefix[s] = prefix[i]
            slot_owned[s] = mine
        slot_path[s] = path[i]
        slot_start[s] = t
        slot_rib[s] = c == 0
    return n_out


class RouteState:
    """The live tables of every collector peer, fed batch by batch in time order.

    ``feed(batch)`` returns the spans closed by that batch; ``finish()`` returns the spans
    still open (``end = -1``). ``catalog`` interns peers, prefixes and paths; ``counts``
    accumulates :class:`StateCounts`.
    """

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog if catalog is not None else Catalog()
        self.counts = StateCounts()
        self._live: I64 = new_map()  # live route key -> its slot
        self._addpath: dict[int, int] = {}
        self._meta = np.zeros(3, np.int64)  # high-water slot, free slots, live routes
        self._slots(1024)

    def _slots(self, capacity: int) -> None:
        old = [a.copy() for a in self._slot_arrays()] if hasattr(self, "_slot_key") else []
        self._slot_key: I64 = np.full(capacity, -1, np.int64)
        self._slot_peer: I32 = np.zeros(capacity, np.int32)
        self._slot_prefix: I32 = np.zeros(capacity, np.int32)
        self._slot_path: I32 = np.zeros(capacity, np.int32)
        self._slot_start: I64 = np.zeros(capacity, np.int64)
        self._slot_rib: npt.NDArray[np.bool_] = np.zeros(capacity, np.bool_)
        self._slot_owned: npt.NDArray[np.bool_] = np.zeros(capacity, np.bool_)
        self._free: I64 = np.zeros(capacity, np.int64)
        for new, cur in zip(self._slot_arrays(), old, strict=False):
            new[: len(cur)] = cur

    def _slot_arrays(self) -> list[npt.NDArray[np.generic]]:
        return [
            self._slot_key,
            self._slot_peer,
            self._slot_prefix,
            self._slot_path,
            self._slot_start,
            self._slot_rib,
            self._slot_owned,
            self._free,
        ]

    @property
    def live_routes(self) -> int:
        """Routes currently held by all peers."""
        return int(self._meta[2])

    def feed(self, batch: pa.RecordBatch, owned: npt.NDArray[np.bool_] | None = None) -> Spans:
        """Apply one batch of ELEMS rows; return the spans it closed.

        ``owned`` marks the rows this state counts in :attr:`counts` (a partition owns the
        prefixes of its bucket; copies of shorter prefixes sent to it are not its own).
        Default: every row with a prefix. State changes are never counted here: the caller
        sees each one once (:class:`~routewatch.detect.partition.Split`).
        """
        n = batch.num_rows
        if n == 0:
            return Spans.concat([])
        enc = self._encode(batch)
        mine = enc[0] != 3 if owned is None else np.asarray(owned, np.bool_)
        need = int(self._meta[0]) + n + 1
        if need > len(self._slot_key):
            self._slots(max(need, 2 * len(self._slot_key)))
        self._live = map_room(self._live, self.live_routes, n)
        capacity = n + (self.live_routes if bool((enc[0] == 3).any()) else 0)
        out = Spans(
            np.empty(capacity, np.int32),
            np.empty(capacity, np.int32),
            np.empty(capacity, np.int32),
            np.empty(capacity, np.int64),
            np.empty(capacity, np.int64),
            np.empty(capacity, np.bool_),
        )
        counts = np.zeros(8, np.int64)
        n_out = _replay(
            *enc,
            mine,
            self._live,
            self._slot_key,
            self._slot_peer,
            self._slot_prefix,
            self._slot_path,
            self._slot_start,
            self._slot_rib,
            self._slot_owned,
            self._free,
            self._meta,
            out.peer,
            out.prefix,
            out.path,
            out.start,
            out.end,
            out.rib,
            counts,
        )
        self.counts.add(counts)
        return out.take(np.arange(n_out))

    def live(self, owned_only: bool = False) -> Spans:
        """The live routes now as open spans (only the owned ones when asked)."""
        alive = self._slot_key[: int(self._meta[0])] >= 0
        if owned_only:
            alive &= self._slot_owned[: int(self._meta[0])]
        return self._open_spans(np.flatnonzero(alive))

    def finish(self) -> Spans:
        """The spans still open (``end = -1``), in slot order; the state is left unchanged."""
        return self._open_spans(np.flatnonzero(self._slot_key[: int(self._meta[0])] >= 0))

    def _open_spans(self, alive: npt.NDArray[np.intp]) -> Spans:
        return Spans(
            self._slot_peer[alive].copy(),
            self._slot_prefix[alive].copy(),
            self._slot_path[alive].copy(),
            self._slot_start[alive].copy(),
            np.full(len(alive), -1, np.int64),
            self._slot_rib[alive].copy(),
        )

    # ---------------------------------------------------------------- encoding
    def _encode(
        self, batch: pa.RecordBatch
    ) -> tuple[npt.NDArray[np.int8], I64, I32, I64, I32, I32, npt.NDArray[np.int16]]:
        code = _dict_codes(batch.column("elem_type"))
        ts = np.asarray(batch.column("timestamp").cast(pa.int64()).to_numpy(zero_copy_only=False))
        peer = self._encode_peers(batch)
        prefix = self._encode_prefixes(batch, code)
        path = self._encode_paths(batch, code)
        addpath = self._encode_addpath(batch)
        rkey = (peer.astype(np.int64) << 48) | (prefix.astype(np.int64) << 16) | addpath
        new_state = _filled(batch.column("new_state"), 0).astype(np.int16)
        return code, ts, peer, rkey, prefix, path, new_state

    def _encode_peers(self, batch: pa.RecordBatch) -> I32:
        coll = batch.column("collector")
        coll_idx = _dict_indices(coll)
        ip = batch.column("peer_ip")
        ip_idx = _dict_indices(ip)
        asn = np.asarray(batch.column("peer_asn").to_numpy(zero_copy_only=False), np.int64)
        combo = ((coll_idx + 1) << 48) | (ip_idx << 32) | asn
        uniq, inverse = factorize(combo)
        coll_dict = _dict_values(coll)
        ip_dict = _dict_values(ip)
        ids = np.empty(len(uniq), np.int32)
        for j, value in enumerate(uniq.tolist()):
            c, p, a = (value >> 48) - 1, (value >> 32) & 0xFFFF, value & 0xFFFFFFFF
            ids[j] = self.catalog.peer_id(coll_dict[c] if c >= 0 else "", ip_dict[p], a)
        if len(self.catalog.peer_asn) > 0xFFFF:
            raise InputError("more than 65,535 collector peers in one route state; partition")
        return ids[inverse]

    def _encode_prefixes(self, batch: pa.RecordBatch, code: npt.NDArray[np.int8]) -> I32:
        afi = _filled(batch.column("afi"), 0).astype(np.uint64)
        hi = _filled(batch.column("prefix_hi"), 0).astype(np.uint64)
        lo = _filled(batch.column("prefix_lo"), 0).astype(np.uint64)
        length = _filled(batch.column("prefix_len"), 0).astype(np.uint64)
        key = _mix(_mix(hi * _M1 ^ lo) ^ (length | (afi << np.uint64(8)))).view(np.int64)
        ids = self.catalog._prefixes.lookup(key)
        missing = np.flatnonzero((ids < 0) & (code != 3))
        if len(missing):
            uniq, first = np.unique(key[missing], return_index=True)
            rows = missing[first]
            self.catalog.add_prefixes(uniq, afi[rows], hi[rows], lo[rows], length[rows])
            ids = self.catalog._prefixes.lookup(key)
        out: I32 = np.where(code == 3, 0, ids).astype(np.int32)
        return out

    def _encode_paths(self, batch: pa.RecordBatch, code: npt.NDArray[np.int8]) -> I32:
        column = batch.column("path_asns")
        offsets = np.asarray(column.offsets.to_numpy(), np.int64)
        values = np.asarray(column.values.to_numpy(zero_copy_only=False), np.uint32)
        as_set = _filled(batch.column("as_set"), False).astype(np.uint8)
        otc_col = batch.column("only_to_customer")
        otc = _filled(otc_col, 0).astype(np.uint64) + otc_col.is_valid().to_numpy(
            zero_copy_only=False
        ).astype(np.uint64) * np.uint64(1 << 40)
        key = _path_hashes(offsets, values, as_set, otc).view(np.int64)
        has_path = (code == 0) | (code == 1)
        ids = self.catalog._paths.lookup(key)
        missing = np.flatnonzero((ids < 0) & has_path)
        if len(missing):
            uniq, first = np.unique(key[missing], return_index=True)
            rows = missing[first]
            lens = offsets[rows + 1] - offsets[rows]
            has_otc = otc[rows] >> np.uint64(40) > 0
            new_otc = np.where(has_otc, (otc[rows] & np.uint64(0xFFFFFFFF)).astype(np.int64), -1)
            self.catalog.add_paths(uniq, np.r_[0, np.cumsum(lens)].astype(np.int64),
                                   values[ranges(offsets[rows], lens)],
                                   as_set[rows].astype(np.bool_), new_otc)  # fmt: skip
            ids = self.catalog._paths.lookup(key)
        out: I32 = np.where(has_path, ids, -1).astype(np.int32)
        return out

    def _encode_addpath(self, batch: pa.RecordBatch) -> I64:
        raw = _filled(batch.column("path_id"), 0).astype(np.int64)
        uniq, inverse = factorize(raw)
        slots = np.empty(len(uniq), np.int64)
        for j, value in enumerate(uniq.tolist()):
            slots[j] = self._addpath.setdefault(value, len(self._addpath))
        if len(self._addpath) > 0xFFFF:
            raise InputError("more than 65,535 distinct ADD-PATH ids; partition by peer")
        return slots[inverse]


def ranges(starts: I64, lengths: I64) -> I64:
    """Indices ``starts[i] .. starts[i] + lengths[i] - 1`` of every range, concatenated."""
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    out: I64 = np.arange(total, dtype=np.int64) - np.repeat(ends - lengths - starts, lengths)
    return out


def _filled(column: pa.Array, fill: int | bool) -> npt.NDArray[np.generic]:
    if column.null_count:
        column = column.fill_null(fill)
    return np.asarray(column.to_numpy(zero_copy_only=False))


def _dict_indices(column: pa.Array) -> I64:
    if pa.types.is_dictionary(column.type):
        return np.asarray(column.indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
    return np.asarray(
        pa.compute.dictionary_encode(column).indices.fill_null(-1).to_numpy(zero_copy_only=False),
        np.int64,
    )


def _dict_values(column: pa.Array) -> list[str]:
    if not pa.types.is_dictionary(column.type):
        column = pa.compute.dictionary_encode(column)
    return [str(v) for v in column.dictionary.to_pylist()]


def _dict_codes(column: pa.Array) -> npt.NDArray[np.int8]:
    names = _dict_values(column)
    table = np.array([_CODES.get(name, 3) for name in names] or [0], np.int8)
    return table[_dict_indices(column)]


@nb.njit(cache=True)
def _peak_kernel(
    group: I64, time: I64, delta: npt.NDArray[np.int8], asn: I64, n_groups: int
) -> tuple[I64, I64]:
    peak = np.zeros(n_groups, np.int64)
    peak_at = np.full(n_groups, -1, np.int64)
    counts = NbDict.empty(key_type=nbt.int64, value_type=nbt.int64)
    current = -1
    distinct = 0
    for i in range(len(group)):
        g = group[i]
        if g != current:
            counts.clear()
            distinct = 0
            current = g
        a = asn[i]
        c = counts.get(a, 0) + delta[i]
        if c == 0:
            del counts[a]
            distinct -= 1
        else:
            if c == 1 and delta[i] == 1:
                distinct += 1
            counts[a] = c
        if distinct > peak[g]:
            peak[g] = distinct
            peak_at[g] = time[i]
    return peak, peak_at


def sweep_events(
    group: I64, start: I64, end: I64, asn: npt.NDArray[np.integer]
) -> tuple[I64, I64, npt.NDArray[np.int8], I64]:
    """(group, time, +1/-1, peer ASN) of every span start and end, in sweep order.

    Sorted by group, time, and ends before starts at equal times (a route replaced at the
    same instant is not counted twice). A span that ended the instant it began was never
    visible and is left out (processed end-first it would count its peer -1 and make the
    result depend on the row order). ``end`` must have open spans replaced by a horizon.
    """
    seen = end > start
    if not seen.all():
        group, start, end, asn = group[seen], start[seen], end[seen], asn[seen]
    g2 = np.concatenate([group, group]).astype(np.int64)
    t2 = np.concatenate([start, end]).astype(np.int64)
    d2 = np.concatenate([np.ones(len(start), np.int8), -np.ones(len(end), np.int8)])
    a2 = np.concatenate([asn, asn]).astype(np.int64)
    order = np.lexsort((d2, t2, g2))
    return g2[order], t2[order], d2[order], a2[order]


def peak_visibility(
    group: I64, start: I64, end: I64, asn: npt.NDArray[np.integer], n_groups: int
) -> tuple[I64, I64]:
    """Peak number of distinct peer ASNs holding any span of each group, and when first.

    Counted over :func:`sweep_events`; a group without spans has peak 0 at -1.
    """
    events = sweep_events(group, start, end, asn)
    if len(events[0]) == 0:
        return np.zeros(n_groups, np.int64), np.full(n_groups, -1, np.int64)
    peak: tuple[I64, I64] = _peak_kernel(*events, n_groups)
    return peak
