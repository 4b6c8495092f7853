"""``routewatch methodology``: every constant of the methodology in force, by version.

Prints the :class:`routewatch.methodology.Methodology` object (thresholds, weights,
coefficients, band edges) of the version given, or of the current default, as ``name = value``
lines or JSON — the same numbers every stored score is stamped with (METHODOLOGY §7.1 lists
them; docs/METHODOLOGY.md is the published text).

Exit codes: 0 ok, 2 unknown version (the message lists the known ones).
"""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from routewatch.methodology import METHODOLOGIES, RW_2026_1
from routewatch.methodology import methodology as find_methodology

__all__ = ["methodology"]


@click.command()
@click.option("--version", "version", default=RW_2026_1.version, show_default=True,
              help=f"Methodology version ({', '.join(sorted(METHODOLOGIES))}).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def methodology(version: str, fmt: str) -> None:
    """Print every constant of the methodology in force."""
    method = find_methodology(version)
    if fmt == "json":
        click.echo(json.dumps(asdict(method), indent=2))
    else:
        click.echo(method.describe())
