"""docs/threat-model.md and docs/reliability.md name the tests that prove each claim: every
test they name must exist, so a renamed or deleted test cannot leave a claim unproved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["docs/threat-model.md", "docs/reliability.md"]
CITATION = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def citations(doc: str) -> list[tuple[str, str | None]]:
    """(test file, test name or None) for every test cited; ``::name`` alone refers to the
    file last named on the same line."""
    found: list[tuple[str, str | None]] = []
    for line in (ROOT / doc).read_text().splitlines():
        current: str | None = None
        for match in CITATION.finditer(line):
            current = match[1] or current
            if current is not None and (match[1] or match[2]):
                found.append((current, match[2]))
    return found


@pytest.mark.parametrize("doc", DOCS)
def test_every_cited_test_exists(doc: str) -> None:
    cited = citations(doc)
    assert len(cited) > 10
    missing = [f"{file}::{name}" for file, name in cited if not (ROOT / file).is_file()
               or (name and not re.search(rf"^def {name}\(", (ROOT / file).read_text(), re.M))]
    assert missing == []
