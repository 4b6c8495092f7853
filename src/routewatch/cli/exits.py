"""Exit codes of every routewatch command, and the one way a command ends with one.

::

    0  OK       the command did all it was asked
    1  ERROR    something could not be done at all: a RoutewatchError (main() prints it), or
                a file the command went past because it could not be read
    2  USAGE    a bad flag, value or setting (click's usage errors, ConfigError)
    3  PARTIAL  finished with partial data: something was skipped, stale or missing, and the
                command said what on stderr

Errors become codes 1 and 2 in :func:`routewatch.cli.main.main`. A command that finished
calls :func:`finish` last, with how many inputs it could not read and how many it read only
in part; :func:`finish` returns when both are zero and otherwise ends the command with 1 (an
unreadable input outweighs partial ones) or 3. It raises click's ``Exit``, which click turns
into the process exit code both when routewatch runs as a program and in tests
(``CliRunner``). No command raises ``SystemExit`` or calls ``ctx.exit`` itself.
"""

from __future__ import annotations

from enum import IntEnum

import click

__all__ = ["ExitCode", "finish", "outcome"]


class ExitCode(IntEnum):
    """A documented exit code (see the module doc)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    PARTIAL = 3


def outcome(*, unreadable: int = 0, partial: int = 0) -> ExitCode:
    """ERROR if anything was unreadable, else PARTIAL if anything was partial, else OK."""
    if unreadable:
        return ExitCode.ERROR
    return ExitCode.PARTIAL if partial else ExitCode.OK


def finish(*, unreadable: int = 0, partial: int = 0) -> None:
    """End a command that finished: return for OK, else exit with 1 or 3 (:func:`outcome`).

    ``partial`` may be a count or a flag (``finish(partial=result.stale)``).
    """
    code = outcome(unreadable=unreadable, partial=int(partial))
    if code is not ExitCode.OK:
        raise click.exceptions.Exit(int(code))
