"""The read queries of the store: every SELECT the dashboard, the API and the reports run.

Role: one named function per question a reader asks of the stored tables (months with data,
an area's summary and readiness, the world map, top culprits, a network's metrics, scores,
incidents and pairs to fix, an incident's findings, search). The dashboard
(:mod:`routewatch.web`), ``routewatch report`` and ``routewatch area`` call these instead of
writing SQL of their own, so each question has one answer.

Inputs: a :class:`Rows` runner — anything that runs a parameterised SELECT and returns rows
as dicts: the web app's bounded, time-limited reader, or :class:`StoreRows` over a
:class:`~routewatch.store.Store` (one short read-only connection per query). Values are always
bound (``?``), never formatted into SQL. Outputs: plain dicts (column name -> Python value;
DuckDB's types: ``date``, tz-aware ``datetime``, lists, dicts).

Older files: ``networks`` and ``announced_pairs`` exist from schema 3 on; the functions that
read them degrade (no names; pairs to fix from the findings) on an older file.

Failure modes: whatever the runner raises (:class:`~routewatch.errors.StoreError` from the
store; the web reader's 503 on a query over its time limit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from routewatch.metrics.advice import TO_FIX_ORDER_SQL, TO_FIX_SQL
from routewatch.reference.registry import Region, m49_regions
from routewatch.store.db import Store

__all__ = [
    "TABLE_QUERIES",
    "Row",
    "Rows",
    "StoreRows",
    "TableQuery",
    "area_options",
    "area_readiness",
    "area_readiness_all",
    "area_readiness_series",
    "area_summaries",
    "area_summary",
    "area_summary_series",
    "economies",
    "economy_map",
    "economy_regions",
    "finding_evidence",
    "incident",
    "incident_findings",
    "latest_network_month",
    "latest_run",
    "methodology_of",
    "months_with_data",
    "network_about",
    "network_incidents",
    "network_metrics",
    "network_months",
    "network_score_history",
    "network_scores",
    "own_incidents",
    "pairs_to_fix",
    "search_areas",
    "search_names",
    "search_prefix",
    "table_rows",
    "top_culprits",
]

Row = dict[str, Any]


class Rows(Protocol):
    """Runs one parameterised SELECT; rows as dicts."""

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Rows of ``sql`` (``?`` placeholders bound to ``params``)."""
        ...

    def names(self, sql: str, params: Sequence[object] = ()) -> list[str]:
        """The column names of ``sql``."""
        ...

    def has_table(self, name: str) -> bool:
        """Whether the file has the table (tables of newer schemas are optional)."""
        ...


class StoreRows:
    """A :class:`Rows` runner over a :class:`Store` (for the CLI; one connection per query)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Rows of ``sql`` as dicts."""
        return list(self.store.query(sql, params).to_pylist())

    def names(self, sql: str, params: Sequence[object] = ()) -> list[str]:
        """The column names of ``sql``."""
        return list(self.store.query(f"SELECT * FROM ({sql}) LIMIT 0", params).column_names)

    def has_table(self, name: str) -> bool:
        """Whether the store file has a table ``name``."""
        return bool(self.rows("SELECT 1 FROM information_schema.tables WHERE table_name = ?",
                              [name]))


def _one(r: Rows, sql: str, params: Sequence[object]) -> Row | None:
    found = r.rows(sql, params)
    return found[0] if found else None


# ------------------------------------------------------------------------------ economies
@cache
def economy_regions() -> dict[str, Region]:
    """ISO 3166 alpha-2 code -> its UN M49 entry (numeric code, name, region, sub-region),
    from the table packaged with routewatch."""
    return dict(sorted(m49_regions().items()))


@cache
def economies() -> dict[str, str]:
    """ISO 3166 alpha-2 code -> name."""
    return {cc: region.name for cc, region in economy_regions().items()}


# ------------------------------------------------------------------------------ months, runs
def months_with_data(r: Rows) -> list[dt.date]:
    """Months that have roll-ups, oldest first."""
    return [row["month"] for row in
            r.rows("SELECT DISTINCT month FROM area_summaries ORDER BY month")]


def methodology_of(r: Rows, month: dt.date) -> str | None:
    """The methodology version stamped on a month's roll-ups (``None`` without any)."""
    row = _one(r, "SELECT any_value(methodology) AS m FROM area_summaries WHERE month = ?",
               [month])
    return None if row is None or row["m"] is None else str(row["m"])


def latest_run(r: Rows, month: dt.date) -> Row | None:
    """The newest run of a month that did not fail: status, snapshot dates and gaps (JSON)."""
    return _one(r, "SELECT status, snapshot_dates, snapshot_gaps FROM runs WHERE month = ? "
                "AND status <> 'failed' ORDER BY started DESC LIMIT 1", [month])


# ------------------------------------------------------------------------------ areas
_READINESS = ("action, networks, ready, aspiring, lagging, no_data, ready_share, "
              "aspiring_share, lagging_share, mean_score, ready_share_change")


def area_summary(r: Rows, month: dt.date, kind: str, name: str) -> Row | None:
    """State of routing security of one area in one month (``None`` when not measured)."""
    return _one(r, "SELECT * EXCLUDE (month, methodology) FROM area_summaries WHERE month = ? "
                "AND area_kind = ? AND area = ?", [month, kind, name])


def area_readiness(r: Rows, month: dt.date, kind: str, name: str) -> list[Row]:
    """Band counts and shares of one area per action, in one month."""
    return r.rows(f"SELECT {_READINESS} FROM area_readiness WHERE month = ? AND area_kind = ? "
                  "AND area = ?", [month, kind, name])


def area_summaries(r: Rows, month: dt.date) -> list[Row]:
    """Every area's summary row of one month."""
    return r.rows("SELECT * FROM area_summaries WHERE month = ?", [month])


def area_readiness_all(r: Rows, month: dt.date) -> list[Row]:
    """Every area's readiness rows of one month."""
    return r.rows("SELECT * FROM area_readiness WHERE month = ?", [month])


def area_summary_series(r: Rows, kind: str, name: str, first: dt.date,
                        last: dt.date) -> list[Row]:
    """One area's summaries of the months ``first`` … ``last``, oldest first."""
    return r.rows("SELECT * EXCLUDE (methodology, area_kind, area) FROM area_summaries "
                  "WHERE area_kind = ? AND area = ? AND month BETWEEN ? AND ? ORDER BY month",
                  [kind, name, first, last])


def area_readiness_series(r: Rows, kind: str, name: str, first: dt.date,
                          last: dt.date) -> list[Row]:
    """One area's ready share and mean score per action over the months ``first`` … ``last``."""
    return r.rows("SELECT month, action, ready_share, mean_score FROM area_readiness "
                  "WHERE area_kind = ? AND area = ? AND month BETWEEN ? AND ? "
                  "ORDER BY month, action", [kind, name, first, last])


def area_options(r: Rows, month: dt.date) -> list[Row]:
    """Every area with data in a month: kind, name, networks."""
    return r.rows("SELECT area_kind AS kind, area AS name, networks FROM area_summaries "
                  "WHERE month = ? ORDER BY area_kind, area", [month])


def economy_map(r: Rows, month: dt.date, action: str) -> list[Row]:
    """Economies of a month with networks, the action's ready share and mean score, and the
    M49 numeric code, name, region and sub-region (economies outside M49 are left out)."""
    rows = r.rows(
        "SELECT s.area AS economy, s.networks, x.ready_share, x.mean_score, "
        "x.networks - x.no_data AS with_data FROM area_summaries AS s "
        "LEFT JOIN area_readiness AS x ON x.month = s.month AND x.area_kind = s.area_kind "
        "AND x.area = s.area AND x.action = ? "
        "WHERE s.month = ? AND s.area_kind = 'economy' ORDER BY s.networks DESC, s.area",
        [action, month])
    regions = economy_regions()
    out = []
    for row in rows:
        region = regions.get(str(row["economy"]))
        if region is not None:
            out.append({**row, "numeric": region.m49, "name": region.name,
                        "region": region.region, "sub_region": region.sub_region})
    return out


#: SQL condition on the ``networks`` row ``n`` of a culprit, per area kind.
_AREA_CONDITION: dict[str, str] = {
    "economy": "coalesce(n.economy, 'unknown') = ?",
    "region": "coalesce(n.region, 'unknown') = ?",
    "sub-region": "coalesce(n.sub_region, 'unknown') = ?",
    "rir": "coalesce(n.rir, 'unknown') = ?",
    "cohort": "(CASE WHEN ? LIKE 'rpki%' THEN (CASE WHEN n.rpki_signer THEN 'rpki-signer' "
              "ELSE 'rpki-non-signer' END) ELSE (CASE WHEN n.manrs THEN 'manrs' "
              "ELSE 'non-manrs' END) END) = ?",
}


def top_culprits(r: Rows, month: dt.date, kind: str, name: str, limit: int = 10) -> list[Row]:
    """The ASes with the heaviest own scored incidents (M1 … M4) in an area."""
    joined = r.has_table("networks")
    condition, values = "TRUE", []
    if kind in _AREA_CONDITION and joined:
        condition = _AREA_CONDITION[kind]
        values = [name] * condition.count("?")
    names = ("LEFT JOIN networks AS n ON n.month = i.month AND n.asn = i.asn" if joined
             else "LEFT JOIN (SELECT NULL::UINTEGER AS asn, NULL AS name, NULL AS economy) "
             "AS n ON n.asn = i.asn")
    return r.rows(
        "SELECT i.asn, any_value(n.name) AS name, any_value(n.economy) AS economy, "
        "count(*) AS incidents, sum(i.weight) AS weight, "
        "list_sort(list_distinct(list(i.metric))) AS metrics FROM incidents AS i "
        f"{names} WHERE i.month = ? AND i.asn IS NOT NULL AND i.scored "
        f"AND i.metric NOT LIKE '%C' AND {condition} "
        "GROUP BY i.asn ORDER BY weight DESC, incidents DESC, i.asn LIMIT ?",
        [month, *values, limit])


# ------------------------------------------------------------------------------ networks
def network_months(r: Rows, asn: int) -> list[dt.date]:
    """Months in which the AS was measured, oldest first."""
    return [row["month"] for row in
            r.rows("SELECT month FROM asn_metrics WHERE asn = ? ORDER BY month", [asn])]


def network_metrics(r: Rows, asn: int, month: dt.date) -> Row | None:
    """The AS's ``asn_metrics`` row of the month (with ``methodology``, without month/asn)."""
    return _one(r, "SELECT * EXCLUDE (month, asn) FROM asn_metrics WHERE asn = ? "
                "AND month = ?", [asn, month])


def network_about(r: Rows, asn: int, month: dt.date) -> Row:
    """Name, economy, region, sub-region, RIR and cohort flags (empty on an older file or an
    AS without a ``networks`` row)."""
    if not r.has_table("networks"):
        return {}
    return _one(r, "SELECT * EXCLUDE (month, methodology, asn) FROM networks WHERE asn = ? "
                "AND month = ?", [asn, month]) or {}


def network_scores(r: Rows, asn: int, month: dt.date) -> list[Row]:
    """The AS's action scores and bands of the month."""
    return r.rows("SELECT action, score, band FROM action_scores WHERE asn = ? AND month = ?",
                  [asn, month])


def network_score_history(r: Rows, asn: int, first: dt.date, last: dt.date) -> list[Row]:
    """The AS's scores and bands per month and action from ``first`` to ``last``."""
    return r.rows("SELECT month, action, score, band FROM action_scores WHERE asn = ? "
                  "AND month BETWEEN ? AND ? ORDER BY month, action", [asn, first, last])


_INCIDENT_COLUMNS = ('incident_id, metric, asn, culprit_asns, accomplice_asns, '
                     'accomplice_relation, scored, "start", "end", duration_s, weight, '
                     'peak_visibility, prefixes, origins, decided_by, labels, sample_path, '
                     'confidence, confidence_reasons')


def network_incidents(r: Rows, asn: int, month: dt.date) -> list[Row]:
    """Incidents of the month the AS takes part in (counted against it, as a culprit or as an
    accomplice), by start."""
    return r.rows(
        f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE month = ? AND (asn = ? OR "
        "list_contains(culprit_asns, ?) OR list_contains(accomplice_asns, ?)) "
        'ORDER BY "start", incident_id', [month, asn, asn, asn])


def own_incidents(r: Rows, asn: int, month: dt.date) -> list[Row]:
    """Incidents of the month counted against the AS (``asn`` column), with finding ids."""
    return r.rows(
        'SELECT metric, "start", "end", duration_s, weight, peak_visibility, prefixes, origins, '
        "culprit_asns, accomplice_asns, decided_by, labels, sample_path, finding_ids, scored, "
        "confidence, confidence_reasons "
        'FROM incidents WHERE month = ? AND asn = ? ORDER BY "start", metric, incident_id',
        [month, asn])


def finding_evidence(r: Rows, month: dt.date, finding_id: str) -> Row | None:
    """The evidence columns of one finding."""
    return _one(r, "SELECT rov_state, rov_reason, rov_vrps, irr_state, edges, bogons, "
                "witnesses, conflict_origins FROM findings WHERE month = ? AND finding_id = ? "
                "LIMIT 1", [month, finding_id])


def pairs_to_fix(r: Rows, asn: int, month: dt.date, limit: int | None = None) -> list[Row]:
    """The AS's announced pairs that lower an Action 4 score, in advice order
    (:mod:`routewatch.metrics.advice`): prefix, origin_asn, peer_asns, rov_state, rov_reason,
    irr_state. On a file older than schema 3, from the AS's findings (``peer_asns`` null)."""
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    if r.has_table("announced_pairs"):
        return r.rows("SELECT prefix, origin_asn, peer_asns, rov_state, rov_reason, irr_state "
                      f"FROM announced_pairs WHERE month = ? AND origin_asn = ? AND {TO_FIX_SQL} "
                      f"ORDER BY {TO_FIX_ORDER_SQL}{cap}", [month, asn])
    return r.rows("SELECT * FROM (SELECT prefix, origin_asn, NULL::UINTEGER AS peer_asns, "
                  "any_value(rov_state) AS rov_state, any_value(rov_reason) AS rov_reason, "
                  "any_value(irr_state) AS irr_state FROM findings WHERE month = ? AND "
                  "origin_asn = ? AND rov_state IS NOT NULL AND irr_state IS NOT NULL "
                  f"GROUP BY prefix, origin_asn) WHERE {TO_FIX_SQL} "
                  f"ORDER BY {TO_FIX_ORDER_SQL}{cap}", [month, asn])


# ------------------------------------------------------------------------------ incidents
def incident(r: Rows, incident_id: str) -> Row | None:
    """The newest stored incident with that id (every column)."""
    return _one(r, "SELECT * FROM incidents WHERE incident_id = ? ORDER BY month DESC",
                [incident_id])


def incident_findings(r: Rows, month: dt.date, finding_ids: Sequence[str]) -> list[Row]:
    """The findings of an incident, by start (without the prefix bit columns)."""
    return r.rows(
        "SELECT * EXCLUDE (month, afi, prefix_hi, prefix_lo, prefix_len) FROM findings "
        "WHERE month = ? AND list_contains(?::VARCHAR[], finding_id) "
        'ORDER BY "start", finding_id', [month, list(finding_ids)])


# ------------------------------------------------------------------------------ search
def search_prefix(r: Rows, month: dt.date, prefix: str, address: str) -> list[Row]:
    """Incidents of the month whose findings are for ``prefix`` or start with ``address``."""
    return r.rows(
        "SELECT DISTINCT i.incident_id, i.metric, i.asn, f.prefix, f.origin_asn "
        "FROM findings AS f JOIN incidents AS i ON i.month = f.month "
        "AND list_contains(i.finding_ids, f.finding_id) WHERE f.month = ? "
        "AND (f.prefix = ? OR starts_with(f.prefix, ?)) ORDER BY f.prefix LIMIT 50",
        [month, prefix, address])


def search_names(r: Rows, month: dt.date, text: str) -> list[Row]:
    """Networks of the month whose name contains ``text`` (case-insensitive)."""
    if not r.has_table("networks"):
        return []
    return r.rows("SELECT asn, name, economy FROM networks WHERE month = ? AND name ILIKE ? "
                  "ORDER BY asn LIMIT 50", [month, f"%{text}%"])


def latest_network_month(r: Rows, asn: int) -> dt.date | None:
    """The newest month in which the AS was measured."""
    row = _one(r, "SELECT max(month) AS month FROM asn_metrics WHERE asn = ?", [asn])
    return None if row is None else row["month"]


def search_areas(r: Rows, month: dt.date) -> list[Row]:
    """Every area of the month but the world, the most networks first."""
    return r.rows("SELECT area_kind, area, networks FROM area_summaries WHERE month = ? "
                  "AND area_kind <> 'world' ORDER BY networks DESC", [month])


# ------------------------------------------------------------------------------ tables
@dataclass(frozen=True)
class TableQuery:
    """A stored table as the API pages through it: its order, the columns it leaves out, and
    the condition behind each filter (every ``?`` bound to the filter's value)."""

    table: str
    order: str
    conditions: Mapping[str, str]
    monthly: bool = True
    exclude: tuple[str, ...] = ()


_IN_ECONOMY = ("EXISTS (SELECT 1 FROM networks AS n WHERE n.month = {table}.month AND "
               "n.asn = {table}.asn AND coalesce(n.economy, 'unknown') = ?)")

#: API table name -> how to query it.
TABLE_QUERIES: Mapping[str, TableQuery] = {
    "areas": TableQuery("area_summaries", "area_kind, area",
                        {"kind": "area_kind = ?", "area": "area = ?"}),
    "readiness": TableQuery("area_readiness", "area_kind, area, action",
                            {"kind": "area_kind = ?", "area": "area = ?",
                             "action": "action = ?"}),
    "networks": TableQuery("networks", "asn", {
        "asn": "asn = ?", "economy": "coalesce(economy, 'unknown') = ?",
        "region": "region = ?", "manrs": "manrs = ?"}),
    "metrics": TableQuery("asn_metrics", "asn", {
        "asn": "asn = ?", "economy": _IN_ECONOMY.format(table="asn_metrics")}),
    "pairs": TableQuery("announced_pairs", "prefix, origin_asn", {
        "asn": "origin_asn = ?", "prefix": "prefix = ?", "rov_state": "rov_state = ?",
        "irr_state": "irr_state = ?"}),
    "scores": TableQuery("action_scores", "asn, action", {
        "asn": "asn = ?", "action": "action = ?", "band": "band = ?"}),
    "incidents": TableQuery("incidents", '"start", incident_id', {
        "asn": "(asn = ? OR list_contains(culprit_asns, ?) OR list_contains(accomplice_asns, ?))",
        "metric": "metric = ?", "prefix": "list_contains(prefixes, ?)"}),
    "findings": TableQuery("findings", '"start", finding_id', {
        "asn": "(culprit_asn = ? OR origin_asn = ? OR accomplice_asn = ?)",
        "metric": "metric = ?", "prefix": "prefix = ?"}, exclude=("prefix_hi", "prefix_lo")),
    "runs": TableQuery("runs", "started", {}),
    "coverage": TableQuery("month_coverage", "month", {}, monthly=False),
    "cohort-impact": TableQuery("cohort_impact", "cohort, measure", {
        "cohort": "cohort = ?", "measure": "measure = ?"}),
    "did-impact": TableQuery("did_impact", "treatment, outcome", {
        "treatment": "treatment = ?", "outcome": "outcome = ?"}),
}


def table_rows(r: Rows, name: str, month: dt.date | None, filters: Mapping[str, object],
               limit: int, offset: int) -> tuple[int, list[str], list[Row]]:
    """One page of an API table: (rows matching in all, column names, the page's rows)."""
    spec = TABLE_QUERIES[name]
    where: list[str] = ["TRUE"]
    values: list[object] = []
    if spec.monthly and month is not None:
        where.append("month = ?")
        values.append(month)
    for filter_name, value in filters.items():
        condition = spec.conditions[filter_name]
        where.append(condition)
        values += [value] * condition.count("?")
    condition = " AND ".join(where)
    exclude = f" EXCLUDE ({', '.join(spec.exclude)})" if spec.exclude else ""
    total = int(r.rows(f'SELECT count(*) AS n FROM "{spec.table}" WHERE {condition}',
                       values)[0]["n"])
    select = f'SELECT *{exclude} FROM "{spec.table}" WHERE {condition} ORDER BY {spec.order}'
    rows = r.rows(f"{select} LIMIT ? OFFSET ?", [*values, limit, offset])
    columns = list(rows[0]) if rows else r.names(select, values)
    return total, columns, rows
