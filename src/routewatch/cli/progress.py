"""A progress display for long CLI work over many files: files done, bytes done, a note.

Role: one place that decides whether and how to show progress. It draws a rich progress bar
on stderr only when stderr is a terminal (never in pipes, logs or tests), so stdout stays
clean for data. Work reports what it did through :class:`FileProgress`; when the display is
off every call is a cheap no-op.

rich is imported only when a display is drawn: commands in pipes and scripts do not load it.

Failure modes: none; a display problem never stops the work (rich handles terminals).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, cast

import click

from routewatch.ingest.report import IngestReport

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["FileProgress", "reading_note"]


class FileProgress:
    """Progress over ``files``: a files bar and a bytes bar, drawn if stderr is a terminal.

    Use as a context manager::

        with FileProgress(paths, verb="Ingesting") as progress:
            for path in paths:
                progress.start(path)
                ...  progress.update(note=reading_note(report))
                progress.done(path)
    """

    def __init__(self, files: Sequence[Path], *, verb: str, enabled: bool | None = None) -> None:
        self._sizes = {path: _size(path) for path in files}
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        self._verb = verb
        self._progress: Progress | None = None
        self._files_task = cast("TaskID", 0)
        self._bytes_task = cast("TaskID", 0)
        self._base = 0
        self._current: Path | None = None

    def __enter__(self) -> FileProgress:
        if self._enabled:
            self._progress = _new_display()
            self._progress.start()
            self._files_task = self._progress.add_task(
                f"{self._verb} files", total=len(self._sizes), kind="files"
            )
            self._bytes_task = self._progress.add_task(
                "", total=sum(self._sizes.values()) or None, kind="bytes"
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def start(self, path: Path) -> None:
        """Work on ``path`` begins."""
        self._current = path
        if self._progress is not None:
            self._progress.update(self._bytes_task, description=path.name)

    def update(self, done_bytes: int | None = None, *, note: str = "") -> None:
        """Within the current file: bytes of it read so far (if known), and a short note."""
        if self._progress is None or self._current is None:
            return
        size = self._sizes.get(self._current, 0)
        label = f"{self._current.name} {note}".rstrip()
        if done_bytes is None:
            self._progress.update(self._bytes_task, description=label)
            return
        completed = self._base + min(max(done_bytes, 0), size)
        self._progress.update(self._bytes_task, completed=completed, description=label)

    def echo(self, text: str) -> None:
        """Print a message line on stderr; above the bars while they are shown."""
        if self._progress is None:
            click.echo(text, err=True)
        else:
            self._progress.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def done(self, path: Path) -> None:
        """Work on ``path`` is over (read, skipped or failed): count all its bytes."""
        self._base += self._sizes.get(path, 0)
        self._current = None
        if self._progress is not None:
            self._progress.update(self._bytes_task, completed=self._base, description="bytes")
            self._progress.advance(self._files_task)


def reading_note(report: IngestReport) -> str:
    """A short note on how far the reader got: elems so far and decompressed megabytes.

    The reader counts decompressed bytes, so within a file the note (not the bytes bar)
    shows progress; the bytes bar advances by each file's size when it is done.
    """
    elems = sum(report.elems.values())
    return f"{elems:,} elems, {report.bytes_read / 1e6:,.1f} MB decompressed"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _new_display() -> Progress:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class AmountColumn(ProgressColumn):
        """``3/10`` for the files task, ``1.2/4.0 MB`` for the bytes task."""

        def __init__(self) -> None:
            super().__init__()
            self._files = MofNCompleteColumn()
            self._bytes = DownloadColumn()

        def render(self, task: Task) -> Text:
            if task.fields.get("kind") == "files":
                return self._files.render(task)
            return self._bytes.render(task)

    return Progress(
        TextColumn("{task.description}", justify="left"),
        BarColumn(),
        AmountColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
