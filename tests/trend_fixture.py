"""A store of eight CONSTRUCTED months with known trends, for the trend and impact pages.

No real store holds six or more comparable months (shared/data has minutes of data of a few
months), so the pages' trend labels and the before/after estimate are shown over constructed
months: ``tests/web_fixture.py``'s month (real RIR delegation records, the real detection,
metrics and roll-up code) for 2024-01 … 2024-08, each ``shift`` further from the first —
one more incident a month (incidents per 100 networks rise: *worsening*) — with a coverage
row per month (RIS rrc00, the whole month; 2024-03 from route-views2 instead, so it is left
out with its reason), and the impact tables computed by the month run's own code
(``web_fixture.write_month``). From 2024-05 on, every fourth network (counting
from the second) is a MANRS participant: the before/after estimate has treated networks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from routewatch.store import MonthTables, Store
from web_fixture import month_tables, networks, registry, write_month

__all__ = ["JOINERS", "MONTHS", "OTHER_COLLECTOR_MONTH", "build_trend_store"]

MONTHS = tuple(dt.date(2024, m, 1) for m in range(1, 9))
#: The month computed from another collector (left out of every trend).
OTHER_COLLECTOR_MONTH = dt.date(2024, 3, 1)
_JOIN_MONTH = dt.date(2024, 5, 1)


def _with_joiners(tables: MonthTables, month: dt.date, joiners: list[int]) -> MonthTables:
    if month < _JOIN_MONTH:
        return tables
    networks_table = tables.networks
    joined = pc.or_(networks_table.column("manrs"),
                    pc.is_in(networks_table.column("asn"), pa.array(joiners, pa.uint32())))
    index = networks_table.schema.get_field_index("manrs")
    return dataclasses.replace(tables, networks=networks_table.set_column(
        index, networks_table.schema.field("manrs"), joined))


#: Networks that join MANRS in 2024-05 (filled by :func:`build_trend_store`).
JOINERS: list[int] = []


def build_trend_store(path: Path) -> Store:
    """Write the eight months into a new store at ``path`` (deterministic)."""
    store = Store.open(path)
    reg = registry()
    asns = networks(reg)
    JOINERS[:] = asns[1::4]
    for shift, month in enumerate(MONTHS):
        tables = _with_joiners(month_tables(month, reg, asns, shift=shift), month, JOINERS)
        write_month(store, month, tables,
                    "route-views2" if month == OTHER_COLLECTOR_MONTH else "rrc00")
    return store
