"""The API never answers 500 to what a client sends, says what it enforces, and sends the
security headers on every response (issue 15, items 5–7).

In process (Starlette TestClient) over the test store (tests/web_fixture.py), then
schemathesis against the live server (uvicorn on 127.0.0.1) with every check on and a
bounded budget.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from _live_server import live_server
from routewatch.web.app import create_app
from routewatch.web.openapi import openapi
from routewatch.web.tables import TABLES
from web_fixture import built_store

TESTS = Path(__file__).parent


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_store(tmp_path_factory, "web-hardening")


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    """Server exceptions become responses (a 500 is what these tests look for)."""
    with TestClient(create_app(db), raise_server_exceptions=False) as c:
        yield c


ENDPOINTS = [f"/api/v1/{name}{suffix}" for name in TABLES for suffix in ("", ".csv")]
#: Digits str.isdigit accepts and int() refuses, and a number past int()'s 4,300-digit limit.
HOSTILE = ["%C2%B2", "%D9%A1%D9%A2", "1" * 5000, "+5", "05", " 5", "5%0A"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_paging_values_that_are_not_plain_numbers_are_a_400(client: TestClient,
                                                            endpoint: str) -> None:
    for name in ("limit", "offset"):
        for value in HOSTILE:
            response = client.get(f"{endpoint}?{name}={value}")
            if value == "5%0A":  # the schema's pattern semantics allow one final newline
                continue
            assert response.status_code == 400, (endpoint, name, value, response.text[:200])
            assert response.json()["error"]["code"] == f"invalid-{name}"


def test_a_nul_byte_in_a_static_path_is_a_404(client: TestClient) -> None:
    for path in ("/static/app.js%00.png", "/static/%00", "/static/vendor/%00echarts.min.js"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not-found"


@pytest.mark.parametrize("path", ["/api/v1/overview", "/api/v1/networks/64500",
                                  "/api/v1/incidents.csv", "/", "/static/app.js"])
def test_other_methods_are_a_405_with_allow(client: TestClient, path: str) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, path)
        assert response.status_code == 405, (method, path)
        assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
        assert "method-not-allowed" in response.text  # JSON under /api and /static, else HTML


@pytest.mark.parametrize("path,cache", [
    ("/", "no-cache"), ("/api/v1/overview", "no-cache"), ("/api/v1/scores.csv", "no-cache"),
    ("/api/v1/networks/AS12x", "no-cache"), ("/no-such-page", "no-cache"),
    ("/static/app.js", "public, max-age=86400"), ("/static/style.css", "public, max-age=86400"),
    ("/static/missing.js", "public, max-age=86400"),
])
def test_every_response_carries_the_security_headers(client: TestClient, path: str,
                                                      cache: str) -> None:
    headers = client.get(path).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == cache


def test_openapi_declares_what_the_server_enforces() -> None:
    document = openapi()
    for path, item in document["paths"].items():
        responses = item["get"]["responses"]
        assert {"200", "400", "404", "503"} <= set(responses), path
        schema = responses["200"]["content"]["application/json"]["schema"]
        if path not in ("/api/v1", "/api/v1/openapi.json"):
            assert schema.get("properties"), f"{path}: 200 declared as a bare object"
    scores = {p["name"]: p["schema"] for p in
              document["paths"]["/api/v1/scores"]["get"]["parameters"]}
    assert scores["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert scores["month"]["pattern"] and scores["asn"]["pattern"]
    assert scores["band"]["enum"] == ["ready", "aspiring", "lagging", "no-data"]
    network = document["paths"]["/api/v1/networks/{asn}"]["get"]
    assert network["parameters"][0]["in"] == "path" and network["parameters"][0]["required"]
    data = document["paths"]["/api/v1/incidents"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["data"]["items"]
    assert data["properties"]["weight"] == {"type": "number"}
    assert data["properties"]["end"] == {"type": ["string", "null"], "format": "date-time"}


def test_schemathesis_finds_nothing(db: Path, tmp_path: Path) -> None:
    """Every check on (server errors, status codes, content types, response schemas,
    headers, valid requests accepted, invalid ones rejected, 405 with Allow, ...), positive
    and negative data, with a bounded budget: seeded, 8 examples per operation, 30 s. One
    worker: with two, Hypothesis describing its strategies in two threads at once trips
    CPython 3.11's ast module ("AST constructor recursion depth mismatch", a runtime error
    of the tool, not a finding)."""
    st = Path(sys.executable).with_name("st")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    with live_server(db) as url:
        run = subprocess.run(
            [str(st), "run", f"{url}/api/v1/openapi.json", "--checks", "all", "--mode", "all",
             "--max-examples", "8", "--seed", "20260", "--max-time", "30", "--no-shrink",
             "--workers", "1", "--request-timeout", "10"],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180, check=False)
    summary = run.stdout[-3000:]
    assert run.returncode == 0, summary
    assert " passed" in summary and "failures" not in summary.split("SUMMARY")[-1], summary
