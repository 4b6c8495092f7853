"""The DuckDB store: create, migrate, refuse newer files, idempotent monthly snapshots, exports,
the lake reader. Crash and concurrency tests are in test_store_concurrency.py.

:func:`sample_tables` builds a realistic month (findings -> incidents via detection's
``build_incidents`` -> metrics -> roll-ups); the concurrency tests' subprocesses import it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from routewatch.detect.incidents import build_incidents
from routewatch.errors import StoreError
from routewatch.methodology import RW_2026_1 as METHOD
from routewatch.metrics import (
    Window,
    asn_areas,
    compute_action_scores,
    compute_asn_metrics,
    compute_rollups,
)
from routewatch.reference.registry import Registry
from routewatch.schemas import (
    ANNOUNCED_PAIRS,
    DELEGATIONS,
    FINDINGS,
    INCIDENTS,
    IRR_AUT_NUMS,
    PEERINGDB_NETWORKS,
    SPOOFABLE_PREFIXES,
)
from routewatch.store import (
    CURRENT_VERSION,
    TABLES,
    MonthTables,
    RunInfo,
    RunStatus,
    Store,
    export_month,
    query_lake,
    read_elems,
)
from routewatch.store.migrations import DATA_TABLES, migrate
from routewatch.store.snapshot import write_snapshot

# ------------------------------------------------------------------------------ samples


def _finding(window: Window, asn: int, hours: float, n: int) -> dict[str, object]:
    start = window.start + dt.timedelta(days=2, hours=3 * n)
    return {
        "finding_id": f"f-{window.label}-{asn}-{n}",
        "methodology": METHOD.version,
        "metric": "M2",
        "culprit_asn": asn,
        "accomplice_asn": asn + 1,
        "accomplice_relation": "provider",
        "accomplice_counts": True,
        "decided_by": "rpki",
        "labels": ["moas"],
        "prefix": "192.0.2.0/24",
        "afi": 4,
        "prefix_hi": 0xC0000200 << 32,
        "prefix_lo": 0,
        "prefix_len": 24,
        "origin_asn": asn,
        "as_path": f"{asn + 1} {asn}",
        "path_asns": [asn + 1, asn],
        "start": start,
        "end": start + dt.timedelta(hours=hours),
        "peak_visibility": 3,
        "witnesses": [{"collector": "rrc00", "peer_ip": "192.0.2.1", "peer_asn": 3333,
                       "first_seen": start, "last_seen": None}],
        "rov_state": "invalid",
        "rov_reason": "as",
        "rov_vrps": [{"prefix": "192.0.2.0/24", "max_length": 24, "asn": 64999,
                      "role": "unmatched-as"}],
        "edges": [{"asn_a": asn + 1, "asn_b": asn, "relation": "provider", "source": "caida"}],
    }


def sample_tables(month: dt.date, networks: int = 20, incidents_per_asn: int = 1) -> MonthTables:
    """A month of every table, from ``networks`` origins (AS 64500 + 2k) each with incidents."""
    window = Window.of(month)
    asns = [64500 + 2 * k for k in range(networks)]
    findings = pa.Table.from_pylist(
        [_finding(window, asn, 1 + n, n) for asn in asns for n in range(incidents_per_asn)],
        schema=FINDINGS,
    )
    incidents = build_incidents(findings, METHOD, window.start_us, window.end_us)
    pairs = pa.Table.from_pylist(
        [{"month": window.month, "methodology": METHOD.version,
          "prefix": f"10.{i // 256}.{i % 256}.0/24", "origin_asn": asn, "peer_asns": 3,
          "rov_state": ("valid", "invalid", "not-found")[i % 3],
          "irr_state": "registered" if i % 2 else "not-registered"}
         for i, asn in enumerate(asns)],
        schema=ANNOUNCED_PAIRS,
    )
    metrics = compute_asn_metrics(
        incidents=incidents, pairs=pairs, spoofer=SPOOFABLE_PREFIXES.empty_table(),
        peeringdb=PEERINGDB_NETWORKS.empty_table(), aut_nums=IRR_AUT_NUMS.empty_table(),
        assigned=[65000], window=window, method=METHOD,
    )
    scores = compute_action_scores(metrics, METHOD)
    delegations = pa.Table.from_pylist(
        [{"registry": "ripencc", "cc": "NL", "type": "asn", "status": "assigned",
          "asn_first": 64500, "asn_last": 65000, "line": 1}],
        schema=DELEGATIONS,
    )
    areas = asn_areas(metrics.column("asn").to_numpy(), Registry.build(delegations),
                      manrs_asns=asns[:3])
    rollups = compute_rollups(asn_metrics=metrics, action_scores=scores, incidents=incidents,
                              areas=areas, window=window, method=METHOD)
    return MonthTables(findings=findings, incidents=incidents, asn_metrics=metrics,
                       action_scores=scores, area_readiness=rollups.readiness,
                       area_summaries=rollups.summaries)


def sample_run(month: dt.date, run_id: str | None = None) -> RunInfo:
    return RunInfo(
        run_id=run_id or f"run-{month:%Y-%m}",
        month=month,
        started=dt.datetime(2026, 1, 1, 3, tzinfo=dt.UTC),
        finished=dt.datetime(2026, 1, 1, 4, tzinfo=dt.UTC),
        status=RunStatus.COMPLETE,
        methodology=METHOD.version,
        fetch_manifest=json.dumps({"rpki": {"sha256": "ab" * 32}}),
        snapshot_dates={"rpki": month, "irr": month - dt.timedelta(days=3)},
        snapshot_gaps=("irr",),
    )


JUNE = dt.date(2024, 6, 1)
JULY = dt.date(2024, 7, 1)


def counts(store: Store, month: dt.date | None = None) -> dict[str, int]:
    return {name: store.table(name, month).num_rows for name in ("runs", *DATA_TABLES)}


def content(store: Store, month: dt.date) -> dict[str, list[dict[str, object]]]:
    out = {}
    for name in ("runs", *DATA_TABLES):
        table = store.table(name, month)
        keys = [(c, "ascending") for c in table.column_names
                if not pa.types.is_nested(table.schema.field(c).type)]
        out[name] = table.sort_by(keys).to_pylist()
    return out


# ------------------------------------------------------------------------------ open
def test_open_creates_a_current_database(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "sub" / "rw.duckdb")
    assert store.version() == CURRENT_VERSION
    assert counts(store) == dict.fromkeys(("runs", *DATA_TABLES), 0)
    assert Store.open(store.path).version() == CURRENT_VERSION  # reopening changes nothing


def test_open_without_create_needs_a_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no routewatch database"):
        Store.open(tmp_path / "missing.duckdb", create=False)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("hello, not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        Store.open(path)
    assert path.read_text().startswith("hello")  # left alone


def test_someone_elses_duckdb_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE accounts (id INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not routewatch's"):
        Store.open(path)
    con = duckdb.connect(str(path), read_only=True)
    assert [r[0] for r in con.execute("SHOW TABLES").fetchall()] == ["accounts"]
    con.close()


def test_a_newer_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    with store.writer() as con:
        con.execute("INSERT INTO schema_version (version, description) VALUES (99, 'future')")
    with pytest.raises(StoreError, match=r"schema version 99.*only knows versions up to"):
        Store.open(store.path)


def test_migration_from_version_1_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("BEGIN")
    assert migrate(con, target=1) == [1]
    con.execute("INSERT INTO runs VALUES ('old-run', DATE '2024-05-01', TIMESTAMPTZ "
                "'2024-06-01 00:00:00+00', NULL, 'complete', 'rw-2026.1', '0.1.0', '{}', '{}')")
    old = sample_tables(dt.date(2024, 5, 1)).asn_metrics
    con.register("old", old)
    con.execute("INSERT INTO asn_metrics BY NAME SELECT * FROM old")
    con.execute("COMMIT")
    con.close()

    store = Store.open(path)
    assert store.version() == CURRENT_VERSION
    versions = store.table("schema_version").column("version").to_pylist()
    assert sorted(versions) == list(range(1, CURRENT_VERSION + 1))
    runs = store.table("runs").to_pylist()
    assert runs[0]["run_id"] == "old-run" and runs[0]["snapshot_gaps"] == "[]"
    assert store.table("asn_metrics").num_rows == old.num_rows
    assert store.table("area_readiness").num_rows == 0
    store.write_snapshot(JUNE, sample_tables(JUNE), sample_run(JUNE))  # usable afterwards
    assert store.table("asn_metrics", dt.date(2024, 5, 1)).num_rows == old.num_rows


def test_stored_tables_match_the_arrow_schemas(tmp_path: Path) -> None:
    """A schema change in schemas.py / metrics without a migration fails here."""
    store = Store.open(tmp_path / "rw.duckdb")
    tables = sample_tables(JUNE)
    for name, table in tables.items():
        stored = store.query(f"SELECT * FROM {name} LIMIT 0").schema
        expected = table.schema if "month" in table.schema.names else pa.schema(
            [pa.field("month", pa.date32()), *table.schema])
        assert stored.names == expected.names, name
        for field in expected:
            assert stored.field(field.name).type == field.type, (name, field.name)


# ------------------------------------------------------------------------------ snapshots
def test_snapshot_round_trip_keeps_types_and_nested_evidence(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    tables = sample_tables(JUNE)
    written = store.write_snapshot(JUNE, tables, sample_run(JUNE))
    assert written == {name: t.num_rows for name, t in tables.items()}
    findings = store.table("findings", JUNE).drop_columns(["month"]).sort_by("finding_id")
    assert findings.to_pylist() == tables.findings.sort_by("finding_id").to_pylist()
    metrics = store.table("asn_metrics", JUNE).sort_by("asn")
    assert metrics.to_pylist() == tables.asn_metrics.sort_by("asn").to_pylist()
    assert metrics.schema.types == tables.asn_metrics.schema.types
    run = store.table("runs").to_pylist()[0]
    assert json.loads(run["snapshot_dates"]) == {"irr": "2024-05-29", "rpki": "2024-06-01"}
    assert json.loads(run["snapshot_gaps"]) == ["irr"]
    assert store.months() == [JUNE]


def test_writing_a_month_twice_is_idempotent(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    tables = sample_tables(JUNE)
    store.write_snapshot(JUNE, tables, sample_run(JUNE))
    first_counts, first_content = counts(store), content(store, JUNE)
    store.write_snapshot(JUNE, tables, sample_run(JUNE))
    assert counts(store) == first_counts
    assert content(store, JUNE) == first_content


def test_a_new_snapshot_replaces_the_month_and_leaves_others_alone(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    store.write_snapshot(JUNE, sample_tables(JUNE, networks=20), sample_run(JUNE, "a"))
    store.write_snapshot(JULY, sample_tables(JULY, networks=5), sample_run(JULY))
    july = content(store, JULY)
    store.write_snapshot(JUNE, sample_tables(JUNE, networks=3), sample_run(JUNE, "b"))
    assert store.table("asn_metrics", JUNE).num_rows == 7  # 3 origins, 3 upstreams, 1 assigned
    assert store.table("findings", JUNE).num_rows == 3
    assert content(store, JULY) == july
    assert sorted(store.table("runs", JUNE).column("run_id").to_pylist()) == ["a", "b"]
    assert store.months() == [JUNE, JULY]


def test_rows_stamped_with_another_month_or_methodology_are_refused(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    store.write_snapshot(JUNE, sample_tables(JUNE), sample_run(JUNE))
    before = content(store, JUNE)
    with pytest.raises(StoreError, match="expected 2024-07-01"):
        store.write_snapshot(JULY, sample_tables(JUNE), sample_run(JULY))
    tables = sample_tables(JUNE)
    other = tables.asn_metrics.set_column(
        1, "methodology", pa.array(["rw-0000.0"] * tables.asn_metrics.num_rows))
    bad = dataclasses.replace(tables, asn_metrics=other)
    with pytest.raises(StoreError, match="methodology"):
        store.write_snapshot(JUNE, bad, sample_run(JUNE))
    with pytest.raises(StoreError, match="is for 2024-06"):
        store.write_snapshot(JULY, sample_tables(JULY), sample_run(JUNE))
    assert content(store, JUNE) == before


def test_a_failing_write_leaves_the_previous_snapshot(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    store.write_snapshot(JUNE, sample_tables(JUNE), sample_run(JUNE))
    before = content(store, JUNE)
    tables = sample_tables(JUNE, networks=2)
    broken = tables.area_summaries.drop_columns(["networks"]).append_column(
        "surprise", pa.array([1] * tables.area_summaries.num_rows))
    bad = dataclasses.replace(tables, area_summaries=broken)
    with pytest.raises(StoreError, match="area_summaries does not fit"):
        store.write_snapshot(JUNE, bad, sample_run(JUNE, "broken"))
    assert content(store, JUNE) == before
    assert not list(tmp_path.glob(".rw.duckdb.*"))  # no working copy left behind


def test_exception_inside_a_writer_block_changes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    with pytest.raises(RuntimeError), store.writer() as con:
        write_snapshot(con, JUNE, sample_tables(JUNE), sample_run(JUNE))
        raise RuntimeError("pipeline died")
    assert counts(store) == dict.fromkeys(("runs", *DATA_TABLES), 0)


def test_a_failed_run_is_recorded_without_a_snapshot(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    run = sample_run(JUNE, "failed-1")
    store.record_run(dataclasses.replace(run, status=RunStatus.FAILED, finished=None))
    assert store.table("runs").column("status").to_pylist() == ["failed"]
    assert store.months() == []


def test_unknown_table_names_are_refused(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    with pytest.raises(StoreError, match="unknown table"):
        store.table("asn_metrics; DROP TABLE runs")
    assert "runs" in TABLES


# ------------------------------------------------------------------------------ exports
@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_export_month_writes_every_table(tmp_path: Path, fmt: str) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    store.write_snapshot(JUNE, sample_tables(JUNE), sample_run(JUNE))
    store.write_snapshot(JULY, sample_tables(JULY, networks=2), sample_run(JULY))
    files = export_month(store.path, JUNE, tmp_path / "out", fmt)
    assert [f.name for f in files] == [f"{t}.{fmt}" for t in ("runs", *DATA_TABLES)]
    expected = counts(store, JUNE)
    for path in files:
        table = path.name.split(".")[0]
        if fmt == "parquet":
            assert pq.read_table(path).num_rows == expected[table]
        elif fmt == "csv":
            lines = path.read_text().splitlines()
            assert len(lines) == expected[table] + 1 and "month" in lines[0].split(",")
        else:
            rows = json.loads(path.read_text() or "[]")
            assert len(rows) == expected[table]
            assert all(r["month"] == "2024-06-01" for r in rows)
    assert not list((tmp_path / "out").glob(".*"))


def test_export_parquet_round_trips_the_month(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    tables = sample_tables(JUNE)
    store.write_snapshot(JUNE, tables, sample_run(JUNE))
    export_month(store, JUNE, tmp_path / "out")
    scores = pq.read_table(tmp_path / "out" / "action_scores.parquet")
    order = [("asn", "ascending"), ("action", "ascending")]
    assert scores.sort_by(order).to_pylist() == tables.action_scores.sort_by(order).to_pylist()


def test_export_errors_name_the_fix(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "rw.duckdb")
    with pytest.raises(StoreError, match="no run for 2024-06"):
        export_month(store, JUNE, tmp_path / "out", "parquet")
    with pytest.raises(StoreError, match="unknown export format 'xml'"):
        export_month(store, JUNE, tmp_path / "out", "xml")


# ------------------------------------------------------------------------------ lake
def test_lake_queries_read_parquet_in_place(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    for collector, day, asn in (("rrc00", "2024-06-01", 1), ("rrc00", "2024-06-02", 2),
                                ("route-views2", "2024-06-02", 3)):
        folder = lake / "elems" / f"collector={collector}" / f"date={day}"
        folder.mkdir(parents=True)
        stamp = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)
        pq.write_table(pa.table({
            "timestamp": pa.array([stamp], pa.timestamp("us", tz="UTC")),
            "peer_asn": pa.array([asn], pa.uint32()),
            "prefix": ["192.0.2.0/24"],
        }), folder / "abc.parquet")
    every = query_lake(lake, "SELECT collector, count(*) AS n FROM elems GROUP BY 1 ORDER BY 1")
    assert every.to_pylist() == [{"collector": "route-views2", "n": 1},
                                 {"collector": "rrc00", "n": 2}]
    some = read_elems(lake, columns=["peer_asn"], start=dt.date(2024, 6, 2),
                      collectors=["rrc00"])
    assert some.column("peer_asn").to_pylist() == [2]
    later = read_elems(lake, end=dt.date(2024, 6, 1))
    assert pc.sum(later.column("peer_asn")).as_py() == 1
    with pytest.raises(StoreError, match="routewatch ingest"):
        query_lake(tmp_path / "empty", "SELECT 1")
    assert INCIDENTS.field("asn").type == pa.uint32()


# ------------------------------------------------------------------------------ surface
def test_only_the_store_imports_duckdb() -> None:
    src = Path(__file__).resolve().parents[1] / "src" / "routewatch"
    offenders = [
        str(path.relative_to(src)) for path in src.rglob("*.py")
        if "store" not in path.relative_to(src).parts
        and any(line.strip().startswith(("import duckdb", "from duckdb"))
                for line in path.read_text().splitlines())
    ]
    assert offenders == []


def test_public_surface() -> None:
    from routewatch import store
    from routewatch.store import db, export, lake, migrations, snapshot

    for module in (store, db, export, lake, migrations, snapshot):
        assert set(module.__all__) <= set(dir(module)), module.__name__
