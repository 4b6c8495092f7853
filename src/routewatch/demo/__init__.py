"""The bundled demo dataset: small real samples of several months (see PROVENANCE.md).

Role: list the files under ``data/`` with what they are — kind, series, the date each
describes — which of them each demo month reads (:data:`DEMO_MONTHS`), and the gaps each
month's sample is known to have, so that :func:`routewatch.months.demo_months` can run the
whole pipeline offline over them, month by month, into one store. The pipeline, not this
module, picks the snapshot of each series "closest before the data, never from the future"
(the 2017-04-13 ROA list is bundled to show that rule at work) and stamps the dates and gaps
on the run; every month's coverage (collectors, minutes of BGP data) is stored with it.

The months: 2016-08 (RIS rrc21, 5 minutes; the most complete set of reference snapshots),
2014-05 (RIS rrc06 and RouteViews route-views.jinx, 5 + 15 minutes), 2021-01 (RIS rrc06, one
hour), 2022-04 and 2022-05 (RIS rrc23, 5 minutes each: the only two comparable months),
2022-06 (RouteViews route-views.sydney, 15 minutes) and 2024-10 (RIS rrc01, 5 minutes).
:data:`DEMO_MONTH` and :data:`DEMO_FILES` are the 2016-08 month alone
(:func:`routewatch.pipeline.demo_inputs`).

Failure modes: none at import; a missing file (a broken install) is reported by
:func:`files_missing`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = [
    "ALL_FILES",
    "DEMO_FILES",
    "DEMO_GAPS",
    "DEMO_MONTH",
    "DEMO_MONTHS",
    "DemoFile",
    "DemoMonth",
    "data_dir",
    "files_missing",
]

#: The month the bundled BGP data describes.
DEMO_MONTH = dt.date(2016, 8, 1)


@dataclass(frozen=True)
class DemoFile:
    """One bundled file: its name under ``data/``, kind, series and the date it describes.

    ``kind`` is ``mrt`` or a :class:`routewatch.reference.base.RefKind` value; ``series``
    groups snapshots that stand in for each other (one RIR's delegations, one ROA feed).
    """

    name: str
    kind: str
    series: str
    as_of: dt.date
    collector: str = ""


DEMO_FILES: tuple[DemoFile, ...] = (
    DemoFile("ris-rrc21_updates.20160811.1600.gz", "mrt", "ris/rrc21/updates",
             dt.date(2016, 8, 11), "rrc21"),
    DemoFile("rcynic-scan_roas_roa_list_20160527.txt.gz", "vrps", "rpki/rcynic",
             dt.date(2016, 5, 27)),
    DemoFile("rcynic-scan_roas_2017-04-13T170202Z.txt.gz", "vrps", "rpki/rcynic",
             dt.date(2017, 4, 13)),
    DemoFile("toposcope_asrel_201801.txt.gz", "as-relationships", "toposcope/as-rel",
             dt.date(2018, 1, 1)),
    DemoFile("delegated-apnic-201701.gz", "delegations", "rir/apnic", dt.date(2016, 12, 13)),
    DemoFile("delegated-afrinic-20140630.gz", "delegations", "rir/afrinic",
             dt.date(2014, 6, 30)),
    DemoFile("delegated-lacnic-20140627.gz", "delegations", "rir/lacnic",
             dt.date(2014, 6, 27)),
    DemoFile("delegated-ripencc-20140630.gz", "delegations", "rir/ripencc",
             dt.date(2014, 6, 30)),
    DemoFile("ripe-nonauth.db.route.gz", "irr-routes", "irr/ripe-nonauth",
             dt.date(2023, 10, 10)),
    DemoFile("ripe-nonauth.db.route6.gz", "irr-routes", "irr/ripe-nonauth",
             dt.date(2023, 10, 10)),
    DemoFile("peeringdb-api_net.json.gz", "peeringdb", "peeringdb/api", dt.date(2021, 8, 24)),
    DemoFile("peeringdb-api_netixlan.json.gz", "peeringdb", "peeringdb/api",
             dt.date(2021, 8, 24)),
    DemoFile("sessions_as3356_2020-05.jsonl", "spoofer", "spoofer/sessions",
             dt.date(2020, 5, 13)),
)

#: Gaps of the sample that no file choice can close; stamped on every demo run.
DEMO_GAPS: tuple[str, ...] = (
    "bgp: one RIS rrc21 update file (2016-08-11 16:00-16:05 UTC, no RIB): five minutes of "
    "one collector, not a month; origins are never established by a RIB",
    "delegations: no ARIN file; AFRINIC, LACNIC and RIPE NCC from 2014-06, APNIC from 2016-12",
    "manrs-participants: no real MANRS participants list is available; the MANRS cohort is "
    "empty",
    "spoofer: the only sample (AS3356, 2020-05) is outside the month: Action 2 has no data",
    "peeringdb: a 10-network API sample of 2021 without contact (poc) records: Action 3 is "
    "0 for almost every network (not a real measurement)",
)


def _rrc06_2021(minute: int) -> DemoFile:
    epoch = 1609563900 + 300 * minute
    return DemoFile(f"ris.rrc06.updates.{epoch}.300.cache", "mrt", "ris/rrc06/updates",
                    dt.date(2021, 1, 2), "rrc06")


#: Files of the other months (the 2016-08 files are :data:`DEMO_FILES`).
MORE_FILES: tuple[DemoFile, ...] = (
    DemoFile("ris-rrc06_updates.20140530.2215.gz", "mrt", "ris/rrc06/updates",
             dt.date(2014, 5, 30), "rrc06"),
    DemoFile("route-views.jinx_updates.20140530.2345.bz2", "mrt", "routeviews/jinx/updates",
             dt.date(2014, 5, 30), "route-views.jinx"),
    *(_rrc06_2021(i) for i in range(12)),
    DemoFile("ris-rrc23_updates.20220421.0200.gz", "mrt", "ris/rrc23/updates",
             dt.date(2022, 4, 21), "rrc23"),
    DemoFile("ris-rrc23_updates.20220501.2305.gz", "mrt", "ris/rrc23/updates",
             dt.date(2022, 5, 1), "rrc23"),
    DemoFile("route-views.sydney_updates.20220601.0230.bz2", "mrt",
             "routeviews/sydney/updates", dt.date(2022, 6, 1), "route-views.sydney"),
    DemoFile("ris-rrc01_updates.20241001.0055.gz", "mrt", "ris/rrc01/updates",
             dt.date(2024, 10, 1), "rrc01"),
    DemoFile("ripe-archive_afrinic-tal_roas_20220102.csv.gz", "vrps", "rpki/ripe-archive-afrinic",
             dt.date(2022, 1, 2)),
    DemoFile("delegated-afrinic-extended-20210406.gz", "delegations", "rir/afrinic",
             dt.date(2021, 4, 6)),
    DemoFile("delegated-lacnic-extended-20210405.gz", "delegations", "rir/lacnic",
             dt.date(2021, 4, 5)),
    DemoFile("delegated-afrinic-extended-20240105.gz", "delegations", "rir/afrinic",
             dt.date(2024, 1, 5)),
    DemoFile("delegated-lacnic-extended-20230323.gz", "delegations", "rir/lacnic",
             dt.date(2023, 3, 23)),
)

#: Every bundled file.
ALL_FILES: tuple[DemoFile, ...] = (*DEMO_FILES, *MORE_FILES)


@dataclass(frozen=True)
class DemoMonth:
    """One demo month: the names of the files it reads and the gaps of its sample."""

    month: dt.date
    files: tuple[str, ...]
    gaps: tuple[str, ...]

    def demo_files(self) -> tuple[DemoFile, ...]:
        """The :class:`DemoFile` s of this month."""
        by_name = {f.name: f for f in ALL_FILES}
        return tuple(by_name[name] for name in self.files)


_COMMON = ("toposcope_asrel_201801.txt.gz", "delegated-apnic-201701.gz",
           "ripe-nonauth.db.route.gz", "ripe-nonauth.db.route6.gz",
           "peeringdb-api_net.json.gz", "peeringdb-api_netixlan.json.gz",
           "sessions_as3356_2020-05.jsonl")  # fmt: skip
_OLD_RIRS = ("delegated-afrinic-20140630.gz", "delegated-lacnic-20140627.gz",
             "delegated-ripencc-20140630.gz")
_RIRS_2021 = ("delegated-afrinic-extended-20210406.gz", "delegated-lacnic-extended-20210405.gz",
              "delegated-ripencc-20140630.gz")
_RIRS_2024 = ("delegated-afrinic-extended-20240105.gz", "delegated-lacnic-extended-20230323.gz",
              "delegated-ripencc-20140630.gz")
_MANRS_GAP = ("manrs-participants: no real MANRS participants list is available; the MANRS "
              "cohort is empty")
_PDB_GAP = ("peeringdb: a 10-network API sample of 2021 without contact (poc) records: "
            "Action 3 is 0 for almost every network (not a real measurement)")
_SAMPLE_GAP = ("bgp: {what}: minutes of data, not a month; origins are never established by "
               "a RIB")
_RIPE_GAP = ("delegations: RIPE NCC from 2014-06 and APNIC from 2016-12 only; no ARIN file: "
             "networks assigned since have no economy")

#: The demo months, oldest first, each with its files and the gaps of its sample.
DEMO_MONTHS: tuple[DemoMonth, ...] = (
    DemoMonth(dt.date(2014, 5, 1),
              ("ris-rrc06_updates.20140530.2215.gz", "route-views.jinx_updates.20140530.2345.bz2",
               *_OLD_RIRS, *_COMMON),
              (_SAMPLE_GAP.format(what="RIS rrc06 2014-05-30 22:15-22:20 and RouteViews "
                                       "route-views.jinx 23:45-24:00 UTC"),
               "vrps: no ROA snapshot of 2014 is available: RPKI verdicts are not given",
               _MANRS_GAP, _PDB_GAP)),
    DemoMonth(dt.date(2016, 8, 1), tuple(f.name for f in DEMO_FILES), DEMO_GAPS),
    DemoMonth(dt.date(2021, 1, 1),
              (*(_rrc06_2021(i).name for i in range(12)),
               "ripe-archive_afrinic-tal_roas_20220102.csv.gz", *_RIRS_2021, *_COMMON),
              (_SAMPLE_GAP.format(what="RIS rrc06 2021-01-02 05:05-06:05 UTC, one hour"),
               "vrps: only AFRINIC's ROAs, of 2022-01-02 (after the month)", _RIPE_GAP,
               _MANRS_GAP, _PDB_GAP)),
    *(DemoMonth(month, (mrt, "ripe-archive_afrinic-tal_roas_20220102.csv.gz", *_RIRS_2021,
                        *_COMMON),
                (_SAMPLE_GAP.format(what=what), "vrps: only AFRINIC's ROAs (2022-01-02)",
                 _RIPE_GAP, _MANRS_GAP, _PDB_GAP))
      for month, mrt, what in (
          (dt.date(2022, 4, 1), "ris-rrc23_updates.20220421.0200.gz",
           "RIS rrc23 2022-04-21 02:00-02:05 UTC"),
          (dt.date(2022, 5, 1), "ris-rrc23_updates.20220501.2305.gz",
           "RIS rrc23 2022-05-01 23:05-23:10 UTC"),
          (dt.date(2022, 6, 1), "route-views.sydney_updates.20220601.0230.bz2",
           "RouteViews route-views.sydney 2022-06-01 02:30-02:45 UTC"))),
    DemoMonth(dt.date(2024, 10, 1),
              ("ris-rrc01_updates.20241001.0055.gz",
               "ripe-archive_afrinic-tal_roas_20220102.csv.gz", *_RIRS_2024, *_COMMON),
              (_SAMPLE_GAP.format(what="RIS rrc01 2024-10-01 00:55-01:00 UTC"),
               "vrps: only AFRINIC's ROAs, of 2022-01-02 (33 months old)", _RIPE_GAP,
               _MANRS_GAP, _PDB_GAP)),
)


def data_dir() -> Path:
    """The folder holding the bundled files."""
    return Path(str(resources.files("routewatch.demo") / "data"))


def files_missing() -> list[str]:
    """Names of bundled files that are not on disk (empty for a good install)."""
    folder = data_dir()
    return [f.name for f in ALL_FILES if not (folder / f.name).is_file()]
