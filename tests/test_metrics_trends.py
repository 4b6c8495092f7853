"""The trend test (routewatch.metrics.trends) against known answers.

Every series here is CONSTRUCTED or taken from a textbook: a trend test needs series whose
answer is known, and no real store holds a year of comparable months. Sources of the known
answers:

- the worked "by hand" example of J. Little (College of the Holy Cross, Montserrat course
  notes, "A Mann-Kendall Example"): 14 values, one tied pair, S = 54,
  Var S = 14·13·33/18 − 2·1·9/18, Z = (S − 1)/√Var S = 2.9058, one-sided p ≈ 0.0018;
- Gilbert (1987), *Statistical Methods for Environmental Pollution Monitoring*, Table A18:
  exact one-sided probabilities of S for n = 4…10 without ties (n = 4, S = 4: 0.167;
  n = 5, S = 8: 0.042; n = 5, S = 10: 0.0083; n = 6, S = 11: 0.028; n = 6, S = 15: 0.0014);
- constructed series whose answer follows from the definitions: a strictly monotone line
  (S = ±n(n−1)/2, exact p = 2/n!, Theil–Sen slope = the line's), a constant series (S = 0,
  no change), a five-month series (too short), series with months of other collectors.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from routewatch.metrics.trends import (
    Better,
    Coverage,
    Direction,
    MonthValue,
    TrendRule,
    comparable_months,
    mann_kendall,
    month_index,
    theil_sen,
    trend,
)

RRC00 = Coverage("rw-2026.1", ("rrc00", "route-views2"), 44_640)
HOLY_CROSS = [12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7]


def months(count: int, first: dt.date = dt.date(2025, 1, 1)) -> list[dt.date]:
    index = month_index(first)
    return [dt.date((index + i) // 12, (index + i) % 12 + 1, 1) for i in range(count)]


def series(values: list[float | None], coverage: Coverage | None = RRC00,
           first: dt.date = dt.date(2025, 1, 1)) -> list[MonthValue]:
    return [MonthValue(m, v, coverage) for m, v in zip(months(len(values), first), values,
                                                        strict=True)]


def test_textbook_example_with_a_tie_uses_the_normal_approximation() -> None:
    test = mann_kendall(HOLY_CROSS)
    assert test.s == 54 and not test.exact
    assert test.var_s == pytest.approx(14 * 13 * 33 / 18 - 2 * 1 * 9 / 18)
    assert test.z == pytest.approx(2.9058, abs=5e-5)
    assert test.p_value == pytest.approx(2 * 0.0018, abs=2e-4)  # the notes give one side
    assert test.tau == pytest.approx(54 / 91)


@pytest.mark.parametrize(("values", "one_sided"), [
    ([1, 2, 4, 3], 0.167),           # n = 4, S = 4
    ([1, 2, 3, 5, 4], 0.042),        # n = 5, S = 8
    ([1, 2, 3, 4, 5], 0.0083),       # n = 5, S = 10
    ([1, 2, 4, 3, 6, 5], 0.028),     # n = 6, S = 11
    ([2, 1, 3, 4, 5, 6], 0.0083),    # n = 6, S = 13
    ([1, 2, 3, 4, 5, 6], 0.0014),    # n = 6, S = 15
])
def test_exact_p_values_match_gilberts_table(values: list[float], one_sided: float) -> None:
    test = mann_kendall(values)
    assert test.exact and test.z is None
    n = len(values)
    assert test.s == n * (n - 1) // 2 - 2 * _inversions(values)
    assert test.p_value == pytest.approx(2 * one_sided, rel=0.03, abs=2e-4)


def _inversions(values: list[float]) -> int:
    return sum(1 for i in range(len(values)) for j in range(i + 1, len(values))
               if values[i] > values[j])


def test_decreasing_line_is_improving_when_lower_is_better() -> None:
    values = [30 - 0.5 * i for i in range(12)]  # constructed: one step of -0.5 a month
    got = trend(series(values), Better.LOWER)
    assert got.direction is Direction.IMPROVING
    assert got.s == -66 and got.exact
    assert got.p_value == pytest.approx(2 / math.factorial(12))
    assert (got.slope_per_month, got.slope_low, got.slope_high) == (-0.5, -0.5, -0.5)
    assert got.months_used == tuple(months(12)) and got.months_excluded == ()
    assert got.label().startswith("improving (p = 4.2e-09, -0.5 per month, 12 months")
    assert trend(series(values), Better.HIGHER).direction is Direction.WORSENING


def test_constant_series_shows_no_significant_change() -> None:
    got = trend(series([0.75] * 12), Better.HIGHER)
    assert got.direction is Direction.NO_CHANGE
    assert (got.s, got.p_value, got.slope_per_month) == (0, 1.0, 0.0)


def test_five_months_are_too_few_for_a_trend() -> None:
    got = trend(series([5, 4, 3, 2, 1]), Better.LOWER)  # constructed, perfectly monotone
    assert got.direction is Direction.NO_TREND and got.p_value is None
    assert got.reason == "5 comparable months in the last 12, fewer than the 6 a trend needs"
    assert got.label().startswith("no trend: 5 comparable months")
    assert trend(series([6, 5, 4, 3, 2, 1]), Better.LOWER).direction is Direction.IMPROVING


def test_months_of_other_collectors_or_coverage_are_left_out_with_the_reason() -> None:
    other = Coverage("rw-2026.1", ("rrc21",), 44_640)
    short = Coverage("rw-2026.1", ("rrc00", "route-views2"), 5)
    values = series([10, 9, 8, 7, 6, 5, 4, 3])  # constructed
    values[1] = MonthValue(values[1].month, 9, other)
    values[2] = MonthValue(values[2].month, 8, short)
    values[3] = MonthValue(values[3].month, None, RRC00)
    values[4] = MonthValue(values[4].month, 6, None)
    got = trend(values, Better.LOWER)
    assert got.direction is Direction.NO_TREND
    assert [m.month for m in got.months_used] == [1, 6, 7, 8]
    assert dict(got.months_excluded) == {
        dt.date(2025, 2, 1): "collectors rrc21, not route-views2, rrc00",
        dt.date(2025, 3, 1): "5 minutes of BGP data, not about 44,640",
        dt.date(2025, 4, 1): "no value",
        dt.date(2025, 5, 1): "coverage unknown",
    }
    assert got.reason is not None and "left out: 2025-02: collectors rrc21" in got.reason
    methodology = Coverage("rw-2026.2", RRC00.collectors, RRC00.bgp_minutes)
    assert methodology.differs_from(RRC00) == "methodology rw-2026.2, not rw-2026.1"
    near = Coverage("rw-2026.1", ("route-views2", "rrc00", "rrc00"), 41_000)
    assert near.differs_from(RRC00) is None  # 92 % of the minutes: comparable


def test_only_the_last_twelve_months_count() -> None:
    values = series([100.0] * 6 + [float(v) for v in range(12)])  # constructed
    got = trend(values, Better.HIGHER)
    assert got.months_used == tuple(months(12, dt.date(2025, 7, 1)))
    assert got.direction is Direction.IMPROVING and got.slope_per_month == 1.0
    longer = trend(values, Better.HIGHER, TrendRule(window_months=18))
    assert len(longer.months_used) == 18 and longer.direction is Direction.NO_CHANGE


def test_slope_is_per_calendar_month_across_gaps() -> None:
    every_other = [MonthValue(m, 2.0 * i, RRC00) for i, m in enumerate(months(24)) if i % 2 == 0]
    got = trend(every_other, Better.HIGHER, TrendRule(window_months=24))
    assert got.slope_per_month == 2.0 and len(got.months_used) == 12


def test_noise_around_a_flat_line_is_no_significant_change() -> None:
    values = [5, 7, 4, 6, 5, 8, 4, 6, 7, 5, 6, 5]  # constructed: no direction
    got = trend(series([float(v) for v in values]), Better.LOWER)
    assert got.direction is Direction.NO_CHANGE
    assert got.p_value is not None and got.p_value > 0.5


def test_theil_sen_ignores_an_outlier() -> None:
    fit = theil_sen([0, 1, 2, 3, 4], [1, 2, 3, 4, 100])
    assert fit.slope == 1.0 and fit.low <= 1.0 <= fit.high


def test_one_value_per_month() -> None:
    twice = [MonthValue(dt.date(2025, 1, 1), 1.0, RRC00), MonthValue(dt.date(2025, 1, 1), 2.0,
                                                                      RRC00)]
    with pytest.raises(ValueError, match="two values for 2025-01"):
        trend(twice, Better.LOWER)


def test_no_value_at_all() -> None:
    got = trend(series([None, None]), Better.LOWER)
    assert (got.direction, got.reason) == (Direction.NO_TREND, "no month has a value")


def test_as_dict_is_json_ready() -> None:
    got = trend(series([float(v) for v in range(8)]), Better.HIGHER).as_dict()
    assert got["direction"] == "improving" and got["months_used"][0] == "2025-01-01"
    assert got["coverage"] == "route-views2, rrc00: 44,640 min (rw-2026.1)"


def test_comparable_months_for_a_period() -> None:
    other = Coverage("rw-2026.1", ("rrc21",), 44_640)
    coverages: dict[dt.date, Coverage | None] = dict.fromkeys(months(14), RRC00)
    coverages[dt.date(2025, 3, 1)] = other
    coverages[dt.date(2025, 4, 1)] = None
    used, excluded = comparable_months(coverages, dt.date(2026, 2, 1))
    assert used[0] == dt.date(2025, 5, 1) and len(used) == 10  # 2025-03 … 2026-02, two out
    assert excluded == [(dt.date(2025, 3, 1), "collectors rrc21, not route-views2, rrc00"),
                        (dt.date(2025, 4, 1), "coverage unknown")]
