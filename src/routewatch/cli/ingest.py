"""``routewatch ingest``: write MRT files into the Parquet lake.

Role: the command-line face of :func:`routewatch.ingest.lake.ingest_file`, with a progress
bar (files and bytes) on stderr when it is a terminal and a summary at the end: files read,
elems written, partitions written, files skipped as already ingested, partial files.

Failure modes and exit codes: an unreadable file is reported (with what to do) and skipped,
and the command exits 1 at the end; files with skipped records are still written, marked
partial in their manifest, reported on stderr with kinds, counts and first offsets, and the
command exits 3. A bad ``--collector`` is a usage error (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click
import pyarrow as pa

from routewatch import settings
from routewatch.cli.exits import finish
from routewatch.cli.mrt import echo_partial, echo_unreadable
from routewatch.cli.progress import FileProgress, reading_note
from routewatch.errors import ConfigError, InputError, StoreError
from routewatch.ingest.lake import IngestOutcome, ingest_file
from routewatch.ingest.report import IngestReport
from routewatch.ingest.temporaries import sweep_lake

__all__ = ["IngestSummary", "ingest"]


@dataclass
class IngestSummary:
    """Totals over one ``routewatch ingest`` run."""

    files: int = 0
    elems: int = 0
    partitions: set[str] = field(default_factory=set)
    skipped: list[Path] = field(default_factory=list)
    partial: list[Path] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)

    def add(self, outcome: IngestOutcome) -> None:
        """Count one file's outcome."""
        if outcome.skipped:
            self.skipped.append(outcome.source)
            return
        self.files += 1
        self.elems += outcome.elems
        self.partitions.update(part.rsplit("/", 1)[0] for part in outcome.manifest.parts)
        if outcome.partial:
            self.partial.append(outcome.source)

    def text(self, lake: Path) -> str:
        """The closing summary, one line."""
        return (
            f"Ingested {self.files} file(s) into {lake}: {self.elems:,} elems in "
            f"{len(self.partitions)} partition(s); {len(self.skipped)} skipped as already "
            f"ingested; {len(self.partial)} partial; {len(self.unreadable)} unreadable."
        )


@click.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--lake",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: str(settings.get("lake")),
    show_default="setting 'lake'",
    help="Folder of the Parquet lake (created if missing).",
)
@click.option(
    "--collector",
    metavar="NAME",
    help="Collector name for the elems (default: from the file or folder name, e.g. rrc21).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Read files that are already in the lake again and replace their part files.",
)
def ingest(
    files: tuple[Path, ...],
    lake: Path,
    collector: str | None,
    replace: bool,
) -> None:
    """Write the elems of MRT FILES into the Parquet lake, by collector and day.

    \b
    Examples:
      routewatch ingest --lake lake rrc21/2016.08/updates.20160811.1600.gz
      routewatch ingest --lake lake ris-rrc05_bview.20020722.2337.gz
      routewatch ingest --lake lake --collector route-views2 bgpdata/2014.05/RIBS/*.bz2
      duckdb -c "SELECT collector, date, count(*) FROM
        read_parquet('lake/elems/**/*.parquet', hive_partitioning=true) GROUP BY ALL"

    \b
    Layout: LAKE/elems/collector=NAME/date=YYYY-MM-DD/<file-id>.parquet and one manifest per
    file in LAKE/_ingest/<file-id>.json (source, sha256, time range, counts, problems).
    The file id is a hash of the file's bytes: a file already ingested is skipped, so the
    command can be re-run on a growing folder. Files with unreadable records are still
    written, marked partial, and the command exits 3. Temporary files that killed ingests left
    in the lake are removed first (never one of a running ingest).
    """
    removed = sweep_lake(lake)
    if removed:
        click.echo(f"routewatch: removed {len(removed)} temporary file(s) left by interrupted "
                   f"writes in {lake}", err=True)
    summary = IngestSummary()
    with FileProgress(files, verb="Ingesting") as progress:
        for path in files:
            progress.start(path)
            _ingest_one(path, lake, collector, replace, progress, summary)
            progress.done(path)
    click.echo(summary.text(lake), err=True)
    finish(unreadable=len(summary.unreadable), partial=len(summary.partial))


def _ingest_one(
    path: Path,
    lake: Path,
    collector: str | None,
    replace: bool,
    progress: FileProgress,
    summary: IngestSummary,
) -> None:

    def on_batch(batch: pa.RecordBatch, report: IngestReport) -> None:
        progress.update(note=reading_note(report))

    try:
        outcome = ingest_file(
            path,
            lake,
            collector=collector,
            replace=replace,
            on_batch=on_batch,
            batch_size=int(settings.get("batch-size")),
        )
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--collector") from exc
    except (InputError, OSError) as exc:
        if isinstance(exc, OSError) and _inside(exc.filename, lake):
            raise StoreError(
                f"cannot write to the lake {lake}: {exc.strerror or exc}; check free space "
                "and permissions, or choose another folder with --lake."
            ) from exc
        echo_unreadable(path, exc, progress.echo)
        summary.unreadable.append(path)
        return
    summary.add(outcome)
    if outcome.partial and not outcome.skipped:
        echo_partial(path, outcome.manifest.problems, progress.echo)


def _inside(filename: object, folder: Path) -> bool:
    if not isinstance(filename, str):
        return False
    return Path(filename).resolve().is_relative_to(folder.resolve())
