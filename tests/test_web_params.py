"""Every parameter the API declares is enforced exactly as its published schema says.

For each declared parameter with a pattern, enum or integer range: strings the schema allows
(generated from the pattern by Hypothesis, the way schemathesis generates requests) are
accepted by the parser, and arbitrary strings are accepted exactly when the schema allows
them (Python ``re.search`` semantics, as JSON Schema validators in Python apply patterns).
Also the page specs: one spec per page, from which the routes and the OpenAPI entry come.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routewatch.web import params as p
from routewatch.web.app import create_app
from routewatch.web.openapi import openapi
from routewatch.web.pages import PAGES, Page
from routewatch.web.tables import TABLES


def _declared() -> list[p.Param]:
    found: dict[tuple[str, str], p.Param] = {}
    for spec in [*PAGES, *TABLES.values()]:
        for param in spec.params:
            found.setdefault((param.name, str(dict(param.schema))), param)
    return list(found.values())


def _allowed(param: p.Param, text: str) -> bool:
    schema = param.schema
    if "pattern" in schema:
        return re.search(str(schema["pattern"]), text) is not None
    if "enum" in schema:
        return text in list(schema["enum"])  # type: ignore[call-overload]
    if schema.get("type") == "integer":
        if re.fullmatch("0|[1-9][0-9]{0,11}", text) is None:
            return False
        return int(str(schema["minimum"])) <= int(text) <= int(str(schema["maximum"]))
    if schema.get("type") == "boolean":
        return text in ("true", "false")
    return True


def _accepts(param: p.Param, text: str) -> bool:
    try:
        param.parse(text, param.name)
    except p.ApiError as exc:
        assert exc.status == 400 and exc.parameter == param.name
        return False
    return True


CHECKED = [x for x in _declared() if x.schema.get("format") != "ip-prefix"]
TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["0", "01", "1000", "1001", "4294967295", "4294967296", "AS64500", "as0", "2024-06",
     "2024-06\n", " 2024-06", "1969-12", "2024-13", "²", "1" * 5000, "economy:NL",
     "economy:nl", "unknown", "UNKNOWN", "region:Europe", "region:", "world",
     "cohort:manrs,cohort:non-manrs", "a,b", "m2c", "M4", "true", "True", "json", "csv"])


@pytest.mark.parametrize("param", CHECKED, ids=lambda x: f"{x.name}:{x.where}")
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_parsers_accept_exactly_what_the_schema_allows(param: p.Param, data: Any) -> None:
    text = data.draw(TEXT)
    assert _accepts(param, text) == _allowed(param, text), repr(text)
    if "pattern" in param.schema:
        valid = data.draw(st.from_regex(str(param.schema["pattern"])))
        assert _accepts(param, valid), repr(valid)


def test_digits_that_int_refuses_are_a_400_not_a_500() -> None:
    for text in ("²", "١٢", "1" * 5000, "1\n"):
        for param in (p.LIMIT, p.OFFSET):
            assert not _accepts(param, text)
    assert not _accepts(p.ASN, "AS" + "9" * 5000)


def test_up_to_is_exact() -> None:
    for limit in (1, 7, 9, 10, 35, 100, 101, 1000, 4294967295):
        pattern = re.compile(f"^{p.up_to(limit)}$")
        probes = {*range(0, 1200), limit - 1, limit, limit + 1, limit * 10, 3999999999}
        for n in probes:
            assert bool(pattern.match(str(n))) == (0 <= n <= limit), (limit, n)
        assert not pattern.match("01")


def test_every_page_spec_gives_its_routes_and_openapi_entry() -> None:
    routes = {getattr(r, "path", None) for r in create_app("/nonexistent.duckdb").routes}
    document = openapi()
    for page in PAGES:
        assert {page.html, page.api} <= routes, page.name
        operation = document["paths"][page.api]["get"]
        assert [x["name"] for x in operation["parameters"]] == [x.name for x in page.api_params]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == dict(
            page.response or {})
        assert operation["responses"]["200"]["content"]["application/json"]["schema"][
            "properties"]["page"] == {"const": page.name}


def test_a_spec_that_does_not_match_its_view_fails_at_once() -> None:
    def view(r: object, *, month: object) -> dict[str, Any]:
        return {}

    with pytest.raises(TypeError, match="takes"):
        Page("x", "/x", "/api/v1/x", "x", view, (p.ASN,))
    with pytest.raises(TypeError, match="path parameters"):
        Page("x", "/x/{asn}", "/api/v1/x", "x", view, (p.MONTH,))


def test_the_twin_is_derived_from_the_spec() -> None:
    network = next(page for page in PAGES if page.name == "network")
    assert network.twin({"asn": "AS64500"}, "month=2024-06") == (
        "/api/v1/networks/AS64500?month=2024-06")
    overview = next(page for page in PAGES if page.name == "overview")
    assert overview.twin({}, "") == "/api/v1/overview"
