"""``routewatch serve``: the dashboard and the /api/v1 JSON/CSV API over a store file.

Reads the store read-only (the pipeline may write new months meanwhile; each request sees
the newest complete snapshot). Fails with exit code 1 and the fix when the file is missing
or not a routewatch database.
"""

from __future__ import annotations

from pathlib import Path

import click

from routewatch import settings

__all__ = ["serve"]


@click.command("serve")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="The DuckDB store (default: the 'db' setting).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port.")
def serve(db_path: Path | None, host: str, port: int) -> None:
    """Serve the dashboard and the JSON/CSV API until interrupted (Ctrl-C)."""
    from routewatch.web.app import serve as run

    path = db_path if db_path is not None else Path(str(settings.get("db")))
    click.echo(f"routewatch: serving {path} on http://{host}:{port}/", err=True)
    run(path, host, port)
