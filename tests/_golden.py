"""Golden files: compare an output with its reviewed copy under tests/golden/.

``ROUTEWATCH_UPDATE_GOLDEN=1 python -m pytest ...`` rewrites the copies after a deliberate
output change (then review the diff). Shared by every CLI golden test.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(folder: str, name: str, text: str) -> None:
    """Assert ``text`` equals ``tests/golden/<folder>/<name>`` (or rewrite it, see above)."""
    path = GOLDEN / folder / name
    if os.environ.get("ROUTEWATCH_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from golden file {path}"
