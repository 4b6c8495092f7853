"""``routewatch export``: one month's stored tables as Parquet, CSV or JSON files.

Writes ``<out>/<table>.<ext>`` for ``runs`` and every data table of the store (findings,
incidents, per-ASN metrics and scores, area roll-ups, networks, announced pairs) through
:func:`routewatch.store.export_month`; each file appears whole or not at all.

Exit codes: 0 ok, 1 error (no store, no run for the month, unwritable folder), 2 usage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from routewatch import settings
from routewatch.errors import ConfigError
from routewatch.store import ExportFormat, Store, export_month

__all__ = ["export"]


@click.command()
@click.option("--month", required=True, help="The month to export, YYYY-MM.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in ExportFormat]),
              default=ExportFormat.PARQUET.value, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("export"),
              show_default=True, help="Folder to write the files to (created if needed).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB store (default: the 'db' setting).")
def export(month: str, fmt: str, out: Path, db: Path | None) -> None:
    """Write every table of one month to OUT as Parquet, CSV or JSON (one file per table)."""
    try:
        when = dt.date.fromisoformat(month.strip()[:7] + "-01")
    except ValueError:
        raise ConfigError(f"--month {month!r}: expected YYYY-MM") from None
    store = Store.open(db if db is not None else Path(str(settings.get("db"))), create=False)
    for path in export_month(store, when, out, fmt):
        click.echo(f"{path}\t{path.stat().st_size:,} bytes")
