"""routewatch: an open routing-security observatory.

Data flow (one way, stage by stage; see ARCHITECTURE.md)::

    sources  ->  ingest  ->  reference  ->  detect  ->  metrics  ->  store  ->  web / cli
    (fetch,      (MRT bytes   (VRPs, IRR,    (findings,   (scores,     (DuckDB,    (read only)
     cache)       to Arrow)    bogons, rels)  incidents)   bands)       Parquet)

Stages hand each other Arrow tables whose schemas live in :mod:`routewatch.schemas`.
Only :mod:`routewatch.sources` does network I/O; detectors never read the clock.
Errors form one tree rooted at :class:`routewatch.errors.RoutewatchError`.
"""

from routewatch.errors import RoutewatchError

__all__ = ["RoutewatchError", "__version__"]

__version__ = "0.1.0"
