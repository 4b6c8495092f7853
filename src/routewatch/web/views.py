"""The dicts behind every page: one function per page, shared by its HTML and its JSON twin.

Role: each ``*_view`` function takes a :class:`~routewatch.web.reader.Reader` and parsed
parameters and returns a plain, JSON-ready dict (dates and times are converted by the app's
encoder). The HTML templates render exactly this dict; ``/api/v1/...`` returns it as JSON.
Every dict carries ``page``, ``as_of`` (the month shown, ``YYYY-MM``) and ``methodology``
(the version stamped on the rows shown).

Inputs: the store's tables ``area_summaries``, ``area_readiness``, ``asn_metrics``,
``action_scores``, ``incidents``, ``findings``, ``runs``, and (schema 3) ``networks`` (name,
economy, region, RIR, cohorts per ASN) and ``announced_pairs`` (see
:mod:`routewatch.store.migrations`); pages degrade to "unknown" on an older file without them.

Failure modes: :class:`~routewatch.web.params.ApiError` 404 (``not-found``) for a month,
area, network or incident without data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from routewatch.errors import ConfigError
from routewatch.methodology import METHODOLOGIES, RW_2026_1, methodology
from routewatch.metrics import Action
from routewatch.metrics.scores import INCIDENT_METRICS
from routewatch.reference.registry import m49_regions
from routewatch.web.params import WORLD, ApiError, Area, economies, parse_asn
from routewatch.web.reader import Reader, Row

__all__ = [
    "ACTIONS",
    "METRIC_LABELS",
    "PRESETS",
    "WORLD",
    "compare_view",
    "history_view",
    "incident_view",
    "latest_month",
    "methodology_view",
    "months_with_data",
    "network_view",
    "overview_view",
    "search_view",
]

#: Actions in display order, with their labels.
ACTIONS: dict[str, str] = {
    Action.FILTERING.value: "Filtering (Action 1)",
    Action.ANTI_SPOOFING.value: "Anti-spoofing (Action 2)",
    Action.COORDINATION.value: "Coordination (Action 3)",
    Action.GLOBAL_VALIDATION_IRR.value: "Global validation: IRR (Action 4)",
    Action.GLOBAL_VALIDATION_RPKI.value: "Global validation: RPKI (Action 4)",
}
METRIC_LABELS: dict[str, str] = {
    "M1": "route leaks", "M1C": "route leaks by customers",
    "M2": "hijacks / mis-originations", "M2C": "hijacks by customers",
    "M3": "bogon prefixes", "M3C": "bogon prefixes by customers",
    "M4": "bogon ASNs", "M4C": "bogon ASNs by customers",
}
_READINESS_COLUMNS = ("action, networks, ready, aspiring, lagging, no_data, ready_share, "
                      "aspiring_share, lagging_share, mean_score, ready_share_change")
_INCIDENT_COLUMNS = ('incident_id, metric, asn, culprit_asns, accomplice_asns, '
                     'accomplice_relation, scored, "start", "end", duration_s, weight, '
                     'peak_visibility, prefixes, origins, decided_by, labels, sample_path')


# ------------------------------------------------------------------------------ months
def months_with_data(r: Reader) -> list[dt.date]:
    """Months that have roll-ups, oldest first."""
    rows = r.rows("SELECT DISTINCT month FROM area_summaries ORDER BY month")
    return [row["month"] for row in rows]


def latest_month(r: Reader) -> dt.date | None:
    """The newest month with data."""
    found = months_with_data(r)
    return found[-1] if found else None


def _pick_month(r: Reader, requested: dt.date | None) -> tuple[dt.date, list[dt.date]]:
    available = months_with_data(r)
    if not available:
        raise ApiError(404, "not-found", "the database holds no month yet; run the pipeline "
                       "('routewatch run') first", None)
    if requested is None:
        return available[-1], available
    if requested not in available:
        raise ApiError(404, "not-found", f"no data for {requested:%Y-%m}; months with data: "
                       + ", ".join(f"{m:%Y-%m}" for m in available), "month")
    return requested, available


def _methodology_of(r: Reader, month: dt.date) -> str:
    version = r.scalar("SELECT any_value(methodology) FROM area_summaries WHERE month = ?",
                       [month])
    return str(version) if version else RW_2026_1.version


def _stamp(page: str, month: dt.date | None, stamped: str, **fields: Any) -> dict[str, Any]:
    return {"page": page, "as_of": None if month is None else f"{month:%Y-%m}",
            "methodology": stamped, **fields}


def _twelve(month: dt.date) -> dt.date:
    """The first month of the rolling twelve months that end with ``month``."""
    index = month.year * 12 + month.month - 1 - 11
    return dt.date(index // 12, index % 12 + 1, 1)


def _by_action(rows: list[Row]) -> list[Row]:
    order = list(ACTIONS)
    for row in rows:
        row["label"] = ACTIONS.get(str(row["action"]), str(row["action"]))
    return sorted(rows, key=lambda row: order.index(row["action"]) if row["action"] in order
                  else len(order))


def _area_label(area: Area) -> str:
    if area.kind == "economy":
        return f"{economies().get(area.name, area.name)} ({area.name})"
    if area.kind == "world":
        return "World"
    return f"{area.name} ({area.kind})"


# ------------------------------------------------------------------------------ overview
def overview_view(r: Reader, month: dt.date | None, area: Area, action: str) -> dict[str, Any]:
    """Overview: state of routing security and readiness of one area, the world map."""
    chosen, available = _pick_month(r, month)
    summary = _summary(r, chosen, area)
    readiness = _by_action(r.rows(
        f"SELECT {_READINESS_COLUMNS} FROM area_readiness WHERE month = ? AND area_kind = ? "
        "AND area = ?", [chosen, area.kind, area.name]))
    return _stamp(
        "overview", chosen, _methodology_of(r, chosen),
        months=[f"{m:%Y-%m}" for m in available],
        area={"kind": area.kind, "name": area.name, "key": area.key,
              "label": _area_label(area)},
        action=action, actions=ACTIONS,
        summary=summary,
        incidents_by_metric=[{"metric": m, "label": METRIC_LABELS[m],
                              "incidents": summary[f"incidents_{m.lower()}"]}
                             for m in INCIDENT_METRICS],
        readiness=readiness,
        map=_map_rows(r, chosen, area, action),
        top_culprits=_top_culprits(r, chosen, area),
        area_options=_area_options(r, chosen),
    )


def _summary(r: Reader, month: dt.date, area: Area) -> Row:
    summary = r.one("SELECT * EXCLUDE (month, methodology) FROM area_summaries WHERE month = ? "
                    "AND area_kind = ? AND area = ?", [month, area.kind, area.name])
    if summary is None:
        raise ApiError(404, "not-found", f"no networks measured in {area.key} in "
                       f"{month:%Y-%m}; see /api/v1/areas for the areas with data", "area")
    return summary


def _map_rows(r: Reader, month: dt.date, area: Area, action: str) -> list[Row]:
    rows = r.rows(
        "SELECT s.area AS economy, s.networks, x.ready_share, x.mean_score, "
        "x.networks - x.no_data AS with_data FROM area_summaries AS s "
        "LEFT JOIN area_readiness AS x ON x.month = s.month AND x.area_kind = s.area_kind "
        "AND x.area = s.area AND x.action = ? "
        "WHERE s.month = ? AND s.area_kind = 'economy' ORDER BY s.networks DESC, s.area",
        [action, month])
    regions = m49_regions()
    out = []
    for row in rows:
        region = regions.get(str(row["economy"]))
        if region is None:
            continue
        row["numeric"] = region.m49
        row["name"] = region.name
        row["in_area"] = _economy_in(area, region.alpha2, region.region, region.sub_region)
        out.append(row)
    return out


def _economy_in(area: Area, cc: str, region: str, sub_region: str) -> bool:
    if area.kind == "economy":
        return area.name == cc
    if area.kind == "region":
        return area.name == region
    if area.kind == "sub-region":
        return area.name == sub_region
    return True


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


def _top_culprits(r: Reader, month: dt.date, area: Area, limit: int = 10) -> list[Row]:
    """The ASes with the heaviest own incidents (M1 … M4) in the area."""
    joined = r.has_table("networks")
    condition, values = "TRUE", []
    if area.kind in _AREA_CONDITION and joined:
        condition = _AREA_CONDITION[area.kind]
        values = [area.name] * condition.count("?")
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


def _area_options(r: Reader, month: dt.date) -> list[Row]:
    rows = r.rows("SELECT area_kind AS kind, area AS name, networks FROM area_summaries "
                  "WHERE month = ? ORDER BY area_kind, area", [month])
    for row in rows:
        area = Area(str(row["kind"]), str(row["name"]))
        row["key"] = area.key
        row["label"] = _area_label(area)
    return rows


# ------------------------------------------------------------------------------ history
def history_view(r: Reader, month: dt.date | None, area: Area) -> dict[str, Any]:
    """History: the rolling twelve months ending with ``month`` for one area."""
    chosen, available = _pick_month(r, month)
    first = _twelve(chosen)
    summaries = r.rows("SELECT * EXCLUDE (methodology, area_kind, area) FROM area_summaries "
                       "WHERE area_kind = ? AND area = ? AND month BETWEEN ? AND ? "
                       "ORDER BY month", [area.kind, area.name, first, chosen])
    if not summaries:
        raise ApiError(404, "not-found", f"no data for {area.key} in the twelve months to "
                       f"{chosen:%Y-%m}", "area")
    readiness = r.rows("SELECT month, action, ready_share, mean_score FROM area_readiness "
                       "WHERE area_kind = ? AND area = ? AND month BETWEEN ? AND ? "
                       "ORDER BY month, action", [area.kind, area.name, first, chosen])
    series = []
    for row in summaries:
        shares = {str(x["action"]): x["ready_share"] for x in readiness
                  if x["month"] == row["month"]}
        series.append({**row, "month": f"{row['month']:%Y-%m}", "ready_share": shares})
    return _stamp("history", chosen, _methodology_of(r, chosen),
                  months=[f"{m:%Y-%m}" for m in available],
                  area={"kind": area.kind, "name": area.name, "key": area.key,
                        "label": _area_label(area)},
                  first=f"{first:%Y-%m}", actions=ACTIONS, metrics=METRIC_LABELS,
                  series=series, area_options=_area_options(r, chosen))


# ------------------------------------------------------------------------------ comparison
#: Ready-made comparisons offered on the comparison page.
PRESETS: dict[str, str] = {
    "MANRS participants vs others": "cohort:manrs,cohort:non-manrs",
    "RPKI signers vs non-signers": "cohort:rpki-signer,cohort:rpki-non-signer",
}


def compare_view(r: Reader, month: dt.date | None, areas: Sequence[Area]) -> dict[str, Any]:
    """Comparison: two or more areas side by side for one month."""
    chosen, available = _pick_month(r, month)
    columns = []
    for area in areas:
        summary = r.one("SELECT * EXCLUDE (month, methodology) FROM area_summaries "
                        "WHERE month = ? AND area_kind = ? AND area = ?",
                        [chosen, area.kind, area.name])
        readiness = _by_action(r.rows(
            f"SELECT {_READINESS_COLUMNS} FROM area_readiness WHERE month = ? "
            "AND area_kind = ? AND area = ?", [chosen, area.kind, area.name]))
        columns.append({"key": area.key, "kind": area.kind, "name": area.name,
                        "label": _area_label(area), "summary": summary,
                        "readiness": readiness})
    return _stamp("compare", chosen, _methodology_of(r, chosen),
                  months=[f"{m:%Y-%m}" for m in available], actions=ACTIONS,
                  metrics=METRIC_LABELS, areas=columns, presets=PRESETS,
                  selected=",".join(a.key for a in areas),
                  area_options=_area_options(r, chosen))


# ------------------------------------------------------------------------------ network
def network_view(r: Reader, asn: int, month: dt.date | None) -> dict[str, Any]:
    """Network: one ASN's scores, incidents, what to fix, history and downloads."""
    measured = [row["month"] for row in
                r.rows("SELECT month FROM asn_metrics WHERE asn = ? ORDER BY month", [asn])]
    if not measured:
        raise ApiError(404, "not-found", f"AS{asn} was not measured in any month; search by "
                       "name, prefix or economy at /search", "asn")
    chosen = measured[-1] if month is None else month
    if chosen not in measured:
        raise ApiError(404, "not-found", f"AS{asn} has no data for {chosen:%Y-%m}; months: "
                       + ", ".join(f"{m:%Y-%m}" for m in measured), "month")
    metrics = r.one("SELECT * EXCLUDE (month, asn) FROM asn_metrics WHERE asn = ? "
                    "AND month = ?", [asn, chosen]) or {}
    scores = _by_action(r.rows("SELECT action, score, band FROM action_scores WHERE asn = ? "
                               "AND month = ?", [asn, chosen]))
    history = r.rows("SELECT month, action, score, band FROM action_scores WHERE asn = ? "
                     "AND month BETWEEN ? AND ? ORDER BY month, action",
                     [asn, _twelve(chosen), chosen])
    incidents = r.rows(
        f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE month = ? AND (asn = ? OR "
        "list_contains(culprit_asns, ?) OR list_contains(accomplice_asns, ?)) "
        'ORDER BY "start", incident_id', [chosen, asn, asn, asn])
    for incident in incidents:
        culprits = incident["culprit_asns"] or []
        incident["role"] = "culprit" if asn in culprits else "accomplice"
        incident["counted"] = incident["asn"] == asn  # counts against this AS's metrics
        incident["label"] = METRIC_LABELS.get(str(incident["metric"]), incident["metric"])
    return _stamp(
        "network", chosen, str(metrics.get("methodology") or RW_2026_1.version),
        asn=asn, months=[f"{m:%Y-%m}" for m in measured], actions=ACTIONS,
        about=_about(r, asn, chosen), metrics=metrics, scores=scores,
        history=_pivot_history(history), incidents=incidents,
        to_fix=_to_fix(r, asn, chosen, metrics),
        downloads={
            "scores.csv": f"/api/v1/scores.csv?asn={asn}&month={chosen:%Y-%m}",
            "metrics.csv": f"/api/v1/metrics.csv?asn={asn}&month={chosen:%Y-%m}",
            "pairs.csv": f"/api/v1/pairs.csv?asn={asn}&month={chosen:%Y-%m}&limit=1000",
            "incidents.csv": f"/api/v1/incidents.csv?asn={asn}&month={chosen:%Y-%m}",
            "findings.csv": f"/api/v1/findings.csv?asn={asn}&month={chosen:%Y-%m}",
            "network.json": f"/api/v1/networks/{asn}?month={chosen:%Y-%m}",
        },
    )


def _about(r: Reader, asn: int, month: dt.date) -> Row:
    """Name, economy, region, RIR and cohorts from the ``networks`` table (schema 3)."""
    row: Row = {}
    if r.has_table("networks"):
        row = r.one("SELECT * EXCLUDE (month, methodology, asn) FROM networks WHERE asn = ? "
                    "AND month = ?", [asn, month]) or {}
    economy = row.get("economy")
    return {"name": row.get("name"), "economy": economy,
            "economy_name": economies().get(str(economy)) if economy else None,
            "region": row.get("region"), "sub_region": row.get("sub_region"),
            "rir": row.get("rir"), "manrs": row.get("manrs"),
            "rpki_signer": row.get("rpki_signer")}


def _pivot_history(rows: list[Row]) -> list[Row]:
    months: dict[str, Row] = {}
    for row in rows:
        key = f"{row['month']:%Y-%m}"
        months.setdefault(key, {"month": key, "scores": {}, "bands": {}})
        months[key]["scores"][row["action"]] = row["score"]
        months[key]["bands"][row["action"]] = row["band"]
    return list(months.values())


#: Most pairs listed under "what to fix" (the CSV download has them all).
_FIX_ROWS = 500


def _to_fix(r: Reader, asn: int, month: dt.date, metrics: Row) -> dict[str, Any]:
    """The AS's announced pairs that are RPKI invalid or not IRR registered, each with what to
    change (from ``announced_pairs``; from its findings on an older store), and the counts."""
    problem = ("(rov_state = 'invalid' OR irr_state IN ('not-registered', 'other-origin'))")
    if r.has_table("announced_pairs"):
        rows = r.rows("SELECT prefix, origin_asn, rov_state, rov_reason, irr_state, peer_asns "
                      f"FROM announced_pairs WHERE month = ? AND origin_asn = ? AND {problem} "
                      "ORDER BY rov_state = 'invalid' DESC, prefix LIMIT ?",
                      [month, asn, _FIX_ROWS])
    else:
        rows = r.rows("SELECT prefix, origin_asn, any_value(rov_state) AS rov_state, "
                      "any_value(rov_reason) AS rov_reason, any_value(irr_state) AS irr_state "
                      f"FROM findings WHERE month = ? AND origin_asn = ? AND {problem} "
                      "GROUP BY prefix, origin_asn ORDER BY prefix", [month, asn])
    for row in rows:
        row["advice"] = _advice(row)
    pairs = metrics.get("pairs")
    return {
        "pairs": pairs,
        "rpki_invalid": metrics.get("pairs_rpki_invalid"),
        "rpki_not_found": metrics.get("pairs_rpki_not_found"),
        "irr_unregistered": None if pairs is None
        else int(pairs) - int(metrics.get("pairs_irr_registered") or 0),
        "announcements": rows,
    }


def _advice(row: Row) -> list[str]:
    prefix, origin = row["prefix"], row["origin_asn"]
    advice = []
    if row["rov_state"] == "invalid":
        if row["rov_reason"] == "length":
            advice.append(f"RPKI invalid (too specific): raise the ROA's maxLength to "
                          f"/{str(prefix).rsplit('/', 1)[-1]} or stop announcing {prefix}")
        else:
            advice.append(f"RPKI invalid (wrong origin): create a ROA for {prefix} with "
                          f"origin AS{origin}, or stop announcing it from AS{origin}")
    if row["irr_state"] == "not-registered":
        advice.append(f"create an IRR route object for {prefix} with origin AS{origin}")
    elif row["irr_state"] == "other-origin":
        advice.append(f"the IRR objects of {prefix} name another origin: add one for "
                      f"AS{origin}")
    return advice


# ------------------------------------------------------------------------------ incident
def incident_view(r: Reader, incident_id: str) -> dict[str, Any]:
    """Incident: the evidence of one incident — findings, paths, peers, verdicts, edges."""
    incident = r.one('SELECT * FROM incidents WHERE incident_id = ? ORDER BY month DESC',
                     [incident_id])
    if incident is None:
        raise ApiError(404, "not-found", f"no incident {incident_id}; list incidents at "
                       "/api/v1/incidents", "incident_id")
    month = incident.pop("month")
    findings = r.rows(
        "SELECT * EXCLUDE (month, afi, prefix_hi, prefix_lo, prefix_len) FROM findings "
        "WHERE month = ? AND list_contains(?::VARCHAR[], finding_id) "
        'ORDER BY "start", finding_id', [month, list(incident["finding_ids"] or [])])
    incident["label"] = METRIC_LABELS.get(str(incident["metric"]), incident["metric"])
    return _stamp("incident", month, str(incident["methodology"]), incident=incident,
                  findings=findings, timeline=_timeline(incident, findings),
                  peers=_peers(findings))


def _timeline(incident: Row, findings: list[Row]) -> list[Row]:
    """Visibility (distinct peer ASNs holding an offending route) at every change."""
    close = incident.get("end") or incident["window_end"]
    changes: list[tuple[dt.datetime, int, int]] = []
    for finding in findings:
        for w in finding.get("witnesses") or []:
            start = w["first_seen"] or finding["start"]
            end = w["last_seen"] or finding.get("end") or close
            changes += [(start, 1, int(w["peer_asn"])), (end, -1, int(w["peer_asn"]))]
    held: dict[int, int] = {}
    points: list[Row] = []
    for when, step, peer in sorted(changes, key=lambda c: (c[0], c[1])):
        held[peer] = held.get(peer, 0) + step
        visible = sum(1 for n in held.values() if n > 0)
        if points and points[-1]["t"] == when:
            points[-1]["peers"] = visible
        else:
            points.append({"t": when, "peers": visible})
    return points


def _peers(findings: list[Row]) -> list[Row]:
    peers = []
    for finding in findings:
        for w in finding.get("witnesses") or []:
            peers.append({**w, "prefix": finding["prefix"], "as_path": finding["as_path"],
                          "finding_id": finding["finding_id"]})
    return peers


# ------------------------------------------------------------------------------ methodology
def methodology_view(r: Reader | None, version: str | None) -> dict[str, Any]:
    """Methodology: every parameter of a methodology version, from the methodology object."""
    name = version or RW_2026_1.version
    try:
        method = methodology(name)
    except ConfigError as exc:
        raise ApiError(404, "not-found", str(exc), "version") from None
    parameters = [{"name": f.name, "value": getattr(method, f.name),
                   "help": str(f.metadata.get("help", ""))}
                  for f in dataclasses.fields(method)]
    return _stamp("methodology", None, method.version, version=method.version,
                  versions=sorted(METHODOLOGIES), parameters=parameters,
                  text=method.describe(), actions=ACTIONS, metrics=METRIC_LABELS,
                  weights=[{"duration": "29 min", "weight": method.weight(29 * 60_000_000)},
                           {"duration": "13 h", "weight": method.weight(13 * 3_600_000_000)},
                           {"duration": "25 h", "weight": method.weight(25 * 3_600_000_000)}])


# ------------------------------------------------------------------------------ search
_ASNISH = re.compile(r"^(?:AS)?\d{1,10}$", re.IGNORECASE)


def search_view(r: Reader, query: str) -> dict[str, Any]:
    """Search by ASN, prefix, economy (code or name), region, RIR or cohort."""
    text = query.strip()
    month = latest_month(r)
    results: list[Row] = []
    if text and month is not None:
        if _ASNISH.match(text):
            results += _search_asn(r, parse_asn(text, "q"))
        elif "/" in text or text.count(".") == 3 or ":" in text:
            results += _search_prefix(r, text, month)
        results += _search_areas(r, text, month)
        if len(text) > 2 and r.has_table("networks"):
            results += _search_names(r, text, month)
    version = _methodology_of(r, month) if month else RW_2026_1.version
    return _stamp("search", month, version, q=text, results=results[:100])


def _search_asn(r: Reader, asn: int) -> list[Row]:
    row = r.one("SELECT max(month) AS month FROM asn_metrics WHERE asn = ?", [asn])
    if row is None or row["month"] is None:
        return []
    return [{"kind": "network", "label": f"AS{asn}", "url": f"/asn/{asn}",
             "detail": f"measured, latest {row['month']:%Y-%m}"}]


def _search_prefix(r: Reader, text: str, month: dt.date) -> list[Row]:
    try:
        net = ipaddress.ip_network(text if "/" in text else text + ("/32" if "." in text
                                   else "/128"), strict=False)
    except ValueError:
        raise ApiError(400, "invalid-prefix", "an IP prefix or address such as 192.0.2.0/24, "
                       "192.0.2.1 or 2001:db8::/32", "q") from None
    rows = r.rows(
        "SELECT DISTINCT i.incident_id, i.metric, i.asn, f.prefix, f.origin_asn "
        "FROM findings AS f JOIN incidents AS i ON i.month = f.month "
        "AND list_contains(i.finding_ids, f.finding_id) WHERE f.month = ? "
        "AND (f.prefix = ? OR starts_with(f.prefix, ?)) ORDER BY f.prefix LIMIT 50",
        [month, str(net), str(net.network_address)])
    out = [{"kind": "incident", "label": f"{row['metric']} {row['prefix']}",
            "url": f"/incident/{row['incident_id']}",
            "detail": f"origin AS{row['origin_asn']}"} for row in rows]
    origins = sorted({int(row["origin_asn"]) for row in rows if row["origin_asn"] is not None})
    out += [{"kind": "network", "label": f"AS{asn}", "url": f"/asn/{asn}",
             "detail": f"announced {net}"} for asn in origins]
    return out


def _search_names(r: Reader, text: str, month: dt.date) -> list[Row]:
    rows = r.rows("SELECT asn, name, economy FROM networks WHERE month = ? AND name ILIKE ? "
                  "ORDER BY asn LIMIT 50", [month, f"%{text}%"])
    return [{"kind": "network", "label": f"AS{row['asn']} {row['name']}",
             "url": f"/asn/{row['asn']}", "detail": row["economy"] or ""} for row in rows]


def _search_areas(r: Reader, text: str, month: dt.date) -> list[Row]:
    needle = text.lower()
    codes = {cc for cc, name in economies().items()
             if needle in (cc.lower(), ) or (len(needle) > 2 and needle in name.lower())}
    rows = r.rows("SELECT area_kind, area, networks FROM area_summaries WHERE month = ? "
                  "AND area_kind <> 'world' ORDER BY networks DESC", [month])
    out = []
    for row in rows:
        kind, name = str(row["area_kind"]), str(row["area"])
        hit = name in codes if kind == "economy" else (len(needle) > 2
                                                       and needle in name.lower())
        if hit:
            area = Area(kind, name)
            out.append({"kind": kind, "label": _area_label(area),
                        "url": f"/?area={area.key}", "detail": f"{row['networks']} networks"})
    return out

