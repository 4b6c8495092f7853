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

The benchmarks find their real inputs the same way; ``refuse_missing`` ends one that lacks a
file (the larger corpus is optional for a clone) with a message naming the file and where it
was looked for, instead of a traceback from its first read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["BESIDE", "REPO_COPY", "corpus_root", "missing_message", "refuse_missing",
           "shared_corpus", "shared_data", "shared_files"]

TESTS = Path(__file__).resolve().parent
REPO_COPY = TESTS / "data" / "shared"
#: where the larger corpus is looked for when $ROUTEWATCH_SHARED_DATA is not set
BESIDE = TESTS.parents[1] / "shared" / "data"


def shared_corpus() -> Path | None:
    """The larger shared corpus folder, if one is present (environment first)."""
    env = os.environ.get("ROUTEWATCH_SHARED_DATA")
    for folder in (Path(env) if env else None, BESIDE):
        if folder is not None and folder.is_dir():
            return folder
    return None


def corpus_root() -> Path:
    """The larger corpus folder, or where it belongs when there is none.

    For measurements over the whole corpus (not the repository's shorter copies). Without a
    corpus, a folder they glob is simply empty, so they pass its ``PROVENANCE.md`` to
    :func:`refuse_missing` along with their files."""
    return shared_corpus() or BESIDE


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


def missing_message(who: str, paths: Iterable[Path]) -> str | None:
    """What to tell the user of ``who`` when some of ``paths`` do not exist (None: all do)."""
    missing = sorted({str(path) for path in paths if not path.is_file()})
    if not missing:
        return None
    corpus = shared_corpus()
    return "\n".join([
        f"{who}: {len(missing)} real input file(s) not found:",
        *(f"  {path}" for path in missing),
        f"  the shared corpus is looked for in $ROUTEWATCH_SHARED_DATA, then "
        f"{BESIDE} (in use: {corpus or 'none'}); the "
        f"repository's copy {REPO_COPY} holds only what the tests need.",
        "  Put the corpus (see its PROVENANCE.md) beside the checkout or set "
        "ROUTEWATCH_SHARED_DATA to its folder.",
    ])


def refuse_missing(who: str, paths: Iterable[Path]) -> None:
    """End the program (status 2, :func:`missing_message` on stderr) if a file of ``paths`` is
    missing."""
    message = missing_message(who, paths)
    if message is not None:
        print(message, file=sys.stderr)
        raise SystemExit(2)
