"""A month's tables are the same however detection is cut, batched or fed its files.

Real streams run through the whole month pipeline (lake → engine → scores → store): the
complete route-views.jinx RIB of 2014-05-30 22:00 with that collector's updates and a RIS
rrc06 update file of the same hour; the RIS series of 2021-01-01/02 (rrc04, rrc06, rrc12);
RIS rrc21 of 2016-08-11. Each month is stored whole (one bucket), cut into 8 buckets with
batches of 997 elems and its files listed in reverse order, and cut into 300 buckets with
batches of 20,000, and run on Apache Spark (``local[2]``; Arrow batches of 997 or 20,000
records, 1 or 8 shuffle partitions), and every table of the store is compared row for row:
findings (every column, lists included), incidents, announced pairs, per-ASN metrics, action
scores, area readiness and summaries, networks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from _data import shared_data
from _spark import spark_cut, spark_session_stopped
from _tables import assert_same_table
from routewatch.pipeline import Engine, LocalEngine, MonthInputs, MrtInput, RefFile, run_month
from routewatch.store import Store
from routewatch.store.migrations import DATA_TABLES

ROAS_2016 = shared_data("rpki/rcynic-scan_roas_roa_list_20160527.txt")
ROAS_2022 = shared_data("rpki/ripe-archive_afrinic-tal_roas_20220102.csv")
RELS = shared_data("asrel/toposcope_asrel_201801.txt")
JINX = "route-views.jinx"
#: each month once on Spark: Arrow records per batch, shuffle partitions, buckets
SPARK_CUTS = {"2014-05-jinx-rib": (997, 1, 8), "2021-01-series": (20_000, 8, 300),
              "2016-08-rrc21": (997, 8, 64)}
pytestmark = pytest.mark.usefixtures("spark_session_stopped")
__all__ = ["spark_session_stopped"]  # the module's fixture


def _series(folder: str, count: int) -> list[Path]:
    return sorted(shared_data(f"mrt/series/{folder}").glob("*.cache"))[:count]


def _mrt(path: Path, collector: str) -> MrtInput:
    return MrtInput(path, collector, "mrt")


MONTHS = {
    "2014-05-jinx-rib": MonthInputs(
        dt.date(2014, 5, 1),
        (_mrt(shared_data("mrt/routeviews/route-views.jinx_rib.20140530.2200.bz2"), JINX),
         _mrt(shared_data("mrt/routeviews/route-views.jinx_updates.20140530.2345.bz2"), JINX),
         _mrt(shared_data("mrt/ris/ris-rrc06_updates.20140530.2215.gz"), "rrc06")),
        (RefFile(ROAS_2016, "vrps", "rpki/rcynic", dt.date(2016, 5, 27)),
         RefFile(RELS, "as-relationships", "toposcope/as-rel", dt.date(2018, 1, 1))),
    ),
    "2021-01-series": MonthInputs(
        dt.date(2021, 1, 1),
        (*(_mrt(p, "rrc04") for p in _series("rrc04_20210101", 12)),
         *(_mrt(p, "rrc06") for p in _series("rrc06_20210102", 12)),
         *(_mrt(p, "rrc12") for p in _series("rrc12_20210101", 2))),
        (RefFile(ROAS_2022, "vrps", "rpki/afrinic", dt.date(2022, 1, 2)),
         RefFile(RELS, "as-relationships", "toposcope/as-rel", dt.date(2018, 1, 1))),
    ),
    "2016-08-rrc21": MonthInputs(
        dt.date(2016, 8, 1),
        (_mrt(shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz"), "rrc21"),),
        (RefFile(ROAS_2016, "vrps", "rpki/rcynic", dt.date(2016, 5, 27)),
         RefFile(RELS, "as-relationships", "toposcope/as-rel", dt.date(2018, 1, 1))),
    ),
}


def _tables(db: Path, month: dt.date) -> dict[str, pa.Table]:
    store = Store.open(db)
    out = {}
    for name in DATA_TABLES:
        table = store.table(name, month)
        keys = [f.name for f in table.schema if not pa.types.is_nested(f.type)]
        out[name] = table.sort_by([(k, "ascending") for k in keys])
    return out


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lake")


@pytest.mark.parametrize("name", sorted(MONTHS))
def test_month_tables_are_the_same_however_cut(name: str, lake: Path, tmp_path: Path) -> None:
    inputs = MONTHS[name]
    whole_db = tmp_path / "whole.duckdb"
    run_month(inputs, whole_db, lake=lake, engine=LocalEngine(buckets=1))
    whole = _tables(whole_db, inputs.month)
    assert whole["findings"].num_rows > 0 and whole["announced_pairs"].num_rows > 1000
    reversed_inputs = MonthInputs(inputs.month, inputs.mrt[::-1], inputs.references[::-1])
    cuts: dict[str, tuple[MonthInputs, Engine]] = {
        "8 buckets, batches of 997, files in reverse order":
            (reversed_inputs, LocalEngine(buckets=8, batch_rows=997)),
        "300 buckets, batches of 20,000": (inputs, LocalEngine(buckets=300, batch_rows=20_000)),
    }
    what, spark = spark_cut(*SPARK_CUTS[name])
    cuts[what] = (inputs, spark)
    for i, (what, (month_inputs, engine)) in enumerate(cuts.items()):
        db = tmp_path / f"cut{i}.duckdb"
        run_month(month_inputs, db, lake=lake, engine=engine)
        for table, rows in _tables(db, inputs.month).items():
            if "run_id" in rows.column_names:  # every run has its own id
                rows = rows.drop_columns(["run_id"])
                expected = whole[table].drop_columns(["run_id"])
            else:
                expected = whole[table]
            assert_same_table(expected, rows, f"{name}: {table} ({what})")
