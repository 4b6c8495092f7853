"""Where tests find real data files: the repository's own copies first, the larger corpus second.

``shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")`` names a file by its path inside
the shared corpus (``shared/data`` of the project; see its PROVENANCE.md). It resolves to:

1. ``tests/data/shared/<path>`` — the real files the suite needs, copied into the repository
   with their provenance (``tests/data/shared/PROVENANCE.md``), so a plain clone tests itself;
2. ``$ROUTEWATCH_SHARED_DATA/<path>`` — an optional larger corpus anywhere on disk;
3. ``../shared/data/<path>`` beside the checkout (how CI and the developers' machines have it).

The first that exists wins; when none does, the repository copy's path is returned (so a
missing file fails loudly with that path rather than being skipped).

``shared_files("mrt/ris_historical", "*.gz")`` lists a folder for the tests that run over every
file available (the bgpdump oracle, the robustness sweep): the repository copy's files, plus
the larger corpus's files of that folder that the copy lacks. A plain clone runs them on the
copy; with the corpus beside it they take more cases, each with the same verdict.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["REPO_COPY", "shared_corpus", "shared_data", "shared_files"]

TESTS = Path(__file__).resolve().parent
REPO_COPY = TESTS / "data" / "shared"


def shared_corpus() -> Path | None:
    """The larger shared corpus folder, if one is present (environment first)."""
    env = os.environ.get("ROUTEWATCH_SHARED_DATA")
    for folder in (Path(env) if env else None, TESTS.parents[1] / "shared" / "data"):
        if folder is not None and folder.is_dir():
            return folder
    return None


def shared_data(relative: str) -> Path:
    """The path of a shared real data file (see the module doc for the search order)."""
    own = REPO_COPY / relative
    if own.exists():
        return own
    corpus = shared_corpus()
    if corpus is not None and (corpus / relative).exists():
        return corpus / relative
    return own


def shared_files(folder: str, pattern: str = "*") -> list[Path]:
    """Files of ``folder`` matching ``pattern``: the repository copy's, then the corpus's others.

    Sorted by name; a name present in both is taken from the repository copy.
    """
    found: dict[str, Path] = {}
    corpus = shared_corpus()
    for root in (REPO_COPY, corpus) if corpus is not None else (REPO_COPY,):
        for path in (root / folder).glob(pattern):
            if path.is_file():
                found.setdefault(path.name, path)
    return [found[name] for name in sorted(found)]
