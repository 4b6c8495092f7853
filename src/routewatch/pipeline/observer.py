"""Progress of a pipeline run, as a protocol the CLI draws and tests ignore.

A run announces stages (with a step count when known), advances through their steps and
passes on messages worth telling a user (a gap, a stale file). :class:`NullObserver` shows
nothing; ``routewatch.cli.run.BarObserver`` draws rich progress bars.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["NullObserver", "Observer"]


class Observer(Protocol):
    """Progress of a run: stages with an optional total, steps inside them, messages."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A stage begins (``total`` steps, if known)."""

    def advance(self, note: str = "") -> None:
        """One step of the current stage is done."""

    def message(self, text: str) -> None:
        """Something worth telling the user (a gap, a stale file)."""


class NullObserver:
    """An observer that shows nothing."""

    def stage(self, name: str, total: int | None = None) -> None:
        """Ignore."""

    def advance(self, note: str = "") -> None:
        """Ignore."""

    def message(self, text: str) -> None:
        """Ignore."""
