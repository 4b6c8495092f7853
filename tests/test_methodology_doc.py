"""docs/METHODOLOGY.md is the methodology the code implements, and the code's citations of it
resolve.

- every "METHODOLOGY §n" (or §n.m, or a range §n–§m) cited in src/, tests/, benchmarks/ or
  docs/ names a section heading of docs/METHODOLOGY.md;
- its table of constants (§7.1) has one column per published version, and lists exactly the
  fields of :class:`routewatch.methodology.Methodology` with each version's values;
- every published version has its subsection in §8.
"""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from pathlib import Path

from routewatch.methodology import METHODOLOGIES, Methodology

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "METHODOLOGY.md"
_HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", re.MULTILINE)
_CITATION = re.compile(r"METHODOLOGY(?:\.md)?[ ,]{0,2}§(\d+(?:\.\d+)*)(?:[–-]§?(\d+(?:\.\d+)*))?")
_SUFFIXES = {".py", ".md", ".toml", ".html", ".js", ".j2"}


def sections() -> set[str]:
    return set(_HEADING.findall(DOC.read_text()))


def citations() -> dict[str, set[str]]:
    """Section number -> the files that cite it."""
    found: dict[str, set[str]] = {}
    for folder in ("src", "tests", "benchmarks", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in _SUFFIXES or not path.is_file() or "data" in path.parts:
                continue
            for match in _CITATION.finditer(path.read_text(errors="replace")):
                for number in filter(None, match.groups()):
                    found.setdefault(number, set()).add(str(path.relative_to(ROOT)))
    return found


def constants_table() -> tuple[list[str], dict[str, list[str]]]:
    """(version columns, constant -> its cells) of the table under "### 7.1"."""
    text = DOC.read_text().split("### 7.1", 1)[1].split("\n### ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in text.splitlines()
            if line.startswith("|")]  # fmt: skip
    header = [cell.strip() for cell in rows[0]]
    versions = [h for h in header if h in METHODOLOGIES or re.fullmatch(r"rw-\d{4}\.\d+", h)]
    body = {row[0].strip().strip("`"): [c.strip() for c in row[1:]] for row in rows[2:]}
    return versions, body


def test_every_citation_names_a_section() -> None:
    cited = citations()
    assert "4" in cited and "6" in cited  # the scan finds the citations the code makes
    missing = {number: sorted(files) for number, files in cited.items()
               if number not in sections()}  # fmt: skip
    assert not missing, f"cited sections absent from docs/METHODOLOGY.md: {missing}"


def test_constants_table_is_the_methodology_object() -> None:
    versions, body = constants_table()
    assert versions == list(METHODOLOGIES), "one column per published version, in order"
    assert list(body) == [f.name for f in fields(Methodology)]
    for column, version in enumerate(versions):
        values = asdict(METHODOLOGIES[version])
        for name, cells in body.items():
            assert cells[column] == str(values[name]), (version, name)


def test_every_version_has_its_subsection() -> None:
    text = DOC.read_text()
    for version in METHODOLOGIES:
        assert re.search(rf"^### 8\.\d+ {re.escape(version)}$", text, re.MULTILINE), version
