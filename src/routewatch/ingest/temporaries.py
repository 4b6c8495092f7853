"""Temporary files of the lake's writes: how they are named, and which are safe to remove.

Role: the lake (:mod:`routewatch.ingest.lake`) writes every part file and manifest to a
dot-named temporary in the target folder and renames it into place when complete. A process
killed mid-write (``kill -9``, the OOM killer, power loss) leaves its temporary behind: up to
a few MB of half a Parquet file that no reader sees and, before this module, nothing removed —
not even ``ingest --replace``. Temporaries are named after their writer::

    .<final name>.<pid>@<host>.tmp

and :func:`sweep_folder` removes those whose writer is gone:

- written on this host: when no process with that pid is alive (``kill(pid, 0)``);
- written on another host (a lake on a shared file system, where a pid means nothing here):
  when untouched for :data:`FOREIGN_AFTER_SECONDS`, since a live writer appends every batch;
- named the older way, ``.<final name>.<pid>.tmp``: as written on this host.

Never removed: a temporary of a live process, a file whose name does not follow the pattern,
anything outside the folder swept. A dead writer's pid taken by an unrelated process keeps
its temporary until that process ends: the safe side. The lake sweeps each folder it is about
to write into, so running a killed ingest again removes what it left; :func:`sweep_lake`
sweeps a whole lake (``routewatch ingest`` does it once per run).

Failure modes: none raised; a temporary that vanishes or cannot be removed meanwhile (another
sweeper, permissions) is left and not reported.
"""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

__all__ = ["FOREIGN_AFTER_SECONDS", "sweep_folder", "sweep_lake", "temporary_for"]

#: Age after which a temporary written on another host counts as abandoned.
FOREIGN_AFTER_SECONDS = 24 * 3600

_NAME = re.compile(r"\A\.(?P<final>.+)\.(?P<pid>\d+)(?:@(?P<host>[A-Za-z0-9._-]+))?\.tmp\Z")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _host() -> str:
    return _UNSAFE.sub("-", socket.gethostname()) or "localhost"


def temporary_for(final: Path) -> Path:
    """The temporary this process writes before renaming it to ``final``."""
    return final.with_name(f".{final.name}.{os.getpid()}@{_host()}.tmp")


def sweep_folder(folder: Path, now: float | None = None) -> list[Path]:
    """Remove the temporaries in ``folder`` whose writer is gone; the paths removed."""
    removed = []
    moment = time.time() if now is None else now
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for path in sorted(entries):
        match = _NAME.match(path.name)
        if match is None or not _abandoned(path, match, moment):
            continue
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def sweep_lake(lake: Path) -> list[Path]:
    """:func:`sweep_folder` over every folder of ``lake``; the paths removed."""
    if not lake.is_dir():
        return []
    removed = []
    for folder, _, _ in os.walk(lake):
        removed += sweep_folder(Path(folder))
    return removed


def _abandoned(path: Path, match: re.Match[str], now: float) -> bool:
    host = match["host"]
    if host is None or host == _host():
        return not _alive(int(match["pid"]))
    try:
        return now - path.stat().st_mtime > FOREIGN_AFTER_SECONDS
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host (one we may not signal counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
