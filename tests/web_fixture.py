"""A small, realistic store for the web tests, the browser tests and benchmarks/web.py.

Built with the real code path: findings -> ``assess`` (confidence) -> ``build_incidents``
(detection) -> ``compute_asn_metrics`` / ``compute_action_scores`` / ``compute_rollups``
(metrics) over the areas of real RIR delegation records (``tests/data/ref/rir``: APNIC, LACNIC,
RIPE NCC excerpts) -> ``Store.write_snapshot``, for three months (2024-04 … 2024-06). Each
month has hijacks (M2, with RPKI/IRR evidence, witnesses and relationship edges), route leaks
(M1), a bogon prefix (M3), announced pairs in every ROV/IRR state, PeeringDB contacts and
Spoofer results; MANRS participants and RPKI signers form the cohorts. Each month is stored as
a run stores it: with its coverage row (RIS rrc00, the whole month) and its impact tables.

``build_store(path)`` writes it; the functions are deterministic (same file content rows).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from routewatch.detect.confidence import assess
from routewatch.detect.incidents import build_incidents
from routewatch.detect.verdicts import References
from routewatch.impacts import month_impact
from routewatch.methodology import RW_2026_1 as METHOD
from routewatch.metrics import (
    Window,
    asn_areas,
    compute_action_scores,
    compute_asn_metrics,
    compute_rollups,
)
from routewatch.reference.registry import Registry, load_delegations
from routewatch.schemas import (
    ANNOUNCED_PAIRS,
    FINDINGS,
    IRR_AUT_NUMS,
    MONTH_COVERAGE,
    NETWORKS,
    PEERINGDB_NETWORKS,
    SPOOFABLE_PREFIXES,
)
from routewatch.store import MonthTables, RunInfo, RunStatus, Store

__all__ = ["HIJACKER", "MONTHS", "VICTIM", "build_store", "built_store", "networks"]

RIR = Path(__file__).parent / "data" / "ref" / "rir"
MONTHS = (dt.date(2024, 4, 1), dt.date(2024, 5, 1), dt.date(2024, 6, 1))
#: AS1251 (BR, LACNIC) hijacks a prefix of AS2497 (JP, APNIC) each month.
HIJACKER = 1251
VICTIM = 2497


def registry() -> Registry:
    """The RIR delegations of the test excerpts."""
    return Registry.build(load_delegations(sorted(RIR.glob("*.excerpt")), min_records=1))


def networks(reg: Registry, count: int = 60) -> list[int]:
    """``count`` assigned ASNs spread over the three registries."""
    assigned = [int(a) for a in reg.assigned_asns() if 0 < int(a) < 64496]
    step = max(1, len(assigned) // count)
    chosen = sorted({*assigned[::step][:count], HIJACKER, VICTIM})
    return chosen


def _name(asn: int) -> str:
    return {HIJACKER: "Hijack Test Telecom", VICTIM: "Victim Research Network"}.get(
        asn, f"Network {asn}")


def _prefix(i: int) -> str:
    return f"{11 + i // 200}.{i % 200}.0.0/16"


def _finding(month: dt.date, n: int, metric: str, culprit: int, accomplice: int,
             prefix: str, hours: float, rov: str, irr: str) -> dict[str, object]:
    start = dt.datetime(month.year, month.month, 3 + n % 20, n % 24, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=hours)
    path = [3356, accomplice, culprit]
    witnesses = [{"collector": c, "peer_ip": ip, "peer_asn": asn,
                  "first_seen": start + dt.timedelta(minutes=5 * k),
                  "last_seen": end - dt.timedelta(minutes=3 * k)}
                 for k, (c, ip, asn) in enumerate([("rrc00", "193.0.0.56", 3333),
                                                   ("route-views2", "4.69.184.193", 3356),
                                                   ("rrc21", "37.49.236.1", 8218)])]
    hi = int.from_bytes(bytes(int(x) for x in prefix.split("/")[0].split(".")), "big") << 32
    return {
        "finding_id": f"f-{month:%Y%m}-{n:03d}", "methodology": METHOD.version,
        "metric": metric, "culprit_asn": culprit, "accomplice_asn": accomplice,
        "accomplice_relation": "provider", "accomplice_counts": True,
        "decided_by": "rpki" if rov == "invalid" else "relationships",
        "labels": ["sub-moas"] if metric == "M2" else [], "prefix": prefix, "afi": 4,
        "prefix_hi": hi, "prefix_lo": 0, "prefix_len": int(prefix.split("/")[1]),
        "origin_asn": culprit, "segment": [accomplice, culprit] if metric == "M1" else None,
        "as_path": " ".join(map(str, path)), "path_asns": path, "start": start, "end": end,
        "peak_visibility": 3, "peak_at": start + dt.timedelta(minutes=10),
        "witnesses": witnesses,
        "conflict_prefix": prefix if metric == "M2" else None,
        "conflict_origins": [VICTIM] if metric == "M2" else None,
        "rov_state": rov, "rov_reason": "as" if rov == "invalid" else None,
        "rov_vrps": [{"prefix": prefix, "max_length": 16, "asn": VICTIM, "role": "unmatched-as"}]
        if rov == "invalid" else [],
        "irr_state": irr,
        "irr_objects": [{"prefix": prefix, "origin": VICTIM, "source": "RADB",
                         "authoritative": False, "matched": False}]
        if irr == "other-origin" else [],
        "edges": [{"asn_a": accomplice, "asn_b": culprit, "relation": "provider",
                   "source": "caida-asrel"}],
        "bogons": [{"kind": "prefix", "value": prefix, "category": "full",
                    "reason": "private-use", "source": "iana"}] if metric == "M3" else [],
    }


def month_tables(month: dt.date, reg: Registry, asns: list[int],
                 shift: int | None = None) -> MonthTables:
    """One month of every table (``shift``: how far the month's data moves from the first
    month's — more incidents, other RPKI/IRR states; default its place in :data:`MONTHS`)."""
    window = Window.of(month)
    if shift is None:
        shift = MONTHS.index(month) if month in MONTHS else 0
    others = [a for a in asns if a not in (HIJACKER, VICTIM)]
    rows = [_finding(month, 0, "M2", HIJACKER, others[0], _prefix(asns.index(VICTIM)), 13,
                     "invalid", "other-origin")]
    for k in range(3 + shift):
        culprit = others[(7 * k + 3) % len(others)]
        rows.append(_finding(month, 1 + k, "M1" if k % 2 else "M2", culprit,
                             others[(7 * k + 4) % len(others)], _prefix(asns.index(culprit)),
                             0.4 + 30 * (k % 2), "not-found", "not-registered"))
    rows.append(_finding(month, 9, "M3", others[5], others[6], "10.20.0.0/16", 2, "not-found",
                         "not-registered"))
    findings = assess(pa.Table.from_pylist(rows, schema=FINDINGS), References(), METHOD)
    incidents = build_incidents(findings, METHOD, window.start_us, window.end_us)
    states = ("valid", "valid", "valid", "not-found", "invalid")
    pair_stamp = {"month": month, "methodology": METHOD.version}
    rows = [{**pair_stamp, "prefix": _prefix(i), "origin_asn": asn, "peer_asns": 3,
             "rov_state": states[(i + shift) % len(states)] if i % 4 else "valid",
             "irr_state": "registered" if (i + shift) % 3 else "not-registered"}
            for i, asn in enumerate(asns)]
    rows.append({**pair_stamp, "prefix": _prefix(asns.index(VICTIM)), "origin_asn": HIJACKER,
                 "peer_asns": 3, "rov_state": "invalid", "irr_state": "other-origin"})
    pairs = pa.Table.from_pylist(
        [{**row, "rov_reason": "as" if row["rov_state"] == "invalid" else None} for row in rows],
        schema=ANNOUNCED_PAIRS,
    )
    peeringdb = pa.Table.from_pylist(
        [{"asn": asn, "net_id": i, "name": _name(asn), "contact_roles": ["NOC"],
          "ix_count": 0, "ix_ids": [], "ix_names": []}
         for i, asn in enumerate(asns) if i % 3],
        schema=PEERINGDB_NETWORKS,
    )
    spoofer = pa.Table.from_pylist(
        [{"asn": asn, "month": month, "sessions": 2, "tested_prefixes": [_prefix(i)],
          "spoofable_prefixes": [_prefix(i)] if i % 10 == 0 else []}
         for i, asn in enumerate(asns) if i % 5 == 0],
        schema=SPOOFABLE_PREFIXES,
    )
    metrics = compute_asn_metrics(
        incidents=incidents, pairs=pairs, spoofer=spoofer, peeringdb=peeringdb,
        aut_nums=IRR_AUT_NUMS.empty_table(), assigned=reg.assigned_asns(), window=window,
        method=METHOD,
    )
    scores = compute_action_scores(metrics, METHOD)
    areas = asn_areas(metrics.column("asn").to_numpy(), reg, manrs_asns=asns[::4],
                      signer_asns=[VICTIM, *asns[1::3]])
    rollups = compute_rollups(asn_metrics=metrics, action_scores=scores, incidents=incidents,
                              areas=areas, window=window, method=METHOD)
    n = areas.num_rows
    stamp = {"month": pa.array([month] * n, pa.date32()),
             "methodology": pa.array([METHOD.version] * n, pa.string()),
             "name": pa.array([_name(a) for a in areas.column("asn").to_pylist()], pa.string())}
    known = {**{c: areas.column(c) for c in areas.column_names}, **stamp}
    network_rows = pa.table({c: known[c] for c in NETWORKS.names}, schema=NETWORKS)
    return MonthTables(findings=findings, incidents=incidents, asn_metrics=metrics,
                       action_scores=scores, area_readiness=rollups.readiness,
                       area_summaries=rollups.summaries, networks=network_rows,
                       announced_pairs=pairs)


def built_store(factory: object, name: str) -> Path:
    """A new store in a fresh folder of a pytest ``tmp_path_factory``; its path."""
    path = Path(factory.mktemp(name)) / "rw.duckdb"  # type: ignore[attr-defined]
    build_store(path)
    return path


def coverage_table(month: dt.date, collector: str = "rrc00") -> pa.Table:
    """The month's coverage row: one collector, the whole month of update files."""
    window = Window.of(month)
    minutes = (window.end - window.start).total_seconds() / 60
    return pa.Table.from_pylist([{
        "month": month, "methodology": METHOD.version, "run_id": f"test-{month:%Y-%m}",
        "inputs_digest": f"constructed-{month:%Y-%m}", "collectors": [collector],
        "bgp_minutes": minutes, "collector_minutes": json.dumps({collector: minutes}),
        "mrt_files": int(minutes // 5), "baseline_days": METHOD.baseline_days,
        "bgp_first": None, "bgp_last": None, "reference_dates": json.dumps({"rpki": f"{month}"}),
    }], schema=MONTH_COVERAGE)


def write_month(store: Store, month: dt.date, tables: MonthTables,
                collector: str = "rrc00") -> None:
    """Store one month as a run does: its tables, its coverage and its impact tables (the
    month run's own code, :func:`routewatch.impacts.month_impact`)."""
    coverage = coverage_table(month, collector)
    cohorts, did = month_impact(store, tables, coverage, METHOD)
    tables = dataclasses.replace(tables, month_coverage=coverage, cohort_impact=cohorts,
                                 did_impact=did)
    run = RunInfo(run_id=f"test-{month:%Y-%m}", month=month,
                  started=dt.datetime(2026, 1, 1, 3, tzinfo=dt.UTC),
                  finished=dt.datetime(2026, 1, 1, 4, tzinfo=dt.UTC),
                  status=RunStatus.COMPLETE, methodology=METHOD.version,
                  fetch_manifest=json.dumps({}), snapshot_dates={"rpki": month})
    store.write_snapshot(month, tables, run)


def build_store(path: Path) -> Store:
    """Write the three months into a new store at ``path``."""
    store = Store.open(path)
    reg = registry()
    asns = networks(reg)
    for month in MONTHS:
        write_month(store, month, month_tables(month, reg, asns))
    return store


if __name__ == "__main__":  # python tests/web_fixture.py OUT.duckdb
    import sys

    built = build_store(Path(sys.argv[1]))
    print(built.path, np.asarray(built.months()))
