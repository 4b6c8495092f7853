"""The hash tables of :mod:`routewatch.detect.keytable` against Python's dict and np.unique.

The keys are invented (random numbers shaped like route keys: peer in the high bits, a few
ADD-PATH ids in the low ones, so that many share a probe run); no real file holds the
operations of a hash table.
"""

from __future__ import annotations

import random

import numba as nb
import numpy as np

from routewatch.detect import keytable as kt

PUT, REMOVE, GET = 0, 1, 2


@nb.njit
def _apply(slots: np.ndarray, kind: int, key: int, value: int) -> int:
    h, found = kt.map_find(slots, key)
    if kind == PUT:
        kt.map_put(slots, h, key, value)
    elif kind == REMOVE:
        kt.map_remove(slots, key)
    return found


def test_the_map_agrees_with_a_dict_through_puts_and_removals() -> None:
    """200,000 operations on keys that collide in runs; after each one the value found is
    the dict's, and every so often every key is looked up and the free slots counted."""
    rng = random.Random(7)
    slots, reference = kt.new_map(), {}
    first_size = len(slots)
    for step in range(200_000):
        slots = kt.map_room(slots, len(reference), 1)
        key = (rng.randrange(3_000) << 40) | rng.randrange(3)
        if key in reference and rng.random() < 0.6:
            assert _apply(slots, REMOVE, key, 0) == reference.pop(key)
        elif key not in reference:
            value = rng.randrange(1 << 30)
            assert _apply(slots, PUT, key, value) == -1
            reference[key] = value
        else:
            assert _apply(slots, GET, key, 0) == reference[key]
        if step % 25_000 == 0 or step == 199_999:
            assert all(_apply(slots, GET, k, 0) == v for k, v in reference.items())
            assert int((slots[1::2] >= 0).sum()) == len(reference)
            assert 2 * len(reference) <= len(slots) // 2  # at most half full
    assert len(slots) > first_size  # it grew on the way
    for key in list(reference):
        _apply(slots, REMOVE, key, 0)
    assert bool((slots == -1).all())  # removal leaves no tombstones


def test_factorize_equals_np_unique() -> None:
    rng = np.random.default_rng(3)
    keys = rng.integers(-(1 << 62), 1 << 62, 5_000)[rng.integers(0, 5_000, 100_000)]
    uniq, inverse = kt.factorize(keys)
    want_uniq, want_inverse = np.unique(keys, return_inverse=True)
    assert np.array_equal(uniq, want_uniq)
    assert np.array_equal(inverse, want_inverse)
