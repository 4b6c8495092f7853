"""Threats of docs/threat-model.md that no other test module covers: decompression bombs in
reference documents, the time an MRT decompression bomb costs, text from IRR / PeeringDB /
as2org shown on pages, names in a Spoofer page's ``hydra:next``.

Inputs: the real PeeringDB and rpki-client files (``tests/_data.py``, ``tests/data/ref``) padded
into bombs here; a real RIS update file followed by a gzip member of zero bytes (the bomb
INVENTED, as no real archive is one); the web tests' store (``tests/web_fixture.py``, real
code path) with one network's name replaced by hostile markup (INVENTED, as an attacker would
register it); a real Spoofer page layout (``tests/data/ref/spoofer``, invented sessions)
with a hostile ``hydra:next``.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

import web_fixture
from _data import shared_data
from routewatch.errors import ImplausibleInputError
from routewatch.ingest.mrt import read_elems
from routewatch.ingest.report import IngestReport, ProblemKind
from routewatch.reference.sniff import load_any
from routewatch.sources.spoofer import next_pages, page_item
from routewatch.web import create_app
from web_fixture import HIJACKER, build_store

REF = Path(__file__).parent / "data" / "ref"


# ------------------------------------------------------------------------------------------
# decompression bombs
# ------------------------------------------------------------------------------------------


def bomb(tmp_path: Path, source: Path, padding: int) -> Path:
    """``source`` with ``padding`` bytes of blanks (JSON whitespace) after its 40th line,
    gzipped: a few hundred KB that decompress to ``padding`` more bytes."""
    lines = source.read_bytes().splitlines(keepends=True)
    target = tmp_path / (source.name + ".gz")
    with gzip.open(target, "wb", compresslevel=9) as out:
        out.write(b"".join(lines[:40]))
        for _ in range(padding >> 20):
            out.write(b" " * (1 << 20))
        out.write(b"".join(lines[40:]))
    return target


@pytest.mark.parametrize("source", [
    shared_data("peeringdb/peeringdb-api_netixlan.json"),
    REF / "rpki" / "rpki-client_afrinic-vrps_20220102.json",
], ids=["peeringdb-json", "rpki-client-json"])  # fmt: skip
def test_a_json_document_bomb_is_refused_before_it_fills_memory(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # main: read whole, whatever it decompressed to (a few MB of gzip can hold gigabytes)
    monkeypatch.setenv("ROUTEWATCH_MAX_DOCUMENT_BYTES", str(4 << 20))
    assert load_any([source]).table.num_rows > 0  # the real file is under the limit
    packed = bomb(tmp_path, source, 32 << 20)
    assert packed.stat().st_size < 200_000
    with pytest.raises(ImplausibleInputError, match="max-document-bytes"):
        load_any([packed])


def test_an_mrt_decompression_bomb_is_read_only_up_to_max_mrt_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory was bounded, time was not: every byte of a bomb was decompressed and decoded
    (1.2 GB of zeros: 77 s). Now reading stops at ``max-mrt-bytes``: the elems before are
    all there, the rest is one decompression-error problem at that offset (exit 3)."""
    real = Path(__file__).parent / "data" / "mrt" / "ris-rrc06_updates.20150401.0000.gz"
    plain = gzip.decompress(real.read_bytes())
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"".join(packer.compress(bytes(1 << 20)) for _ in range(64)) + packer.flush()
    target = tmp_path / real.name
    target.write_bytes(real.read_bytes() + zeros)  # a second gzip member: 64 MiB of zeros
    monkeypatch.setenv("ROUTEWATCH_MAX_MRT_BYTES", str(len(plain)))
    report = IngestReport()
    got = pa.Table.from_batches(list(read_elems(target, report=report)))
    assert got.equals(pa.Table.from_batches(list(read_elems(real))))
    assert report.bytes_read == len(plain)
    assert [(p.kind, p.offset) for p in report.problems] == [
        (ProblemKind.DECOMPRESSION, len(plain))
    ]
    assert "max-mrt-bytes" in report.problems[0].detail and report.partial


# ------------------------------------------------------------------------------------------
# text from IRR / PeeringDB / as2org shown on pages
# ------------------------------------------------------------------------------------------

HOSTILE = '</script><script>alert("rw")</script><img src=x onerror=alert(1)>&amp;'


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("hostile") / "rw.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        original = web_fixture._name
        patch.setattr(web_fixture, "_name", lambda asn: HOSTILE if asn == HIJACKER
                      else original(asn))  # fmt: skip
        build_store(path)
    with TestClient(create_app(path)) as client:
        yield client


def test_a_hostile_network_name_is_text_on_the_page(hostile_client: TestClient) -> None:
    page = hostile_client.get(f"/asn/{HIJACKER}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(" in page  # shown, as text
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;amp;" in page
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', page,
                      re.S)  # fmt: skip
    assert found is not None  # the embedded JSON did not end early
    assert json.loads(found.group(1))["about"]["name"] == HOSTILE


def test_a_hostile_network_name_is_data_in_the_api(hostile_client: TestClient) -> None:
    answer = hostile_client.get(f"/api/v1/networks/{HIJACKER}")
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["about"]["name"] == HOSTILE
    assert "nosniff" in answer.headers.get("x-content-type-options", "")


# ------------------------------------------------------------------------------------------
# names from listings: the next page a fetched Spoofer page names
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("following", [
    "https://attacker.example/sessions?page=2",
    "../../../../etc/passwd?page=2",
    "/sessions?page=not-a-number",
    "/sessions?page=99999999999999999999",
    "/sessions?page=1",
], ids=["other-host", "traversal", "not-a-number", "huge", "backwards"])  # fmt: skip
def test_a_fetched_page_cannot_steer_the_next_request(tmp_path: Path, following: str) -> None:
    import datetime as dt

    item = page_item(dt.date(2020, 5, 7), 1, "https://api.spoofer.caida.org/")
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"hydra:member": [], "hydra:view": {"hydra:next": following}}))
    followed = next_pages(item, page)
    if following.endswith("page=2"):  # only the page number is taken from the link
        assert [(i.url.split("?")[0], i.key) for i in followed] == [
            ("https://api.spoofer.caida.org/sessions", item.key.replace("0001", "0002"))
        ]
    else:
        assert followed == []


# ------------------------------------------------------------------------------------------
# paths from the client
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/static/../../pyproject.toml",
    "/static/..%2f..%2fpyproject.toml",
    "/static/%2e%2e/%2e%2e/src/routewatch/web/app.py",
    "/static/vendor/../../app.py",
])  # fmt: skip
def test_static_paths_stay_inside_the_static_folder(hostile_client: TestClient, path: str) -> None:
    answer = hostile_client.get(path)
    assert answer.status_code == 404
    assert "[project]" not in answer.text and "def create_app" not in answer.text
