"""``routewatch detect`` and ``routewatch incidents``: run detection, list its incidents.

``detect`` reads elems from the Parquet lake (``--lake``) or from MRT files (``--mrt``),
reference data from the files given (each format sniffed from its content; the packaged
IANA bogon registries unless ``--bogon-prefixes`` / ``--bogon-asns`` say otherwise), runs
:func:`routewatch.detect.engine.detect` and writes ``findings.parquet``,
``incidents.parquet`` and ``report.json`` (counts, methodology, reference snapshot dates)
to ``--out``. ``incidents`` prints an output folder's incidents as text, JSON or CSV.

Exit codes: 0 ok, 1 error, 2 usage, 3 finished with partial data (MRT problems met).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from routewatch.detect.engine import ALL_KINDS, Detection, Kind
from routewatch.detect.engine import detect as run_detect
from routewatch.detect.scenario import parse_time
from routewatch.detect.verdicts import References, aspas_from_table
from routewatch.errors import ConfigError, InputError
from routewatch.methodology import RW_2026_1, Methodology, methodology
from routewatch.reference.base import RefKind, Snapshot

__all__ = ["detect", "incidents"]

_FILES = click.Path(exists=True, dir_okay=False, path_type=Path)


def _kinds(text: str | None) -> frozenset[Kind]:
    if not text:
        return ALL_KINDS
    try:
        return frozenset(Kind(k.strip()) for k in text.split(",") if k.strip())
    except ValueError:
        known = ",".join(k.value for k in Kind)
        raise ConfigError(f"--kind {text!r}: use a comma list of {known}") from None


def _time(text: str, flag: str) -> int:
    try:
        return parse_time(text if "T" in text else f"{text}T00:00:00Z")
    except ValueError:
        hint = "expected a UTC date or time, e.g. 2021-01-01"
        raise ConfigError(f"{flag} {text!r}: {hint}") from None


def _load(paths: tuple[Path, ...], kind: RefKind) -> Snapshot | None:
    if not paths:
        return None
    from routewatch.reference.sniff import load_any

    return load_any(list(paths), kind)


def _stamp(snapshot: Snapshot | None, kind: str, stamps: list[tuple[str, str]]) -> None:
    if snapshot is not None:
        stamps.append((kind, snapshot.as_of.isoformat() if snapshot.as_of else "unknown"))


def build_references(
    rpki: tuple[Path, ...],
    irr: tuple[Path, ...],
    rels: tuple[Path, ...],
    orgs: tuple[Path, ...],
    aspa: tuple[Path, ...],
    bogon_prefixes: tuple[Path, ...],
    bogon_asns: tuple[Path, ...],
) -> References:
    """Load and index every reference file given (see module doc)."""
    from routewatch.reference import bogons as bogon_mod
    from routewatch.reference.asrel import Relationships
    from routewatch.reference.irr import IrrIndex
    from routewatch.reference.rov import VrpIndex

    stamps: list[tuple[str, str]] = []
    vrps = _load(rpki, RefKind.VRPS)
    routes = _load(irr, RefKind.IRR_ROUTES)
    relationships = _load(rels, RefKind.AS_RELATIONSHIPS)
    org_table = _load(orgs, RefKind.AS_ORGS)
    aspas = _load(aspa, RefKind.ASPAS)
    b_prefixes = _load(bogon_prefixes, RefKind.BOGON_PREFIXES) or bogon_mod.iana_bogon_prefixes()
    b_asns = _load(bogon_asns, RefKind.BOGON_ASNS) or bogon_mod.iana_bogon_asns()
    for snap, name in ((vrps, "vrps"), (routes, "irr-routes"), (relationships, "as-relationships"),
                       (org_table, "as-orgs"), (aspas, "aspas"), (b_prefixes, "bogon-prefixes"),
                       (b_asns, "bogon-asns")):  # fmt: skip
        _stamp(snap, name, stamps)
    return References(
        vrps=VrpIndex.build(vrps.table) if vrps else None,
        irr=IrrIndex.build(routes.table) if routes else None,
        bogons=bogon_mod.BogonIndex.build(b_prefixes.table, b_asns.table),
        relationships=Relationships.build(
            relationships.table, org_table.table if org_table else None
        ) if relationships else None,
        aspas=aspas_from_table(aspas.table) if aspas else {},
        stamps=tuple(stamps),
    )  # fmt: skip


def _sorted_batches(table: pa.Table, *keys: str) -> Iterator[pa.RecordBatch]:
    """Batches in time order (a stable sort: equal times keep their order, or ``keys``)."""
    sort_keys = [(k, "ascending") for k in ("timestamp", *keys)]
    order = pc.sort_indices(table, sort_keys=sort_keys)
    yield from table.take(order).combine_chunks().to_batches(max_chunksize=65536)


def _mrt_batches(paths: tuple[Path, ...], problems: list[int]) -> Iterator[pa.RecordBatch]:
    from routewatch.ingest.mrt import read_elems
    from routewatch.ingest.report import IngestReport

    batches: list[pa.RecordBatch] = []
    for path in paths:
        report = IngestReport()
        batches.extend(read_elems(path, report=report))
        problems.append(sum(report.problem_counts.values()))
    if batches:
        yield from _sorted_batches(pa.Table.from_batches(batches))


def _lake_batches(lake: Path, start: int, end: int) -> Iterator[pa.RecordBatch]:
    """The lake's elems of ``[start, end)`` in time order, one hour in memory at a time.

    Files come back in no particular order; each hour of every collector is read and sorted
    by time (within one file the MRT offset keeps the order of equal times). A file's elems
    may run past its partition day, so every hour also looks at the day before.
    """
    import pyarrow.dataset as ds

    from routewatch.ingest.lake import scan_lake
    from routewatch.schemas import ELEMS

    ts_type = ELEMS.field("timestamp").type
    dataset = scan_lake(lake, start=_utc(start - _DAY_US), end=_utc(end))  # files listed once
    for lo in range(start, end, _HOUR_US):
        hi = min(lo + _HOUR_US, end)
        keep = (
            (ds.field("date") >= pa.scalar(_utc(lo - _DAY_US).date(), pa.date32()))
            & (ds.field("date") <= pa.scalar(_utc(hi).date(), pa.date32()))
            & (ds.field("timestamp") >= pa.scalar(_utc(lo), ts_type))
            & (ds.field("timestamp") < pa.scalar(_utc(hi), ts_type))
        )
        table = dataset.to_table(columns=ELEMS.names, filter=keep)
        if table.num_rows:
            yield from _sorted_batches(table, "record_offset")


_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US


def _utc(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC)


@click.command()
@click.option(
    "--lake",
    type=click.Path(file_okay=False, path_type=Path),
    help="Parquet lake written by 'routewatch ingest'.",
)
@click.option(
    "--mrt",
    "mrt_files",
    type=_FILES,
    multiple=True,
    help="MRT file(s) to read directly (repeat the flag); RIB first, then updates.",
)
@click.option("--from", "start", required=True, help="Window start (UTC date or time).")
@click.option("--to", "end", required=True, help="Window end, exclusive (UTC date or time).")
@click.option("--kind", "kind_text", help="Comma list of leak,hijack,bogon,rov (default all).")
@click.option("--rpki", type=_FILES, multiple=True, help="VRP file(s) (any supported format).")
@click.option("--irr", type=_FILES, multiple=True, help="IRR route/route6 dump(s).")
@click.option("--rels", type=_FILES, multiple=True, help="CAIDA AS relationship file(s).")
@click.option("--orgs", type=_FILES, multiple=True, help="CAIDA AS-to-organisation file(s).")
@click.option("--aspa", type=_FILES, multiple=True, help="ASPA file(s).")
@click.option(
    "--bogon-prefixes",
    type=_FILES,
    multiple=True,
    help="Bogon prefix list(s) (default: packaged IANA registries).",
)
@click.option(
    "--bogon-asns",
    type=_FILES,
    multiple=True,
    help="Bogon ASN list(s) (default: packaged IANA registries).",
)
@click.option(
    "--methodology",
    "version",
    default=RW_2026_1.version,
    show_default=True,
    help="Methodology version.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for findings.parquet, incidents.parquet and report.json.",
)
def detect(
    lake: Path | None, mrt_files: tuple[Path, ...], start: str, end: str, kind_text: str | None,
    rpki: tuple[Path, ...], irr: tuple[Path, ...], rels: tuple[Path, ...],
    orgs: tuple[Path, ...], aspa: tuple[Path, ...], bogon_prefixes: tuple[Path, ...],
    bogon_asns: tuple[Path, ...], version: str, out: Path,
) -> None:  # fmt: skip
    """Detect leaks, hijacks, bogons and RPKI-invalid routes; write findings and incidents.

    Elems before --from are the baseline that establishes origins; incidents are clipped to
    [--from, --to).
    """
    if (lake is None) == (not mrt_files):
        raise ConfigError("give exactly one source of elems: --lake DIR or --mrt FILE ...")
    method = methodology(version)
    window = (_time(start, "--from"), _time(end, "--to"))
    kinds = _kinds(kind_text)
    refs = build_references(rpki, irr, rels, orgs, aspa, bogon_prefixes, bogon_asns)
    problems: list[int] = []
    if mrt_files:
        batches = _mrt_batches(mrt_files, problems)
    else:
        assert lake is not None
        if not lake.is_dir():
            raise InputError(f"lake folder {lake} does not exist; run 'routewatch ingest' first")
        lead = window[0] - method.baseline_us
        batches = _lake_batches(lake, lead, window[1])
    result = run_detect(batches, refs, method=method, window=window, kinds=kinds)
    _write(out, result, refs, method)
    click.echo(_summary(result, out, method.version))
    if sum(problems):
        click.echo(f"{sum(problems)} MRT problems met (see 'routewatch mrt stats')", err=True)
        raise click.exceptions.Exit(3)


def _write(out: Path, result: Detection, refs: References, method: Methodology) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(result.findings, out / "findings.parquet")
    pq.write_table(result.incidents, out / "incidents.parquet")
    report = asdict(result.report)
    report["methodology"] = asdict(method)
    report["references"] = dict(refs.stamps)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")


def _summary(result: Detection, out: Path, version: str) -> str:
    counts = result.incidents.group_by("metric").aggregate([("weight", "sum"), ("metric", "count")])
    lines = [f"{result.findings.num_rows} findings, {result.incidents.num_rows} incidents -> {out}"
             f" (methodology {version})"]  # fmt: skip
    for row in sorted(counts.to_pylist(), key=lambda r: str(r["metric"])):
        lines.append(f"  {row['metric']:<18} {row['metric_count']:>6} incidents, "
                     f"weight {row['weight_sum']:.1f}")  # fmt: skip
    return "\n".join(lines)


# ----------------------------------------------------------------------------- incidents
_COLUMNS = ("asn", "metric", "start", "end", "duration", "weight", "visibility", "prefixes",
            "sample_path")  # fmt: skip
_RECORD = ("incident_id", "asn", "metric", "scored", "start", "end", "duration_s", "weight",
           "peak_visibility", "culprit_asns", "accomplice_asns", "accomplice_relation",
           "prefixes", "origins", "decided_by", "labels", "sample_path")  # fmt: skip


def _prefixes(prefixes: list[str]) -> str:
    if len(prefixes) <= 3:
        return " ".join(prefixes)
    return " ".join(prefixes[:3]) + f" (+{len(prefixes) - 3})"


def _display(r: dict[str, object]) -> list[str]:
    """One incident as the text table's cells."""
    end = r["end"]
    prefixes = r["prefixes"]
    cells = {
        "asn": "-" if r["asn"] is None else str(r["asn"]),
        "metric": str(r["metric"]),
        "start": _iso(r["start"]),
        "end": "open" if end is None else _iso(end),
        "duration": _duration(float(str(r["duration_s"]))),
        "weight": str(r["weight"]),
        "visibility": str(r["peak_visibility"]),
        "prefixes": _prefixes(prefixes if isinstance(prefixes, list) else []),
        "sample_path": str(r["sample_path"]),
    }
    return [cells[c] for c in _COLUMNS]


def _record(r: dict[str, object]) -> dict[str, object]:
    """One incident for JSON / CSV: ISO times, ``end`` null while open, lists kept."""
    out = {k: r[k] for k in _RECORD}
    out["start"] = _iso(r["start"])
    out["end"] = None if r["end"] is None else _iso(r["end"])
    return out


def _iso(value: object) -> str:
    assert isinstance(value, dt.datetime)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h{minutes:02d}m" if days else f"{hours}h{minutes:02d}m"


def format_incidents(table: pa.Table, fmt: str) -> str:
    """Incidents as ``text`` (aligned columns), ``json`` (a list) or ``csv``."""
    rows = table.to_pylist()
    if fmt == "json":
        return json.dumps([_record(r) for r in rows], indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(_RECORD), lineterminator="\n")
        writer.writeheader()
        for r in rows:
            record = _record(r)
            writer.writerow({k: " ".join(str(x) for x in v) if isinstance(v, list) else v
                             for k, v in record.items()})  # fmt: skip
        return buffer.getvalue()
    cells = [_display(r) for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(_COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
              for row in cells]  # fmt: skip
    return "\n".join(lines) + "\n"


@click.command()
@click.option(
    "--in",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder of 'routewatch detect'.",
)
@click.option("--asn", type=int, help="Only incidents counted against this AS.")
@click.option("--kind", "metrics", help="Comma list of metrics (M1,M2C,...) or kinds (leak,...).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True
)
def incidents(folder: Path, asn: int | None, metrics: str | None, fmt: str) -> None:
    """List incidents: AS, metric, start, end, duration, weight, visibility, prefixes, path."""
    path = folder / "incidents.parquet"
    if not path.exists():
        raise InputError(f"{path} not found; run 'routewatch detect --out {folder}' first")
    table = pq.read_table(path)
    if asn is not None:
        table = table.filter(pc.equal(table["asn"], pa.scalar(asn, pa.uint32())))
    if metrics:
        wanted = _metric_names(metrics)
        table = table.filter(pc.is_in(table["metric"], pa.array(sorted(wanted), pa.string())))
    table = table.sort_by([("start", "ascending"), ("metric", "ascending")])
    click.echo(format_incidents(table, fmt), nl=False)


def _metric_names(text: str) -> set[str]:
    by_kind = {"leak": {"M1", "M1C"}, "hijack": {"M2", "M2C"},
               "bogon": {"M3", "M3C", "M4", "M4C", "M3-administrative", "M4-administrative"},
               "rov": {"rpki-invalid"}}  # fmt: skip
    out: set[str] = set()
    for word in (w.strip() for w in text.split(",") if w.strip()):
        out |= by_kind.get(word, {word})
    return out
