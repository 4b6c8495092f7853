"""Months from files already on disk: archive folders and explicit files, no download cache.

Role: a researcher who has BGP archives and reference snapshots on disk runs months over them
directly. :func:`scan` reads the folders and files once; :func:`plan_month` picks, for one
month, what :func:`routewatch.pipeline.run_month` reads (a :class:`~routewatch.pipeline.
MonthInputs`), the same way :func:`~routewatch.pipeline.gather_month` does from the cache:

- BGP: per collector, every update file that overlaps [month start − ``baseline_days``,
  month end) — the month and the baseline before it (METHODOLOGY §4) — and the latest RIB
  dump at or before the baseline's start;
- reference data: every file found; the pipeline keeps, per series, the snapshot closest
  before the month (never one from the future unless nothing earlier exists) and stamps it.

What the file names must say (:func:`routewatch.ingest.names.mrt_name`):

- RIS layout ``…/rrc00/2021.01/updates.20210101.0000.gz`` (and ``bview.…``);
- RouteViews layout ``…/route-views.sydney/bgpdata/2022.06/UPDATES/updates.20220601.0230.bz2``
  (``RIBS/rib.…``); ``…/bgpdata/…`` without a collector folder is ``route-views2``;
- flat names ``ris-rrc23_updates.20220421.0200.gz``, ``route-views.sydney_updates.…``;
- BGPStream cache names ``ris.rrc06.updates.1609563900.300.cache``;
- anything else given explicitly as ``COLLECTOR=FILE`` with a time in the name.

RIS update files span 5 minutes, RouteViews update files 15 (BGPStream names carry their
span). Reference files are recognised by content (the registered formats of
:mod:`routewatch.reference`); a file may hold several kinds (an IRR dump: routes and
aut-nums). Its date comes from its name (``…20160527…``, ``…2017-04-13…``, ``…201801…`` =
first of the month) or from an explicit ``[KIND][@YYYY-MM-DD]=FILE``; without one, the month
is stamped "snapshot date unknown". Snapshots that stand in for each other (one *series*)
are the files of one kind in one sub-folder; files at the top of a reference folder form
one series per name stem (the name up to its first digit, e.g. ``delegated-apnic-``).

Failure modes (:class:`~routewatch.errors.ConfigError`, exit 2, naming the file and the
fix): a folder that does not exist; an explicit file whose name gives no collector or no
time; an explicit reference file no format reads; a bad ``KIND`` or date. Files in a folder
that are neither MRT archives by name nor reference files by content are listed in
:attr:`Scan.ignored`, never an error. A month with no BGP file gets an empty plan (the run
then fails for that month alone, with the folders that were searched).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from routewatch.errors import ConfigError, RoutewatchError
from routewatch.ingest.names import MrtName, mrt_name

if TYPE_CHECKING:
    from routewatch.pipeline import MonthInputs, MrtInput, RefFile

__all__ = [
    "Scan",
    "parse_mrt_arg",
    "parse_ref_arg",
    "plan_month",
    "ref_date",
    "scan",
]

_UTC = dt.UTC
_DAY = re.compile(r"(?<!\d)((?:19|20)\d\d)-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")
_MONTH = re.compile(r"(?<!\d)((?:19|20)\d\d)-?(0[1-9]|1[0-2])(?!\d)")


def ref_date(name: str) -> dt.date | None:
    """The date a reference file's name gives: a day (``20160527``, ``2017-04-13``), else a
    month (``201801`` = its first day); None without one."""
    day = _DAY.search(name)
    if day:
        return dt.date(int(day.group(1)), int(day.group(2)), int(day.group(3)))
    month = _MONTH.search(name)
    if month:
        return dt.date(int(month.group(1)), int(month.group(2)), 1)
    return None


# ------------------------------------------------------------------------------ arguments
def parse_mrt_arg(text: str) -> tuple[Path, MrtName]:
    """``[COLLECTOR=]FILE`` of ``--mrt``: the file and what its name says, or ConfigError."""
    collector, sep, rest = text.partition("=")
    path = Path(rest if sep else text)
    if not path.is_file():
        raise ConfigError(f"--mrt {text}: no such file")
    found = mrt_name(path, collector if sep else None)
    if found is None:
        raise ConfigError(
            f"--mrt {text}: cannot tell the collector and time of {path.name}; name it like "
            "updates.YYYYMMDD.HHMM.gz inside rrcNN/YYYY.MM/, or pass COLLECTOR=FILE with a "
            "name such as updates.20220421.0200.gz")
    return path, found


def parse_ref_arg(text: str) -> tuple[Path, str | None, dt.date | None]:
    """``[KIND][@YYYY-MM-DD]=FILE`` of ``--ref``: the file, its kind and date if given."""
    head, sep, rest = text.partition("=")
    if not sep or not Path(rest).is_file():
        path = Path(text)
        if not path.is_file():
            raise ConfigError(f"--ref {text}: no such file")
        return path, None, None
    kind, _, day = head.partition("@")
    try:
        when = dt.date.fromisoformat(day) if day else None
    except ValueError:
        raise ConfigError(f"--ref {text}: {day!r} is not a date (YYYY-MM-DD)") from None
    return Path(rest), kind or None, when


# ------------------------------------------------------------------------------ scanning
@dataclass
class Scan:
    """Everything found on disk: MRT archives with what their names say, reference files
    with their kinds, series and dates, and the files that are neither."""

    mrt: list[tuple[Path, MrtName]] = field(default_factory=list)
    references: list[RefFile] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)
    #: the archive folders searched (named when a month has no BGP file)
    folders: list[Path] = field(default_factory=list)


def scan(archives: Sequence[Path] = (), references: Sequence[Path] = (),
         mrt_files: Sequence[str] = (), ref_files: Sequence[str] = ()) -> Scan:
    """Read the folders (recursively) and the explicit files once, for every month."""
    found = Scan()
    for folder in (*archives, *references):
        if not folder.is_dir():
            raise ConfigError(f"{folder}: no such folder; pass the folder that holds the "
                              "collectors (rrc00/, route-views2/, ...) or the reference files")
    found.folders += archives
    for folder in archives:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = mrt_name(path)
            if name is None:
                found.ignored.append(path)
            else:
                found.mrt.append((path, name))
    found.mrt += [parse_mrt_arg(text) for text in mrt_files]
    for folder in references:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            files = _reference_files(path, folder, None, None)
            if files:
                found.references += files
            else:
                found.ignored.append(path)
    for text in ref_files:
        path, kind, when = parse_ref_arg(text)
        files = _reference_files(path, None, kind, when)
        if not files:
            raise ConfigError(f"--ref {text}: no reference format reads {path.name} (see "
                              "'routewatch ref formats')")
        found.references += files
    return found


def _reference_files(path: Path, root: Path | None, kind: str | None,
                     when: dt.date | None) -> list[RefFile]:
    from routewatch.pipeline import REFERENCE_KINDS, RefFile
    from routewatch.reference.base import FORMATS
    from routewatch.reference.sniff import import_loaders, read_head

    if kind is not None and kind not in REFERENCE_KINDS:
        raise ConfigError(f"--ref {kind}=...: unknown kind; choose one of "
                          f"{', '.join(REFERENCE_KINDS)}")
    import_loaders()
    try:
        head = read_head(path)
    except (OSError, RoutewatchError):
        return []
    kinds = sorted({f.kind.value for f in FORMATS if f.sniff(head, path.name)}
                   & set(REFERENCE_KINDS))
    if kind is not None:
        kinds = [kind] if kind in kinds else []
    as_of = when or ref_date(path.name)
    return [RefFile(path, k, _series(path, root), as_of) for k in kinds]


def _series(path: Path, root: Path | None) -> str:
    if root is not None and path.parent != root:
        return path.parent.relative_to(root).as_posix()
    stem = re.split(r"\d", path.name, maxsplit=1)[0].rstrip("-_.") or path.name
    return stem.lower()


# ------------------------------------------------------------------------------ planning
def plan_month(month: dt.date, found: Scan, baseline_days: int) -> MonthInputs:
    """The inputs of one month from what :func:`scan` found (see the module doc)."""
    from routewatch.pipeline import MonthInputs

    start = dt.datetime.combine(month.replace(day=1), dt.time(), _UTC)
    end = _next_month(start)
    since = start - dt.timedelta(days=baseline_days)
    mrt = _month_mrt(found.mrt, since, end)
    gaps = tuple(_missing(found, mrt, month))
    listing = [{"path": str(m.path), "collector": m.collector, "kind": m.kind}
               for m in mrt] + [{"path": str(r.path), "kind": r.kind, "series": r.series}
                                for r in found.references]  # fmt: skip
    manifest = json.dumps({"local": listing}, sort_keys=True)
    return MonthInputs(month.replace(day=1), tuple(mrt), tuple(found.references), gaps, (),
                       manifest)


def _next_month(start: dt.datetime) -> dt.datetime:
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _month_mrt(files: Iterable[tuple[Path, MrtName]], since: dt.datetime,
               end: dt.datetime) -> list[MrtInput]:
    from routewatch.pipeline import MrtInput

    chosen: list[MrtInput] = []
    ribs: dict[str, tuple[Path, MrtName]] = {}
    for path, name in sorted(files, key=lambda f: (f[1].collector, f[1].start, str(f[0]))):
        if name.kind == "rib":
            if name.start <= since:
                ribs[name.collector] = (path, name)  # the latest at or before the start
            continue
        if name.start < end and name.end > since:
            chosen.append(MrtInput(path, name.collector, "updates", name.start))
    chosen += [MrtInput(path, name.collector, "rib", name.start)
               for path, name in ribs.values()]
    return sorted(chosen, key=lambda m: (m.collector, m.as_of or since, str(m.path)))


def _missing(found: Scan, mrt: Sequence[MrtInput], month: dt.date) -> list[str]:
    collectors = sorted({name.collector for _, name in found.mrt})
    have = {m.collector for m in mrt if m.kind == "updates"}
    folders = ", ".join(str(f) for f in found.folders) or "the files given"
    return [f"bgp ({c}): no update file for {month:%Y-%m} (or its baseline) in {folders}"
            for c in collectors if c not in have]
