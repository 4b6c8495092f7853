"""The repository's copy of the shared corpus is what its PROVENANCE.md says, and is found first.

``tests/data/shared`` holds the real files the suite needs (see its PROVENANCE.md, written by
``tests/data/shared/refresh.py``). Every file there must be listed with its size and sha256,
every listed file must be there, and the series ``SHA256SUMS`` must hold. ``tests/_data.py``
must take the copy first, then the corpus named by ``ROUTEWATCH_SHARED_DATA``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import _data
from _data import REPO_COPY, shared_data, shared_files

OWN_FILES = {"PROVENANCE.md", "refresh.py"}


def _listed() -> dict[str, tuple[int, str]]:
    """file -> (bytes, sha256) from the table of the copy's PROVENANCE.md."""
    rows: dict[str, tuple[int, str]] = {}
    for line in (REPO_COPY / "PROVENANCE.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[1].isdigit():
            rows[cells[0]] = (int(cells[1]), cells[2])
    return rows


def test_every_file_is_listed_with_its_size_and_sha256() -> None:
    listed = _listed()
    present = {
        p.relative_to(REPO_COPY).as_posix()
        for p in REPO_COPY.rglob("*")
        if p.is_file() and p.name not in OWN_FILES
    }
    assert present == set(listed)
    for name, (size, digest) in sorted(listed.items()):
        data = (REPO_COPY / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, digest), name


def test_series_sums_hold() -> None:
    sums = sorted(REPO_COPY.glob("mrt/series/*/SHA256SUMS"))
    assert len(sums) == 3
    for path in sums:
        for line in path.read_text().splitlines():
            digest, name = line.split()
            assert hashlib.sha256((path.parent / name).read_bytes()).hexdigest() == digest
        assert len(path.read_text().splitlines()) == len(list(path.parent.glob("*.cache")))


def test_the_copy_is_found_first_then_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an invented corpus: one file the copy also has, one it lacks
    rrc21, extra = "mrt/ris/ris-rrc21_updates.20160811.1600.gz", "mrt/ris/only-in-the-corpus.gz"
    for name in (rrc21, extra):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"invented")
    monkeypatch.setenv("ROUTEWATCH_SHARED_DATA", str(tmp_path))
    assert _data.shared_corpus() == tmp_path
    assert shared_data(rrc21) == REPO_COPY / rrc21
    assert shared_data(extra) == tmp_path / extra
    assert shared_data("mrt/ris/nowhere.gz") == REPO_COPY / "mrt/ris/nowhere.gz"
    listing = shared_files("mrt/ris", "*.gz")
    assert REPO_COPY / rrc21 in listing and tmp_path / rrc21 not in listing
    assert tmp_path / extra in listing
    assert [p.name for p in listing] == sorted(p.name for p in listing)
