"""Integrity checks on real files, mutated: they raise FetchError or pass, never crash or hang.

Also the golden files of ``routewatch sources`` for an empty cache, in ``tests/golden/sources/``;
regenerate them after a deliberate output change with
``ROUTEWATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_sources_verify.py`` and review the diff.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routewatch.cli.fetch import render_sources, source_rows
from routewatch.errors import FetchError
from routewatch.sources import Cache, Content
from routewatch.sources.verify import parse_checksum, verify_checksum, verify_content
from sources_server import sample

GOLDEN = Path(__file__).parent / "golden" / "sources"
SAMPLES = [
    ("ris-rrc21_updates.20160811.1600.gz", Content.GZIP),
    ("route-views.wide_updates.20161101.0000.bz2", Content.BZIP2),
    ("ripe-archive_afrinic-tal_roas_20220102.csv.xz", Content.XZ),
    ("peeringdb-api_net.json", Content.JSON),
]


@pytest.mark.parametrize(("name", "content"), SAMPLES)
def test_real_samples_pass(tmp_path: Path, name: str, content: Content) -> None:
    path = tmp_path / name
    path.write_bytes(sample(name))
    verify_content(path, content)


@pytest.mark.parametrize(("name", "content"), SAMPLES)
def test_every_truncation_point_class_is_caught(tmp_path: Path, name: str,
                                                content: Content) -> None:
    body = sample(name)
    path = tmp_path / name
    for cut in (1, 10, len(body) // 3, len(body) - 1):
        path.write_bytes(body[:cut])
        with pytest.raises(FetchError):
            verify_content(path, content)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=20938), flips=st.lists(
    st.tuples(st.integers(min_value=0, max_value=20938), st.integers(min_value=0, max_value=255)),
    max_size=4))
def test_mutated_bzip2_never_crashes(tmp_path: Path, cut: int,
                                     flips: list[tuple[int, int]]) -> None:
    body = bytearray(sample("route-views.wide_updates.20161101.0000.bz2"))
    for offset, value in flips:
        body[offset % len(body)] = value
    path = tmp_path / "mutated.bz2"
    path.write_bytes(bytes(body[: max(cut, 1)] if cut < len(body) else body))
    with contextlib.suppress(FetchError):
        verify_content(path, Content.BZIP2)


@given(st.text(max_size=200))
def test_parse_checksum_never_crashes(text: str) -> None:
    parsed = parse_checksum(text)
    assert parsed is None or len(parsed[1]) in (32, 64)


def test_checksum_formats(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    md5 = "900150983cd24fb0d6963f7d28e17f72"
    sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert verify_checksum(path, f"MD5 (f) = {md5}") == f"md5:{md5}"
    assert verify_checksum(path, f"{sha.upper()}  f\n") == f"sha256:{sha}"
    with pytest.raises(FetchError, match="holds no MD5/SHA-256"):
        verify_checksum(path, "<html>nope</html>")


def test_small_and_html_files_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"# last updated\n")
    with pytest.raises(FetchError, match="fewer than the 256"):
        verify_content(path, Content.TEXT, min_size=256)
    path.write_bytes(b"  <HTML><body>503</body></HTML>" + b" " * 300)
    with pytest.raises(FetchError, match="HTML page"):
        verify_content(path, Content.CSV, min_size=256)
    path.write_bytes(b"plain text, not gzip")
    with pytest.raises(FetchError, match="expected gzip data"):
        verify_content(path, Content.GZIP)


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_sources_golden_empty_cache(tmp_path: Path, fmt: str) -> None:
    rows = source_rows(Cache(tmp_path), dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    rendered = render_sources(rows, fmt)
    golden = GOLDEN / f"sources-empty.{'txt' if fmt == 'text' else fmt}"
    if os.environ.get("ROUTEWATCH_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered)
    assert rendered == golden.read_text()
