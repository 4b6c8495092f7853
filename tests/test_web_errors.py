"""The one error shape of the API and the dashboard, pinned.

Every refusal is ``{"error": {"status", "code", "message", "parameter"}}`` with the HTTP
status repeated inside; ``message`` says what was expected; ``parameter`` names the culprit.
Changing this shape breaks API clients: change this test only with a new API version.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from routewatch.web.app import create_app
from routewatch.web.openapi import openapi
from web_fixture import build_store

SHAPE = {"status", "code", "message", "parameter"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("web-errors") / "rw.duckdb"
    build_store(db)
    with TestClient(create_app(db)) as c:
        yield c


@pytest.mark.parametrize("url,code,parameter,expected", [
    ("/api/v1/networks/AS12x", "invalid-asn", "asn", "an AS number such as 64500 or AS64500"),
    ("/api/v1/networks/99999999999", "invalid-asn", "asn", "an AS number"),
    ("/api/v1/overview?month=2024-13", "invalid-month", "month", "a month written YYYY-MM"),
    ("/api/v1/incidents?month=June", "invalid-month", "month", "a month written YYYY-MM"),
    ("/api/v1/incidents?prefix=10.0.0.1/8", "invalid-prefix", "prefix", "an IP prefix"),
    ("/api/v1/findings?prefix=banana", "invalid-prefix", "prefix", "an IP prefix"),
    ("/api/v1/overview?area=economy:NLD", "invalid-economy", "area", "an ISO 3166 alpha-2"),
    ("/api/v1/overview?area=Z1", "invalid-economy", "area", "an ISO 3166 alpha-2"),
    ("/api/v1/overview?area=planet:earth", "invalid-area", "area", "an area written kind:name"),
    ("/api/v1/overview?action=dancing", "invalid-action", "action", "one of filtering"),
    ("/api/v1/compare?areas=economy:NL", "invalid-areas", "areas", "two to eight"),
    ("/api/v1/incidents?metric=M9", "invalid-metric", "metric", "one of M1"),
    ("/api/v1/incidents?limit=0", "invalid-limit", "limit", "a whole number from 1 to 1000"),
    ("/api/v1/incidents?limit=5000", "invalid-limit", "limit", "a whole number from 1 to 1000"),
    ("/api/v1/incidents?offset=-1", "invalid-offset", "offset", "a whole number"),
    ("/api/v1/incidents?format=xml", "invalid-format", "format", "json or csv"),
    ("/api/v1/incidents?asn_typo=1", "unknown-parameter", "asn_typo", "this endpoint takes"),
    ("/api/v1/incidents/bad%20id", "invalid-incident-id", "incident_id", "an incident id"),
])
def test_bad_parameters_give_400_in_the_one_shape(client: TestClient, url: str, code: str,
                                                  parameter: str, expected: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == SHAPE
    assert body["error"]["status"] == 400
    assert body["error"]["code"] == code
    assert body["error"]["parameter"] == parameter
    assert body["error"]["message"].startswith(expected)


def test_the_shape_is_exactly_this(client: TestClient) -> None:
    assert client.get("/api/v1/networks?asn=AS-1").json() == {"error": {
        "status": 400, "code": "invalid-asn",
        "message": "an AS number such as 64500 or AS64500 (0 to 4294967295)",
        "parameter": "asn"}}


@pytest.mark.parametrize("url,parameter", [
    ("/api/v1/networks/64511", "asn"),
    ("/api/v1/overview?month=2019-01", "month"),
    ("/api/v1/overview?area=economy:FR", "area"),
    ("/api/v1/incidents/0000000000000000", "incident_id"),
    ("/api/v1/no-such-endpoint", None),
])
def test_missing_data_gives_404_in_the_same_shape(client: TestClient, url: str,
                                                  parameter: str | None) -> None:
    response = client.get(url)
    assert response.status_code == 404
    body = response.json()
    assert set(body["error"]) == SHAPE
    assert body["error"]["code"] == "not-found"
    assert body["error"]["parameter"] == parameter


def test_pages_show_the_same_error_as_html(client: TestClient) -> None:
    response = client.get("/asn/AS12x")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "invalid-asn" in response.text
    assert "an AS number such as 64500" in response.text


def test_a_missing_store_is_503_naming_the_fix(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "absent.duckdb")) as c:
        response = c.get("/api/v1/overview")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store-unavailable"
    assert "run the pipeline" in response.json()["error"]["message"]


def test_openapi_documents_the_shape() -> None:
    schema = openapi()["components"]["schemas"]["Error"]
    assert set(schema["properties"]["error"]["required"]) == SHAPE
