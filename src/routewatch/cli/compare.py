"""``routewatch compare-manrs``: routewatch's scores against a MANRS Observatory export.

Reads the export with :func:`routewatch.reference.manrs.load_observatory` and the month's
``action_scores`` (with each network's economy from ``networks``) from the store, and hands
both to :func:`routewatch.metrics.compare.compare_with_observatory`. The result is one
document printed as ``text``, ``json`` or ``csv`` (the JSON document flattened to
``section,key,value`` rows, as ``routewatch report`` does). See ``docs/compare-manrs.md``.

Exit codes: 0 ok (whatever the agreement); 1 error — no store, the store has no scores for
the month (the message says to run ``routewatch run --month M``), the export is unusable,
the month cannot be told, an economy the export does not cover; 2 usage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pyarrow as pa

from routewatch.cli.report import (
    as_doc,
    as_doc_list,
    as_str_list,
    format_document,
    open_store,
    parse_month,
)
from routewatch.errors import InputError
from routewatch.methodology import BANDS, Methodology, methodology
from routewatch.metrics.compare import (
    OBSERVATORY_ACTIONS,
    OBSERVATORY_HEADERS,
    ActionComparison,
    compare_with_observatory,
    observatory_economies,
)
from routewatch.reference.base import Snapshot
from routewatch.reference.manrs import load_observatory
from routewatch.store import Store

__all__ = ["compare_document", "compare_manrs"]

Document = dict[str, object]
_FORMAT = click.Choice(["text", "json", "csv"])
_TEXT_ASNS = 20


def _month(text: str | None, export: Snapshot) -> dt.date:
    if text is not None:
        return parse_month(text)
    if export.as_of is None:
        raise InputError(f"cannot tell the month of {', '.join(export.files)} from its name "
                         "(the Observatory names it ..._YYYYMM...); pass --month YYYY-MM")
    return export.as_of.replace(day=1)


def _routewatch_scores(store: Store, month: dt.date) -> tuple[pa.Table, Methodology]:
    """The month's action scores with each network's economy; an error naming the fix if none."""
    scores = store.query(
        "SELECT s.asn, s.action, s.score, s.methodology, n.economy FROM action_scores s "
        "LEFT JOIN networks n ON n.month = s.month AND n.asn = s.asn AND "
        "n.methodology = s.methodology WHERE s.month = ? ORDER BY s.asn, s.action", [month])
    if not scores.num_rows:
        held = ", ".join(f"{m:%Y-%m}" for m in store.months()) or "none"
        raise InputError(f"{store.path} has no scores for {month:%Y-%m} (months it holds: "
                         f"{held}); run 'routewatch run --month {month:%Y-%m}' first, then "
                         "compare again")
    versions = sorted(set(scores.column("methodology").to_pylist()))
    return scores, methodology(versions[-1])


def _check_economies(wanted: tuple[str, ...], export: pa.Table) -> tuple[str, ...] | None:
    if not wanted:
        return None
    covered = observatory_economies(export)
    missing = sorted({e.upper() for e in wanted} - set(covered))
    if missing:
        raise InputError(f"the export has no row for economy {', '.join(missing)}; it covers "
                         f"{' '.join(covered) or 'none'} (download the export of the region "
                         "that holds it)")
    return tuple(e.upper() for e in wanted)


def compare_document(store: Store, export: Snapshot, month: dt.date,
                     economies: tuple[str, ...] = (), top: int = 10) -> Document:
    """Everything ``compare-manrs`` shows, as one JSON-ready document."""
    scores, method = _routewatch_scores(store, month)
    result = compare_with_observatory(scores, export.table, method, top=top,
                                      economies=_check_economies(economies, export.table))
    return {
        "month": f"{month:%Y-%m}",
        "methodology": method.version,
        "export": {
            "files": [Path(f).name for f in export.files],
            "month": None if export.as_of is None else f"{export.as_of:%Y-%m}",
            "asns": export.table.num_rows,
            "problem_rows": len(export.problems),
        },
        "economies": list(result.economies),
        "bands": {"ready": method.ready_edge, "aspiring": method.aspiring_edge},
        "column_map": {OBSERVATORY_HEADERS[c]: a.value for c, a in OBSERVATORY_ACTIONS.items()},
        "actions": [_action(a) for a in result.actions],
        "only_routewatch_asns": list(result.only_routewatch_asns),
        "only_export_asns": list(result.only_export_asns),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _action(a: ActionComparison) -> Document:
    return {
        "action": a.action.value,
        "export_column": a.export_column,
        "in_both": a.in_both,
        "only_routewatch": a.only_routewatch,
        "only_export": a.only_export,
        "scored_by_both": a.scored_by_both,
        "same_band": a.same_band,
        "agreement": _round(a.agreement),
        "mean_abs_difference": _round(a.mean_abs_difference),
        "confusion": {ours.value: {theirs.value: a.confusion[ours, theirs] for theirs in BANDS}
                      for ours in BANDS},
        "largest_disagreements": [
            {"asn": d.asn, "holder": d.holder, "routewatch_score": _round(d.routewatch_score),
             "routewatch_band": d.routewatch_band.value,
             "observatory_score": _round(d.observatory_score),
             "observatory_band": d.observatory_band.value, "difference": _round(d.difference)}
            for d in a.largest_disagreements
        ],
    }


# ------------------------------------------------------------------------------ text
def _text(doc: Document) -> str:
    export = as_doc(doc["export"])
    bands = as_doc(doc["bands"])
    actions = as_doc_list(doc["actions"])
    lines = [
        f"routewatch vs MANRS Observatory — {doc['month']} (methodology {doc['methodology']})",
        f"  export: {', '.join(as_str_list(export['files']))} (month {export['month'] or '?'}, "
        f"{export['asns']} ASNs, {export['problem_rows']} problem rows)",
        f"  economies: {' '.join(as_str_list(doc['economies']))}",
        f"  bands: ready >= {bands['ready']:.2f}, aspiring >= {bands['aspiring']:.2f}, lagging "
        "below; agreement and difference over ASNs scored by both", "",
    ]
    lines += _table(actions)
    for a in actions:
        lines += ["", *_confusion(a), *_disagreements(a)]
    lines += ["", *_asn_list("Only in routewatch", doc["only_routewatch_asns"]),
              *_asn_list("Only in the export", doc["only_export_asns"])]
    return "\n".join(lines) + "\n"


def _table(actions: list[Document]) -> list[str]:
    header = ["action", "export column", "both", "only rw", "only export", "scored both",
              "same band", "agreement", "mean |diff|"]
    rows = [[str(a["action"]), str(a["export_column"]), str(a["in_both"]),
             str(a["only_routewatch"]), str(a["only_export"]), str(a["scored_by_both"]),
             str(a["same_band"]), _pct(a["agreement"]), _num(a["mean_abs_difference"])]
            for a in actions]
    return _columns([header, *rows], left=2)


def _confusion(a: Document) -> list[str]:
    matrix = as_doc(a["confusion"])
    names = [b.value for b in BANDS]
    rows = [["routewatch \\ Observatory", *names]]
    rows += [[ours, *(str(as_doc(matrix[ours])[theirs]) for theirs in names)] for ours in names]
    return [f"{a['action']} ({a['export_column']}): bands, routewatch (rows) by Observatory "
            "(columns)", *("  " + line for line in _columns(rows, left=1))]


def _disagreements(a: Document) -> list[str]:
    found = as_doc_list(a["largest_disagreements"])
    lines = ["  largest disagreements (difference = routewatch − Observatory):"]
    if not found:
        return [*lines, "    none"]
    for d in found:
        lines.append(f"    AS{d['asn']:<10} routewatch {d['routewatch_score']:.2f} "
                     f"{d['routewatch_band']:<8}  Observatory {d['observatory_score']:.2f} "
                     f"{d['observatory_band']:<8}  {d['difference']:+.2f}  {d['holder'] or ''}"
                     .rstrip())
    return lines


def _asn_list(title: str, value: object) -> list[str]:
    asns = [f"AS{a}" for a in as_str_list(value)]
    shown = " ".join(asns[:_TEXT_ASNS]) or "none"
    more = f" ... {len(asns) - _TEXT_ASNS} more (--format json or csv lists all)" if len(
        asns) > _TEXT_ASNS else ""
    return [f"{title} ({len(asns)}): {shown}{more}"]


def _columns(rows: list[list[str]], left: int) -> list[str]:
    """Aligned table: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) if i < left else c.rjust(w)
                      for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
            for r in rows]


def _pct(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{100 * value:.1f}%"


def _num(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{value:.4f}"




# ------------------------------------------------------------------------------ command
@click.command("compare-manrs")
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--month", help="YYYY-MM (default: the export's month, from its file name).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB store (default: the 'db' setting).")
@click.option("--economy", "economies", multiple=True, metavar="CC",
              help="Compare only this economy (ISO 3166 code; repeatable; default: every "
                   "economy in the export).")
@click.option("--top", type=click.IntRange(0, 10_000), default=10, show_default=True,
              help="How many of the largest disagreements to list per action.")
@click.option("--format", "fmt", type=_FORMAT, default="text", show_default=True)
def compare_manrs(export: Path, month: str | None, db: Path | None,
                  economies: tuple[str, ...], top: int, fmt: str) -> None:
    """Compare routewatch's scores of a month with a MANRS Observatory export.

    EXPORT is the Observatory's per-ASN "details" CSV (ASN, Holder, Country, ..., Filtering,
    Anti-spoofing, Coordination, Global Validation IRR, Global Validation RPKI). Per action:
    ASNs in both / only in routewatch / only in the export, band agreement with the
    confusion matrix (ready/aspiring/lagging/no-data), the mean absolute score difference and
    the ASNs that disagree most, with both scores.

    \b
    On real data:
      routewatch run --month 2022-10
      (download the per-ASN "details" CSV of the same month from
       observatory.manrs.org; keep the month in its name, e.g. ..._202210_...)
      routewatch compare-manrs manrs-observatory_LACNIC_details_202210.csv --economy BR

    If the store has no scores for the month, the command says so and exits 1. See
    docs/compare-manrs.md.
    """
    snapshot = load_observatory([export])
    store = open_store(db)
    when = _month(month, snapshot)
    if snapshot.as_of is not None and snapshot.as_of.replace(day=1) != when:
        click.echo(f"routewatch: warning: the export is of {snapshot.as_of:%Y-%m}, the scores "
                   f"of {when:%Y-%m}; the comparison mixes months", err=True)
    doc = compare_document(store, snapshot, when, economies, top)
    click.echo(format_document(doc, fmt, _text(doc) if fmt == "text" else ""), nl=False)
