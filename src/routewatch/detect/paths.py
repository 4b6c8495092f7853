"""AS paths as flat arrays, prepends collapsed — the form every path detector walks.

Role: turn the interned paths of a :class:`~routewatch.detect.state.Catalog` into one flat
``uint32`` array plus offsets (path ``i`` is ``values[offsets[i]:offsets[i+1]]``), with
consecutive repeats removed (prepending, METHODOLOGY §2). Index 0 of a path is the collector
peer's side, the last element the origin side — the order bgpdump prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routewatch.detect.state import Catalog, ranges

__all__ = ["FlatPaths", "flat_paths"]


@dataclass(frozen=True)
class FlatPaths:
    """Collapsed paths: ``values[offsets[i]:offsets[i+1]]``; ``as_set`` / ``otc`` per path."""

    offsets: npt.NDArray[np.int64]
    values: npt.NDArray[np.int64]
    as_set: npt.NDArray[np.bool_]
    otc: npt.NDArray[np.int64]

    def path(self, i: int) -> tuple[int, ...]:
        """Path ``i`` as a tuple."""
        return tuple(self.values[self.offsets[i] : self.offsets[i + 1]].tolist())

    def lengths(self) -> npt.NDArray[np.int64]:
        """Number of ASes of every collapsed path."""
        return np.diff(self.offsets)


def flat_paths(catalog: Catalog, ids: npt.NDArray[np.int32] | None = None) -> FlatPaths:
    """Collapsed flat paths of ``ids`` (default: every path of the catalog), in that order."""
    all_offsets = catalog.path_offsets
    chosen = np.arange(catalog.n_paths) if ids is None else np.asarray(ids, np.int64)
    starts = all_offsets[chosen]
    lengths = all_offsets[chosen + 1] - starts
    values = catalog.path_values[ranges(starts, lengths)].astype(np.int64)
    owner = np.repeat(np.arange(len(chosen)), lengths)
    keep = np.ones(len(values), np.bool_)
    keep[1:] = (values[1:] != values[:-1]) | (owner[1:] != owner[:-1])
    kept = np.bincount(owner[keep], minlength=len(chosen)).astype(np.int64)
    offsets = np.zeros(len(chosen) + 1, np.int64)
    np.cumsum(kept, out=offsets[1:])
    as_set = catalog.path_as_set[chosen].copy()
    otc = catalog.path_otc[chosen].copy()
    return FlatPaths(offsets, values[keep], as_set, otc)
