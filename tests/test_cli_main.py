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


def test_pandas_free_commands_do_not_import_pandas() -> None:
    """pyarrow imports pandas (0.3 s) on its first ``pa.array`` when pandas is installed; the
    commands of ``PANDAS_FREE`` refuse that import, others (the Spark engine's) keep it."""
    import importlib.util

    from routewatch.cli.main import PANDAS_FREE

    if importlib.util.find_spec("pandas") is None:
        import pytest

        pytest.skip("pandas is not installed (the [spark] extra brings it)")
    sample = "tests/data/mrt/bview.ipv4_unicast_add_path.gz"
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('pyarrow', 'pyarrow' in sys.modules,"
        " 'pandas', 'pandas' in sys.modules))\n"
        "from routewatch.cli.main import main\n"
        "sys.argv = ['routewatch', *sys.argv[1:]]\n"
        "main()\n"
    )

    def modules_after(*args: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    assert "mrt" in PANDAS_FREE and "run" not in PANDAS_FREE
    stats = modules_after("mrt", "stats", sample)
    assert "  elems      62 (R 62)" in stats
    assert stats[-1] == "pyarrow True pandas False"
    code = (
        "import sys\n"
        "from routewatch.cli.main import _keep_pandas_out\n"
        "_keep_pandas_out(['run', '--month', '2021-01'])\n"
        "import pandas\n"
        "print('pandas' in sys.modules)\n"
    )
    run_cmd = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run_cmd.stdout.strip() == "True", run_cmd.stderr
