"""routewatch's scores against the MANRS Observatory: the comparison and ``compare-manrs``.

The Observatory side is real: the 40-row excerpt of the LACNIC "details" export of October
2022 in ``tests/data/ref/manrs/`` (see its PROVENANCE.md), loaded by the real loader.

The routewatch side is *constructed*, because the export's month (2022-10) has no BGP
archives, RPKI, IRR or Spoofer snapshots on this machine to run the pipeline on. For each
ASN of the excerpt, :func:`inputs_like` builds the metric inputs that the real metrics code
(``compute_asn_metrics`` + ``compute_action_scores``) turns into the Observatory's scores as
closely as routewatch's methodology can express them:

- Filtering f: M2 incidents whose weights sum to the half-step nearest (1 − f) / 0.1 (2-hour
  incidents weigh 1, a 10-minute one 0.5), so 0.92 → 0.90, 0.54 → 0.55, 0.94 → 0.95;
- Anti-spoofing s: a Spoofer result with x spoofable prefixes, x the count whose
  exp(−0.7224 √x) is nearest s (0.36 → 2, 1 → 0); an empty cell → no Spoofer test;
- Coordination: a PeeringDB NOC contact when 1, none when 0;
- Global Validation: 100 announced pairs, round(100 × IRR) IRR-registered and
  round(100 × RPKI) RPKI-valid, the rest not-found.

Then three deliberate departures, so each kind of difference is known in advance:

- AS3816 (Observatory RPKI 0.98, ready): 5 of its pairs are RPKI-invalid instead of valid,
  so routewatch scores 0.93 − 10 × 0.05 = 0.43 (lagging) — the known disagreement;
- AS5772 is left out of routewatch (only in the export);
- AS8151 (Uninet, MX; in the full LACNIC export, not in the excerpt) is measured by routewatch
  only; AS1103 (SURFnet, NL) is measured too but lies outside the export's economies.

Golden files live in ``tests/golden/compare/``; regenerate them after a deliberate output
change with ``ROUTEWATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_compare_manrs.py`` and
review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner, Result

import _golden
from routewatch.cli.main import cli, main
from routewatch.methodology import RW_2026_1 as METHOD
from routewatch.methodology import Action, Band
from routewatch.metrics.bands import bands_of
from routewatch.metrics.compare import OBSERVATORY_ACTIONS, compare_with_observatory
from routewatch.metrics.scores import (
    Window,
    compute_action_scores,
    compute_asn_metrics,
)
from routewatch.reference.manrs import load_observatory
from routewatch.schemas import (
    ANNOUNCED_PAIRS,
    AREA_READINESS,
    AREA_SUMMARIES,
    FINDINGS,
    INCIDENTS,
    IRR_AUT_NUMS,
    NETWORKS,
    PEERINGDB_NETWORKS,
    SPOOFABLE_PREFIXES,
)
from routewatch.store import MonthTables, RunInfo, RunStatus, Store

HERE = Path(__file__).resolve().parent
EXPORT = HERE / "data" / "ref" / "manrs" / "manrs-observatory_LACNIC_details_202210.excerpt.csv"
OCTOBER = Window.of("2022-10")
T0 = dt.datetime(2022, 10, 3, tzinfo=dt.UTC)
PAIRS_PER_ASN = 100
KNOWN_DISAGREEMENT = 3816
ONLY_EXPORT = 5772
ONLY_ROUTEWATCH = {8151: "MX"}
OUT_OF_SCOPE = {1103: "NL"}


def observatory() -> pa.Table:
    return load_observatory([EXPORT]).table


# ------------------------------------------------------------------------------ construction
def spoofable_for(score: float) -> int:
    """The prefix count whose M5 score is nearest ``score``."""
    return min(range(51), key=lambda x: abs(METHOD.spoofer_score(x) - score))


def inputs_like(row: dict[str, object], out: dict[str, list[dict[str, object]]]) -> None:
    """Append the metric inputs that reproduce one export row (see the module doc)."""
    asn = int(str(row["asn"]))
    filtering = float(str(row["filtering"]))
    weight = round(2 * (1 - filtering) / METHOD.own_coefficient) / 2
    durations = [dt.timedelta(hours=2)] * int(weight) + [dt.timedelta(minutes=10)] * (
        weight % 1 > 0)
    for i, length in enumerate(durations):
        start = T0 + dt.timedelta(days=i)
        out["incidents"].append({
            "incident_id": f"M2-{asn}-{i}", "methodology": METHOD.version, "metric": "M2",
            "asn": asn, "scored": True, "start": start, "end": start + length,
            "window_start": OCTOBER.start, "window_end": OCTOBER.end, "duration_s": 0.0,
            "weight": 0.0, "peak_visibility": 10})  # fmt: skip
    if row["anti_spoofing"] is not None:
        x = spoofable_for(float(str(row["anti_spoofing"])))
        tested = [f"192.0.2.{i}/32" for i in range(max(x, 1))]
        out["spoofer"].append({"asn": asn, "month": OCTOBER.month, "sessions": 1,
                               "tested_prefixes": tested, "spoofable_prefixes": tested[:x]})
    if row["coordination"] == 1.0:
        out["peeringdb"].append({"asn": asn, "net_id": asn, "name": row["holder"],
                                 "contact_roles": ["NOC"], "ix_count": 0, "ix_ids": [],
                                 "ix_names": []})
    registered = round(PAIRS_PER_ASN * float(str(row["global_validation_irr"])))
    valid = round(PAIRS_PER_ASN * float(str(row["global_validation_rpki"])))
    invalid = 5 if asn == KNOWN_DISAGREEMENT else 0
    for i in range(PAIRS_PER_ASN):
        rov = "valid" if i < valid - invalid else "invalid" if i < valid else "not-found"
        out["pairs"].append({"month": OCTOBER.month, "methodology": METHOD.version,
                             "prefix": f"198.18.{i}.0/24", "origin_asn": asn, "peer_asns": 10,
                             "rov_state": rov,
                             "irr_state": "registered" if i < registered else "not-registered"})


def routewatch_tables() -> tuple[pa.Table, pa.Table, pa.Table]:
    """(asn_metrics, action_scores, networks) for October 2022 from the real metrics code."""
    out: dict[str, list[dict[str, object]]] = {k: [] for k in ("incidents", "spoofer",
                                                                "peeringdb", "pairs")}
    rows = [r for r in observatory().to_pylist() if r["asn"] != ONLY_EXPORT]
    for row in rows:
        inputs_like(row, out)
    economies = {int(r["asn"]): str(r["country"]) for r in rows} | ONLY_ROUTEWATCH | OUT_OF_SCOPE
    metrics = compute_asn_metrics(
        incidents=pa.Table.from_pylist(out["incidents"], schema=INCIDENTS),
        pairs=pa.Table.from_pylist(out["pairs"], schema=ANNOUNCED_PAIRS),
        spoofer=pa.Table.from_pylist(out["spoofer"], schema=SPOOFABLE_PREFIXES),
        peeringdb=pa.Table.from_pylist(out["peeringdb"], schema=PEERINGDB_NETWORKS),
        aut_nums=IRR_AUT_NUMS.empty_table(), assigned=[*ONLY_ROUTEWATCH, *OUT_OF_SCOPE],
        window=OCTOBER, method=METHOD)  # fmt: skip
    scores = compute_action_scores(metrics, METHOD)
    # routewatch's economy comes from RIR delegations; the export's country stands in here.
    networks = pa.Table.from_pylist(
        [{"month": OCTOBER.month, "methodology": METHOD.version, "asn": asn, "economy": cc,
          "manrs": False, "rpki_signer": False} for asn, cc in sorted(economies.items())],
        schema=NETWORKS)  # fmt: skip
    return metrics, scores, networks


def with_economy(scores: pa.Table, networks: pa.Table) -> pa.Table:
    economy = dict(zip(networks.column("asn").to_pylist(), networks.column("economy").to_pylist(),
                       strict=True))
    return scores.append_column("economy", pa.array(
        [economy.get(a) for a in scores.column("asn").to_pylist()], pa.string()))


def identical_scores() -> pa.Table:
    """routewatch rows that copy the export's scores exactly (bands from routewatch's code)."""
    rows = []
    for row in observatory().to_pylist():
        for column, action in OBSERVATORY_ACTIONS.items():
            rows.append({"asn": row["asn"], "action": action.value, "score": row[column],
                         "economy": row["country"]})
    table = pa.Table.from_pylist(rows)
    return table.append_column("band", bands_of(table.column("score"), METHOD))


# ------------------------------------------------------------------------------ comparison
def test_identical_scores_agree_fully() -> None:
    result = compare_with_observatory(identical_scores(), observatory(), METHOD)
    assert result.economies == ("AR", "BR", "CL", "CO", "CR", "MX", "PA", "PE", "TT", "UY", "VE")
    assert result.only_routewatch_asns == () and result.only_export_asns == ()
    for a in result.actions:
        assert (a.in_both, a.only_routewatch, a.only_export) == (40, 0, 0)
        assert a.agreement == 1.0 and a.mean_abs_difference == 0.0
        assert a.largest_disagreements == ()
        assert all(n == 0 for (ours, theirs), n in a.confusion.items() if ours != theirs)
    spoofing = next(a for a in result.actions if a.action is Action.ANTI_SPOOFING)
    # 2 ASNs (278, 4230) have a Spoofer-based score in the excerpt; 38 empty cells are
    # no-data on both sides, which the confusion matrix shows and the agreement leaves out
    assert spoofing.scored_by_both == 2
    assert spoofing.confusion[Band.NO_DATA, Band.NO_DATA] == 38


def test_constructed_scores_against_the_real_export() -> None:
    _, scores, networks = routewatch_tables()
    result = compare_with_observatory(with_economy(scores, networks), observatory(), METHOD)
    assert result.only_routewatch_asns == (8151,)  # AS1103 (NL) is outside the export's scope
    assert result.only_export_asns == (ONLY_EXPORT,)
    by_action = {a.action: a for a in result.actions}
    for a in result.actions:
        assert (a.in_both, a.only_routewatch, a.only_export) == (39, 1, 1)

    rpki = by_action[Action.GLOBAL_VALIDATION_RPKI]
    assert (rpki.scored_by_both, rpki.same_band) == (39, 38)
    assert rpki.agreement == pytest.approx(38 / 39)
    assert rpki.confusion[Band.LAGGING, Band.READY] == 1  # the known disagreement, and only it
    assert sum(n for (o, t), n in rpki.confusion.items() if o != t) == 1
    worst = rpki.largest_disagreements[0]
    assert (worst.asn, worst.routewatch_score, worst.observatory_score) == (3816, 0.43, 0.98)
    assert (worst.routewatch_band, worst.observatory_band) == (Band.LAGGING, Band.READY)
    assert worst.difference == pytest.approx(-0.55)
    assert rpki.mean_abs_difference == pytest.approx(0.55 / 39)

    # Filtering: routewatch's half-step weights cannot say 0.92, 0.54 or 0.94 — small
    # differences inside the same band, so the bands still agree everywhere.
    filtering = by_action[Action.FILTERING]
    assert filtering.agreement == 1.0
    assert [(d.asn, d.routewatch_score, d.observatory_score)
            for d in filtering.largest_disagreements] == [
        (1916, 0.9, 0.92), (4230, 0.55, 0.54), (5639, 0.95, 0.94)]  # fmt: skip
    assert filtering.mean_abs_difference == pytest.approx(0.04 / 39)

    spoofing = by_action[Action.ANTI_SPOOFING]
    assert spoofing.scored_by_both == 2 and spoofing.agreement == 1.0  # AS278, AS4230
    # routewatch's exp(-0.7224 * sqrt(2)) = 0.3601 against the export's 0.36: rounding, which
    # counts in the mean but is not listed as a disagreement
    assert spoofing.largest_disagreements == () and (spoofing.mean_abs_difference or 0) > 0
    assert math.isclose(METHOD.spoofer_score(2), 0.3601, abs_tol=1e-4)
    for action in (Action.COORDINATION, Action.GLOBAL_VALIDATION_IRR):
        assert by_action[action].agreement == 1.0
        assert by_action[action].largest_disagreements == ()


def test_economy_filter_keeps_only_that_economy() -> None:
    _, scores, networks = routewatch_tables()
    result = compare_with_observatory(with_economy(scores, networks), observatory(), METHOD,
                                      economies=["br"])
    assert result.economies == ("BR",)
    assert result.only_export_asns == (ONLY_EXPORT,) and result.only_routewatch_asns == ()
    assert {a.in_both for a in result.actions} == {5}  # 1251 1916 2715 2716 4230


# ------------------------------------------------------------------------------ command
@pytest.fixture(scope="module")
def october_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding only the constructed October 2022 scores (no incidents, no areas)."""
    metrics, scores, networks = routewatch_tables()
    db = tmp_path_factory.mktemp("compare") / "rw.duckdb"
    store = Store.open(db)
    store.write_snapshot(
        OCTOBER.month,
        MonthTables(findings=FINDINGS.empty_table(), incidents=INCIDENTS.empty_table(),
                    asn_metrics=metrics, action_scores=scores,
                    area_readiness=AREA_READINESS.empty_table(),
                    area_summaries=AREA_SUMMARIES.empty_table(), networks=networks),
        RunInfo(run_id="constructed-2022-10", month=OCTOBER.month,
                started=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), status=RunStatus.COMPLETE,
                methodology=METHOD.version),
    )  # fmt: skip
    return db


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["compare-manrs", str(EXPORT), "--db",
                                                    str(db), *args])


def check_golden(name: str, text: str) -> None:
    _golden.check_golden("compare", name, text)


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_cli_golden(october_db: Path, fmt: str) -> None:
    result = invoke(october_db, "--format", fmt)  # month from the export's file name
    assert result.exit_code == 0, result.output
    check_golden(f"lacnic-202210.{fmt}", result.stdout)


def test_cli_json_matches_the_comparison(october_db: Path) -> None:
    doc = json.loads(invoke(october_db, "--format", "json", "--economy", "CO").stdout)
    assert doc["month"] == "2022-10" and doc["economies"] == ["CO"]
    rpki = next(a for a in doc["actions"] if a["action"] == "global-validation-rpki")
    assert rpki["confusion"]["lagging"]["ready"] == 1
    assert rpki["largest_disagreements"][0] == {
        "asn": 3816, "holder": "COLOMBIA TELECOMUNICACIONES S.A. ESP", "routewatch_score": 0.43,
        "routewatch_band": "lagging", "observatory_score": 0.98, "observatory_band": "ready",
        "difference": -0.55}  # fmt: skip
    assert doc["column_map"]["Global Validation RPKI"] == "global-validation-rpki"


def run_main(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(["compare-manrs", str(EXPORT), *args])
    return int(str(exited.value.code))


def test_no_scores_for_the_month_says_what_to_run(october_db: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main("--db", str(october_db), "--month", "2022-11") == 1
    err = capsys.readouterr().err
    assert "has no scores for 2022-11 (months it holds: 2022-10)" in err
    assert "run 'routewatch run --month 2022-11' first" in err


def test_an_export_without_a_month_needs_month(october_db: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    unnamed = tmp_path / "details.csv"
    unnamed.write_bytes(EXPORT.read_bytes())
    with pytest.raises(SystemExit) as exited:
        main(["compare-manrs", str(unnamed), "--db", str(october_db)])
    assert exited.value.code == 1
    assert "pass --month YYYY-MM" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["compare-manrs", str(unnamed), "--db", str(october_db), "--month", "2022-10"])
    assert exited.value.code == 0


def test_an_economy_the_export_lacks_is_an_error(october_db: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main("--db", str(october_db), "--economy", "NL") == 1
    assert "the export has no row for economy NL" in capsys.readouterr().err


def test_help_says_how_to_run_it_on_real_data() -> None:
    shown = CliRunner().invoke(cli, ["compare-manrs", "--help"]).output
    assert "routewatch run --month 2022-10" in shown and "docs/compare-manrs.md" in shown
    assert "compare-manrs" in CliRunner().invoke(cli, ["--help"]).output
