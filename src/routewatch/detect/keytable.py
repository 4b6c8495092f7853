"""Hash tables of 64-bit keys: the route state's interning and compaction's grouping.

Role: one open-addressing table (linear probing, kept at most half full, each slot a
(key, id) pair side by side so a probe reads one cache line, splitmix64 to place a key)
probed by compiled code, used two ways:

* :class:`KeyTable` — a table that lives as long as a route state: keys (prefix and path
  hashes) interned once with consecutive ids, looked up per batch of elems;
* :func:`factorize` — ``np.unique(keys, return_inverse=True)`` in linear time, for
  compaction's groupings over millions of rows;
* a map that also forgets keys (:func:`map_room`, then :func:`map_find`, :func:`map_put`
  and :func:`map_remove` from compiled code): the route state's live routes, key -> slot,
  with deletion by backward shift (no tombstones, so probes stay short however many routes
  come and go).

numba's typed dict does the same job several times slower (two hashed look-ups per
membership test, boxed entries). Failure modes: none beyond memory; ids are dense from 0.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

__all__ = ["KeyTable", "factorize", "map_find", "map_put", "map_remove", "map_room", "new_map"]

I64 = npt.NDArray[np.int64]
_EMPTY = -1  # the id of a free slot
_FIRST_SIZE = 1 << 12


class KeyTable:
    """Interned 64-bit keys -> dense ids, for the lifetime of a route state."""

    def __init__(self) -> None:
        self._slots = _empty(_FIRST_SIZE)
        self.count = 0

    def insert(self, keys: I64, first_id: int) -> None:
        """Add ``keys`` (distinct, none known yet) with ids ``first_id``, ``first_id + 1``..."""
        need = self.count + len(keys)
        size = len(self._slots) // 2
        if 2 * need > size:
            while 2 * need > size:
                size *= 2
            self._slots = _regrow(self._slots, size)
        _insert(self._slots, np.ascontiguousarray(keys, np.int64), first_id)
        self.count = need

    def lookup(self, keys: I64) -> I64:
        """The id of each key, -1 where it is not in the table."""
        return _lookup(self._slots, np.ascontiguousarray(keys, np.int64))


def factorize(keys: npt.NDArray[np.integer]) -> tuple[I64, I64]:
    """``np.unique(keys, return_inverse=True)`` in linear time: the distinct keys sorted, and
    each key's index among them (hashing in first-seen order, then a sort of the distinct)."""
    uniq, ids = _first_seen(np.ascontiguousarray(keys, np.int64))
    order = np.argsort(uniq)
    rank = np.empty(len(uniq), np.int64)
    rank[order] = np.arange(len(uniq))
    return uniq[order], rank[ids]


def new_map() -> I64:
    """An empty map of 64-bit keys to non-negative values (for the compiled map_* calls)."""
    return _empty(_FIRST_SIZE)


def map_room(slots: I64, count: int, more: int) -> I64:
    """``slots`` or a larger copy, so that ``count + more`` keys keep it at most half full."""
    size = len(slots) // 2
    if 2 * (count + more) <= size:
        return slots
    while 2 * (count + more) > size:
        size *= 2
    out: I64 = _regrow(slots, size)
    return out


def _empty(size: int) -> I64:
    return np.full(2 * size, _EMPTY, np.int64)


@nb.njit(cache=True)
def _slot(key: int, mask: int) -> np.int64:  # pragma: no cover - compiled
    """Where ``key`` starts probing: its splitmix64 hash, masked."""
    z = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.int64((z ^ (z >> np.uint64(31))) & np.uint64(mask))


@nb.njit(cache=True)
def _find(slots: I64, key: int) -> np.int64:  # pragma: no cover - compiled
    """The slot holding ``key``, or the free slot where it would go."""
    mask = len(slots) // 2 - 1
    h = _slot(key, mask)
    while slots[2 * h + 1] != _EMPTY and slots[2 * h] != key:
        h = (h + 1) & mask
    return h


@nb.njit(cache=True)
def _insert(slots: I64, keys: I64, first_id: int) -> None:  # pragma: no cover - compiled
    for i in range(len(keys)):
        h = _find(slots, keys[i])
        slots[2 * h] = keys[i]
        slots[2 * h + 1] = first_id + i


@nb.njit(cache=True)
def _lookup(slots: I64, keys: I64) -> I64:  # pragma: no cover - compiled
    out = np.empty(len(keys), np.int64)
    for i in range(len(keys)):
        out[i] = slots[2 * _find(slots, keys[i]) + 1]  # a free slot holds -1
    return out


@nb.njit(cache=True)
def _regrow(slots: I64, size: int) -> I64:  # pragma: no cover - compiled
    """The occupied slots placed again in a table of ``size`` slots."""
    out = np.full(2 * size, _EMPTY, np.int64)
    for j in range(len(slots) // 2):
        if slots[2 * j + 1] != _EMPTY:
            h = _find(out, slots[2 * j])
            out[2 * h] = slots[2 * j]
            out[2 * h + 1] = slots[2 * j + 1]
    return out


@nb.njit(cache=True)
def _first_seen(keys: I64) -> tuple[I64, I64]:  # pragma: no cover - compiled
    """Distinct keys in first-seen order, and each key's index among them; the table
    doubles when half full, so it is sized by the distinct keys, not the rows."""
    slots = np.full(2 * 1024, _EMPTY, np.int64)
    uniq = np.empty(len(keys), np.int64)
    ids = np.empty(len(keys), np.int64)
    count = 0
    for i in range(len(keys)):
        h = _find(slots, keys[i])
        if slots[2 * h + 1] == _EMPTY:
            slots[2 * h] = keys[i]
            slots[2 * h + 1] = count
            uniq[count] = keys[i]
            count += 1
            if 2 * count > len(slots) // 2:
                slots = _regrow(slots, len(slots))
                h = _find(slots, keys[i])
        ids[i] = slots[2 * h + 1]
    return uniq[:count].copy(), ids


@nb.njit(cache=True)
def map_find(slots: I64, key: int) -> tuple[int, int]:  # pragma: no cover - compiled
    """(the slot of ``key`` or the free slot where it would go, its value or -1)."""
    h = _find(slots, key)
    return int(h), int(slots[2 * h + 1])


@nb.njit(cache=True)
def map_put(slots: I64, h: int, key: int, value: int) -> None:  # pragma: no cover - compiled
    """Store ``key -> value`` (>= 0) at slot ``h`` from :func:`map_find`."""
    slots[2 * h] = key
    slots[2 * h + 1] = value


@nb.njit(cache=True)
def map_remove(slots: I64, key: int) -> None:  # pragma: no cover - compiled
    """Forget ``key`` (present): the entries after it in its probe run that may move back
    fill the gap one by one, so every remaining key is still found by its probe."""
    mask = len(slots) // 2 - 1
    i = _find(slots, key)
    j = i
    while True:
        j = (j + 1) & mask
        if slots[2 * j + 1] == _EMPTY:
            break
        home = _slot(slots[2 * j], mask)
        # the entry at j may fill i unless its home lies cyclically in (i, j]
        if (home <= i or home > j) if i <= j else (home <= i and home > j):
            slots[2 * i] = slots[2 * j]
            slots[2 * i + 1] = slots[2 * j + 1]
            i = j
    slots[2 * i] = _EMPTY
    slots[2 * i + 1] = _EMPTY
