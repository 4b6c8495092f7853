"""The dicts behind every page: one function per page, shared by its HTML and its JSON twin.

Role: each ``*_view`` function takes a :class:`~routewatch.store.queries.Rows` reader and the
page's parsed parameters as keywords (the page spec in :mod:`routewatch.web.pages` names
them) and returns a plain, JSON-ready dict (dates and times are converted by the app's
encoder). The HTML templates render exactly this dict; ``/api/v1/...`` returns it as JSON.
Every dict carries ``page``, ``as_of`` (the month shown, ``YYYY-MM``) and ``methodology``
(the version stamped on the rows shown).

Every page that shows an area or a network also carries ``trends`` (one row per metric and
action: direction over the twelve months ending with the month shown, p-value, slope per
month, months used and left out, or why there is no trend; :mod:`routewatch.store.analysis`)
and ``coverage`` (``YYYY-MM`` -> the collectors and minutes of BGP data behind each month);
those pages' twins give the trends as CSV with ``?format=csv``.

Inputs: the store's read queries (:mod:`routewatch.store.queries`; no SQL here), the
vocabulary of actions and metrics (:mod:`routewatch.metrics.vocabulary`) and the advice rule
for pairs to fix (:mod:`routewatch.metrics.advice`, shared with ``routewatch report``).
Pages degrade to "unknown" on an older file without ``networks`` or ``announced_pairs``.

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

from routewatch.asns import MAX_ASN
from routewatch.errors import ConfigError
from routewatch.methodology import METHODOLOGIES, RW_2026_1, methodology
from routewatch.metrics.advice import advise
from routewatch.metrics.vocabulary import ACTION_LABELS, INCIDENT_METRICS, METRIC_LABELS
from routewatch.store import analysis
from routewatch.store import queries as q
from routewatch.store.queries import Row, Rows, economies
from routewatch.web.params import WORLD, ApiError, Area

__all__ = [
    "ACTIONS",
    "METRIC_LABELS",
    "PRESETS",
    "WORLD",
    "compare_view",
    "history_view",
    "impact_view",
    "incident_view",
    "latest_month",
    "methodology_view",
    "months_with_data",
    "network_view",
    "overview_view",
    "search_view",
]

#: Actions in display order, with their labels (as a plain dict for the page documents).
ACTIONS: dict[str, str] = {str(k): v for k, v in ACTION_LABELS.items()}
_METRIC_LABELS: dict[str, str] = dict(METRIC_LABELS)


# ------------------------------------------------------------------------------ months
def months_with_data(r: Rows) -> list[dt.date]:
    """Months that have roll-ups, oldest first."""
    return q.months_with_data(r)


def latest_month(r: Rows) -> dt.date | None:
    """The newest month with data."""
    found = months_with_data(r)
    return found[-1] if found else None


def _pick_month(r: Rows, requested: dt.date | None) -> tuple[dt.date, list[dt.date]]:
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


def _methodology_of(r: Rows, month: dt.date) -> str:
    return q.methodology_of(r, month) or RW_2026_1.version


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


def _area_doc(area: Area) -> dict[str, str]:
    return {"kind": area.kind, "name": area.name, "key": area.key, "label": _area_label(area)}


# ------------------------------------------------------------------------------ overview
def overview_view(r: Rows, *, month: dt.date | None, area: Area, action: str) -> dict[str, Any]:
    """Overview: state of routing security and readiness of one area, the world map."""
    chosen, available = _pick_month(r, month)
    summary = _summary(r, chosen, area)
    return _stamp(
        "overview", chosen, _methodology_of(r, chosen),
        months=[f"{m:%Y-%m}" for m in available],
        area=_area_doc(area), action=action, actions=ACTIONS,
        summary=summary,
        incidents_by_metric=[{"metric": m, "label": _METRIC_LABELS[m],
                              "incidents": summary[f"incidents_{m.lower()}"]}
                             for m in INCIDENT_METRICS],
        readiness=_by_action(q.area_readiness(r, chosen, area.kind, area.name)),
        map=_map_rows(r, chosen, area, action),
        top_culprits=q.top_culprits(r, chosen, area.kind, area.name),
        area_options=_area_options(r, chosen),
        trends=analysis.area_trends(r, area.kind, area.name, chosen),
        coverage=analysis.coverage_labels(r),
    )


def _summary(r: Rows, month: dt.date, area: Area) -> Row:
    summary = q.area_summary(r, month, area.kind, area.name)
    if summary is None:
        raise ApiError(404, "not-found", f"no networks measured in {area.key} in "
                       f"{month:%Y-%m}; see /api/v1/areas for the areas with data", "area")
    return summary


def _map_rows(r: Rows, month: dt.date, area: Area, action: str) -> list[Row]:
    rows = q.economy_map(r, month, action)
    for row in rows:
        row["in_area"] = _economy_in(area, str(row["economy"]), row.pop("region"),
                                     row.pop("sub_region"))
    return rows


def _economy_in(area: Area, cc: str, region: str, sub_region: str) -> bool:
    if area.kind == "economy":
        return area.name == cc
    if area.kind == "region":
        return area.name == region
    if area.kind == "sub-region":
        return area.name == sub_region
    return True


def _area_options(r: Rows, month: dt.date) -> list[Row]:
    rows = q.area_options(r, month)
    for row in rows:
        area = Area(str(row["kind"]), str(row["name"]))
        row["key"] = area.key
        row["label"] = _area_label(area)
    return rows


# ------------------------------------------------------------------------------ history
def history_view(r: Rows, *, month: dt.date | None, area: Area) -> dict[str, Any]:
    """History: the rolling twelve months ending with ``month`` for one area."""
    chosen, available = _pick_month(r, month)
    first = _twelve(chosen)
    summaries = q.area_summary_series(r, area.kind, area.name, first, chosen)
    if not summaries:
        raise ApiError(404, "not-found", f"no data for {area.key} in the twelve months to "
                       f"{chosen:%Y-%m}", "area")
    readiness = q.area_readiness_series(r, area.kind, area.name, first, chosen)
    coverage = analysis.coverage_labels(r)
    series = []
    for row in summaries:
        shares = {str(x["action"]): x["ready_share"] for x in readiness
                  if x["month"] == row["month"]}
        key = f"{row['month']:%Y-%m}"
        series.append({**row, "month": key, "ready_share": shares,
                       "coverage": coverage.get(key, "coverage not recorded")})
    return _stamp("history", chosen, _methodology_of(r, chosen),
                  months=[f"{m:%Y-%m}" for m in available], area=_area_doc(area),
                  first=f"{first:%Y-%m}", actions=ACTIONS, metrics=_METRIC_LABELS,
                  series=series, area_options=_area_options(r, chosen),
                  trends=analysis.area_trends(r, area.kind, area.name, chosen),
                  coverage=coverage)


# ------------------------------------------------------------------------------ comparison
#: Ready-made comparisons offered on the comparison page.
PRESETS: dict[str, str] = {
    "MANRS participants vs others": "cohort:manrs,cohort:non-manrs",
    "RPKI signers vs non-signers": "cohort:rpki-signer,cohort:rpki-non-signer",
}


def compare_view(r: Rows, *, month: dt.date | None, areas: Sequence[Area]) -> dict[str, Any]:
    """Comparison: two or more areas side by side for one month."""
    chosen, available = _pick_month(r, month)
    columns = []
    trends: list[Row] = []
    for area in areas:
        columns.append({**_area_doc(area),
                        "summary": q.area_summary(r, chosen, area.kind, area.name),
                        "readiness": _by_action(q.area_readiness(r, chosen, area.kind,
                                                                 area.name))})
        trends += [{"area": area.key, **row}
                   for row in analysis.area_trends(r, area.kind, area.name, chosen)]
    return _stamp("compare", chosen, _methodology_of(r, chosen),
                  months=[f"{m:%Y-%m}" for m in available], actions=ACTIONS,
                  metrics=_METRIC_LABELS, areas=columns, presets=PRESETS,
                  selected=",".join(x.key for x in areas),
                  area_options=_area_options(r, chosen), trends=trends,
                  coverage=analysis.coverage_labels(r))


# ------------------------------------------------------------------------------ impact
#: Measures drawn month by month on the impact page.
IMPACT_CHARTS: tuple[str, ...] = ("incidents_per_100_networks", "rpki_valid_share",
                                  "ready_share:filtering")


def impact_view(r: Rows, *, month: dt.date | None) -> dict[str, Any]:
    """Does it make a difference? The month's cohort comparisons with intervals and sample
    sizes, the same measures month by month, and the before/after estimates with their
    assumptions."""
    chosen, available = _pick_month(r, month)
    return _stamp("impact", chosen, _methodology_of(r, chosen),
                  months=[f"{m:%Y-%m}" for m in available],
                  coverage=analysis.coverage_labels(r), cohorts=analysis.cohort_rows(r, chosen),
                  series=analysis.cohort_series(r, IMPACT_CHARTS, chosen),
                  charts={k: analysis.MEASURE_LABELS[k] for k in IMPACT_CHARTS},
                  did=analysis.did_rows(r, chosen), assumptions=list(analysis.ASSUMPTIONS),
                  downloads={
                      "cohorts.csv": f"/api/v1/impact.csv?month={chosen:%Y-%m}",
                      "cohort-impact.csv": "/api/v1/cohort-impact.csv?limit=10000",
                      "did-impact.csv": f"/api/v1/did-impact.csv?month={chosen:%Y-%m}",
                  })


# ------------------------------------------------------------------------------ network
def network_view(r: Rows, *, asn: int, month: dt.date | None) -> dict[str, Any]:
    """Network: one ASN's scores, incidents, what to fix, history and downloads."""
    measured = q.network_months(r, asn)
    if not measured:
        raise ApiError(404, "not-found", f"AS{asn} was not measured in any month; search by "
                       "name, prefix or economy at /search", "asn")
    chosen = measured[-1] if month is None else month
    if chosen not in measured:
        raise ApiError(404, "not-found", f"AS{asn} has no data for {chosen:%Y-%m}; months: "
                       + ", ".join(f"{m:%Y-%m}" for m in measured), "month")
    metrics = q.network_metrics(r, asn, chosen) or {}
    incidents = q.network_incidents(r, asn, chosen)
    for incident in incidents:
        culprits = incident["culprit_asns"] or []
        incident["role"] = "culprit" if asn in culprits else "accomplice"
        incident["counted"] = incident["asn"] == asn  # counts against this AS's metrics
        incident["label"] = _METRIC_LABELS.get(str(incident["metric"]), incident["metric"])
    return _stamp(
        "network", chosen, str(metrics.get("methodology") or RW_2026_1.version),
        asn=asn, months=[f"{m:%Y-%m}" for m in measured], actions=ACTIONS,
        about=_about(r, asn, chosen), metrics=metrics,
        scores=_by_action(q.network_scores(r, asn, chosen)),
        history=_pivot_history(q.network_score_history(r, asn, _twelve(chosen), chosen)),
        incidents=incidents, to_fix=_to_fix(r, asn, chosen, metrics),
        trends=analysis.network_trends(r, asn, chosen),
        coverage=analysis.coverage_labels(r),
        downloads={
            "scores.csv": f"/api/v1/scores.csv?asn={asn}&month={chosen:%Y-%m}",
            "metrics.csv": f"/api/v1/metrics.csv?asn={asn}&month={chosen:%Y-%m}",
            "pairs.csv": f"/api/v1/pairs.csv?asn={asn}&month={chosen:%Y-%m}&limit=1000",
            "incidents.csv": f"/api/v1/incidents.csv?asn={asn}&month={chosen:%Y-%m}",
            "findings.csv": f"/api/v1/findings.csv?asn={asn}&month={chosen:%Y-%m}",
            "network.json": f"/api/v1/networks/{asn}?month={chosen:%Y-%m}",
        },
    )


def _about(r: Rows, asn: int, month: dt.date) -> Row:
    """Name, economy, region, RIR and cohorts from the ``networks`` table (schema 3)."""
    row = q.network_about(r, asn, month)
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
FIX_ROWS = 500


def _to_fix(r: Rows, asn: int, month: dt.date, metrics: Row) -> dict[str, Any]:
    """The AS's announced pairs that lower an Action 4 score, each with what to change
    (:mod:`routewatch.metrics.advice`, the rule ``routewatch report`` uses), and the counts."""
    rows = q.pairs_to_fix(r, asn, month, FIX_ROWS)
    announcements = []
    for row in rows:
        advice = advise(str(row["prefix"]), int(row["origin_asn"]), str(row["rov_state"]),
                        row["rov_reason"], str(row["irr_state"]))
        announcements.append({**row, "advice": list(advice.advice)})
    pairs = metrics.get("pairs")
    return {
        "pairs": pairs,
        "rpki_invalid": metrics.get("pairs_rpki_invalid"),
        "rpki_not_found": metrics.get("pairs_rpki_not_found"),
        "irr_unregistered": None if pairs is None
        else int(pairs) - int(metrics.get("pairs_irr_registered") or 0),
        "listed": len(announcements),
        "announcements": announcements,
    }


# ------------------------------------------------------------------------------ incident
def incident_view(r: Rows, *, incident_id: str) -> dict[str, Any]:
    """Incident: the evidence of one incident — findings, paths, peers, verdicts, edges."""
    incident = q.incident(r, incident_id)
    if incident is None:
        raise ApiError(404, "not-found", f"no incident {incident_id}; list incidents at "
                       "/api/v1/incidents", "incident_id")
    month = incident.pop("month")
    findings = q.incident_findings(r, month, list(incident["finding_ids"] or []))
    incident["label"] = _METRIC_LABELS.get(str(incident["metric"]), incident["metric"])
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
def methodology_view(r: Rows | None, *, version: str | None) -> dict[str, Any]:
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
                  text=method.describe(), actions=ACTIONS, metrics=_METRIC_LABELS,
                  weights=[{"duration": "29 min", "weight": method.weight(29 * 60_000_000)},
                           {"duration": "13 h", "weight": method.weight(13 * 3_600_000_000)},
                           {"duration": "25 h", "weight": method.weight(25 * 3_600_000_000)}])


# ------------------------------------------------------------------------------ search
_ASNISH = re.compile(r"^(?:AS)?([0-9]{1,10})$", re.IGNORECASE)


def search_view(r: Rows, *, query: str) -> dict[str, Any]:
    """Search by ASN, prefix or address, economy (code or name), region, RIR, cohort or
    network name. Text with a ``/`` must be an IP prefix (a 400 otherwise); an ASN beyond
    32 bits or a would-be address that is not one simply finds nothing."""
    text = query.strip()
    month = latest_month(r)
    results: list[Row] = []
    if text and month is not None:
        asn = _ASNISH.match(text)
        if asn is not None:
            results += _search_asn(r, int(asn.group(1))) if int(asn.group(1)) <= MAX_ASN else []
        elif "/" in text or _is_address(text):
            results += _search_prefix(r, text, month)
        results += _search_areas(r, text, month)
        if len(text) > 2:
            results += _search_names(r, text, month)
    version = _methodology_of(r, month) if month else RW_2026_1.version
    return _stamp("search", month, version, q=text, results=results[:100])


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _search_asn(r: Rows, asn: int) -> list[Row]:
    latest = q.latest_network_month(r, asn)
    if latest is None:
        return []
    return [{"kind": "network", "label": f"AS{asn}", "url": f"/asn/{asn}",
             "detail": f"measured, latest {latest:%Y-%m}"}]


def _search_prefix(r: Rows, text: str, month: dt.date) -> list[Row]:
    try:
        net = ipaddress.ip_network(text if "/" in text else text + ("/32" if "." in text
                                   else "/128"), strict=False)
    except ValueError:
        raise ApiError(400, "invalid-prefix", "an IP prefix or address such as 192.0.2.0/24, "
                       "192.0.2.1 or 2001:db8::/32", "q") from None
    rows = q.search_prefix(r, month, str(net), str(net.network_address))
    out = [{"kind": "incident", "label": f"{row['metric']} {row['prefix']}",
            "url": f"/incident/{row['incident_id']}",
            "detail": f"origin AS{row['origin_asn']}"} for row in rows]
    origins = sorted({int(row["origin_asn"]) for row in rows if row["origin_asn"] is not None})
    out += [{"kind": "network", "label": f"AS{asn}", "url": f"/asn/{asn}",
             "detail": f"announced {net}"} for asn in origins]
    return out


def _search_names(r: Rows, text: str, month: dt.date) -> list[Row]:
    return [{"kind": "network", "label": f"AS{row['asn']} {row['name']}",
             "url": f"/asn/{row['asn']}", "detail": row["economy"] or ""}
            for row in q.search_names(r, month, text)]


def _search_areas(r: Rows, text: str, month: dt.date) -> list[Row]:
    needle = text.lower()
    codes = {cc for cc, name in economies().items()
             if needle == cc.lower() or (len(needle) > 2 and needle in name.lower())}
    out = []
    for row in q.search_areas(r, month):
        kind, name = str(row["area_kind"]), str(row["area"])
        hit = name in codes if kind == "economy" else (len(needle) > 2
                                                       and needle in name.lower())
        if hit:
            area = Area(kind, name)
            out.append({"kind": kind, "label": _area_label(area),
                        "url": f"/?area={area.key}", "detail": f"{row['networks']} networks"})
    return out
