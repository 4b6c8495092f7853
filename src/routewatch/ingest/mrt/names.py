"""The collector an MRT file comes from, as its name or folders say.

Role: :func:`collector_from_name` reads the collector from a file name
(``ris-rrc21_updates...`` -> ``rrc21``); :func:`collector_for` also looks at the folders
above (``rrc21/2016.08/updates...``), as RIPE RIS and RouteViews lay out their archives. Pure
string work, no I/O. Failure modes: none; a name that says nothing gives ``None``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["collector_for", "collector_from_name"]

_COLLECTOR_RE = re.compile(
    r"^(?:ris[-.])?(rrc\d\d|route-views[\w.-]*?)(?=[_.](?:updates|rib|bview|update)|$)"
)


def collector_from_name(path: str | os.PathLike[str]) -> str | None:
    """Collector name from a file name: ``ris-rrc21_updates...`` -> ``rrc21``.

    Also ``route-views2_rib...`` -> ``route-views2`` and ``ris.rrc04.updates...`` -> ``rrc04``;
    ``None`` when the name does not say.
    """
    name = Path(os.fspath(path)).name
    match = _COLLECTOR_RE.match(name)
    return match.group(1) if match else None


def collector_for(path: Path) -> str | None:
    """The collector a file's name or folders name: ``ris-rrc21_updates...`` or
    ``rrc21/2016.08/updates...`` give ``rrc21`` (as RIPE RIS and RouteViews lay out archives).
    """
    for part in (path, *path.parents[:4]):
        name = collector_from_name(part.name) if part.name else None
        if name is not None:
            return name
    return None
