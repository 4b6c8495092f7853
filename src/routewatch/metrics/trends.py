"""Is it getting better? A tested trend over a series of monthly values.

Role: for one metric of one area (or network) — a value per month, each month with the data
coverage it was computed from — say whether the metric is *improving*, *worsening* or shows
*no significant change*, with the evidence: the Mann–Kendall test's S, p-value and Kendall's
tau, the Theil–Sen slope per month with its confidence interval, the months used and the
months left out (and why). Which way is better depends on the metric (:class:`Better`).

Rules (:class:`TrendRule`, defaults in :data:`TREND_RULE`):

- The series ends at its latest month with a value and reaches back ``window_months``
  calendar months (12: the last year).
- Only months *comparable* to that latest month are used: the same methodology version, the
  same set of collectors, and BGP data of a similar length (the shorter of the two at least
  ``min_coverage_ratio`` of the longer). A month without a value, or without known
  coverage, is not comparable either. Every month left out is listed with its reason —
  months from different collectors or coverage are never silently compared.
- Fewer than ``min_months`` comparable months (6): no trend, and the reason says how many
  there are and why the others were left out.
- Mann–Kendall (Mann 1945, Kendall 1975, as in Gilbert 1987 §16.4): S = Σ sign(x_j − x_i)
  over all i < j. Without ties the two-sided p-value is exact (the distribution of S is
  that of the number of inversions of a permutation); with ties it uses the normal
  approximation with the tie-corrected variance and the continuity correction,
  Z = (S − sign S) / √Var S. A trend is significant when p < ``alpha`` (0.05); its
  direction is the sign of S, turned into improving / worsening by :class:`Better`.
- Theil–Sen (Sen 1968): the median of the slopes between every pair of months, per calendar
  month (months are placed at their calendar position, so a missing month leaves a gap
  instead of shortening the time axis), with its ``1 − alpha`` confidence interval
  (``scipy.stats.theilslopes``).

Inputs: :class:`MonthValue` s (month, value or None, :class:`Coverage` or None), in any
order. Output: a :class:`Trend`. Pure: no I/O, no clock, no randomness.

Failure modes: two values for the same month raise ``ValueError`` (a caller's bug: a series
is one value per month); everything about the data itself becomes a reason, never an error.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

__all__ = [
    "TREND_RULE",
    "Better",
    "Coverage",
    "Direction",
    "MannKendall",
    "MonthValue",
    "TheilSen",
    "Trend",
    "TrendRule",
    "comparable_months",
    "mann_kendall",
    "month_index",
    "theil_sen",
    "trend",
]


class Better(StrEnum):
    """Which way a metric improves: incidents should go down, shares of good practice up."""

    LOWER = "lower"
    HIGHER = "higher"


class Direction(StrEnum):
    """The verdict of a trend; values are the wire strings shown on the pages."""

    IMPROVING = "improving"
    WORSENING = "worsening"
    NO_CHANGE = "no significant change"
    NO_TREND = "no trend"  # not enough comparable months: see Trend.reason


@dataclass(frozen=True)
class TrendRule:
    """The thresholds of the trend test (see the module docstring)."""

    #: months of the window, counted back from the latest month with a value
    window_months: int = 12
    #: fewer comparable months than this: no trend
    min_months: int = 6
    #: significance level of the two-sided Mann–Kendall test; also sets the slope interval
    alpha: float = 0.05
    #: two months' BGP minutes are comparable when the shorter is at least this share of
    #: the longer
    min_coverage_ratio: float = 0.9
    #: without ties, exact p-values up to this many months (the normal approximation above)
    exact_max_n: int = 20


#: The rule routewatch uses.
TREND_RULE = TrendRule()


@dataclass(frozen=True)
class Coverage:
    """What a month was computed from: methodology, collectors and minutes of BGP data."""

    methodology: str
    collectors: tuple[str, ...]
    bgp_minutes: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "collectors", tuple(sorted(set(self.collectors))))

    def label(self) -> str:
        """``rrc21, route-views2: 44,640 min (rw-2026.1)``."""
        names = ", ".join(self.collectors) or "no collector"
        return f"{names}: {self.bgp_minutes:,.0f} min ({self.methodology})"

    def differs_from(self, other: Coverage, rule: TrendRule = TREND_RULE) -> str | None:
        """Why this month cannot be compared with ``other`` (None when it can)."""
        if self.methodology != other.methodology:
            return f"methodology {self.methodology}, not {other.methodology}"
        if self.collectors != other.collectors:
            mine = ", ".join(self.collectors) or "none"
            theirs = ", ".join(other.collectors) or "none"
            return f"collectors {mine}, not {theirs}"
        longer = max(self.bgp_minutes, other.bgp_minutes)
        if longer > 0 and min(self.bgp_minutes, other.bgp_minutes) / longer < \
                rule.min_coverage_ratio:
            return (f"{self.bgp_minutes:,.0f} minutes of BGP data, not about "
                    f"{other.bgp_minutes:,.0f}")
        return None


@dataclass(frozen=True)
class MonthValue:
    """One month of a series: the value (None = no data) and the coverage behind it."""

    month: dt.date
    value: float | None
    coverage: Coverage | None


@dataclass(frozen=True)
class MannKendall:
    """The Mann–Kendall statistic of a series and its two-sided p-value."""

    n: int
    s: int
    var_s: float
    z: float | None  # None when the p-value is exact
    p_value: float
    tau: float
    exact: bool


@dataclass(frozen=True)
class TheilSen:
    """The Theil–Sen slope (per unit of x) with its confidence interval."""

    slope: float
    low: float
    high: float


@dataclass(frozen=True)
class Trend:
    """A trend verdict with its evidence, or the reason there is none."""

    direction: Direction
    better: Better
    p_value: float | None = None
    slope_per_month: float | None = None
    slope_low: float | None = None
    slope_high: float | None = None
    s: int | None = None
    tau: float | None = None
    exact: bool | None = None
    months_used: tuple[dt.date, ...] = ()
    months_excluded: tuple[tuple[dt.date, str], ...] = ()
    coverage: Coverage | None = None
    reason: str | None = None
    alpha: float = TREND_RULE.alpha
    first_value: float | None = None
    last_value: float | None = None

    def as_dict(self) -> dict[str, object]:
        """The trend as JSON-ready values (dates as ISO text)."""
        return {
            "direction": self.direction.value,
            "better": self.better.value,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "slope_per_month": self.slope_per_month,
            "slope_low": self.slope_low,
            "slope_high": self.slope_high,
            "s": self.s,
            "tau": self.tau,
            "exact": self.exact,
            "months_used": [m.isoformat() for m in self.months_used],
            "months_excluded": [{"month": m.isoformat(), "reason": why}
                                for m, why in self.months_excluded],
            "coverage": self.coverage.label() if self.coverage else None,
            "reason": self.reason,
            "first_value": self.first_value,
            "last_value": self.last_value,
        }

    def label(self) -> str:
        """One line for a page: ``improving (p = 0.003, -0.4 per month, 12 months)``."""
        if self.direction is Direction.NO_TREND:
            return f"no trend: {self.reason}"
        assert self.p_value is not None and self.slope_per_month is not None
        return (f"{self.direction.value} (p = {_p_text(self.p_value)}, "
                f"{self.slope_per_month:+.3g} per month, {len(self.months_used)} months)")


def month_index(month: dt.date) -> int:
    """Calendar months since year 0: consecutive months differ by one."""
    return month.year * 12 + month.month - 1


# ------------------------------------------------------------------------------ the tests
def mann_kendall(values: Sequence[float], rule: TrendRule = TREND_RULE) -> MannKendall:
    """The Mann–Kendall test of ``values`` in time order (two-sided; see module doc)."""
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    if n < 2:
        raise ValueError("Mann–Kendall needs at least two values")
    upper = np.triu_indices(n, k=1)
    s = int(np.sign(x[upper[1]] - x[upper[0]]).sum())
    _, counts = np.unique(x, return_counts=True)
    ties = counts[counts > 1].astype(np.float64)
    var_s = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18
    pairs = n * (n - 1) / 2
    tau = s / pairs
    if not len(ties) and n <= rule.exact_max_n:
        return MannKendall(n, s, var_s, None, _exact_p(n, s), tau, True)
    if var_s <= 0:  # every value equal
        return MannKendall(n, s, var_s, 0.0, 1.0, tau, False)
    z = (s - math.copysign(1, s)) / math.sqrt(var_s) if s else 0.0
    return MannKendall(n, s, var_s, z, min(1.0, math.erfc(abs(z) / math.sqrt(2))), tau, False)


def _exact_p(n: int, s: int) -> float:
    """Two-sided exact p-value of S for n untied values: P(|S'| >= |S|) under no trend.

    S = n(n-1)/2 - 2 * inversions, and the number of permutations of n items with k
    inversions is the Mahonian number M(n, k) (built row by row, exact integers).
    """
    counts = [1]
    for size in range(2, n + 1):
        widened = [0] * (len(counts) + size - 1)
        for k, c in enumerate(counts):
            for j in range(size):
                widened[k + j] += c
        counts = widened
    top = n * (n - 1) // 2
    extreme = sum(c for k, c in enumerate(counts) if abs(top - 2 * k) >= abs(s))
    return min(1.0, extreme / math.factorial(n))


def theil_sen(x: Sequence[float], y: Sequence[float], alpha: float = TREND_RULE.alpha
              ) -> TheilSen:
    """The Theil–Sen slope of y over x with its ``1 - alpha`` confidence interval."""
    from scipy.stats import theilslopes  # imported here: scipy takes ~1 s to import

    fit = theilslopes(np.asarray(y, np.float64), np.asarray(x, np.float64), alpha=1 - alpha)
    return TheilSen(_clean(fit.slope), _clean(fit.low_slope), _clean(fit.high_slope))


def _clean(value: float) -> float:
    """Round away floating-point noise (-0.0, 1e-17) so equal inputs print equal slopes."""
    rounded = round(float(value), 12)
    return 0.0 if rounded == 0 else rounded


# ------------------------------------------------------------------------------ the verdict
def trend(series: Iterable[MonthValue], better: Better, rule: TrendRule = TREND_RULE) -> Trend:
    """The trend of a monthly series over its last ``window_months`` (see module doc)."""
    months = sorted(series, key=lambda m: m.month)
    _check_unique(months)
    valued = [m for m in months if m.value is not None and math.isfinite(m.value)]
    if not valued:
        return Trend(Direction.NO_TREND, better, reason="no month has a value",
                     alpha=rule.alpha)
    latest = valued[-1]
    start = month_index(latest.month) - rule.window_months + 1
    window = [m for m in months
              if start <= month_index(m.month) <= month_index(latest.month)]
    used, excluded = _comparable(window, latest, rule)
    if len(used) < rule.min_months:
        return Trend(Direction.NO_TREND, better, months_used=tuple(m.month for m in used),
                     months_excluded=tuple(excluded), coverage=latest.coverage,
                     reason=_too_few(len(used), excluded, rule), alpha=rule.alpha)
    values = [float(m.value) for m in used if m.value is not None]
    test = mann_kendall(values, rule)
    slope = theil_sen([month_index(m.month) for m in used], values, rule.alpha)
    return Trend(_direction(test, better, rule), better, test.p_value, slope.slope, slope.low,
                 slope.high, test.s, test.tau, test.exact, tuple(m.month for m in used),
                 tuple(excluded), latest.coverage, None, rule.alpha, values[0], values[-1])


def comparable_months(coverages: Mapping[dt.date, Coverage | None], last: dt.date,
                      rule: TrendRule = TREND_RULE
                      ) -> tuple[list[dt.date], list[tuple[dt.date, str]]]:
    """The months of the ``window_months`` ending with ``last`` that are comparable with it
    (the same rule as :func:`trend`; ``last`` must be among ``coverages``), and the others
    with the reason they are left out."""
    series = [MonthValue(m, 0.0, c) for m, c in coverages.items()
              if month_index(last) - rule.window_months < month_index(m) <= month_index(last)]
    latest = next(s for s in series if s.month == last)
    used, excluded = _comparable(sorted(series, key=lambda s: s.month), latest, rule)
    return [m.month for m in used], excluded


def _check_unique(months: Sequence[MonthValue]) -> None:
    for before, after in itertools.pairwise(months):
        if before.month == after.month:
            raise ValueError(f"two values for {before.month:%Y-%m} in one series")


def _comparable(window: Sequence[MonthValue], latest: MonthValue, rule: TrendRule
                ) -> tuple[list[MonthValue], list[tuple[dt.date, str]]]:
    used: list[MonthValue] = []
    excluded: list[tuple[dt.date, str]] = []
    for month in window:
        why = _why_not(month, latest, rule)
        if why is None:
            used.append(month)
        else:
            excluded.append((month.month, why))
    return used, excluded


def _why_not(month: MonthValue, latest: MonthValue, rule: TrendRule) -> str | None:
    if month.value is None or not math.isfinite(month.value):
        return "no value"
    if month.coverage is None or latest.coverage is None:
        return "coverage unknown" if month is not latest else None
    return month.coverage.differs_from(latest.coverage, rule)


def _too_few(count: int, excluded: Sequence[tuple[dt.date, str]], rule: TrendRule) -> str:
    text = (f"{count} comparable month{'s' if count != 1 else ''} in the last "
            f"{rule.window_months}, fewer than the {rule.min_months} a trend needs")
    if excluded:
        shown = "; ".join(f"{m:%Y-%m}: {why}" for m, why in excluded[:4])
        more = f"; {len(excluded) - 4} more" if len(excluded) > 4 else ""
        text += f" (left out: {shown}{more})"
    return text


def _direction(test: MannKendall, better: Better, rule: TrendRule) -> Direction:
    if test.p_value >= rule.alpha or test.s == 0:
        return Direction.NO_CHANGE
    rising = test.s > 0
    return Direction.IMPROVING if rising == (better is Better.HIGHER) else Direction.WORSENING


def _p_text(p: float) -> str:
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"
