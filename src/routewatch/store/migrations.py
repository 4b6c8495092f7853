"""The store's versioned schema: ordered forward migrations and the ``schema_version`` table.

Role: :data:`MIGRATIONS` is the whole history of the database schema, oldest first. Each
:class:`Migration` has a version number (1, 2, …), a one-line description and its SQL
statements. :func:`migrate` applies, inside the caller's transaction, every step newer than
the file's version and records each in ``schema_version``. Steps are never edited once
released: a schema change is a new step at the end (and a new Arrow schema version in
:mod:`routewatch.schemas` / :mod:`routewatch.metrics` when a stored table changes).

On-disk format: ``schema_version(version INTEGER, description VARCHAR, applied_at
TIMESTAMPTZ)``, one row per applied step; the file's version is the largest. Every data table
has ``month`` (first day of the month) and ``methodology`` columns. Timestamps are
``TIMESTAMPTZ`` (UTC), ASNs ``UINTEGER``; JSON documents in ``runs`` are ``VARCHAR`` holding
JSON text (readable with DuckDB's ``json`` functions).

Failure modes: :func:`check_version` raises :class:`~routewatch.errors.StoreError` for a file
written by a newer routewatch (its version is above :data:`CURRENT_VERSION`).

Only :mod:`routewatch.store` imports this module (it is the only package that talks to DuckDB).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from routewatch.errors import StoreError

__all__ = [
    "CURRENT_VERSION",
    "DATA_TABLES",
    "MIGRATIONS",
    "Migration",
    "check_version",
    "migrate",
    "schema_version",
]


@dataclass(frozen=True)
class Migration:
    """One forward step of the schema."""

    version: int
    description: str
    statements: tuple[str, ...]


_WITNESS = (
    "STRUCT(collector VARCHAR, peer_ip VARCHAR, peer_asn UINTEGER, "
    "first_seen TIMESTAMP WITH TIME ZONE, last_seen TIMESTAMP WITH TIME ZONE)"
)

_V1_RUNS = """
CREATE TABLE runs (
    run_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    started TIMESTAMP WITH TIME ZONE NOT NULL,
    finished TIMESTAMP WITH TIME ZONE,
    status VARCHAR NOT NULL,
    methodology VARCHAR NOT NULL,
    routewatch_version VARCHAR NOT NULL,
    fetch_manifest VARCHAR NOT NULL,
    snapshot_dates VARCHAR NOT NULL
)"""

_V1_FINDINGS = f"""
CREATE TABLE findings (
    month DATE NOT NULL,
    finding_id VARCHAR NOT NULL,
    methodology VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    culprit_asn UINTEGER,
    accomplice_asn UINTEGER,
    accomplice_relation VARCHAR,
    accomplice_counts BOOLEAN NOT NULL,
    decided_by VARCHAR NOT NULL,
    labels VARCHAR[],
    prefix VARCHAR NOT NULL,
    afi UTINYINT NOT NULL,
    prefix_hi UBIGINT NOT NULL,
    prefix_lo UBIGINT NOT NULL,
    prefix_len UTINYINT NOT NULL,
    origin_asn UINTEGER,
    segment UINTEGER[],
    as_path VARCHAR,
    path_asns UINTEGER[],
    "start" TIMESTAMP WITH TIME ZONE NOT NULL,
    "end" TIMESTAMP WITH TIME ZONE,
    peak_visibility UINTEGER NOT NULL,
    peak_at TIMESTAMP WITH TIME ZONE,
    witnesses {_WITNESS}[],
    conflict_prefix VARCHAR,
    conflict_origins UINTEGER[],
    rov_state VARCHAR,
    rov_reason VARCHAR,
    rov_vrps STRUCT(prefix VARCHAR, max_length UTINYINT, asn UINTEGER, "role" VARCHAR)[],
    irr_state VARCHAR,
    irr_objects STRUCT(prefix VARCHAR, origin UINTEGER, "source" VARCHAR,
                       authoritative BOOLEAN, "matched" BOOLEAN)[],
    edges STRUCT(asn_a UINTEGER, asn_b UINTEGER, relation VARCHAR, "source" VARCHAR)[],
    bogons STRUCT(kind VARCHAR, "value" VARCHAR, category VARCHAR, reason VARCHAR,
                  "source" VARCHAR)[]
)"""

_V1_INCIDENTS = f"""
CREATE TABLE incidents (
    month DATE NOT NULL,
    incident_id VARCHAR NOT NULL,
    methodology VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    asn UINTEGER,
    culprit_asns UINTEGER[],
    accomplice_asns UINTEGER[],
    accomplice_relation VARCHAR,
    scored BOOLEAN NOT NULL,
    "start" TIMESTAMP WITH TIME ZONE NOT NULL,
    "end" TIMESTAMP WITH TIME ZONE,
    window_start TIMESTAMP WITH TIME ZONE NOT NULL,
    window_end TIMESTAMP WITH TIME ZONE NOT NULL,
    duration_s DOUBLE NOT NULL,
    weight DOUBLE NOT NULL,
    peak_visibility UINTEGER NOT NULL,
    prefixes VARCHAR[],
    origins UINTEGER[],
    decided_by VARCHAR[],
    labels VARCHAR[],
    sample_path VARCHAR,
    sample_witness {_WITNESS},
    finding_ids VARCHAR[]
)"""

_V1_ASN_METRICS = """
CREATE TABLE asn_metrics (
    month DATE NOT NULL,
    methodology VARCHAR NOT NULL,
    asn UINTEGER NOT NULL,
    seen BOOLEAN NOT NULL,
    rir_assigned BOOLEAN NOT NULL,
    m1 DOUBLE, m1c DOUBLE, m2 DOUBLE, m2c DOUBLE,
    m3 DOUBLE, m3c DOUBLE, m4 DOUBLE, m4c DOUBLE,
    incidents UINTEGER,
    spoofer_tested_prefixes UINTEGER,
    spoofer_spoofable_prefixes UINTEGER,
    m5 DOUBLE,
    contact_sources VARCHAR[] NOT NULL,
    m8 DOUBLE NOT NULL,
    pairs UINTEGER,
    pairs_rpki_valid UINTEGER,
    pairs_rpki_invalid UINTEGER,
    pairs_rpki_not_found UINTEGER,
    pairs_irr_registered UINTEGER,
    m7irr DOUBLE,
    m7rpki DOUBLE
)"""

_V1_ACTION_SCORES = """
CREATE TABLE action_scores (
    month DATE NOT NULL,
    methodology VARCHAR NOT NULL,
    asn UINTEGER NOT NULL,
    action VARCHAR NOT NULL,
    score DOUBLE,
    band VARCHAR NOT NULL
)"""

_V1_AREA_SUMMARIES = """
CREATE TABLE area_summaries (
    month DATE NOT NULL,
    methodology VARCHAR NOT NULL,
    area_kind VARCHAR NOT NULL,
    area VARCHAR NOT NULL,
    networks UINTEGER NOT NULL,
    incidents_m1 UINTEGER NOT NULL, incidents_m1c UINTEGER NOT NULL,
    incidents_m2 UINTEGER NOT NULL, incidents_m2c UINTEGER NOT NULL,
    incidents_m3 UINTEGER NOT NULL, incidents_m3c UINTEGER NOT NULL,
    incidents_m4 UINTEGER NOT NULL, incidents_m4c UINTEGER NOT NULL,
    networks_involved UINTEGER NOT NULL,
    incidents_per_100_networks DOUBLE,
    pairs UBIGINT NOT NULL,
    rpki_valid_share DOUBLE,
    rpki_invalid_share DOUBLE,
    rpki_not_found_share DOUBLE,
    irr_registered_share DOUBLE
)"""

_V2_AREA_READINESS = """
CREATE TABLE area_readiness (
    month DATE NOT NULL,
    methodology VARCHAR NOT NULL,
    area_kind VARCHAR NOT NULL,
    area VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    networks UINTEGER NOT NULL,
    ready UINTEGER NOT NULL,
    aspiring UINTEGER NOT NULL,
    lagging UINTEGER NOT NULL,
    no_data UINTEGER NOT NULL,
    ready_share DOUBLE,
    aspiring_share DOUBLE,
    lagging_share DOUBLE,
    mean_score DOUBLE,
    ready_share_change DOUBLE
)"""

_V3_NETWORKS = """
CREATE TABLE networks (
    month DATE NOT NULL,
    methodology VARCHAR NOT NULL,
    asn UINTEGER NOT NULL,
    name VARCHAR,
    economy VARCHAR,
    region VARCHAR,
    sub_region VARCHAR,
    rir VARCHAR,
    manrs BOOLEAN NOT NULL,
    rpki_signer BOOLEAN NOT NULL
)"""

_V3_ANNOUNCED_PAIRS = """
CREATE TABLE announced_pairs (
    month DATE NOT NULL,
    methodology VARCHAR NOT NULL,
    prefix VARCHAR NOT NULL,
    origin_asn UINTEGER NOT NULL,
    peer_asns UINTEGER NOT NULL,
    rov_state VARCHAR NOT NULL,
    rov_reason VARCHAR,
    irr_state VARCHAR NOT NULL
)"""

_V4_MONTH_COVERAGE = """
CREATE TABLE month_coverage (
    month DATE NOT NULL,
    methodology VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    inputs_digest VARCHAR NOT NULL,
    collectors VARCHAR[] NOT NULL,
    bgp_minutes DOUBLE NOT NULL,
    collector_minutes VARCHAR NOT NULL,
    mrt_files UINTEGER NOT NULL,
    baseline_days UINTEGER NOT NULL,
    bgp_first TIMESTAMP WITH TIME ZONE,
    bgp_last TIMESTAMP WITH TIME ZONE,
    reference_dates VARCHAR NOT NULL
)"""

_V6_COHORT_IMPACT = """
CREATE TABLE cohort_impact (
    month DATE NOT NULL,
    methodology VARCHAR NOT NULL,
    cohort VARCHAR NOT NULL,
    rest VARCHAR NOT NULL,
    measure VARCHAR NOT NULL,
    better VARCHAR NOT NULL,
    members UINTEGER NOT NULL,
    others UINTEGER NOT NULL,
    member_value DOUBLE, member_low DOUBLE, member_high DOUBLE,
    other_value DOUBLE, other_low DOUBLE, other_high DOUBLE,
    difference DOUBLE, difference_low DOUBLE, difference_high DOUBLE,
    confidence DOUBLE NOT NULL,
    replicates UINTEGER NOT NULL
)"""

_V6_DID_IMPACT = """
CREATE TABLE did_impact (
    month DATE NOT NULL,
    methodology VARCHAR NOT NULL,
    treatment VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    better VARCHAR NOT NULL,
    first_month DATE,
    last_month DATE,
    months UINTEGER NOT NULL,
    treated UINTEGER NOT NULL,
    unmatched UINTEGER NOT NULL,
    controls UINTEGER NOT NULL,
    strata UINTEGER NOT NULL,
    treated_change DOUBLE,
    control_change DOUBLE,
    estimate DOUBLE, low DOUBLE, high DOUBLE,
    confidence DOUBLE NOT NULL,
    replicates UINTEGER NOT NULL,
    reason VARCHAR
)"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "runs, findings, incidents, asn_metrics, action_scores, area_summaries",
        (_V1_RUNS, _V1_FINDINGS, _V1_INCIDENTS, _V1_ASN_METRICS, _V1_ACTION_SCORES,
         _V1_AREA_SUMMARIES),
    ),
    Migration(
        2,
        "area_readiness (band counts per area and action); runs.snapshot_gaps",
        (
            _V2_AREA_READINESS,
            "ALTER TABLE runs ADD COLUMN snapshot_gaps VARCHAR DEFAULT '[]'",
            "UPDATE runs SET snapshot_gaps = '[]' WHERE snapshot_gaps IS NULL",
        ),
    ),
    Migration(
        3,
        "networks (name, economy, region, RIR, cohorts per ASN); announced_pairs (M7 inputs)",
        (_V3_NETWORKS, _V3_ANNOUNCED_PAIRS),
    ),
    Migration(
        4,
        "month_coverage (collectors, minutes of BGP data, reference dates, inputs digest)",
        (_V4_MONTH_COVERAGE,),
    ),
    Migration(
        5,
        "findings and incidents: confidence class and reasons (rw-2026.2)",
        tuple(
            f"ALTER TABLE {table} ADD COLUMN {column}"
            for table in ("findings", "incidents")
            for column in ("confidence VARCHAR", "confidence_reasons VARCHAR[]")
        ),
    ),
    Migration(
        6,
        "cohort_impact (cohorts against the rest, with intervals); did_impact (before/after)",
        (_V6_COHORT_IMPACT, _V6_DID_IMPACT),
    ),
)

#: The schema version this code writes and reads.
CURRENT_VERSION = MIGRATIONS[-1].version

#: Tables replaced per month by a snapshot, in write order (``runs`` is kept as history).
DATA_TABLES: tuple[str, ...] = (
    "findings",
    "incidents",
    "asn_metrics",
    "action_scores",
    "area_readiness",
    "area_summaries",
    "networks",
    "announced_pairs",
    "month_coverage",
    "cohort_impact",
    "did_impact",
)

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL,
    description VARCHAR NOT NULL,
    applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT current_timestamp
)"""


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open database (0 for an empty one)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()
    if not found[0][0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()
    return int(row[0][0])


def check_version(version: int, where: str) -> None:
    """Refuse a database newer than this code."""
    if version > CURRENT_VERSION:
        raise StoreError(
            f"{where} has store schema version {version}, but this routewatch only knows "
            f"versions up to {CURRENT_VERSION}; upgrade routewatch, or point --db at "
            "another file."
        )


def migrate(con: duckdb.DuckDBPyConnection, target: int = CURRENT_VERSION) -> list[int]:
    """Apply every step above the file's version up to ``target``; the versions applied.

    Runs in the caller's transaction: either every step lands or none does.
    """
    current = schema_version(con)
    con.execute(_VERSION_TABLE)
    applied = []
    for step in MIGRATIONS:
        if current < step.version <= target:
            for statement in step.statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                [step.version, step.description],
            )
            applied.append(step.version)
    return applied
