"""Run the import-linter contracts of pyproject.toml that are in force (`make lint`).

The contracts live in ``[tool.importlinter]``; those listed in ``[tool.routewatch]
import-contracts-to-be-enabled`` describe the target shape of code being rewritten and are
skipped, by name, in a line on stderr. ``--to-be-enabled`` runs only those instead (`make
lint-pending`: to see how far they are; it fails while any is broken). Exit status: that of
``lint-imports`` (0 every contract run is kept, 1 one is broken); 2 when the configuration
names a contract to be enabled that does not exist.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ids = [c["id"] for c in config["tool"]["importlinter"]["contracts"]]
    pending = config["tool"]["routewatch"]["import-contracts-to-be-enabled"]
    unknown = sorted(set(pending) - set(ids))
    if unknown:
        print(f"pyproject.toml: import-contracts-to-be-enabled names no contract {unknown}; "
              f"contracts: {', '.join(ids)}", file=sys.stderr)
        return 2
    wanted = pending if "--to-be-enabled" in argv else [i for i in ids if i not in pending]
    if "--to-be-enabled" not in argv and pending:
        print(f"import contracts to be enabled, not run: {', '.join(pending)} "
              "(make lint-pending runs them)", file=sys.stderr)
    linter = Path(sys.executable).with_name("lint-imports")
    command = [str(linter), "--no-logo", *(arg for i in wanted for arg in ("--contract", i))]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
