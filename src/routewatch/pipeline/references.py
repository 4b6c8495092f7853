"""Reference data of a run: which snapshot of each series, loaded and indexed once.

Role: :func:`choose_references` picks, per series, the snapshot closest before the month
(never from the future unless nothing earlier exists) and says every gap;
:func:`load_references` loads the chosen files (each format sniffed from its content) into
:class:`LoadedReferences` — the detection :class:`~routewatch.detect.References` plus what
scoring needs (registry, PeeringDB, IRR aut-nums, Spoofer, MANRS, RPKI signers);
:func:`build_references` does the same for explicit files (``routewatch detect``). Both build
the detection indexes through :func:`references_from`, the one place that does.
:func:`choose_month_relationships` says whether a month is judged with a relationship
snapshot or with relationships inferred from its own paths (METHODOLOGY §1.6), and
:func:`use_inferred_relationships` puts an inference in place of the snapshot.

Failure modes: a file that cannot be loaded is a gap (its kind is left out), never an
exception; missing kinds give no verdicts (never guessed ones). An inference that finds no
usable path keeps the snapshot (if any) and says so as a gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.detect.verdicts import References, aspas_from_table
from routewatch.errors import RoutewatchError
from routewatch.metrics import Window
from routewatch.pipeline.observer import NullObserver, Observer
from routewatch.reference.base import RefKind, Snapshot
from routewatch.schemas import IRR_AUT_NUMS, PEERINGDB_NETWORKS, SPOOFABLE_PREFIXES

if TYPE_CHECKING:
    from routewatch.reference.registry import Registry
    from routewatch.reference.relinfer import RelationshipChoice

__all__ = [
    "INFERRED_SERIES",
    "MAX_AGE_DAYS",
    "REFERENCE_KINDS",
    "LoadedReferences",
    "RefFile",
    "build_references",
    "choose_month_relationships",
    "choose_references",
    "load_references",
    "references_from",
    "snapshot_gap",
    "use_inferred_relationships",
]

#: The series name under which a run records relationships inferred from its own paths.
INFERRED_SERIES = "inferred/as-rel"
#: A reference snapshot older than this before the month is stamped as a gap.
MAX_AGE_DAYS = 35
#: Reference kinds a month uses, in load order.
REFERENCE_KINDS: tuple[str, ...] = (
    "vrps", "aspas", "irr-routes", "irr-aut-nums", "as-relationships", "as-orgs",
    "delegations", "peeringdb", "manrs-participants", "spoofer",
)  # fmt: skip


@dataclass(frozen=True)
class RefFile:
    """One reference file: kind (a ``RefKind`` value), series, the date it describes."""

    path: Path
    kind: str
    series: str
    as_of: dt.date | None


@dataclass
class LoadedReferences:
    """Reference data of one run, indexed, with the gaps met while loading."""

    refs: References
    registry: Registry | None = None
    signers: npt.NDArray[np.uint32] = field(default_factory=lambda: np.zeros(0, np.uint32))
    peeringdb: pa.Table = field(default_factory=PEERINGDB_NETWORKS.empty_table)
    aut_nums: pa.Table = field(default_factory=IRR_AUT_NUMS.empty_table)
    spoofer: pa.Table = field(default_factory=SPOOFABLE_PREFIXES.empty_table)
    manrs: list[int] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    #: the AS_ORGS table (organisations), kept to index inferred relationships with it
    orgs: pa.Table | None = None


# ------------------------------------------------------------------------------ choosing
def choose_references(
    files: Iterable[RefFile], window: Window
) -> tuple[dict[str, list[RefFile]], dict[str, dt.date], list[str]]:
    """Per series, the snapshot to use: the latest dated on or before the month's first day;
    else the earliest inside the month; else (nothing earlier exists) the earliest after it.

    Returns the chosen files by kind, the date used per series, and one gap line per series
    whose snapshot is older than :data:`MAX_AGE_DAYS` before the month or from after it.
    """
    by_series: dict[tuple[str, str], list[RefFile]] = {}
    for ref in files:
        by_series.setdefault((ref.kind, ref.series), []).append(ref)
    chosen: dict[str, list[RefFile]] = {}
    dates: dict[str, dt.date] = {}
    gaps: list[str] = []
    for (kind, series), refs in sorted(by_series.items()):
        when = _pick_date(refs, window)
        picked = [r for r in refs if r.as_of == when]
        chosen.setdefault(kind, []).extend(picked)
        if when is None:
            gaps.append(f"{kind} ({series}): snapshot date unknown")
            continue
        dates[series] = when
        gap = snapshot_gap(when, window)
        if gap:
            gaps.append(f"{kind} ({series}): snapshot of {when.isoformat()}, {gap}")
    return chosen, dates, gaps


def _pick_date(refs: Sequence[RefFile], window: Window) -> dt.date | None:
    dated = sorted({r.as_of for r in refs if r.as_of is not None})
    if not dated:
        return None
    before = [d for d in dated if d <= window.month]
    return before[-1] if before else dated[0]


def snapshot_gap(when: dt.date, window: Window) -> str:
    """How far a snapshot of ``when`` is from the month (empty when close enough)."""
    end = window.end.date()
    if when >= end:
        return f"{(when - end).days + 1} days after the month (no earlier snapshot available)"
    age = (window.month - when).days
    if age > MAX_AGE_DAYS:
        return f"{age} days before the month"
    return ""


# ------------------------------------------------------------------------------ loading
_FileKey = tuple[str, str, int, int]


class _SnapshotMemo:
    """Reference files parsed once while consecutive months read them (a bulk run's months
    share most snapshots: registries, relationships, IRR). Before each month, files it does
    not read are dropped, so memory stays one month's references. A file is known by path,
    size and modification time: a replaced file is parsed again."""

    def __init__(self) -> None:
        self._kept: dict[_FileKey, Snapshot] = {}

    @staticmethod
    def key(path: Path, kind: str) -> _FileKey:
        try:
            info = path.stat()
        except OSError:
            return str(path), kind, -1, -1
        return str(path), kind, info.st_size, info.st_mtime_ns

    def retain(self, chosen: Mapping[str, Sequence[RefFile]]) -> None:
        """Forget every file the next month does not read."""
        wanted = {self.key(ref.path, kind) for kind, refs in chosen.items() for ref in refs}
        self._kept = {k: v for k, v in self._kept.items() if k in wanted}

    def load(self, path: Path, kind: str) -> Snapshot:
        """The file's snapshot, parsed now or earlier (errors are never kept)."""
        from routewatch.reference.sniff import load_any

        key = self.key(path, kind)
        if key not in self._kept:
            self._kept[key] = load_any([path], RefKind(kind))
        return self._kept[key]


_MEMO = _SnapshotMemo()


def _load_kind(kind: str, paths: Sequence[Path], gaps: list[str]) -> Snapshot | None:
    """Load every file of one kind (one by one, so formats may differ) as one snapshot."""
    snapshots: list[Snapshot] = []
    for path in paths:
        try:
            snapshots.append(_MEMO.load(path, kind))
        except RoutewatchError as exc:
            gaps.append(f"{kind}: {path.name} could not be loaded ({exc})")
    if not snapshots:
        return None
    table = pa.concat_tables([s.table for s in snapshots], promote_options="permissive")
    first = snapshots[0]
    return Snapshot(first.kind, first.format, table, first.as_of,
                    tuple(f for s in snapshots for f in s.files))  # fmt: skip


def references_from(
    snaps: Mapping[str, Snapshot | None], stamps: Sequence[tuple[str, str]] = ()
) -> References:
    """Detection's indexes from snapshots by kind (VRPs, IRR routes, relationships and
    organisations, ASPAs, bogon prefixes and ASNs — the packaged IANA registries when no
    bogon snapshot is given)."""
    from routewatch.reference import bogons
    from routewatch.reference.asrel import Relationships
    from routewatch.reference.irr import IrrIndex
    from routewatch.reference.rov import VrpIndex

    vrps, routes = snaps.get("vrps"), snaps.get("irr-routes")
    rels, orgs, aspas = snaps.get("as-relationships"), snaps.get("as-orgs"), snaps.get("aspas")
    prefixes = snaps.get("bogon-prefixes") or bogons.iana_bogon_prefixes()
    asns = snaps.get("bogon-asns") or bogons.iana_bogon_asns()
    return References(
        vrps=VrpIndex.build(vrps.table) if vrps else None,
        irr=IrrIndex.build(routes.table) if routes else None,
        bogons=bogons.BogonIndex.build(prefixes.table, asns.table),
        relationships=Relationships.build(rels.table, orgs.table if orgs else None)
        if rels else None,
        aspas=aspas_from_table(aspas.table) if aspas else {},
        stamps=tuple(stamps),
        vrps_as_of=vrps.as_of if vrps else None,
    )  # fmt: skip


def build_references(files: Mapping[str, Sequence[Path]]) -> References:
    """Detection's indexes from explicit files by kind (``vrps``, ``irr-routes``,
    ``as-relationships``, ``as-orgs``, ``aspas``, ``bogon-prefixes``, ``bogon-asns``; the
    packaged IANA registries for bogons not given), stamped with each snapshot's date.

    Raises the loader's :class:`~routewatch.errors.RoutewatchError` for a file that cannot
    be loaded (the user named it; a silent gap would hide the mistake).
    """
    from routewatch.reference import bogons
    from routewatch.reference.sniff import load_any

    snaps = {kind: load_any(list(paths), RefKind(kind)) for kind, paths in files.items() if paths}
    snaps.setdefault("bogon-prefixes", bogons.iana_bogon_prefixes())
    snaps.setdefault("bogon-asns", bogons.iana_bogon_asns())
    stamps = [(kind, s.as_of.isoformat() if s.as_of else "unknown") for kind, s in snaps.items()]
    return references_from(snaps, stamps)


def load_references(
    chosen: Mapping[str, list[RefFile]],
    dates: Mapping[str, dt.date],
    window: Window,
    observer: Observer | None = None,
) -> LoadedReferences:
    """Load the chosen files of every kind a month uses; every problem becomes a gap."""
    from routewatch.reference import bogons

    observer = observer or NullObserver()
    gaps: list[str] = []
    observer.stage("Loading reference data", len(REFERENCE_KINDS))
    _MEMO.retain(chosen)
    snaps: dict[str, Snapshot | None] = {}
    for kind in REFERENCE_KINDS:
        snaps[kind] = _load_kind(kind, [r.path for r in chosen.get(kind, [])], gaps)
        observer.advance(kind)
    prefixes, asns = bogons.iana_bogon_prefixes(), bogons.iana_bogon_asns()
    stamps = [(series, day.isoformat()) for series, day in sorted(dates.items())]
    stamps += [(f"bogons/{s.kind.value}", s.as_of.isoformat() if s.as_of else "packaged")
               for s in (prefixes, asns)]  # fmt: skip
    orgs = snaps["as-orgs"]
    loaded = LoadedReferences(references_from(snaps, stamps), gaps=gaps,
                              orgs=orgs.table if orgs else None)  # fmt: skip
    for snap in (prefixes, asns):
        gap = snapshot_gap(snap.as_of, window) if snap.as_of else ""
        if gap:
            gaps.append(f"{snap.kind.value} (packaged IANA registries): snapshot of "
                        f"{snap.as_of}, {gap}")
    for kind in ("vrps", "irr-routes", "as-relationships", "delegations"):
        if snaps[kind] is None:
            gaps.append(f"{kind}: no snapshot available; the verdicts that need it are not "
                        "given (see 'routewatch sources')")
    _fill_scoring(loaded, snaps)
    return loaded


def _fill_scoring(loaded: LoadedReferences, snaps: Mapping[str, Snapshot | None]) -> None:
    """The reference tables scoring reads (registry, signers, PeeringDB, aut-nums, ...)."""
    from routewatch.reference.registry import Registry
    from routewatch.reference.spoofer import spoofable_prefixes

    if (delegations := snaps["delegations"]) is not None:
        loaded.registry = Registry.build(delegations)
    if (vrps := snaps["vrps"]) is not None:
        loaded.signers = np.unique(vrps.table.column("asn").to_numpy()).astype(np.uint32)
    if (peeringdb := snaps["peeringdb"]) is not None:
        loaded.peeringdb = peeringdb.table
    if (aut_nums := snaps["irr-aut-nums"]) is not None:
        loaded.aut_nums = aut_nums.table
    if (spoofer := snaps["spoofer"]) is not None:
        loaded.spoofer = spoofable_prefixes(spoofer)
    if (manrs := snaps["manrs-participants"]) is not None:
        loaded.manrs = [int(a) for a in manrs.table.column("asn").to_pylist()]


# ------------------------------------------------------------------------------ relationships
def choose_month_relationships(files: Iterable[RefFile], window: Window,
                               baseline_days: int) -> RelationshipChoice:  # fmt: skip
    """Snapshot or inference for the month (``reference.relinfer.choose_relationships`` over
    the dates of the relationship snapshots among ``files``; the setting
    ``relationships-max-gap-months`` says how far a snapshot may be)."""
    from routewatch import settings
    from routewatch.reference.relinfer import choose_relationships

    dates = [f.as_of for f in files if f.kind == "as-relationships" and f.as_of is not None]
    return choose_relationships(window.month, dates,
                                max_gap_months=int(settings.get("relationships-max-gap-months")),
                                baseline_days=baseline_days)  # fmt: skip


def use_inferred_relationships(loaded: LoadedReferences, choice: RelationshipChoice,
                               paths: pa.Table) -> str | None:  # fmt: skip
    """Index relationships and cones inferred from ``paths`` (OBSERVED_PATHS of the month and
    its baseline) in place of the snapshot's, with the organisations loaded.

    Links decided only by AS-Rank's last step (``rest-p2p``: "every other link is p2p",
    nothing in the paths decided them) are left out: an unknown relationship gives no
    verdict (METHODOLOGY §4.2), a guessed one would. Returns None when done, else why the
    inference could not be made (the snapshot, if any, stays).
    """
    import pyarrow.compute as pc

    from routewatch.reference import bogons
    from routewatch.reference.asrel import Relationships
    from routewatch.reference.relinfer import infer_relationships

    if choice.period is None:
        return None
    try:
        inference = infer_relationships(paths, choice.period,
                                        bogon_asns=bogons.iana_bogon_asns().table)  # fmt: skip
    except RoutewatchError as exc:
        return f"as-relationships: inference over {choice.period.label} failed ({exc})"
    table = inference.relationships.table
    decided = pc.invert(pc.match_substring(table.column("source"), "/rest-p2p:"))
    rels = Relationships.build(table.filter(decided), loaded.orgs, inference.cones.table)
    loaded.refs = replace(loaded.refs, relationships=rels, _memo={})
    return None
