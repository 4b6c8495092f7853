"""Plans are pure: source + window + collector -> URLs, cache keys, as-of. No server needed."""

from __future__ import annotations

import datetime as dt

import pytest

from routewatch import sources
from routewatch.errors import ConfigError
from routewatch.sources import SOURCES, Mirrors, Window, get_source
from routewatch.sources.base import floor_time

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_ris_window_gets_bview_at_or_before_and_update_files() -> None:
    plan = get_source("ris").plan(Window.parse("2016-08-11T16:00", "2016-08-11T16:10"), "rrc21")
    assert [(i.kind, i.url) for i in plan] == [
        ("rib", "https://data.ris.ripe.net/rrc21/2016.08/bview.20160811.1600.gz"),
        ("updates", "https://data.ris.ripe.net/rrc21/2016.08/updates.20160811.1600.gz"),
        ("updates", "https://data.ris.ripe.net/rrc21/2016.08/updates.20160811.1605.gz"),
    ]
    assert plan[1].key == "ris/rrc21/updates.20160811.1600.gz"
    assert plan[1].as_of == at("2016-08-11T16:00")
    assert plan[0].substitutable and not plan[1].substitutable


def test_ris_instant_mid_interval() -> None:
    plan = get_source("ris").plan(Window.parse("2016-08-11T15:07"), "rrc21")
    assert [i.filename for i in plan] == ["bview.20160811.0800.gz", "updates.20160811.1505.gz"]


def test_ris_whole_day() -> None:
    plan = get_source("ris").plan(Window.parse("2016-08-11"), "rrc21")
    assert [i.filename for i in plan if i.kind == "rib"] == [
        "bview.20160811.0000.gz", "bview.20160811.0800.gz", "bview.20160811.1600.gz"]
    updates = [i for i in plan if i.kind == "updates"]
    assert len(updates) == 288
    assert updates[-1].filename == "updates.20160811.2355.gz"


def test_routeviews_layout_and_route_views2_special_case() -> None:
    window = Window.parse("2016-11-01T00:00", "2016-11-01T00:30")
    wide = get_source("routeviews").plan(window, "route-views.wide")
    assert [i.url for i in wide] == [
        "http://archive.routeviews.org/route-views.wide/bgpdata/2016.11/RIBS/rib.20161101.0000.bz2",
        "http://archive.routeviews.org/route-views.wide/bgpdata/2016.11/UPDATES/updates.20161101.0000.bz2",
        "http://archive.routeviews.org/route-views.wide/bgpdata/2016.11/UPDATES/updates.20161101.0015.bz2",
    ]
    rv2 = get_source("routeviews").plan(Window.parse("2014-05-23T07:59"), kinds=["rib"])
    assert [i.url for i in rv2] == [
        "http://archive.routeviews.org/bgpdata/2014.05/RIBS/rib.20140523.0600.bz2"]


def test_rpki_archive_one_file_per_trust_anchor_and_day() -> None:
    plan = get_source("rpki").plan(Window.parse("2022-01-02"))
    assert plan[0].url == "https://ftp.ripe.net/rpki/afrinic.tal/2022/01/02/roas.csv.xz"
    assert [i.collector for i in plan] == ["afrinic", "apnic", "arin", "lacnic", "ripencc"]
    assert all(i.as_of == at("2022-01-02T00:00") for i in plan)


def test_rir_urls_of_all_five_registries_with_md5() -> None:
    plan = {i.collector: i for i in get_source("rir").plan(Window.parse("2023-03-23"))}
    assert plan["afrinic"].url == (
        "https://ftp.afrinic.net/pub/stats/afrinic/2023/delegated-afrinic-extended-20230323")
    assert plan["apnic"].url == (
        "https://ftp.apnic.net/stats/apnic/2023/delegated-apnic-extended-20230323.gz")
    assert plan["arin"].url == "https://ftp.arin.net/pub/stats/arin/delegated-arin-extended-20230323"
    assert plan["lacnic"].url == (
        "https://ftp.lacnic.net/pub/stats/lacnic/delegated-lacnic-extended-20230323")
    assert plan["ripencc"].url == (
        "https://ftp.ripe.net/pub/stats/ripencc/2023/delegated-ripencc-extended-20230323.bz2")
    assert plan["arin"].checksum_url == plan["arin"].url + ".md5"


def test_caida_release_at_or_before() -> None:
    rel = get_source("caida").plan(Window.parse("2016-08-11"), "as-rel")
    assert [i.url for i in rel] == [
        "https://publicdata.caida.org/datasets/as-relationships/serial-2/20160801.as-rel2.txt.bz2"]
    org = get_source("caida").plan(Window.parse("2016-08-11"), "as-org")
    assert org[0].filename == "20160701.as-org2info.txt.gz"
    span = get_source("caida").plan(Window.parse("2016-08-11", "2016-10-02"), "as-rel")
    assert [i.filename[:8] for i in span] == ["20160801", "20160901", "20161001"]


def test_current_only_sources_have_no_planned_as_of() -> None:
    for name in ("cymru", "iana", "irr", "manrs", "rpki-client"):
        source = get_source(name)
        assert not source.historical
        plan = source.plan(Window.parse("2024-03-10"))
        assert plan and all(i.as_of is None and not i.immutable for i in plan)


def test_spoofer_first_page_per_day() -> None:
    plan = get_source("spoofer").plan(Window.parse("2020-05-07", "2020-05-09"))
    assert [i.key for i in plan] == ["spoofer/sessions/2020-05-07/page-0001.json",
                                     "spoofer/sessions/2020-05-08/page-0001.json"]
    assert "timestamp%5Bafter%5D=2020-05-07" in plan[0].url


def test_every_source_plans_and_keys_are_unique() -> None:
    window = Window.parse("2021-01-01T04:55", "2021-01-01T05:10")
    for source in SOURCES.values():
        plan = source.plan(window)
        assert plan, source.name
        assert len({i.key for i in plan}) == len(plan), source.name
        assert all(i.key.startswith(source.name + "/") for i in plan)


def test_mirror_and_per_source_override() -> None:
    window = Window.parse("2016-08-11T16:00")
    mirrors = Mirrors.parse("http://127.0.0.1:9/m/", "rir=http://127.0.0.1:9/rir")
    ris = get_source("ris").plan(window, "rrc21", mirrors, kinds=["updates"])
    assert ris[0].url == "http://127.0.0.1:9/m/data.ris.ripe.net/rrc21/2016.08/updates.20160811.1600.gz"
    rir = get_source("rir").plan(window, "arin", mirrors)
    assert rir[0].url == "http://127.0.0.1:9/rir/delegated-arin-extended-20160811"
    assert rir[0].checksum_url == rir[0].url + ".md5"
    assert rir[0].key == "rir/arin/delegated-arin-extended-20160811"


def test_bad_inputs_name_the_fix() -> None:
    with pytest.raises(ConfigError, match="rrc00, rrc01"):
        get_source("ris").plan(Window.parse("2016-08-11"), "rrc99")
    with pytest.raises(ConfigError, match="known sources: routeviews, ris"):
        get_source("nope")
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        Window.parse("11/08/2016")
    with pytest.raises(ConfigError, match="before it starts"):
        Window.parse("2016-08-11", "2016-08-10")
    with pytest.raises(ConfigError, match="no kind"):
        get_source("ris").plan(Window.parse("2016-08-11"), "rrc21", kinds=["vrps"])
    with pytest.raises(ConfigError, match="name=url"):
        Mirrors.parse("", "ris")


def test_floor_time_and_public_plan_helper() -> None:
    assert floor_time(at("2016-08-11T23:59"), dt.timedelta(hours=8)) == at("2016-08-11T16:00")
    items = sources.plan("ris", "2016-08-11T16:02", "rrc21", kinds=["updates"])
    assert [i.filename for i in items] == ["updates.20160811.1600.gz"]


def test_public_surface() -> None:
    assert set(sources.__all__) <= set(dir(sources))
