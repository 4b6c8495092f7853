"""Where tests find real data files: the repository's own copies first, the larger corpus second.

``shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")`` names a file by its path inside
the shared corpus (``shared/data`` of the project; see its PROVENANCE.md). It resolves to:

1. ``tests/data/shared/<path>`` — the real files the suite needs, copied into the repository
   with their provenance (``tests/data/shared/PROVENANCE.md``), so a plain clone tests itself;
2. ``$ROUTEWATCH_SHARED_DATA/<path>`` — an optional larger corpus anywhere on disk;
3. ``../shared/data/<path>`` beside the checkout (how CI and the developers' machines have it).

The first that exists wins; when none does, the repository copy's path is returned (so a
missing file fails loudly with that path rather than being skipped).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["REPO_COPY", "shared_corpus", "shared_data"]

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
