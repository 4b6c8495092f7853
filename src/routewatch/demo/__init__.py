"""The bundled demo dataset: a small real sample that describes August 2016 (see PROVENANCE.md).

Role: list the files under ``data/`` with what they are — kind, series, the date each
describes — and the gaps the sample is known to have, so that
:func:`routewatch.pipeline.demo_inputs` can run the whole pipeline offline over them. The
pipeline, not this module, picks the snapshot of each series "closest before the data, never
from the future" (the 2017-04-13 ROA list is bundled to show that rule at work) and stamps
the dates and gaps on the run.

Failure modes: none at import; a missing file (a broken install) is reported by
:func:`files_missing`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["DEMO_FILES", "DEMO_GAPS", "DEMO_MONTH", "DemoFile", "data_dir", "files_missing"]

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


def data_dir() -> Path:
    """The folder holding the bundled files."""
    return Path(str(resources.files("routewatch.demo") / "data"))


def files_missing() -> list[str]:
    """Names of bundled files that are not on disk (empty for a good install)."""
    folder = data_dir()
    return [f.name for f in DEMO_FILES if not (folder / f.name).is_file()]
