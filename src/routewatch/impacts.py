"""The impact tables of a month, computed when the month is stored and written with it.

Role: "does it make a difference?" per month (:func:`month_impact`):

- **cohorts** — :func:`routewatch.metrics.impact.cohort_impact` over the month's own
  networks (MANRS participants and RPKI signers against the rest, with bootstrap intervals
  and sample sizes): a function of the month alone;
- **before/after** — :func:`routewatch.metrics.impact.did_impact` over the months of the
  twelve ending with this one that are comparable with it (same methodology, collectors and
  amount of BGP data; :func:`routewatch.metrics.trends.comparable_months`), read from the
  store, plus this month. A month stored later inside that window (run out of order) is not
  in it until this month is computed again (``routewatch run --force``).

Inputs: the store (earlier months), the month's tables and its coverage row. Outputs: the
:data:`~routewatch.schemas.COHORT_IMPACT` and :data:`~routewatch.schemas.DID_IMPACT` tables
of the month. Deterministic (seeded bootstraps). Failure modes: the store's.
"""

from __future__ import annotations

import pyarrow as pa

from routewatch.coverage import coverage_of
from routewatch.methodology import Methodology
from routewatch.metrics.impact import cohort_impact, did_impact, network_panel
from routewatch.metrics.trends import comparable_months
from routewatch.store import MonthTables, Store
from routewatch.store.analysis import month_coverages, stored_panel
from routewatch.store.queries import StoreRows

__all__ = ["month_impact"]


def month_impact(store: Store, tables: MonthTables, coverage: pa.Table,
                 method: Methodology) -> tuple[pa.Table, pa.Table]:
    """(cohort comparisons, before/after estimates) of the month ``coverage`` describes."""
    row = coverage.to_pylist()[0]
    month = row["month"]
    now = network_panel(tables.asn_metrics, tables.action_scores, tables.networks)
    cohorts = cohort_impact(now, method)
    coverages = {m: c for m, c in month_coverages(StoreRows(store)).items() if m != month}
    coverages[month] = coverage_of(row)
    used, _ = comparable_months(coverages, month)
    earlier = stored_panel(store, [m for m in used if m != month])
    panel = pa.concat_tables([earlier, now])
    return cohorts, did_impact(panel, used, method)
