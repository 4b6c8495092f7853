"""One registry of every setting routewatch has.

Each :class:`Setting` has a name (equal to its CLI flag without dashes and to its TOML key),
a default, a help text and an environment variable. ``routewatch config show`` prints the
effective values and where each came from. Stages read settings through :func:`get`; they
never read the environment themselves.

Failure modes: an unknown key in a TOML file or an unparsable value raises
:class:`routewatch.errors.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from routewatch.errors import ConfigError

__all__ = ["SETTINGS", "Setting", "effective", "get", "load_toml"]


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name, default, meaning and environment variable."""

    name: str
    default: str | int | float | bool
    help: str
    parse: Callable[[str], str | int | float | bool] = str

    @property
    def env(self) -> str:
        """The environment variable that overrides the default."""
        return "ROUTEWATCH_" + self.name.upper().replace("-", "_")


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true/false, got {text!r}")


_ALL: tuple[Setting, ...] = (
    Setting(
        "cache-dir",
        str(Path.home() / ".cache" / "routewatch"),
        "Folder of the content-addressed download cache and its manifest.",
    ),
    Setting("lake", "lake", "Folder of the Parquet lake written by 'routewatch ingest'."),
    Setting("db", "routewatch.duckdb", "Path of the embedded DuckDB store."),
    Setting("batch-size", 65536, "Elems per Arrow record batch when reading MRT.", int),
    Setting(
        "max-document-bytes",
        1 << 30,
        "Largest decompressed reference file read whole into memory (JSON documents: "
        "PeeringDB, validator VRPs, Spoofer pages); a larger one is refused as a possible "
        "decompression bomb.",
        int,
    ),
    Setting(
        "max-mrt-bytes",
        64 << 30,
        "Largest decompressed size of one MRT file; the rest of a larger one is skipped with "
        "a decompression-error problem, so a decompression bomb costs bounded time.",
        int,
    ),
    Setting("http-timeout", 60.0, "Seconds before an HTTP request is abandoned.", float),
    Setting("http-retries", 4, "Attempts per download before giving up.", int),
    Setting(
        "http-backoff",
        1.0,
        "Seconds before the first retry; doubles on each further attempt (capped at 60).",
        float,
    ),
    Setting(
        "mirror",
        "",
        "Base URL of a mirror laid out as <host>/<path> (like 'wget -m'); empty: publishers.",
    ),
    Setting(
        "source-urls",
        "",
        "Per-source base URLs, 'name=url,name=url' (e.g. ris=https://m.example/ris); wins "
        "over mirror.",
    ),
    Setting("offline", False, "Use the cache only; never touch the network.", _bool),
    Setting(
        "detect-compact-spans",
        2_000_000,
        "Closed route spans a detection partition holds before it folds those no detector "
        "can mark (memory follows live routes; 0 keeps every span).",
        int,
    ),
    Setting(
        "relationships-max-gap-months",
        3,
        "A month is judged with the latest relationship snapshot dated at most this many "
        "calendar months before it; with none that close, relationships are inferred from "
        "the month's own paths (AS-Rank; docs/relationship-inference.md).",
        int,
    ),
    Setting(
        "detect-slack-seconds",
        300,
        "How far elems may be out of time order for detection's compaction to stay exact.",
        int,
    ),
    Setting(
        "buckets",
        4,
        "Prefix buckets local detection is cut into (1 = whole; the results are the same for "
        "every count; each bucket compacts its own spans, so a compaction's working memory is "
        "a bucket's share: 4 keeps a month's peak within 1.5x of a day's).",
        int,
    ),
    Setting(
        "engine",
        "local",
        "Where a run's detection and aggregations execute: 'local' (this machine) or 'spark' "
        "(Apache Spark; pip install 'routewatch[spark]').",
    ),
    Setting(
        "spark-master",
        "local[2]",
        "Spark master of the spark engine: local[N], spark://HOST:PORT, yarn or k8s://URL.",
    ),
    Setting(
        "spark-buckets",
        64,
        "Prefix buckets of the spark engine (one applyInArrow group each; same results for "
        "every count).",
        int,
    ),
    Setting(
        "spark-split-share",
        0.02,
        "Skew: a /8 (IPv6 /16) block holding more than this share of a run's elems is cut "
        "into 256 finer blocks for the spark engine's buckets (same results; 1 = never).",
        float,
    ),
    Setting(
        "spark-numba-cache",
        "",
        "NUMBA_CACHE_DIR of Spark executors, so they load compiled kernels instead of "
        "compiling per worker (empty: numba's default, next to the installed package).",
    ),
    Setting(
        "aggregate-memory",
        "1GB",
        "Memory DuckDB may use for a month's announced pairs and visibility before it spills "
        "to disk (a DuckDB size, e.g. 512MB or 4GB).",
    ),
)

SETTINGS: Mapping[str, Setting] = {s.name: s for s in _ALL}

_overrides: dict[str, tuple[str | int | float | bool, str]] = {}


def load_toml(path: Path) -> None:
    """Apply a TOML configuration file; unknown keys are an error naming file and key."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    for key, value in data.items():
        if key not in SETTINGS:
            known = ", ".join(sorted(SETTINGS))
            raise ConfigError(f"{path}: unknown setting {key!r}; known settings: {known}")
        _overrides[key] = (SETTINGS[key].parse(str(value)), f"file {path}")


def get(name: str) -> str | int | float | bool:
    """The effective value of a setting: TOML file, else environment, else default."""
    return effective(name)[0]


def effective(name: str) -> tuple[str | int | float | bool, str]:
    """The effective value of a setting and where it came from."""
    setting = SETTINGS[name]
    if name in _overrides:
        return _overrides[name]
    raw = os.environ.get(setting.env)
    if raw is not None:
        try:
            return setting.parse(raw), f"environment {setting.env}"
        except ValueError as exc:
            raise ConfigError(f"{setting.env}={raw!r}: {exc}") from exc
    return setting.default, "default"
