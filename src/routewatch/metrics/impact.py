"""Does it make a difference? Cohorts side by side, and before/after with controls.

Role: answer the observatory's third question from stored months, with intervals and
sample sizes rather than bare shares.

1. **Cohort comparisons, per month** (:func:`cohort_impact`): MANRS participants against the
   other networks, RPKI signers against non-signers, for each :data:`MEASURES` entry —
   incidents per 100 networks seen in BGP, the ready share of each action (networks with
   data), the RPKI-valid share of announced pairs (pooled over the networks' pairs). Each
   side gets its value, a percentile bootstrap interval and its number of networks; the
   difference (cohort minus rest) gets its own interval. The bootstrap resamples networks
   within each side (stratified), ``replicates`` times.
2. **Before/after** (:func:`difference_in_differences`): networks that *joined MANRS* (first
   month whose participants snapshot lists the AS) or *started signing* (first month whose
   VRP snapshot holds a ROA of the AS) inside the period, against networks that did not in
   any month of it, matched on stratum (UN M49 region × size band of announced pairs in the
   network's first month). For each treated network with its first treated month t:
   change = mean outcome from t on − mean outcome before t; its controls' change is taken
   over the same split; the estimate is the mean over treated networks of (own change −
   controls' mean change). The interval is a percentile bootstrap that resamples treated
   and control networks within each stratum. :data:`ASSUMPTIONS` lists what the estimate
   rests on; the pages print them next to it.

Inputs: :func:`network_panel` builds the one table both read (:data:`NETWORK_PANEL`) from
the stored ``asn_metrics``, ``action_scores`` and ``networks`` of any number of months; the
caller picks comparable months (:func:`routewatch.metrics.trends.comparable_months`).
Outputs: :data:`COHORT_IMPACT` and :data:`DID_IMPACT` tables.

Determinism: every bootstrap draws from its own generator, seeded from ``ImpactRule.seed``
and the text of what it estimates (month, cohort, measure — or treatment and outcome), and
resamples rows grouped by value (sorted), so the same inputs give the same tables whatever
their row order or the order the estimates are computed in. Pure: no I/O, no clock.

Failure modes: none for data — a side without networks gives null values, a treatment
nobody took gives no estimate and says why in ``reason``; a panel missing a column raises
``KeyError`` (a programming error).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from routewatch.methodology import Action, Band, Methodology
from routewatch.metrics.bands import bands_of
from routewatch.metrics.rollups import COHORTS
from routewatch.metrics.trends import Better
from routewatch.schemas import COHORT_IMPACT, DID_IMPACT, NETWORK_PANEL

__all__ = [
    "ASSUMPTIONS",
    "IMPACT_RULE",
    "MEASURES",
    "OUTCOMES",
    "TREATMENTS",
    "DidEstimate",
    "ImpactRule",
    "Interval",
    "bootstrap_ratio",
    "cohort_impact",
    "did_impact",
    "difference_in_differences",
    "network_panel",
    "size_band",
]

Floats = npt.NDArray[np.float64]

#: Cohort measures: name -> which way is better.
MEASURES: dict[str, Better] = {
    "incidents_per_100_networks": Better.LOWER,
    **{f"ready_share:{a.value}": Better.HIGHER for a in Action},
    "rpki_valid_share": Better.HIGHER,
}
#: Before/after treatments: name -> the panel column that turns true when treated.
TREATMENTS: dict[str, str] = {"joined-manrs": "manrs", "started-signing": "rpki_signer"}
#: Before/after outcomes: name -> (panel column, which way is better).
OUTCOMES: dict[str, tuple[str, Better]] = {
    "incidents": ("incidents", Better.LOWER),
    Action.FILTERING.value: ("filtering", Better.HIGHER),
    Action.GLOBAL_VALIDATION_IRR.value: ("global_validation_irr", Better.HIGHER),
    Action.GLOBAL_VALIDATION_RPKI.value: ("global_validation_rpki", Better.HIGHER),
}
_SCORE_COLUMNS: dict[str, str] = {a.value: a.value.replace("-", "_") for a in Action}

#: What the before/after estimate rests on (shown with every estimate).
ASSUMPTIONS: tuple[str, ...] = (
    "Parallel trends: had they not joined or started signing, the treated networks' outcome "
    "would have changed like that of the networks of the same region and size band that "
    "did not.",
    "Lasting treatment: a network counts as treated from its first month as a participant "
    "(or with a ROA in the month's VRP snapshot) to the end of the period, even if it later "
    "leaves.",
    "No anticipation: a network did not change its routing before the month it joined or "
    "started signing because it was about to.",
    "No spill-over: one network's treatment does not change another's outcome (not quite "
    "true in routing: an upstream that filters hides its customers' incidents).",
    "Comparable months only: every month used has the same methodology, the same collectors "
    "and a similar amount of BGP data; others are left out.",
    "Sampling error only: the interval resamples networks within each stratum (percentile "
    "bootstrap, seeded); errors of the detection itself are not in it.",
    "Started signing = first month whose VRP snapshot holds a ROA of the network's AS "
    "(taken from the snapshots, not from which announcements the collectors happened to "
    "see); the global-validation-rpki outcome rises by construction and shows the "
    "mechanics, not an effect.",
)


@dataclass(frozen=True)
class ImpactRule:
    """Bootstrap and matching settings of the impact analysis."""

    #: bootstrap replicates per estimate
    replicates: int = 1000
    #: two-sided coverage of every interval
    confidence: float = 0.95
    #: root of every generator's seed
    seed: int = 2026
    #: size bands by announced pairs: [1, 10), [10, 100), [100, 1000), [1000, ...)
    size_edges: tuple[int, ...] = (10, 100, 1000)
    #: draws held in memory at once (replicates x distinct rows), bounds memory
    block_cells: int = 4_000_000


#: The rule routewatch uses.
IMPACT_RULE = ImpactRule()


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap interval (None when nothing to estimate)."""

    value: float | None
    low: float | None
    high: float | None
    n: int


# ------------------------------------------------------------------------------ the panel
def network_panel(asn_metrics: pa.Table, action_scores: pa.Table, networks: pa.Table
                  ) -> pa.Table:
    """:data:`NETWORK_PANEL` from the stored tables of one or more months (one row per
    network and month of ``asn_metrics``; networks without a ``networks`` row get no region
    and no cohort)."""
    keys = ["month", "asn"]
    base = asn_metrics.select([*keys, "seen", "pairs", "pairs_rpki_valid", "incidents"])
    for action, column in _SCORE_COLUMNS.items():
        rows = action_scores.filter(pc.equal(action_scores.column("action"), action))
        base = base.join(rows.select([*keys, "score"]).rename_columns([*keys, column]), keys,
                         join_type="left outer")
    flags = networks.select([*keys, "region", "manrs", "rpki_signer"])
    joined = base.join(flags, keys, join_type="left outer").sort_by(
        [("month", "ascending"), ("asn", "ascending")])
    valid = joined.column("pairs_rpki_valid").fill_null(0)
    columns = {name: joined.column(name) for name in joined.column_names}
    columns["manrs"] = joined.column("manrs").fill_null(False)
    columns["rpki_signer"] = joined.column("rpki_signer").fill_null(False)
    columns["covered"] = pc.greater(valid, 0)
    return pa.table({f.name: columns[f.name] for f in NETWORK_PANEL}).cast(NETWORK_PANEL)


def size_band(pairs: int | None, rule: ImpactRule = IMPACT_RULE) -> str:
    """``1-9``, ``10-99``, ``100-999``, ``1000+`` announced pairs; ``none`` without any."""
    if not pairs:
        return "none"
    lower = 1
    for edge in rule.size_edges:
        if pairs < edge:
            return f"{lower}-{edge - 1}"
        lower = edge
    return f"{lower}+"


# ------------------------------------------------------------------------------ bootstrap
def _generator(rule: ImpactRule, key: str) -> np.random.Generator:
    return np.random.default_rng([rule.seed, zlib.crc32(key.encode())])


def _uniform_draws(rng: np.random.Generator, weights: npt.NDArray[np.int64], reps: int,
                   rule: ImpactRule) -> Iterator[npt.NDArray[np.int64]]:
    """Blocks of bootstrap counts (rows: replicates; columns: distinct rows, drawn in
    proportion to ``weights``), ``reps`` rows in all."""
    total = int(weights.sum())
    probabilities = weights / total
    block = max(1, rule.block_cells // max(1, len(weights)))
    done = 0
    while done < reps:
        size = min(block, reps - done)
        yield rng.multinomial(total, probabilities, size=size)
        done += size


def bootstrap_ratio(num: Floats, den: Floats, rng: np.random.Generator,
                    rule: ImpactRule = IMPACT_RULE) -> tuple[float | None, Floats]:
    """Σ num / Σ den over the rows and its bootstrap replicates (rows resampled with
    replacement; identical rows grouped first, so row order does not matter)."""
    if not len(num):
        return None, np.full(rule.replicates, np.nan)
    rows, counts = np.unique(np.stack([num, den], axis=1), axis=0, return_counts=True)
    point = float(num.sum() / den.sum()) if den.sum() else None
    parts = [(draws @ rows[:, 0]) / (draws @ rows[:, 1])
             for draws in _uniform_draws(rng, counts, rule.replicates, rule)]
    return point, np.concatenate(parts)


def _interval(point: float | None, replicates: Floats, n: int, rule: ImpactRule) -> Interval:
    finite = replicates[np.isfinite(replicates)]
    if point is None or not len(finite):
        return Interval(point, None, None, n)
    tail = (1 - rule.confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(point, _tidy(low), _tidy(high), n)


def _tidy(value: float) -> float:
    return round(float(value), 12)


# ------------------------------------------------------------------------------ cohorts
def _measure_rows(panel: pa.Table, measure: str, method: Methodology
                  ) -> tuple[npt.NDArray[np.bool_], Floats, Floats]:
    """(rows that count, numerator, denominator) of one measure over the panel's rows."""
    n = panel.num_rows
    seen = panel.column("seen").to_numpy(zero_copy_only=False)
    if measure == "incidents_per_100_networks":
        incidents = _floats(panel.column("incidents"))
        return seen & np.isfinite(incidents), 100 * np.nan_to_num(incidents), np.ones(n)
    if measure == "rpki_valid_share":
        pairs = np.nan_to_num(_floats(panel.column("pairs")))
        valid = np.nan_to_num(_floats(panel.column("pairs_rpki_valid")))
        return seen & (pairs > 0), valid, pairs
    action = measure.removeprefix("ready_share:")
    scores = panel.column(_SCORE_COLUMNS[action])
    bands = np.asarray(bands_of(scores, method).to_pylist(), dtype=object)
    ready = (bands == Band.READY.value).astype(np.float64)
    return bands != Band.NO_DATA.value, ready, np.ones(n)


def _floats(column: pa.ChunkedArray | pa.Array) -> Floats:
    return np.asarray(column.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False),
                      dtype=np.float64)


def cohort_impact(panel: pa.Table, method: Methodology, rule: ImpactRule = IMPACT_RULE
                  ) -> pa.Table:
    """:data:`COHORT_IMPACT` for every month of the panel, cohort and measure (stamped with
    ``method``'s version)."""
    rows: list[dict[str, object]] = []
    for month in sorted(set(panel.column("month").to_pylist())):
        one = panel.filter(pc.equal(panel.column("month"), pa.scalar(month, pa.date32())))
        for flag, (member, rest) in COHORTS.items():
            members = one.column(flag).to_numpy(zero_copy_only=False)
            for measure, better in MEASURES.items():
                rows.append(_compare(one, month, member, rest, members, measure, better,
                                     method, rule))
    return pa.Table.from_pylist(rows, schema=COHORT_IMPACT)


def _compare(one: pa.Table, month: dt.date, member: str, rest: str,
             members: npt.NDArray[np.bool_], measure: str, better: Better,
             method: Methodology, rule: ImpactRule) -> dict[str, object]:
    counts, num, den = _measure_rows(one, measure, method)
    sides = []
    for side, mask in (("member", counts & members), ("other", counts & ~members)):
        rng = _generator(rule, f"{month.isoformat()}/{member}/{measure}/{side}")
        point, reps = bootstrap_ratio(num[mask], den[mask], rng, rule)
        sides.append((_interval(point, reps, int(mask.sum()), rule), reps))
    (mine, mine_reps), (theirs, their_reps) = sides
    gap = None if mine.value is None or theirs.value is None else mine.value - theirs.value
    difference = _interval(gap, mine_reps - their_reps, 0, rule)
    return {
        "month": month, "methodology": method.version, "cohort": member, "rest": rest,
        "measure": measure,
        "better": better.value, "members": mine.n, "others": theirs.n,
        "member_value": mine.value, "member_low": mine.low, "member_high": mine.high,
        "other_value": theirs.value, "other_low": theirs.low, "other_high": theirs.high,
        "difference": difference.value, "difference_low": difference.low,
        "difference_high": difference.high, "confidence": rule.confidence,
        "replicates": rule.replicates,
    }  # fmt: skip


# ------------------------------------------------------------------------------ before/after
@dataclass(frozen=True)
class DidEstimate:
    """One difference-in-differences estimate with the counts behind it (see module doc)."""

    treatment: str
    outcome: str
    better: Better
    months: tuple[dt.date, ...]
    treated: int
    unmatched: int
    controls: int
    strata: int
    treated_change: float | None
    control_change: float | None
    estimate: Interval
    confidence: float
    replicates: int
    reason: str | None = None

    def as_row(self, month: dt.date, methodology: str) -> dict[str, object]:
        """The estimate as a :data:`DID_IMPACT` row of the period ending with ``month``."""
        return {
            "month": month, "methodology": methodology, "treatment": self.treatment,
            "outcome": self.outcome, "better": self.better.value,
            "first_month": self.months[0] if self.months else None,
            "last_month": self.months[-1] if self.months else None,
            "months": len(self.months), "treated": self.treated, "unmatched": self.unmatched,
            "controls": self.controls, "strata": self.strata,
            "treated_change": self.treated_change, "control_change": self.control_change,
            "estimate": self.estimate.value, "low": self.estimate.low,
            "high": self.estimate.high, "confidence": self.confidence,
            "replicates": self.replicates, "reason": self.reason,
        }  # fmt: skip


@dataclass(frozen=True)
class _Grid:
    """The panel as network x month matrices (NaN / False where a network is absent)."""

    months: tuple[dt.date, ...]
    outcome: Floats
    status: npt.NDArray[np.bool_]
    present: npt.NDArray[np.bool_]
    strata: npt.NDArray[np.str_]


def _grid(panel: pa.Table, months: Sequence[dt.date], status: str, outcome: str,
          rule: ImpactRule) -> _Grid:
    ordered = tuple(sorted(set(months)))
    wanted = pc.is_in(panel.column("month"), pa.array(ordered, pa.date32()))
    rows = panel.filter(wanted).sort_by([("asn", "ascending"), ("month", "ascending")])
    asns, row_of = np.unique(rows.column("asn").to_numpy(), return_inverse=True)
    col_of = np.searchsorted(np.asarray(ordered, dtype="datetime64[D]"),
                             rows.column("month").to_numpy().astype("datetime64[D]"))
    shape = (len(asns), len(ordered))
    values = np.full(shape, np.nan)
    values[row_of, col_of] = _floats(rows.column(outcome))
    flags = np.zeros(shape, dtype=bool)
    flags[row_of, col_of] = rows.column(status).to_numpy(zero_copy_only=False)
    present = np.zeros(shape, dtype=bool)
    present[row_of, col_of] = True
    first = np.full(len(asns), len(rows))
    np.minimum.at(first, row_of, np.arange(len(rows)))  # rows are sorted: first month's row
    regions = rows.column("region").to_pylist()
    pairs = rows.column("pairs").to_pylist()
    strata = np.asarray([f"{regions[i] or 'unknown'} / {size_band(pairs[i], rule)}"
                         for i in first], dtype=object)
    return _Grid(ordered, values, flags, present, strata)


def _changes(values: Floats, split: int) -> Floats:
    """Per network: mean from month ``split`` on minus mean before it (NaN without both)."""
    before, after = values[:, :split], values[:, split:]
    with np.errstate(invalid="ignore"):
        mean_before = np.nansum(before, 1) / np.sum(np.isfinite(before), 1)
        mean_after = np.nansum(after, 1) / np.sum(np.isfinite(after), 1)
    return np.asarray(mean_after - mean_before, dtype=np.float64)


def _roles(grid: _Grid) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Per network: the column of its first treated month (-1: not treated in the period,
    or already at its first month), and whether it is a control (never treated)."""
    first_present = np.argmax(grid.present, axis=1)
    treated_at = np.where(grid.status.any(axis=1), np.argmax(grid.status, axis=1), -1)
    switched = treated_at > first_present
    controls = np.asarray(~grid.status.any(axis=1) & grid.present.any(axis=1), dtype=bool)
    return np.asarray(np.where(switched, treated_at, -1), dtype=np.int64), controls


def difference_in_differences(panel: pa.Table, treatment: str, outcome: str,
                              months: Sequence[dt.date], rule: ImpactRule = IMPACT_RULE
                              ) -> DidEstimate:
    """The before/after estimate of one treatment on one outcome over ``months``."""
    column, better = OUTCOMES[outcome]
    ordered = tuple(sorted(set(months)))

    def empty(reason: str, treated: int = 0, unmatched: int = 0, controls: int = 0
              ) -> DidEstimate:
        return DidEstimate(treatment, outcome, better, ordered, treated, unmatched, controls,
                           0, None, None, Interval(None, None, None, 0), rule.confidence,
                           rule.replicates, reason)

    if len(ordered) < 2:
        return empty(f"{len(ordered)} comparable month(s); a before and an after need two")
    grid = _grid(panel, ordered, TREATMENTS[treatment], column, rule)
    treated_at, controls = _roles(grid)
    units = _units(grid, treated_at, controls)
    if not units.treated_total:
        return empty(f"no network {_verb(treatment)} between {ordered[0]:%Y-%m} and "
                     f"{ordered[-1]:%Y-%m} with {outcome} measured before and after")
    if not units.matched:
        return empty("no treated network has a comparable control (same region and size "
                     "band, measured before and after)", units.treated_total,
                     units.treated_total, int(controls.sum()))
    rng = _generator(rule, f"did/{treatment}/{outcome}/{ordered[0]}/{ordered[-1]}")
    point = units.point()
    estimate = _interval(point, units.replicates(rng, rule), units.matched, rule)
    return DidEstimate(treatment, outcome, better, ordered, units.matched,
                       units.treated_total - units.matched, units.control_count,
                       len(units.strata), units.treated_change(), units.control_change(),
                       estimate, rule.confidence, rule.replicates)


def _verb(treatment: str) -> str:
    return "joined MANRS" if treatment == "joined-manrs" else "started signing"


@dataclass
class _Stratum:
    """Treated changes (with their split column) and control changes per split column."""

    treated: Floats  # own change per treated network
    split: npt.NDArray[np.int64]  # index into ``splits`` per treated network
    splits: tuple[int, ...]
    controls: Floats  # control change: controls x splits (NaN where not measured)


@dataclass
class _Units:
    strata: dict[str, _Stratum]
    treated_total: int

    @property
    def matched(self) -> int:
        return sum(len(s.treated) for s in self.strata.values())

    @property
    def control_count(self) -> int:
        return sum(len(s.controls) for s in self.strata.values())

    def _control_means(self, s: _Stratum) -> Floats:
        valid = np.isfinite(s.controls)
        with np.errstate(invalid="ignore"):
            return np.asarray(np.nansum(s.controls, 0) / valid.sum(0), dtype=np.float64)

    def point(self) -> float:
        terms = [s.treated - self._control_means(s)[s.split] for s in self.strata.values()]
        return _tidy(float(np.concatenate(terms).mean()))

    def treated_change(self) -> float:
        return _tidy(float(np.concatenate([s.treated for s in self.strata.values()]).mean()))

    def control_change(self) -> float:
        means = [self._control_means(s)[s.split] for s in self.strata.values()]
        return _tidy(float(np.concatenate(means).mean()))

    def replicates(self, rng: np.random.Generator, rule: ImpactRule) -> Floats:
        total = np.zeros(rule.replicates)
        weight = np.zeros(rule.replicates)
        for key in sorted(self.strata):
            s = self.strata[key]
            valid = np.isfinite(s.controls)
            filled = np.nan_to_num(s.controls)
            ones_c = np.ones(len(s.controls), dtype=np.int64)
            draws_c = np.concatenate(list(_uniform_draws(rng, ones_c, rule.replicates, rule)))
            with np.errstate(invalid="ignore", divide="ignore"):
                means = (draws_c @ filled) / (draws_c @ valid)  # replicates x splits
            ones_t = np.ones(len(s.treated), dtype=np.int64)
            draws_t = np.concatenate(list(_uniform_draws(rng, ones_t, rule.replicates, rule)))
            terms = s.treated[None, :] - means[:, s.split]
            total += np.where(draws_t > 0, draws_t * terms, 0.0).sum(1)
            weight += draws_t.sum(1)
        return np.asarray(total / weight, dtype=np.float64)


def _units(grid: _Grid, treated_at: npt.NDArray[np.int64],
           controls: npt.NDArray[np.bool_]) -> _Units:
    strata: dict[str, _Stratum] = {}
    treated_total = 0
    for key in sorted(set(grid.strata[treated_at >= 0].tolist())):
        in_stratum = grid.strata == key
        mine = np.flatnonzero(in_stratum & (treated_at >= 0))
        own = np.asarray([_changes(grid.outcome[[i]], int(treated_at[i]))[0] for i in mine])
        keep = np.isfinite(own)
        treated_total += int(keep.sum())
        mine, own = mine[keep], own[keep]
        splits = tuple(sorted({int(treated_at[i]) for i in mine}))
        peers = np.flatnonzero(in_stratum & controls)
        table = np.stack([_changes(grid.outcome[peers], t) for t in splits], axis=1) \
            if len(peers) and splits else np.zeros((0, len(splits)))
        measured = np.isfinite(table).any(axis=1) if len(table) else np.zeros(0, dtype=bool)
        table = table[measured]
        split_index = np.asarray([splits.index(int(treated_at[i])) for i in mine],
                                 dtype=np.int64)
        usable = np.asarray(np.isfinite(table).any(axis=0), dtype=bool) if len(table) \
            else np.zeros(len(splits), dtype=bool)
        matched = usable[split_index] if len(split_index) else np.zeros(0, dtype=bool)
        if matched.any():
            strata[key] = _Stratum(own[matched], split_index[matched], splits, table)
    return _Units(strata, treated_total)


def did_impact(panel: pa.Table, months: Sequence[dt.date], method: Methodology,
               rule: ImpactRule = IMPACT_RULE) -> pa.Table:
    """:data:`DID_IMPACT`: every treatment against every outcome over ``months`` (stamped
    with the last month and ``method``'s version)."""
    last = max(months) if months else dt.date.min
    rows = [difference_in_differences(panel, treatment, outcome, months, rule).as_row(
                last, method.version)
            for treatment in TREATMENTS for outcome in OUTCOMES]
    return pa.Table.from_pylist(rows, schema=DID_IMPACT)
