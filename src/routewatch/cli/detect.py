"""``routewatch detect`` and ``routewatch incidents``: run detection, list its incidents.

``detect`` reads elems from the Parquet lake (``--lake``: every ingested file with elems in
the baseline and the window) or from MRT files (``--mrt``), in the total elem order,
reference data from the files given (each format sniffed from its content; the packaged
IANA bogon registries unless ``--bogon-prefixes`` / ``--bogon-asns`` say otherwise), runs
detection through the pipeline's engine (``--buckets`` cuts it into independent buckets;
the answer is the same) and writes ``findings.parquet``, ``incidents.parquet`` and
``report.json`` (counts, methodology, reference snapshot dates) to ``--out``. ``incidents``
prints an output folder's incidents as text, JSON or CSV.

Exit codes: 0 ok, 1 error, 2 usage, 3 finished with partial data (MRT problems met).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from dataclasses import asdict
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from routewatch.cli.exits import finish
from routewatch.cli.run import engine_options
from routewatch.errors import ConfigError, InputError
from routewatch.methodology import RW_2026_1, Methodology, methodology
from routewatch.pipeline import (
    ALL_KINDS,
    Detection,
    Kind,
    ReadStats,
    References,
    TimeSpan,
    build_references,
    engine_named,
    ingest_inputs,
    lake_slice,
    mrt_inputs,
)

__all__ = ["detect", "incidents"]

_FILES = click.Path(exists=True, dir_okay=False, path_type=Path)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


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
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
        return (moment - _EPOCH) // dt.timedelta(microseconds=1)
    except ValueError:
        hint = "expected a UTC date or time, e.g. 2021-01-01"
        raise ConfigError(f"{flag} {text!r}: {hint}") from None


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
    "--buckets",
    type=click.IntRange(min=1),
    help="Cut detection into this many prefix buckets (the result is the same; default: the "
    "'buckets' setting, or 'spark-buckets' with --engine spark).",
)
@engine_options
@click.option(
    "--collectors",
    help="With --lake: only these collectors (comma list; default every collector).",
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
    bogon_asns: tuple[Path, ...], version: str, buckets: int | None, engine_name: str | None,
    spark_master: str | None, collectors: str | None, out: Path,
) -> None:  # fmt: skip
    """Detect leaks, hijacks, bogons and RPKI-invalid routes; write findings and incidents.

    Elems of the baseline (the methodology's baseline_days before --from) establish origins
    by their history; incidents are clipped to [--from, --to).
    """
    if (lake is None) == (not mrt_files):
        raise ConfigError("give exactly one source of elems: --lake DIR or --mrt FILE ...")
    method = methodology(version)
    window = (_time(start, "--from"), _time(end, "--to"))
    span = TimeSpan(window[0] - method.baseline_us, *window)
    kinds = _kinds(kind_text)
    refs = build_references({
        "vrps": rpki, "irr-routes": irr, "as-relationships": rels, "as-orgs": orgs,
        "aspas": aspa, "bogon-prefixes": bogon_prefixes, "bogon-asns": bogon_asns,
    })  # fmt: skip
    engine = engine_named(engine_name, buckets=buckets, master=spark_master)
    stats = ReadStats()
    with tempfile.TemporaryDirectory(prefix="routewatch-lake-") as scratch:
        if mrt_files:  # read through a lake too, so every engine reads the same way
            elems = ingest_inputs(mrt_inputs(mrt_files), Path(scratch), stats,
                                  ingester=engine.ingest)
        else:
            assert lake is not None
            if not lake.is_dir():
                raise InputError(f"lake folder {lake} does not exist; run 'routewatch ingest' "
                                 "first")  # fmt: skip
            names = [c.strip() for c in (collectors or "").split(",") if c.strip()]
            elems = lake_slice(lake, _utc(span.data_start), _utc(span.window_end), names)
        result = engine.detect(elems, refs, method, span, kinds)
    _write(out, result, refs, method)
    click.echo(_summary(result, out, method.version))
    if stats.problems:
        click.echo(f"{stats.problems} MRT problems met (see 'routewatch mrt stats')", err=True)
    finish(partial=stats.problems)


def _utc(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us // 1_000_000, dt.UTC)


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
