"""``routewatch run`` over several months into one store, end to end, from files on disk.

Real data: the RIS rrc23 update files of 2022-04-21 and 2022-05-01 and the RouteViews
route-views.sydney file of 2022-06-01 (shared/data, see its PROVENANCE.md), laid out in a
temporary folder as the archives lay them out (``rrc23/2022.04/updates.20220421.0200.gz``,
``route-views.sydney/bgpdata/2022.06/UPDATES/...``), with the AFRINIC VRPs of 2022-01-02 and
the AFRINIC delegations of 2021-04-06 as reference files. INVENTED: the one file of 2022-07,
which is a gzip header followed by junk — a broken archive, so that month must fail alone.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from _data import shared_data
from routewatch.cli.main import cli
from routewatch.cli.run import BarObserver
from routewatch.store import Store

FILES = {
    "rrc23/2022.04/updates.20220421.0200.gz": "mrt/ris/ris-rrc23_updates.20220421.0200.gz",
    "rrc23/2022.05/updates.20220501.2305.gz": "mrt/ris/ris-rrc23_updates.20220501.2305.gz",
    "route-views.sydney/bgpdata/2022.06/UPDATES/updates.20220601.0230.bz2":
        "mrt/routeviews/route-views.sydney_updates.20220601.0230.bz2",
}
REFERENCES = ("rpki/ripe-archive_afrinic-tal_roas_20220102.csv",
              "rir/delegated-afrinic-extended-20210406")


def layout(root: Path) -> tuple[Path, Path]:
    archives, refs = root / "archives", root / "refs"
    for target, source in FILES.items():
        (archives / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_data(source), archives / target)
    broken = archives / "rrc23/2022.07/updates.20220701.0000.gz"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"\x1f\x8b\x08\x00" + b"this is not an MRT archive " * 40)
    refs.mkdir()
    for source in REFERENCES:
        shutil.copyfile(shared_data(source), refs / Path(source).name)
    return archives, refs


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["run", *args])


def coverage(db: Path) -> dict[str, dict[str, object]]:
    rows = Store.open(db, create=False).table("month_coverage").to_pylist()
    return {f"{r['month']:%Y-%m}": r for r in rows}


def test_months_in_bulk_skip_force_and_a_failing_month(tmp_path: Path) -> None:
    archives, refs = layout(tmp_path)
    db = tmp_path / "rw.duckdb"
    where = ["--archives", str(archives), "--references", str(refs), "--db", str(db)]
    first = run("--from-month", "2022-04", "--to-month", "2022-07", *where)
    assert first.exit_code == 3, first.output
    assert "months: 3 partial, 1 failed" in first.output
    assert "  2022-04  partial   run 2022-04-" in first.output
    assert "(rrc23: 5 min)" in first.output and "(route-views.sydney: 15 min)" in first.output
    assert ("  2022-07  failed    no BGP data of 2022-07 could be read: all 1 MRT file(s) are "
            "broken (first: updates.20220701.0000.gz)") in first.output
    store = Store.open(db, create=False)
    assert [f"{m:%Y-%m}" for m in store.months()] == ["2022-04", "2022-05", "2022-06"]
    stored = coverage(db)
    assert (stored["2022-04"]["collectors"], stored["2022-04"]["bgp_minutes"]) == (["rrc23"], 5.0)
    assert (stored["2022-06"]["collectors"], stored["2022-06"]["bgp_minutes"]) == (
        ["route-views.sydney"], 15.0)
    assert json.loads(str(stored["2022-05"]["reference_dates"])) == {
        "delegated-afrinic-extended": "2021-04-06", "ripe-archive_afrinic-tal_roas": "2022-01-02",
        "inferred/as-rel": "2022-05-31"}  # no relationship file: inferred from the month's paths
    runs = store.table("runs").to_pylist()
    assert sorted((f"{r['month']:%Y-%m}", r["status"]) for r in runs) == [
        ("2022-04", "partial"), ("2022-05", "partial"), ("2022-06", "partial"),
        ("2022-07", "failed")]
    incidents = {m: store.table("incidents", m).num_rows for m in store.months()}

    again = run("--from-month", "2022-04", "--to-month", "2022-07", *where)
    assert again.exit_code == 3, again.output
    assert "months: 3 skipped, 1 failed" in again.output
    assert "  2022-05  skipped   already stored (partial) with rw-2026.1 from the same " \
        "inputs (--force redoes it)" in again.output
    assert coverage(db) == stored  # nothing recomputed
    assert store.table("runs").num_rows == len(runs) + 1  # only 2022-07 tried again

    forced = run("--month", "2022-05", "--force", *where)
    assert forced.exit_code == 3, forced.output  # partial data: 5 minutes of one collector
    assert forced.output.startswith("routewatch 2022-05: run 2022-05-")
    redone = coverage(db)
    assert redone["2022-05"]["run_id"] != stored["2022-05"]["run_id"]
    assert {m: r["run_id"] for m, r in redone.items() if m != "2022-05"} == {
        m: r["run_id"] for m, r in stored.items() if m != "2022-05"}
    assert {m: store.table("incidents", m).num_rows for m in store.months()} == incidents


def test_progress_bars_over_months_and_stages(capsys: pytest.CaptureFixture[str]) -> None:
    """The months bar advances month by month and ends complete; each month's stage bars
    replace the previous month's (drawn only on a terminal; forced on here)."""
    with BarObserver(enabled=True) as observer:
        for index, month in enumerate(("2022-04", "2022-05", "2022-06")):
            observer.month(dt.date.fromisoformat(month + "-01"), index, 3)
            observer.stage(f"Reading {month}", 2)
            observer.advance("a")
            observer.advance("b")
    shown = capsys.readouterr().err
    assert "Months" in shown and "3/3 done" in shown
    assert "Reading 2022-06" in shown and "Reading 2022-04" not in shown.rsplit("Months", 1)[1]
