"""Readiness bands: edges exactly at 0.90 and 0.50, no data as its own band (METHODOLOGY §6)."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from routewatch.methodology import BANDS, Band
from routewatch.methodology import RW_2026_1 as METHOD
from routewatch.metrics.bands import band_of, bands_of


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1.0, Band.READY),
        (0.90, Band.READY),
        (0.8999, Band.ASPIRING),
        (0.50, Band.ASPIRING),
        (0.4999, Band.LAGGING),
        (0.0, Band.LAGGING),
        (None, Band.NO_DATA),
    ],
)
def test_band_edges(score: float | None, band: Band) -> None:
    assert band_of(score, METHOD) is band
    assert bands_of(pa.array([score], pa.float64()), METHOD).to_pylist() == [band.value]


def test_float_noise_does_not_cross_an_edge() -> None:
    noisy = 1 - 0.1 * 3 - 0.05 * 4  # 0.49999999999999994 in binary floating point
    assert noisy < 0.5
    assert band_of(noisy, METHOD) is Band.ASPIRING
    assert band_of(1 - 0.1 - 1e-13, METHOD) is Band.READY


def test_no_data_is_never_lagging() -> None:
    values = bands_of(pa.array([None, 0.0, None], pa.float64()), METHOD).to_pylist()
    assert values == ["no-data", "lagging", "no-data"]


def test_band_values_are_the_wire_strings() -> None:
    assert [b.value for b in BANDS] == ["ready", "aspiring", "lagging", "no-data"]
    assert [b.value for b in BANDS] == [band_of(s, METHOD).value for s in (1, 0.6, 0.1, None)]


@given(st.lists(st.one_of(st.none(), st.floats(0.0, 1.0, allow_nan=False)), max_size=50))
def test_vectorised_bands_match_the_scalar_rule(scores: list[float | None]) -> None:
    vector = bands_of(pa.array(scores, pa.float64()), METHOD).to_pylist()
    assert vector == [band_of(s, METHOD).value for s in scores]
    for score, band in zip(scores, vector, strict=True):
        if score is not None and not math.isclose(score, 0.9) and not math.isclose(score, 0.5):
            assert band == METHOD.band(score)


def test_public_surface() -> None:
    from routewatch import metrics
    from routewatch.metrics import bands, rollups, scores

    for module in (metrics, bands, rollups, scores):
        assert set(module.__all__) <= set(dir(module)), module.__name__
