"""Planning months from files on disk (routewatch.archives) and their coverage.

File NAMES and folder layouts here follow the real archives (RIS ``rrcNN/YYYY.MM/``,
RouteViews ``<collector>/bgpdata/YYYY.MM/UPDATES/``, the flat names of shared/data, BGPStream
cache names); the files planned in the unit tests are EMPTY placeholders created in a
temporary folder — planning reads names, never content. Reference files are real: small
files of tests/data/ref and shared/data, recognised by their content.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from _data import shared_data
from routewatch.archives import parse_mrt_arg, parse_ref_arg, plan_month, ref_date, scan
from routewatch.coverage import collector_minutes, inputs_digest
from routewatch.errors import ConfigError
from routewatch.ingest.names import mrt_name
from routewatch.pipeline import MrtInput

UTC = dt.UTC
REF = Path(__file__).parent / "data" / "ref"


@pytest.mark.parametrize(("path", "expected"), [
    ("ris/rrc00/2021.01/updates.20210101.0005.gz", ("rrc00", "updates", "2021-01-01 00:05", 5)),
    ("ris/rrc00/2021.01/bview.20210101.0000.gz", ("rrc00", "rib", "2021-01-01 00:00", 0)),
    ("rv/route-views.sydney/bgpdata/2022.06/UPDATES/updates.20220601.0230.bz2",
     ("route-views.sydney", "updates", "2022-06-01 02:30", 15)),
    ("rv/bgpdata/2021.01/RIBS/rib.20210101.0000.bz2", ("route-views2", "rib", "2021-01-01 00:00",
                                                       0)),
    ("route-views2/bgpdata/2021.01/UPDATES/updates.20210101.0000.bz2",
     ("route-views2", "updates", "2021-01-01 00:00", 15)),
    ("x/ris-rrc23_updates.20220421.0200.gz", ("rrc23", "updates", "2022-04-21 02:00", 5)),
    ("x/route-views2_rib.20140523.0600_firstMB.bz2", ("route-views2", "rib", "2014-05-23 06:00",
                                                      0)),
    ("x/route-views6_rib6.20151101.0600_firstMB.bz2", ("route-views6", "rib", "2015-11-01 06:00",
                                                       0)),
    ("x/ris.rrc06.updates.1609563900.300.cache", ("rrc06", "updates", "2021-01-02 05:05", 5)),
    ("x/routeviews.route-views.jinx.updates.1427846400.bz2",
     ("route-views.jinx", "updates", "2015-04-01 00:00", 15)),
])
def test_names_and_layouts(path: str, expected: tuple[str, str, str, int]) -> None:
    found = mrt_name(Path(path))
    assert found is not None
    collector, kind, start, minutes = expected
    assert (found.collector, found.kind) == (collector, kind)
    assert found.start == dt.datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert found.span == dt.timedelta(minutes=minutes)


def test_names_that_say_nothing() -> None:
    assert mrt_name(Path("notes/updates.20210101.0000.gz")) is None  # no collector folder
    assert mrt_name(Path("x/README.md")) is None
    assert mrt_name(Path("notes/updates.20210101.0000.gz"), "rrc00") is not None


def test_reference_dates_from_names() -> None:
    assert ref_date("rcynic-scan_roas_roa_list_20160527.txt") == dt.date(2016, 5, 27)
    assert ref_date("rcynic-scan_roas_2017-04-13T170202Z.txt") == dt.date(2017, 4, 13)
    assert ref_date("toposcope_asrel_201801.txt") == dt.date(2018, 1, 1)
    assert ref_date("ripe-nonauth.db.route.gz") is None


def touch(root: Path, relative: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def test_month_plan_takes_the_baseline_and_the_rib_before_it(tmp_path: Path) -> None:
    archive = tmp_path / "ris"
    for name in ("2021.01/bview.20210101.0000.gz", "2021.01/bview.20210125.0000.gz",
                 "2021.01/bview.20210125.0800.gz", "2021.01/updates.20210124.2355.gz",
                 "2021.01/updates.20210125.0000.gz", "2021.01/updates.20210131.2355.gz",
                 "2021.02/updates.20210201.0000.gz", "2021.02/updates.20210228.2355.gz",
                 "2021.03/updates.20210301.0000.gz"):
        touch(archive, f"rrc00/{name}")
    touch(archive, "route-views2/bgpdata/2021.03/UPDATES/updates.20210301.0000.bz2")
    touch(archive, "rrc00/README.txt")
    found = scan([archive])
    assert [p.name for p in found.ignored] == ["README.txt"]
    inputs = plan_month(dt.date(2021, 2, 1), found, baseline_days=7)
    assert [(m.kind, m.path.name) for m in inputs.mrt] == [
        ("rib", "bview.20210125.0000.gz"),  # the latest at or before 2021-01-25 00:00
        ("updates", "updates.20210125.0000.gz"),  # the baseline starts here
        ("updates", "updates.20210131.2355.gz"),
        ("updates", "updates.20210201.0000.gz"),
        ("updates", "updates.20210228.2355.gz"),
    ]
    assert inputs.gaps == (f"bgp (route-views2): no update file for 2021-02 (or its baseline) "
                           f"in {archive}",)
    assert collector_minutes(inputs.mrt, inputs.month) == {"rrc00": 10.0}
    march = plan_month(dt.date(2021, 3, 1), found, baseline_days=0)
    assert collector_minutes(march.mrt, march.month) == {"route-views2": 15.0, "rrc00": 5.0}


def test_minutes_are_a_union_clipped_to_the_month() -> None:
    def updates(collector: str, name: str) -> MrtInput:
        return MrtInput(Path(name), collector, "updates", None)

    mrt = [updates("rrc00", "updates.20210131.2355.gz"),  # baseline: not in the month
           updates("rrc00", "updates.20210201.0000.gz"),
           updates("rrc00", "updates.20210201.0000.gz"),  # the same file twice counts once
           updates("route-views2", "updates.20210228.2350.bz2")]  # 10 of its 15 minutes
    assert collector_minutes(mrt, dt.date(2021, 2, 1)) == {"route-views2": 10.0, "rrc00": 5.0}


def test_references_by_content_series_by_folder_date_by_name(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    (refs / "afrinic").mkdir(parents=True)
    roas = shared_data("rpki/ripe-archive_afrinic-tal_roas_20220102.csv")
    (refs / "afrinic" / roas.name).symlink_to(roas)
    participants = REF / "manrs" / "manrs-participants.invented.csv"
    (refs / "manrs-participants_2025-01-07.csv").symlink_to(participants)
    (refs / "notes.txt").write_text("not a reference file\n")
    found = scan(references=[refs])
    got = {(r.kind, r.series, r.as_of) for r in found.references}
    assert got == {("vrps", "afrinic", dt.date(2022, 1, 2)),
                   ("manrs-participants", "manrs-participants", dt.date(2025, 1, 7))}
    assert [p.name for p in found.ignored] == ["notes.txt"]


def test_explicit_files_and_their_errors(tmp_path: Path) -> None:
    plain = touch(tmp_path, "capture.mrt")
    with pytest.raises(ConfigError, match=r"cannot tell the collector and time of capture\.mrt"):
        parse_mrt_arg(str(plain))
    named = touch(tmp_path, "updates.20220421.0200.gz")
    path, name = parse_mrt_arg(f"rrc23={named}")
    assert (path, name.collector, name.kind) == (named, "rrc23", "updates")
    with pytest.raises(ConfigError, match="no such file"):
        parse_mrt_arg(str(tmp_path / "missing.gz"))
    participants = REF / "manrs" / "manrs-participants.invented.csv"
    assert parse_ref_arg(f"manrs-participants@2025-03-04={participants}") == (
        participants, "manrs-participants", dt.date(2025, 3, 4))
    with pytest.raises(ConfigError, match="'2025-13-01' is not a date"):
        parse_ref_arg(f"@2025-13-01={participants}")
    with pytest.raises(ConfigError, match="unknown kind"):
        scan(ref_files=[f"roas={participants}"])
    with pytest.raises(ConfigError, match=r"no reference format reads notes\.txt"):
        scan(ref_files=[str(touch(tmp_path, "notes.txt"))])
    with pytest.raises(ConfigError, match="no such folder"):
        scan([tmp_path / "nowhere"])


def test_digest_follows_the_files(tmp_path: Path) -> None:
    archive = tmp_path / "ris"
    update = touch(archive, "rrc00/2021.02/updates.20210201.0000.gz")
    found = scan([archive])
    first = inputs_digest(plan_month(dt.date(2021, 2, 1), found, 0))
    assert inputs_digest(plan_month(dt.date(2021, 2, 1), scan([archive]), 0)) == first
    update.write_bytes(b"changed")
    assert inputs_digest(plan_month(dt.date(2021, 2, 1), found, 0)) != first
