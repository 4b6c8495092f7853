"""One demo store per test session, shared by the CLI tests that read it.

``demo_db()`` runs ``routewatch demo --no-serve`` once (in process) into a temporary folder
and returns the database path and the command's output; later calls return the same. The
folder is removed when the interpreter exits.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from click.testing import CliRunner

from routewatch.cli.main import cli


@cache
def demo_db() -> tuple[Path, str]:
    """(database path, stdout of the first demo run)."""
    folder = Path(tempfile.mkdtemp(prefix="rw-demo-"))
    atexit.register(shutil.rmtree, folder, True)
    db = folder / "demo.duckdb"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db, result.output
