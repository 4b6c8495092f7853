"""Distinct routes of a span table: (prefix, path) pairs and the spans behind each.

Role: detectors judge a route once (a path is a path whichever peer saw it) and then mark
every span of it; :class:`Routes` gives the route of each span and the spans of each route.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from routewatch.detect.state import Spans

__all__ = ["Routes", "routes_of"]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Routes:
    """Route ``r`` is (``prefix[r]``, ``path[r]``); its spans: ``order[bounds[r]:bounds[r+1]]``."""

    prefix: npt.NDArray[np.int32]
    path: npt.NDArray[np.int32]
    of_span: I64
    order: I64
    bounds: I64

    def __len__(self) -> int:
        return len(self.prefix)

    def spans(self, route: int) -> I64:
        """Span indices of one route."""
        return self.order[self.bounds[route] : self.bounds[route + 1]]

    def spans_of(self, routes: npt.NDArray[np.integer]) -> I64:
        """Span indices of several routes, concatenated."""
        if len(routes) == 0:
            return np.zeros(0, np.int64)
        return np.concatenate([self.spans(int(r)) for r in routes])


def routes_of(spans: Spans) -> Routes:
    """Group spans by (prefix, path)."""
    key = (spans.prefix.astype(np.int64) << 32) | spans.path.astype(np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    order = np.argsort(inverse, kind="stable").astype(np.int64)
    counts = np.bincount(inverse, minlength=len(uniq))
    bounds = np.zeros(len(uniq) + 1, np.int64)
    np.cumsum(counts, out=bounds[1:])
    return Routes(
        (uniq >> 32).astype(np.int32),
        (uniq & 0xFFFFFFFF).astype(np.int32),
        inverse.astype(np.int64),
        order,
        bounds,
    )
