"""The ``routewatch`` command: a group whose subcommands are imported only when used.

Each subcommand lives in its own module under :mod:`routewatch.cli` and exposes a click
command object; :data:`COMMANDS` maps the command name to ``module:attribute``. Errors of the
:class:`~routewatch.errors.RoutewatchError` tree become one-line messages with exit code 1
(2 for configuration errors); anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import click

from routewatch import __version__, settings
from routewatch.cli.exits import ExitCode
from routewatch.errors import ConfigError, RoutewatchError

__all__ = ["COMMANDS", "EXIT_ERROR", "EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "cli", "main"]

# the codes of routewatch.cli.exits, under the names main() has always used
EXIT_OK = ExitCode.OK
EXIT_ERROR = ExitCode.ERROR
EXIT_USAGE = ExitCode.USAGE
EXIT_PARTIAL = ExitCode.PARTIAL

#: command name -> (module, attribute, one-line help shown by ``routewatch --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "mrt": ("routewatch.cli.mrt", "mrt", "Read MRT archives: dump elems, print statistics."),
    "ingest": ("routewatch.cli.ingest", "ingest", "Write MRT archives into the Parquet lake."),
    "ref": ("routewatch.cli.ref", "ref", "Load and show reference data (RPKI, IRR, bogons, ...)."),
    "fetch": ("routewatch.cli.fetch", "fetch", "Download a source snapshot into the cache."),
    "sources": ("routewatch.cli.fetch", "sources", "List the sources and what the cache holds."),
    "config": ("routewatch.cli.config", "config", "Show effective settings and their origin."),
    "detect": ("routewatch.cli.detect", "detect", "Detect leaks, hijacks, bogons: incidents."),
    "incidents": ("routewatch.cli.detect", "incidents", "List detected incidents (text/JSON/CSV)."),
    "run": ("routewatch.cli.run", "run", "Measure a month: fetch, ingest, detect, score, store."),
    "demo": ("routewatch.cli.run", "demo", "Run the pipeline over the bundled sample; serve it."),
    "report": ("routewatch.cli.report", "report", "One network's scores, incidents, fixes."),
    "area": ("routewatch.cli.report", "area", "Readiness of economies, regions, RIRs, cohorts."),
    "compare-manrs": ("routewatch.cli.compare", "compare_manrs",
                      "Compare a month's scores with a MANRS Observatory export."),
    "export": ("routewatch.cli.export", "export", "Write a month's tables as Parquet/CSV/JSON."),
    "methodology": ("routewatch.cli.methodology", "methodology", "Print the methodology."),
    "serve": ("routewatch.cli.serve", "serve", "Serve the dashboard and the JSON/CSV API."),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, spec in COMMANDS.items() if _available(spec[0]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None or not _available(spec[0]):
            return None
        command = getattr(importlib.import_module(spec[0]), spec[1])
        if not isinstance(command, click.Command):
            raise TypeError(f"{spec[0]}:{spec[1]} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="routewatch")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file of settings (keys equal the long flag names).",
)
def cli(config_file: Path | None) -> None:
    """routewatch — an open routing-security observatory.

    Measures route leaks, hijacks, bogon announcements, RPKI and IRR coverage for every
    network, economy and region, month by month, from raw public data.
    Exit codes: 0 ok, 1 error, 2 usage, 3 finished with partial data.
    """
    if config_file is not None:
        settings.load_toml(config_file)


#: commands that never use pandas. pyarrow imports pandas, when it is installed (the
#: ``[spark]`` extra brings it), on its first ``pa.array`` call: 0.3 s and 50 MB that a
#: ``routewatch mrt stats`` of a small file would otherwise spend (issue 14's start-up floor).
#: The Spark engine needs pandas, so commands with ``--engine`` are not listed.
PANDAS_FREE = frozenset({"mrt", "ingest", "ref", "config", "methodology"})


class _NoPandas:
    """An import finder that refuses ``pandas``, so that ``import pandas`` raises ImportError."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname == "pandas" or fullname.startswith("pandas."):
            raise ImportError(f"routewatch {fullname!r}: this command runs without pandas")
        return None


def _keep_pandas_out(args: list[str]) -> None:
    """Make ``import pandas`` fail in this process when its command is in :data:`PANDAS_FREE`.

    pyarrow then records pandas as absent (its shim catches the ImportError) and does not try
    again. Only for a whole process run by :func:`main` from the command line: a caller that
    passes ``argv`` (a test, an embedding program) keeps its imports untouched.
    """
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command in PANDAS_FREE and "pandas" not in sys.modules:
        sys.meta_path.insert(0, _NoPandas())


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and turn known errors into exit codes."""
    if argv is None:
        _keep_pandas_out(sys.argv[1:])
    try:
        # In non-standalone mode click returns ctx.exit(code)'s code instead of raising.
        returned = cli.main(args=argv, prog_name="routewatch", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_ERROR)
    except ConfigError as exc:
        click.echo(f"routewatch: configuration error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except RoutewatchError as exc:
        click.echo(f"routewatch: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(returned if isinstance(returned, int) else EXIT_OK)
