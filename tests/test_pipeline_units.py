"""Pipeline units: snapshot choice ("closest before, never from the future"), the bundled
demo inputs and how fetched files map to reference kinds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from routewatch.metrics import Window
from routewatch.pipeline import RefFile, choose_references, demo_inputs

AUG = Window.of("2016-08")


def ref(name: str, kind: str, series: str, day: str | None) -> RefFile:
    return RefFile(Path(name), kind, series, dt.date.fromisoformat(day) if day else None)


def test_latest_snapshot_on_or_before_the_month_wins_over_later_ones() -> None:
    files = [ref("a", "vrps", "rpki/x", "2016-05-27"), ref("b", "vrps", "rpki/x", "2016-07-31"),
             ref("c", "vrps", "rpki/x", "2016-08-15"), ref("d", "vrps", "rpki/x", "2017-04-13")]
    chosen, dates, gaps = choose_references(files, AUG)
    assert [f.path.name for f in chosen["vrps"]] == ["b"]
    assert dates == {"rpki/x": dt.date(2016, 7, 31)}
    assert gaps == []


def test_old_and_future_snapshots_are_stamped_as_gaps() -> None:
    files = [ref("old", "vrps", "rpki/x", "2016-05-27"),
             ref("new", "as-relationships", "caida", "2018-01-01")]
    chosen, _, gaps = choose_references(files, AUG)
    assert chosen["as-relationships"][0].path.name == "new"  # nothing earlier exists
    assert gaps == [
        "as-relationships (caida): snapshot of 2018-01-01, 488 days after the month (no "
        "earlier snapshot available)",
        "vrps (rpki/x): snapshot of 2016-05-27, 66 days before the month",
    ]


def test_files_of_one_snapshot_are_chosen_together_and_series_apart() -> None:
    files = [ref("route", "irr-routes", "irr/ripe", "2016-07-01"),
             ref("route6", "irr-routes", "irr/ripe", "2016-07-01"),
             ref("radb", "irr-routes", "irr/radb", "2016-08-01"),
             ref("undated", "peeringdb", "pdb", None)]
    chosen, dates, gaps = choose_references(files, AUG)
    assert sorted(f.path.name for f in chosen["irr-routes"]) == ["radb", "route", "route6"]
    assert dates == {"irr/radb": dt.date(2016, 8, 1), "irr/ripe": dt.date(2016, 7, 1)}
    assert gaps == ["peeringdb (pdb): snapshot date unknown"]


def test_demo_inputs_are_complete_and_describe_august_2016() -> None:
    inputs = demo_inputs()
    assert inputs.month == dt.date(2016, 8, 1)
    assert [m.collector for m in inputs.mrt] == ["rrc21"]
    assert all(r.path.is_file() for r in inputs.references)
    chosen, dates, _ = choose_references(inputs.references, Window.of(inputs.month))
    assert [f.path.name for f in chosen["vrps"]] == ["rcynic-scan_roas_roa_list_20160527.txt.gz"]
    assert dates["rpki/rcynic"] == dt.date(2016, 5, 27)
    assert any("ARIN" in gap for gap in inputs.gaps)


def test_fetched_files_map_to_reference_kinds() -> None:
    from routewatch.pipeline.gather import _ref_kinds

    assert _ref_kinds("irr", "ripe", "ripe.db.route6.gz") == ("irr-routes",)
    assert _ref_kinds("irr", "ripe", "ripe.db.aut-num.gz") == ("irr-aut-nums",)
    assert _ref_kinds("irr", "ripe", "ripe.db.as-set.gz") == ()
    assert _ref_kinds("irr", "radb", "radb.db.gz") == ("irr-routes", "irr-aut-nums")
    assert _ref_kinds("caida", "as-rel", "20160801.as-rel2.txt.bz2") == ("as-relationships",)
    assert _ref_kinds("rpki", "apnic", "roas.csv.xz") == ("vrps",)
