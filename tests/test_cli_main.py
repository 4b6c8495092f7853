"""The CLI shell: help text lists the commands, config show prints the registry."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "routewatch", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_commands_and_exit_codes() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "Exit codes" in result.stdout
    assert "config" in result.stdout


def test_config_show_prints_every_setting() -> None:
    from routewatch.settings import SETTINGS

    result = run("config", "show")
    assert result.returncode == 0
    for name in SETTINGS:
        assert name in result.stdout


def test_unknown_command_is_usage_error() -> None:
    result = run("no-such-command")
    assert result.returncode == 2


def test_ctx_exit_code_is_kept() -> None:
    """A command that calls ctx.exit(3) must make the process exit 3 (partial data)."""
    code = (
        "import click, sys\n"
        "from routewatch.cli import main as m\n"
        "@m.cli.command('boom')\n"
        "@click.pass_context\n"
        "def boom(ctx):\n"
        "    ctx.exit(3)\n"
        "m.COMMANDS['boom'] = ('routewatch.cli.main', 'boom', 'test')\n"
        "m.boom = boom\n"
        "m.main(['boom'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert result.returncode == 3, result.stderr
