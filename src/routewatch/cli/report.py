"""``routewatch report`` and ``routewatch area``: what the store says about a network or areas.

``report --asn N`` answers an operator's first questions for one month: who the network is
(name, economy, region, RIR, MANRS and RPKI-signer cohorts), its five action scores with their
bands and the metrics behind them, every incident counted against it with a summary of the
evidence, and the announced (prefix, origin) pairs that are RPKI-invalid, not covered by a
ROA or not registered in the IRR, each with what to fix. ``area`` puts economies, regions,
RIRs and cohorts side by side: readiness per action and the state of routing security.

Both read the store only, through its read queries (:mod:`routewatch.store.queries`, the
same the dashboard runs); the pairs to fix and the words of the advice come from
:mod:`routewatch.metrics.advice`, as on the dashboard's network page. Every output is built
from one document, printed as ``text``, ``json`` or ``csv`` (the JSON document flattened to
``section,key,value`` rows), and says which snapshots and gaps the month rests on.

Exit codes: 0 ok, 1 error (no store, no such month, unknown network or area), 2 usage.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from routewatch import settings
from routewatch.asns import MAX_ASN
from routewatch.errors import ConfigError, InputError
from routewatch.metrics.advice import advise
from routewatch.metrics.vocabulary import ACTION_METRICS, ACTIONS, AREA_KINDS, INCIDENT_METRICS
from routewatch.store import Store
from routewatch.store import queries as q

__all__ = ["area", "area_document", "format_document", "report", "report_document"]

Document = dict[str, object]
_TEXT_LIMIT = 20
_FORMAT = click.Choice(["text", "json", "csv"])


# ------------------------------------------------------------------------------ shared
def open_store(db: Path | None) -> Store:
    """The store at ``--db`` (default: the ``db`` setting), read-only use; never created."""
    return Store.open(db if db is not None else Path(str(settings.get("db"))), create=False)


def parse_month(text: str) -> dt.date:
    """``--month YYYY-MM`` (or a full date) as the month's first day; ConfigError if not."""
    try:
        return dt.date.fromisoformat(text.strip()[:7] + "-01")
    except ValueError:
        raise ConfigError(f"--month {text!r}: expected YYYY-MM") from None


def _month(store: Store, text: str | None) -> dt.date:
    if text is not None:
        return parse_month(text)
    months = store.months()
    if not months:
        raise InputError(f"{store.path} holds no month yet; run 'routewatch run --month "
                         "YYYY-MM' or 'routewatch demo' first")
    return months[-1]


def _run_info(store: Store, month: dt.date) -> Document:
    row = q.latest_run(q.StoreRows(store), month)
    if row is None:
        raise InputError(f"{store.path} holds no run for {month:%Y-%m}; run 'routewatch run "
                         f"--month {month:%Y-%m}' first")
    return {"status": row["status"], "snapshot_dates": json.loads(row["snapshot_dates"]),
            "gaps": json.loads(row["snapshot_gaps"] or "[]")}


def _iso(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None if value is None else str(value)


def _plain(value: object) -> object:
    """JSON-ready value: dates as ISO text, floats rounded, lists element-wise."""
    if isinstance(value, dt.datetime | dt.date):
        return _iso(value) if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# ------------------------------------------------------------------------------ report
def report_document(store: Store, asn: int, month: dt.date) -> Document:
    """Everything ``report`` shows about one network and month, as one JSON-ready document."""
    metrics = q.network_metrics(q.StoreRows(store), asn, month)
    if metrics is None:
        raise InputError(f"AS{asn} is not among the networks measured in {month:%Y-%m} "
                         f"(neither seen in BGP nor RIR-assigned) in {store.path}")
    row = {k: _plain(v) for k, v in metrics.items()}
    return {
        "asn": asn,
        "month": f"{month:%Y-%m}",
        "methodology": row["methodology"],
        "network": _network(store, asn, month, row),
        "scores": _scores(store, asn, month, row),
        "incidents": _incidents(store, asn, month),
        "to_fix": _to_fix(store, asn, month),
        "data": _run_info(store, month),
    }


def _network(store: Store, asn: int, month: dt.date, metrics: Document) -> Document:
    about = q.network_about(q.StoreRows(store), asn, month)
    found: Document = {k: about.get(k) for k in ("name", "economy", "region", "sub_region",
                                                 "rir", "manrs", "rpki_signer")}
    found["seen_in_bgp"] = metrics["seen"]
    found["rir_assigned"] = metrics["rir_assigned"]
    return found


def _scores(store: Store, asn: int, month: dt.date, metrics: Document) -> list[Document]:
    by_action = {r["action"]: r for r in q.network_scores(q.StoreRows(store), asn, month)}
    out = []
    for action in ACTIONS:
        got = by_action.get(action, {"score": None, "band": "no-data"})
        out.append({"action": str(action), "score": _plain(got["score"]), "band": got["band"],
                    "behind": {m: metrics[m] for m in ACTION_METRICS[action]}})
    return out


def _incidents(store: Store, asn: int, month: dt.date) -> list[Document]:
    rows = q.own_incidents(q.StoreRows(store), asn, month)
    out = []
    for r in rows:
        evidence = _evidence(store, month, r["finding_ids"] or [])
        out.append({
            "metric": r["metric"],
            "role": "accomplice" if str(r["metric"]).endswith("C") else "culprit",
            "scored": r["scored"],
            "start": _iso(r["start"]),
            "end": _iso(r["end"]),
            "duration_s": _plain(r["duration_s"]),
            "weight": r["weight"],
            "peak_visibility": r["peak_visibility"],
            "prefixes": r["prefixes"],
            "culprits": r["culprit_asns"],
            "accomplices": r["accomplice_asns"],
            "decided_by": r["decided_by"],
            "labels": r["labels"],
            "sample_path": r["sample_path"],
            "evidence": evidence,
        })  # fmt: skip
    return out


def _evidence(store: Store, month: dt.date, finding_ids: Sequence[str]) -> str:
    """One line on why: ROV with the VRPs, IRR state, relationship edges, bogons, witnesses."""
    if not finding_ids:
        return ""
    f = q.finding_evidence(q.StoreRows(store), month, finding_ids[0])
    if f is None:
        return ""
    parts = []
    if f["rov_state"]:
        vrps = ", ".join(dict.fromkeys(f"{v['prefix']}-{v['max_length']} AS{v['asn']} "
                                       f"({v['role']})" for v in f["rov_vrps"] or []))
        reason = f" ({f['rov_reason']})" if f["rov_reason"] not in (None, "none") else ""
        parts.append(f"ROV {f['rov_state']}{reason}" + (f": {vrps}" if vrps else ""))
    if f["irr_state"]:
        parts.append(f"IRR {f['irr_state']}")
    if f["edges"]:
        parts.append("edges " + ", ".join(f"{e['asn_a']}->{e['asn_b']} {e['relation']}"
                                          for e in f["edges"][:4]))  # fmt: skip
    if f["bogons"]:
        parts.append("bogon " + ", ".join(f"{b['kind']} {b['value']} ({b['category']}: "
                                          f"{b['reason']})" for b in f["bogons"][:2]))  # fmt: skip
    if f["conflict_origins"]:
        parts.append("conflicts with " + ", ".join(f"AS{a}" for a in f["conflict_origins"]))
    witnesses = f["witnesses"] or []
    if witnesses:
        w = witnesses[0]
        parts.append(f"{len(witnesses)} peer(s), first {w['collector']} AS{w['peer_asn']} "
                     f"{w['peer_ip']} at {_iso(w['first_seen'])}")
    return "; ".join(parts)


def _to_fix(store: Store, asn: int, month: dt.date) -> list[Document]:
    """The pairs that lower an Action 4 score, with the advice of the dashboard's network
    page (:mod:`routewatch.metrics.advice`)."""
    out: list[Document] = []
    for r in q.pairs_to_fix(q.StoreRows(store), asn, month):
        advice = advise(str(r["prefix"]), asn, str(r["rov_state"]), r["rov_reason"],
                        str(r["irr_state"]))
        out.append({"prefix": r["prefix"], "peer_asns": r["peer_asns"], "rov": r["rov_state"],
                    "rov_reason": r["rov_reason"], "irr": r["irr_state"],
                    "fix": "; ".join(advice.advice)})
    return out


def _report_text(doc: Document) -> str:
    net = doc["network"]
    assert isinstance(net, dict)
    name = net.get("name") or "(name unknown)"
    lines = [f"AS{doc['asn']} {name} — {doc['month']} (methodology {doc['methodology']})",
             f"  economy {net.get('economy') or '?'}, region {net.get('region') or '?'} / "
             f"{net.get('sub_region') or '?'}, RIR {net.get('rir') or '?'}",
             f"  MANRS participant: {_yes(net.get('manrs'))}; RPKI signer: "
             f"{_yes(net.get('rpki_signer'))}; seen in BGP: {_yes(net.get('seen_in_bgp'))}; "
             f"RIR-assigned: {_yes(net.get('rir_assigned'))}", "", "Scores"]
    for s in as_doc_list(doc["scores"]):
        score = "-" if s["score"] is None else f"{s['score']:.2f}"
        behind = as_doc(s["behind"])
        detail = ", ".join(f"{k}={_short(v)}" for k, v in behind.items())
        lines.append(f"  {s['action']:<24} {score:>5}  {s['band']:<9} {detail}")
    incidents = as_doc_list(doc["incidents"])
    lines += ["", f"Incidents ({len(incidents)})"]
    for i in incidents[:_TEXT_LIMIT]:
        lines.append(f"  {i['metric']:<13} {i['role']:<10} {i['start']} .. {i['end'] or 'open'}"
                     f"  weight {i['weight']}  visibility {i['peak_visibility']}  "
                     f"{' '.join(as_str_list(i['prefixes']))}")
        lines.append(f"    path {i['sample_path']}; {', '.join(as_str_list(i['labels'])) or '-'}")
        if i["evidence"]:
            lines.append(f"    {i['evidence']}")
    lines += _more(len(incidents))
    fixes = as_doc_list(doc["to_fix"])
    lines += ["", f"To fix ({len(fixes)} announced pairs not RPKI-valid or not IRR-registered)"]
    for f in fixes[:_TEXT_LIMIT]:
        reason = f" ({f['rov_reason']})" if f["rov_reason"] not in (None, "none") else ""
        lines.append(f"  {f['prefix']:<20} ROV {f['rov']}{reason}, IRR {f['irr']}: {f['fix']}")
    lines += _more(len(fixes))
    lines += _data_lines(as_doc(doc["data"]))
    return "\n".join(lines) + "\n"


def _yes(value: object) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _short(value: object) -> str:
    if isinstance(value, list):
        return "+".join(str(v) for v in value) or "none"
    return "-" if value is None else str(value)


def _more(count: int) -> list[str]:
    if count > _TEXT_LIMIT:
        return [f"  ... {count - _TEXT_LIMIT} more (use --format json or csv for all)"]
    return [] if count else ["  none"]


def _data_lines(data: Document) -> list[str]:
    lines = ["", f"Data ({data['status']} run)"]
    dates = as_doc(data["snapshot_dates"])
    lines += [f"  {series:<24} {day}" for series, day in sorted(dates.items())]
    lines += [f"  gap: {gap}" for gap in as_str_list(data["gaps"])]
    return lines


def as_doc_list(value: object) -> list[Document]:
    """A document field that holds a list of documents."""
    assert isinstance(value, list)
    return [v for v in value if isinstance(v, dict)]


def as_doc(value: object) -> Document:
    """A document field that holds a document."""
    assert isinstance(value, dict)
    return value


def as_str_list(value: object) -> list[str]:
    """A document field that holds a list, as strings (empty when it is not a list)."""
    return [str(v) for v in value] if isinstance(value, list) else []


# ------------------------------------------------------------------------------ area
def area_document(store: Store, names: Sequence[str], month: dt.date) -> Document:
    """Readiness and state of routing security of each named area, side by side."""
    summaries = q.area_summaries(q.StoreRows(store), month)
    readiness = q.area_readiness_all(q.StoreRows(store), month)
    areas = [_area(summaries, readiness, name) for name in names]
    return {"month": f"{month:%Y-%m}", "areas": areas, "data": _run_info(store, month)}


def _resolve(summaries: list[Document], name: str) -> Document:
    kind, _, wanted = name.rpartition(":") if ":" in name else ("", "", name)
    matches = [r for r in summaries if str(r["area"]).lower() == wanted.lower()
               and (not kind or r["area_kind"] == kind)]  # fmt: skip
    if not matches:
        known = sorted({f"{r['area_kind']}:{r['area']}" for r in summaries})
        sample = ", ".join(known[:12])
        raise InputError(f"no area {name!r} this month; areas are economies (e.g. NL), regions "
                         f"(Europe), RIRs (ripencc), cohorts (manrs, rpki-signer) or world; "
                         f"write kind:area when a name is ambiguous. Some known: {sample}")
    return min(matches, key=lambda r: AREA_KINDS.index(str(r["area_kind"])))


def _area(summaries: list[Document], readiness: list[Document], name: str) -> Document:
    row = _resolve(summaries, name)
    kind, area_name = row["area_kind"], row["area"]
    ready = {r["action"]: r for r in readiness
             if r["area_kind"] == kind and r["area"] == area_name}  # fmt: skip
    keep = ("networks", "ready", "aspiring", "lagging", "no_data", "ready_share",
            "aspiring_share", "lagging_share", "mean_score", "ready_share_change")  # fmt: skip
    return {
        "area_kind": kind,
        "area": area_name,
        "networks": row["networks"],
        "incidents": {m: row[f"incidents_{m.lower()}"] for m in INCIDENT_METRICS},
        "networks_involved": row["networks_involved"],
        "incidents_per_100_networks": _plain(row["incidents_per_100_networks"]),
        "pairs": row["pairs"],
        "rpki_valid_share": _plain(row["rpki_valid_share"]),
        "rpki_invalid_share": _plain(row["rpki_invalid_share"]),
        "rpki_not_found_share": _plain(row["rpki_not_found_share"]),
        "irr_registered_share": _plain(row["irr_registered_share"]),
        "readiness": {a: {k: _plain(ready[a][k]) for k in keep} if a in ready else None
                      for a in ACTIONS},
    }  # fmt: skip


def _area_text(doc: Document) -> str:
    areas = as_doc_list(doc["areas"])
    header = ["", *(f"{a['area_kind']}:{a['area']}" for a in areas)]
    rows: list[list[str]] = [["networks", *(str(a["networks"]) for a in areas)]]
    for action in ACTIONS:
        cells = []
        for a in areas:
            r = as_doc(a["readiness"]).get(action)
            cells.append("-" if not isinstance(r, dict) else
                         f"{_pct(r['ready_share'])} {r['ready']}/{r['aspiring']}/"
                         f"{r['lagging']}/{r['no_data']}")  # fmt: skip
        rows.append([f"{action} ready%, r/a/l/nd", *cells])
    for metric in INCIDENT_METRICS:
        rows.append([f"incidents {metric}", *(str(as_doc(a["incidents"])[metric]) for a in areas)])
    for key in ("networks_involved", "incidents_per_100_networks", "pairs"):
        rows.append([key.replace("_", " "), *(_short(a[key]) for a in areas)])
    for key in ("rpki_valid_share", "rpki_invalid_share", "rpki_not_found_share",
                "irr_registered_share"):
        rows.append([key.replace("_", " "), *(_pct(a[key]) for a in areas)])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"Areas — {doc['month']}"]
    for r in [header, *rows]:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip())
    lines += _data_lines(as_doc(doc["data"]))
    return "\n".join(lines) + "\n"


def _pct(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{100 * value:.1f}%"


# ------------------------------------------------------------------------------ formats
def _flatten(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for i, v in enumerate(value):
            yield from _flatten(v, f"{key}.{i}")
    elif isinstance(value, list):
        yield key, " ".join(str(v) for v in value)
    else:
        yield key, "" if value is None else str(value)


def format_document(doc: Document, fmt: str, text: str) -> str:
    """``json`` (the document), ``csv`` (``section,key,value`` rows) or the ``text`` given."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["section", "key", "value"])
        for key, value in _flatten(doc):
            section, _, rest = key.partition(".")
            writer.writerow([section, rest, value])
        return buffer.getvalue()
    return text


# ------------------------------------------------------------------------------ commands
@click.command()
@click.option("--asn", required=True, type=click.IntRange(0, MAX_ASN), help="The network.")
@click.option("--month", help="YYYY-MM (default: the latest month in the store).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB store (default: the 'db' setting).")
@click.option("--format", "fmt", type=_FORMAT, default="text", show_default=True)
def report(asn: int, month: str | None, db: Path | None, fmt: str) -> None:
    """One network in one month: who it is, its five action scores with bands and the metrics
    behind them, its incidents with evidence, and the announced pairs to fix."""
    store = open_store(db)
    doc = report_document(store, asn, _month(store, month))
    text = _report_text(doc) if fmt == "text" else ""
    click.echo(format_document(doc, fmt, text), nl=False)


@click.command()
@click.argument("areas", nargs=-1, required=True)
@click.option("--month", help="YYYY-MM (default: the latest month in the store).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="DuckDB store (default: the 'db' setting).")
@click.option("--format", "fmt", type=_FORMAT, default="text", show_default=True)
def area(areas: tuple[str, ...], month: str | None, db: Path | None, fmt: str) -> None:
    """Readiness and the state of routing security of areas, side by side.

    AREAS are economies (ISO 3166 code, e.g. VE), UN M49 regions or sub-regions, RIRs
    (ripencc), cohorts (manrs, non-manrs, rpki-signer, rpki-non-signer) or world; write
    kind:area (e.g. region:Americas) when a name is ambiguous.
    """
    store = open_store(db)
    doc = area_document(store, areas, _month(store, month))
    text = _area_text(doc) if fmt == "text" else ""
    click.echo(format_document(doc, fmt, text), nl=False)
