"""``routewatch config show``: every setting's effective value and where it came from."""

from __future__ import annotations

import click

from routewatch import settings

__all__ = ["config"]


@click.group()
def config() -> None:
    """Inspect routewatch's settings."""


@config.command("show")
def show() -> None:
    """Print each setting, its effective value, its source and its environment variable."""
    for name, setting in sorted(settings.SETTINGS.items()):
        value, origin = settings.effective(name)
        click.echo(f"{name:<14} {value!s:<40} ({origin}; env {setting.env})")
        click.echo(f"{'':<14} {setting.help}")
