"""One spec per dashboard page: from it come the page's route, its JSON twin, its OpenAPI entry
and the validation of its parameters.

Role: a :class:`Page` says everything about one page — its HTML path, its API path (the JSON
twin), its template, the view function that builds its dict, its parameters
(:class:`~routewatch.web.params.Param`: type, pattern or range, default) and the JSON Schema of
the dict. :mod:`routewatch.web.app` adds two routes per spec (the HTML page and ``/api/v1``
twin, both built from the same dict), :mod:`routewatch.web.openapi` publishes the API path
with the parameters' schemas and the response schema, and :meth:`Page.arguments` parses a
request's parameters (unknown names refused) into the view's keyword arguments.

A new page is one more :class:`Page` in :data:`PAGES` (plus its template and view)::

    Page("impact", "/impact", "/api/v1/impact", "Does it make a difference?",
         views.impact_view, (p.MONTH, AREA), response=document("impact", {...}))

The view is called as ``view(reader, **arguments)``; a spec whose parameters do not match the
view's keywords, or whose paths name other path parameters than it declares, fails at import.
A spec with ``csv`` names the list of rows its twin also serves as CSV (``?format=csv``).

Failure modes: :class:`~routewatch.web.params.ApiError` (400) from :meth:`Page.arguments`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from routewatch.store.shapes import row_schema
from routewatch.web import params as p
from routewatch.web import views
from routewatch.web.documents import (
    STRING_MAP,
    array,
    document,
    nullable,
    obj,
    string_list,
)

__all__ = ["PAGES", "Page", "page_named"]

_PATH_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Page:
    """A dashboard page and its JSON twin."""

    name: str
    html: str
    api: str
    summary: str
    view: Callable[..., dict[str, Any]]
    params: tuple[p.Param, ...] = ()
    response: Mapping[str, object] | None = None
    #: the key of the document's list of flat rows that the twin returns as CSV with
    #: ``?format=csv`` (and at ``<api>.csv`` when the path has no parameter); "" = JSON only
    csv: str = ""

    def __post_init__(self) -> None:
        path = {x.name for x in self.params if x.where == "path"}
        for route in (self.html, self.api):
            if set(_PATH_PARAM.findall(route)) != path:
                raise TypeError(f"page {self.name}: {route} names path parameters other than "
                                f"{sorted(path)}")
        keywords = {k for k, v in inspect.signature(self.view).parameters.items()
                    if v.kind is inspect.Parameter.KEYWORD_ONLY}
        if keywords != {x.keyword for x in self.params}:
            raise TypeError(f"page {self.name}: {self.view.__name__} takes {sorted(keywords)}, "
                            f"the spec gives {sorted(x.keyword for x in self.params)}")

    @property
    def template(self) -> str:
        """The Jinja2 template of the HTML page."""
        return f"{self.name}.html"

    @property
    def api_params(self) -> tuple[p.Param, ...]:
        """The parameters of the JSON twin: the page's, and ``format`` when it has a CSV."""
        return (*self.params, p.FORMAT) if self.csv else self.params

    @property
    def query_names(self) -> tuple[str, ...]:
        """The query parameters the page takes."""
        return tuple(x.name for x in self.params if x.where == "query")

    def arguments(self, query: Mapping[str, str], path: Mapping[str, str],
                  extra: tuple[str, ...] = ()) -> dict[str, Any]:
        """The view's keyword arguments from a request's query and path parameters (a 400
        :class:`~routewatch.web.params.ApiError` for an unknown or malformed one; ``extra``
        names query parameters the caller handles itself)."""
        p.check_known(query, (*self.query_names, *extra))
        return {x.keyword: x.value(path[x.name] if x.where == "path" else query.get(x.name))
                for x in self.params}

    def twin(self, path: Mapping[str, str], query: str) -> str:
        """The URL of the JSON twin of the page at these path parameters and query."""
        url = self.api.format(**{k: quote(str(v), safe="") for k, v in path.items()})
        return url + (f"?{query}" if query else "")


# ------------------------------------------------------------------------------ parameters
AREA = p.Param("area", "area kind:name, e.g. economy:NL, region:Europe, cohort:manrs; a bare "
               "economy code; or world (default)", p.parse_area, p.string(p.AREA_PATTERN),
               default=p.WORLD)
MAP_ACTION = p.Param("action", "action coloured on the map (default global-validation-rpki)",
                     p.ACTION.parse, p.ACTION.schema, default="global-validation-rpki")
AREAS = p.Param("areas", "two to eight comma-separated areas, e.g. "
                "cohort:manrs,cohort:non-manrs (the default)", p.parse_areas,
                p.string(p.AREAS_PATTERN),
                default=p.parse_areas(next(iter(views.PRESETS.values()))))
NETWORK = p.Param("asn", p.ASN.help, p.parse_asn, p.ASN.schema, where="path")
INCIDENT = p.Param("incident_id", "incident id (letters, digits, - _ . :)",
                   p.parse_incident_id, p.string(p.INCIDENT_ID_PATTERN), where="path")
VERSION = p.Param("version", "methodology version (default the current one)", p.parse_text)
SEARCH = p.Param("q", "ASN, prefix or address, economy code or name, region, network name; "
                 "text with a / must be an IP prefix", p.parse_text,
                 {"anyOf": [{"type": "string", "pattern": "^[^/]*$"},
                            {"type": "string", "format": p.PREFIX_FORMAT}]},
                 default="", arg="query")

# ------------------------------------------------------------------------------ documents
_MONTHS = string_list()
_AREA_DOC = obj({"kind": {"type": "string"}, "name": {"type": "string"},
                 "key": {"type": "string"}, "label": {"type": "string"}})
_AREA_OPTIONS = array(obj({"kind": {"type": "string"}, "name": {"type": "string"},
                           "networks": {"type": "integer"}, "key": {"type": "string"},
                           "label": {"type": "string"}}))
_SUMMARY = row_schema("area_summaries", exclude=("month", "methodology"))
_READINESS_ROW = row_schema("area_readiness", exclude=("month", "methodology", "area_kind",
                                                       "area"))
_READINESS_ROW["properties"]["label"] = {"type": "string"}
_READINESS = array(_READINESS_ROW)
_INCIDENT_ROW = row_schema("incidents", only=(
    "incident_id", "metric", "asn", "culprit_asns", "accomplice_asns", "accomplice_relation",
    "scored", "start", "end", "duration_s", "weight", "peak_visibility", "prefixes", "origins",
    "decided_by", "labels", "sample_path"))
_INCIDENT_ROW["properties"].update(role={"enum": ["culprit", "accomplice"]},
                                   counted={"type": "boolean"}, label={"type": "string"})
_PAIR = row_schema("announced_pairs", only=("prefix", "origin_asn", "peer_asns", "rov_state",
                                            "rov_reason", "irr_state"))
_PAIR["properties"]["peer_asns"] = nullable({"type": "integer"})
_PAIR["properties"]["advice"] = string_list()
_COUNT = nullable({"type": "integer"})
_NUMBER = nullable({"type": "number"})
_TREND = obj({
    "metric": {"type": "string"}, "label": {"type": "string"},
    "direction": {"enum": ["improving", "worsening", "no significant change", "no trend"]},
    "better": {"enum": ["lower", "higher"]}, "p_value": _NUMBER, "alpha": {"type": "number"},
    "slope_per_month": _NUMBER, "slope_low": _NUMBER, "slope_high": _NUMBER,
    "s": nullable({"type": "integer"}), "tau": _NUMBER, "exact": nullable({"type": "boolean"}),
    "months_used": string_list(),
    "months_excluded": array(obj({"month": {"type": "string"}, "reason": {"type": "string"}})),
    "coverage": nullable({"type": "string"}), "reason": nullable({"type": "string"}),
    "first_value": _NUMBER, "last_value": _NUMBER, "months": {"type": "integer"},
    "text": {"type": "string"},
})
#: One row per metric and action: the trend over the twelve months ending with the month.
_TRENDS = array(_TREND)
#: ``YYYY-MM`` -> the collectors and minutes of BGP data behind the month.
_COVERAGE = STRING_MAP
_COHORT_ROW = row_schema("cohort_impact", exclude=("month", "methodology"))
_COHORT_ROW["properties"]["label"] = {"type": "string"}
_COHORT_MONTH_ROW = row_schema("cohort_impact", exclude=("methodology",))
_COHORT_MONTH_ROW["properties"].update(month={"type": "string"}, label={"type": "string"})
_DID_ROW = row_schema("did_impact", exclude=("month", "methodology"))
_DID_ROW["properties"].update(treatment_label={"type": "string"},
                              outcome_label={"type": "string"})

OVERVIEW = document("overview", {
    "months": _MONTHS, "area": _AREA_DOC, "action": {"type": "string"}, "actions": STRING_MAP,
    "summary": _SUMMARY,
    "incidents_by_metric": array(obj({"metric": {"type": "string"}, "label": {"type": "string"},
                                      "incidents": {"type": "integer"}})),
    "readiness": _READINESS,
    "map": array(obj({"economy": {"type": "string"}, "networks": {"type": "integer"},
                      "ready_share": nullable({"type": "number"}),
                      "mean_score": nullable({"type": "number"}),
                      "with_data": nullable({"type": "integer"}),
                      "numeric": {"type": "string"}, "name": {"type": "string"},
                      "in_area": {"type": "boolean"}})),
    "top_culprits": array(obj({"asn": {"type": "integer"}, "name": nullable({"type": "string"}),
                               "economy": nullable({"type": "string"}),
                               "incidents": {"type": "integer"}, "weight": {"type": "number"},
                               "metrics": string_list()})),
    "area_options": _AREA_OPTIONS, "trends": _TRENDS, "coverage": _COVERAGE,
})
HISTORY = document("history", {
    "months": _MONTHS, "area": _AREA_DOC, "first": {"type": "string"}, "actions": STRING_MAP,
    "metrics": STRING_MAP, "area_options": _AREA_OPTIONS,
    "series": array({**row_schema("area_summaries", exclude=(
        "methodology", "area_kind", "area", "month")), "properties": {
        **row_schema("area_summaries", exclude=("methodology", "area_kind", "area", "month"))[
            "properties"], "month": {"type": "string"}, "coverage": {"type": "string"},
        "ready_share": {"type": "object",
                        "additionalProperties": nullable({"type": "number"})}}}),
    "trends": _TRENDS, "coverage": _COVERAGE,
})
COMPARE = document("compare", {
    "months": _MONTHS, "actions": STRING_MAP, "metrics": STRING_MAP, "presets": STRING_MAP,
    "selected": {"type": "string"}, "area_options": _AREA_OPTIONS,
    "areas": array(obj({**_AREA_DOC["properties"],
                        "summary": nullable(_SUMMARY), "readiness": _READINESS})),
    "trends": array(obj({"area": {"type": "string"}, **_TREND["properties"]})),
    "coverage": _COVERAGE,
})
NETWORK_DOC = document("network", {
    "asn": {"type": "integer"}, "months": _MONTHS, "actions": STRING_MAP,
    "about": obj({k: nullable({"type": t}) for k, t in (
        ("name", "string"), ("economy", "string"), ("economy_name", "string"),
        ("region", "string"), ("sub_region", "string"), ("rir", "string"),
        ("manrs", "boolean"), ("rpki_signer", "boolean"))}),
    "metrics": row_schema("asn_metrics", exclude=("month", "asn"), required=False),
    "scores": array(obj({"action": {"type": "string"}, "score": nullable({"type": "number"}),
                         "band": {"type": "string"}, "label": {"type": "string"}})),
    "history": array(obj({"month": {"type": "string"}, "scores": {
        "type": "object", "additionalProperties": nullable({"type": "number"})},
        "bands": STRING_MAP})),
    "incidents": array(_INCIDENT_ROW),
    "to_fix": obj({"pairs": _COUNT, "rpki_invalid": _COUNT, "rpki_not_found": _COUNT,
                   "irr_unregistered": _COUNT, "listed": {"type": "integer"},
                   "announcements": array(_PAIR)}),
    "downloads": STRING_MAP, "trends": _TRENDS, "coverage": _COVERAGE,
})
IMPACT_DOC = document("impact", {
    "months": _MONTHS, "coverage": _COVERAGE, "cohorts": array(_COHORT_ROW),
    "series": array(_COHORT_MONTH_ROW), "charts": STRING_MAP, "did": array(_DID_ROW),
    "assumptions": string_list(), "downloads": STRING_MAP,
})
INCIDENT_DOC = document("incident", {
    "incident": {**row_schema("incidents", exclude=("month",)), "properties": {
        **row_schema("incidents", exclude=("month",))["properties"],
        "label": {"type": "string"}}},
    "findings": array(row_schema("findings", exclude=("month", "afi", "prefix_hi",
                                                      "prefix_lo", "prefix_len"))),
    "timeline": array(obj({"t": {"type": "string", "format": "date-time"},
                           "peers": {"type": "integer"}})),
    "peers": array({"type": "object", "required": ["prefix", "finding_id"]}),
})
METHODOLOGY_DOC = document("methodology", {
    "version": {"type": "string"}, "versions": string_list(),
    "parameters": array(obj({"name": {"type": "string"}, "value": {},
                             "help": {"type": "string"}})),
    "text": {"type": "string"}, "actions": STRING_MAP, "metrics": STRING_MAP,
    "weights": array(obj({"duration": {"type": "string"}, "weight": {"type": "number"}})),
})
SEARCH_DOC = document("search", {
    "q": {"type": "string"},
    "results": array(obj({"kind": {"type": "string"}, "label": {"type": "string"},
                          "url": {"type": "string"}, "detail": {"type": "string"}})),
})

# ------------------------------------------------------------------------------ the pages
PAGES: tuple[Page, ...] = (
    Page("overview", "/", "/api/v1/overview", "Overview of an area: incidents, RPKI/IRR "
         "shares, readiness, world map, top culprits, trends.", views.overview_view,
         (p.MONTH, AREA, MAP_ACTION), OVERVIEW, csv="trends"),
    Page("history", "/history", "/api/v1/history", "The rolling twelve months of an area, "
         "with the trend of every metric.", views.history_view, (p.MONTH, AREA), HISTORY,
         csv="trends"),
    Page("compare", "/compare", "/api/v1/compare", "Two or more areas or cohorts side by "
         "side, with their trends.", views.compare_view, (p.MONTH, AREAS), COMPARE,
         csv="trends"),
    Page("network", "/asn/{asn}", "/api/v1/networks/{asn}", "One network: scores, incidents "
         "with evidence, what to fix, history, trends.", views.network_view,
         (NETWORK, p.MONTH), NETWORK_DOC, csv="trends"),
    Page("impact", "/impact", "/api/v1/impact", "Does it make a difference? MANRS "
         "participants and RPKI signers against the rest, with intervals and sample sizes; "
         "before/after for networks that joined or started signing.", views.impact_view,
         (p.MONTH,), IMPACT_DOC, csv="cohorts"),
    Page("incident", "/incident/{incident_id}", "/api/v1/incidents/{incident_id}",
         "One incident with its findings, AS paths, peers, verdicts and edges.",
         views.incident_view, (INCIDENT,), INCIDENT_DOC),
    Page("methodology", "/methodology", "/api/v1/methodology", "The methodology parameters.",
         views.methodology_view, (VERSION,), METHODOLOGY_DOC),
    Page("search", "/search", "/api/v1/search", "Search networks, prefixes, economies, "
         "regions.", views.search_view, (SEARCH,), SEARCH_DOC),
)


def page_named(name: str) -> Page:
    """The spec of a page by name."""
    return next(page for page in PAGES if page.name == name)
