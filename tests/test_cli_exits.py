"""One way to end a command: routewatch.cli.exits (exit codes 0, 1, 2, 3).

The codes themselves are checked end to end by each command's tests (mrt, ingest, ref,
fetch, run, detect); here: the rule of :func:`finish`, that click passes its code on both
through ``main()`` and through ``CliRunner``, and that no command module ends a command any
other way (no ``SystemExit``, ``sys.exit``, ``ctx.exit`` or click ``Exit`` of its own).
"""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from routewatch.cli import exits
from routewatch.cli.exits import ExitCode, finish, outcome

CLI = Path(exits.__file__).parent
#: Modules allowed to end the process: the entry point and this helper.
ENDS_COMMANDS = {"main.py", "exits.py"}
#: Commands being rewritten by the lead (issue 10) that still raise click's Exit(3)
#: themselves; they move to finish() with that rewrite.
PENDING: set[str] = set()


@pytest.mark.parametrize(
    ("unreadable", "partial", "code"),
    [(0, 0, ExitCode.OK), (0, 2, ExitCode.PARTIAL), (1, 0, ExitCode.ERROR),
     (3, 5, ExitCode.ERROR), (0, True, ExitCode.PARTIAL), (0, False, ExitCode.OK)],
)  # fmt: skip
def test_outcome(unreadable: int, partial: int, code: ExitCode) -> None:
    assert outcome(unreadable=unreadable, partial=partial) is code
    if code is ExitCode.OK:
        assert finish(unreadable=unreadable, partial=partial) is None
    else:
        with pytest.raises(click.exceptions.Exit) as raised:
            finish(unreadable=unreadable, partial=partial)
        assert raised.value.exit_code == code


def test_the_codes_are_the_documented_ones() -> None:
    assert [(c.name, c.value) for c in ExitCode] == [
        ("OK", 0), ("ERROR", 1), ("USAGE", 2), ("PARTIAL", 3)
    ]


@click.command()
@click.option("--partial", type=int, default=0)
def _command(partial: int) -> None:
    click.echo("done")
    finish(partial=partial)


def test_click_passes_the_code_on() -> None:
    assert CliRunner().invoke(_command, ["--partial", "2"]).exit_code == 3
    assert CliRunner().invoke(_command, []).exit_code == 0
    assert _command.main(["--partial", "1"], standalone_mode=False) == 3


def _ends(tree: ast.AST) -> list[str]:
    """How a module ends commands or the process by itself, as readable strings."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = ast.unparse(target)
            if name.split(".")[-1] in {"SystemExit", "Exit"}:
                found.append(f"line {node.lineno}: raise {name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "exit":
            found.append(f"line {node.lineno}: {ast.unparse(node.func)}()")
    return found


def test_no_command_ends_itself() -> None:
    modules = sorted(p for p in CLI.glob("*.py") if p.name not in ENDS_COMMANDS | PENDING)
    assert {"mrt.py", "ingest.py", "ref.py", "fetch.py"} <= {p.name for p in modules}
    offenders = {p.name: _ends(ast.parse(p.read_text())) for p in modules}
    assert not {name: how for name, how in offenders.items() if how}, \
        "end commands with routewatch.cli.exits.finish()"
    assert _ends(ast.parse("raise SystemExit(3)\nctx.exit(3)\nraise click.exceptions.Exit(3)"))
