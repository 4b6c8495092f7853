"""Readiness bands of action scores (METHODOLOGY §6).

Role: map a score in 0..1 (or no score) to its band. ``ready`` ≥ ``ready_edge`` (0.90),
``aspiring`` ≥ ``aspiring_edge`` (0.50), ``lagging`` below; a missing score is ``no-data``, a
band of its own that is never counted as lagging and is left out of every share.

Inputs: scores as a Python float / ``None`` or an Arrow array of float64 with nulls; the edges
come from the methodology object. Output: :class:`~routewatch.methodology.Band` values (their
wire strings). Pure.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from routewatch.methodology import Band, Methodology

__all__ = ["SCORE_DECIMALS", "band_of", "bands_of", "round_score"]

#: Scores are rounded to this many decimals before banding and storing, so floating-point
#: noise (1 − 0.1 × 0.3 …) never moves a network across a band edge.
SCORE_DECIMALS = 10


def round_score(score: float) -> float:
    """A score rounded to :data:`SCORE_DECIMALS` decimals."""
    return round(score, SCORE_DECIMALS)


def band_of(score: float | None, method: Methodology) -> Band:
    """The band of one score (``None`` = no data)."""
    if score is None:
        return Band.NO_DATA
    return method.band(round_score(score))


def bands_of(scores: pa.Array | pa.ChunkedArray, method: Methodology) -> pa.Array:
    """Vectorised :func:`band_of` over a float64 array with nulls (null = no data)."""
    if isinstance(scores, pa.ChunkedArray):
        scores = scores.combine_chunks()
    values = np.round(scores.fill_null(np.nan).to_numpy(zero_copy_only=False), SCORE_DECIMALS)
    out = np.where(
        values >= method.ready_edge,
        Band.READY.value,
        np.where(values >= method.aspiring_edge, Band.ASPIRING.value, Band.LAGGING.value),
    ).astype(object)
    out[np.isnan(values)] = Band.NO_DATA.value
    return pa.array(out, pa.string())
