"""Reads across months: trends of areas and networks, coverage of months, the network panel.

Role: the questions that span months — "is it getting better?" and "does it make a
difference?" — read the stored months here and hand them to the pure analyses of
:mod:`routewatch.metrics.trends` and :mod:`routewatch.metrics.impact`. The pages, their JSON
twins and CSV, and the month run (which stores each month's impact tables with it) call
these functions; none of them writes.

- :func:`month_coverages`: every stored month's :class:`~routewatch.metrics.trends.Coverage`
  (collectors, minutes of BGP data, methodology; None for a month stored before coverage
  was recorded) and :func:`coverage_labels` the words shown next to each month.
- :func:`area_trends` / :func:`network_trends`: one trend per metric and action over the
  twelve months ending with a month — direction, p-value, slope per month, months used and
  left out, or why there is no trend (rows ready for JSON and CSV).
- :func:`cohort_rows`, :func:`cohort_series`, :func:`did_rows`: the stored impact tables of
  a month (and the cohort comparisons of every month, for charts), with their words and the
  assumptions of the before/after estimate (:data:`ASSUMPTIONS`).
- :func:`stored_panel`: the :data:`~routewatch.schemas.NETWORK_PANEL` of stored months, for
  the before/after estimate of a new month.

Inputs: a :class:`~routewatch.store.queries.Rows` runner (the web reader or
:class:`~routewatch.store.queries.StoreRows`), or a :class:`~routewatch.store.Store` for the
panel. Failure modes: those of the runner; a file without ``month_coverage`` (written before
schema 4) gives months of unknown coverage, never an error.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from routewatch.methodology import INCIDENT_METRICS, Action
from routewatch.metrics.impact import ASSUMPTIONS, MEASURES, OUTCOMES, network_panel
from routewatch.metrics.trends import (
    TREND_RULE,
    Better,
    Coverage,
    MonthValue,
    Trend,
    TrendRule,
    month_index,
    trend,
)
from routewatch.metrics.vocabulary import ACTION_LABELS, METRIC_LABELS
from routewatch.store.db import Store
from routewatch.store.queries import Row, Rows

__all__ = [
    "AREA_TRENDS",
    "ASSUMPTIONS",
    "MEASURE_LABELS",
    "NETWORK_TRENDS",
    "TREATMENT_LABELS",
    "TrendMetric",
    "area_trends",
    "cohort_rows",
    "cohort_series",
    "coverage_labels",
    "did_rows",
    "month_coverages",
    "network_trends",
    "stored_panel",
    "trend_row",
]


@dataclass(frozen=True)
class TrendMetric:
    """A series the trend test runs on: its key, words, and which way is better."""

    key: str
    label: str
    better: Better


#: An area's series: incidents per 100 networks and per type, the RPKI / IRR shares of its
#: announced pairs, and the ready share of each action.
AREA_TRENDS: tuple[TrendMetric, ...] = (
    TrendMetric("incidents_per_100_networks", "incidents per 100 networks", Better.LOWER),
    *(TrendMetric(f"incidents_{m.lower()}", f"{m} {METRIC_LABELS[m]}", Better.LOWER)
      for m in INCIDENT_METRICS),
    TrendMetric("rpki_valid_share", "announced pairs RPKI valid", Better.HIGHER),
    TrendMetric("rpki_invalid_share", "announced pairs RPKI invalid", Better.LOWER),
    TrendMetric("irr_registered_share", "announced pairs IRR registered", Better.HIGHER),
    *(TrendMetric(f"ready_share:{a.value}", f"ready: {ACTION_LABELS[a]}", Better.HIGHER)
      for a in Action),
)
#: A network's series: each action score and the incidents counted against it.
NETWORK_TRENDS: tuple[TrendMetric, ...] = (
    *(TrendMetric(f"score:{a.value}", ACTION_LABELS[a], Better.HIGHER) for a in Action),
    TrendMetric("incidents", "incidents counted against it", Better.LOWER),
)


# ------------------------------------------------------------------------------ coverage
def month_coverages(r: Rows) -> dict[dt.date, Coverage | None]:
    """Every month with data and what it was computed from (None: not recorded)."""
    months = [row["month"] for row in
              r.rows("SELECT DISTINCT month FROM area_summaries ORDER BY month")]
    found: dict[dt.date, Coverage | None] = dict.fromkeys(months)
    if r.has_table("month_coverage"):
        for row in r.rows("SELECT month, methodology, collectors, bgp_minutes "
                          "FROM month_coverage ORDER BY month"):
            if row["month"] in found:
                found[row["month"]] = Coverage(str(row["methodology"]),
                                               tuple(row["collectors"] or ()),
                                               float(row["bgp_minutes"]))
    return found


def coverage_labels(r: Rows) -> dict[str, str]:
    """``YYYY-MM`` -> ``rrc23: 5 min`` (per collector) for every month with data."""
    labels = {f"{m:%Y-%m}": "coverage not recorded" for m in month_coverages(r)}
    if r.has_table("month_coverage"):
        for row in r.rows("SELECT month, collector_minutes FROM month_coverage"):
            minutes = json.loads(str(row["collector_minutes"]))
            key = f"{row['month']:%Y-%m}"
            if key in labels:
                labels[key] = ", ".join(f"{c}: {m:,.0f} min" for c, m in minutes.items()) \
                    or "no BGP data"
    return labels


# ------------------------------------------------------------------------------ trends
def trend_row(metric: TrendMetric, found: Trend) -> Row:
    """A trend as a flat, JSON- and CSV-ready row with its words."""
    return {"metric": metric.key, "label": metric.label, **found.as_dict(),
            "months": len(found.months_used), "text": found.label()}


def _first(month: dt.date, rule: TrendRule) -> dt.date:
    index = month_index(month) - rule.window_months + 1
    return dt.date(index // 12, index % 12 + 1, 1)


def _series(values: dict[dt.date, float | None],
            coverages: dict[dt.date, Coverage | None]) -> list[MonthValue]:
    return [MonthValue(m, values.get(m), c) for m, c in coverages.items()]


def area_trends(r: Rows, kind: str, name: str, month: dt.date,
                rule: TrendRule = TREND_RULE) -> list[Row]:
    """One trend row per :data:`AREA_TRENDS` series of an area, over the twelve months
    ending with ``month``."""
    first = _first(month, rule)
    coverages = {m: c for m, c in month_coverages(r).items() if first <= m <= month}
    summaries = r.rows("SELECT * FROM area_summaries WHERE area_kind = ? AND area = ? AND "
                       "month BETWEEN ? AND ?", [kind, name, first, month])
    readiness = r.rows("SELECT month, action, ready_share FROM area_readiness WHERE "
                       "area_kind = ? AND area = ? AND month BETWEEN ? AND ?",
                       [kind, name, first, month])
    rows = []
    for metric in AREA_TRENDS:
        if metric.key.startswith("ready_share:"):
            action = metric.key.split(":", 1)[1]
            values = {x["month"]: x["ready_share"] for x in readiness if x["action"] == action}
        else:
            values = {x["month"]: x[metric.key] for x in summaries}
        rows.append(trend_row(metric, trend(_series(values, coverages), metric.better, rule)))
    return rows


def network_trends(r: Rows, asn: int, month: dt.date, rule: TrendRule = TREND_RULE
                   ) -> list[Row]:
    """One trend row per :data:`NETWORK_TRENDS` series of a network, over the twelve months
    ending with ``month`` (months it was not measured in have no value)."""
    first = _first(month, rule)
    coverages = {m: c for m, c in month_coverages(r).items() if first <= m <= month}
    scores = r.rows("SELECT month, action, score FROM action_scores WHERE asn = ? AND "
                    "month BETWEEN ? AND ?", [asn, first, month])
    incidents = r.rows("SELECT month, incidents FROM asn_metrics WHERE asn = ? AND "
                       "month BETWEEN ? AND ?", [asn, first, month])
    rows = []
    for metric in NETWORK_TRENDS:
        if metric.key.startswith("score:"):
            action = metric.key.split(":", 1)[1]
            values = {x["month"]: x["score"] for x in scores if x["action"] == action}
        else:
            values = {x["month"]: x["incidents"] for x in incidents}
        rows.append(trend_row(metric, trend(_series(values, coverages), metric.better, rule)))
    return rows


# ------------------------------------------------------------------------------ impact
#: Words of the cohort measures (:data:`routewatch.metrics.impact.MEASURES`).
MEASURE_LABELS: dict[str, str] = {
    "incidents_per_100_networks": "incidents per 100 networks seen in BGP",
    **{f"ready_share:{a.value}": f"share ready: {ACTION_LABELS[a]}" for a in Action},
    "rpki_valid_share": "announced pairs RPKI valid",
}
#: Words of the before/after treatments.
TREATMENT_LABELS: dict[str, str] = {"joined-manrs": "joined MANRS",
                                    "started-signing": "started signing (RPKI)"}
_OUTCOME_LABELS: dict[str, str] = {"incidents": "incidents counted against the network",
                                   **{a.value: ACTION_LABELS[a] for a in Action}}
_COHORT_COLUMNS = ("cohort, rest, measure, better, members, others, member_value, member_low, "
                   "member_high, other_value, other_low, other_high, difference, "
                   "difference_low, difference_high, confidence, replicates")


def _labelled_cohorts(rows: list[Row]) -> list[Row]:
    order = list(MEASURES)
    for row in rows:
        row["label"] = MEASURE_LABELS.get(str(row["measure"]), str(row["measure"]))
    return sorted(rows, key=lambda x: (str(x["cohort"]), order.index(x["measure"])
                                       if x["measure"] in order else len(order)))


def cohort_rows(r: Rows, month: dt.date) -> list[Row]:
    """The month's cohort comparisons (MANRS, RPKI signers against the rest), with words;
    empty on a file written before the impact tables existed (schema 5)."""
    if not r.has_table("cohort_impact"):
        return []
    return _labelled_cohorts(r.rows(f"SELECT {_COHORT_COLUMNS} FROM cohort_impact "
                                    "WHERE month = ?", [month]))


def cohort_series(r: Rows, measures: Sequence[str], last: dt.date) -> list[Row]:
    """Every stored month's comparisons of ``measures`` up to ``last`` (for charts)."""
    if not r.has_table("cohort_impact") or not measures:
        return []
    marks = ", ".join("?" * len(measures))
    rows = r.rows(f"SELECT month, {_COHORT_COLUMNS} FROM cohort_impact WHERE measure IN "
                  f"({marks}) AND month <= ? ORDER BY month", [*measures, last])
    for row in rows:
        row["month"] = f"{row['month']:%Y-%m}"
    return _labelled_cohorts(rows)


def did_rows(r: Rows, month: dt.date) -> list[Row]:
    """The before/after estimates stored with the month, with words, treatment and outcome
    in a fixed order."""
    if not r.has_table("did_impact"):
        return []
    rows = r.rows("SELECT * EXCLUDE (month, methodology) FROM did_impact WHERE month = ?",
                  [month])
    treatments, outcomes = list(TREATMENT_LABELS), list(OUTCOMES)
    for row in rows:
        row["treatment_label"] = TREATMENT_LABELS.get(str(row["treatment"]), row["treatment"])
        row["outcome_label"] = _OUTCOME_LABELS.get(str(row["outcome"]), row["outcome"])
    return sorted(rows, key=lambda x: (treatments.index(x["treatment"]),
                                       outcomes.index(x["outcome"])))


# ------------------------------------------------------------------------------ the panel
def stored_panel(store: Store, months: Sequence[dt.date]) -> pa.Table:
    """:data:`~routewatch.schemas.NETWORK_PANEL` of stored months (empty for none)."""
    wanted = sorted(set(months))
    if not wanted:
        return network_panel(*(_empty(store, t) for t in ("asn_metrics", "action_scores",
                                                           "networks")))
    marks = ", ".join("?" * len(wanted))
    metrics = store.query("SELECT month, asn, seen, pairs, pairs_rpki_valid, incidents FROM "
                          f"asn_metrics WHERE month IN ({marks})", wanted)
    scores = store.query("SELECT month, asn, action, score FROM action_scores WHERE month "
                         f"IN ({marks})", wanted)
    networks = store.query("SELECT month, asn, region, manrs, rpki_signer FROM networks "
                           f"WHERE month IN ({marks})", wanted)
    return network_panel(metrics, scores, networks)


def _empty(store: Store, table: str) -> pa.Table:
    return store.query(f'SELECT * FROM "{table}" LIMIT 0')
