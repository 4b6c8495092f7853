"""The one exception tree of routewatch.

::

    RoutewatchError                 base; the CLI maps it to exit code 1
    ├── ConfigError                 bad setting, unknown TOML key, bad CLI value (exit 2)
    ├── InputError                  a file we were asked to read is unusable as a whole
    │   ├── UnsupportedFormatError  content matches no known format
    │   └── ImplausibleInputError   empty or implausibly small reference input
    ├── FetchError                  a download failed (HTTP error, timeout, checksum mismatch)
    │   └── OfflineError            --offline and the cache has no usable copy
    └── StoreError                  the embedded database refused an operation

Per-record problems inside a readable file are never raised: they are counted in the
stage's report (for example :class:`routewatch.ingest.report.IngestReport`).
Every message says what failed, where, and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "FetchError",
    "ImplausibleInputError",
    "InputError",
    "OfflineError",
    "RoutewatchError",
    "StoreError",
    "UnsupportedFormatError",
]


class RoutewatchError(Exception):
    """Base of every error routewatch raises on purpose."""


class ConfigError(RoutewatchError):
    """A setting, TOML key or command-line value is invalid."""


class InputError(RoutewatchError):
    """An input file cannot be used at all (not: some records are bad)."""


class UnsupportedFormatError(InputError):
    """The content of a file matches none of the formats routewatch reads."""


class ImplausibleInputError(InputError):
    """A reference input is empty or far smaller than any real snapshot of its kind."""


class FetchError(RoutewatchError):
    """A download failed; the last good snapshot in the cache is left untouched."""


class OfflineError(FetchError):
    """Offline mode was requested and the cache holds no usable copy."""


class StoreError(RoutewatchError):
    """The embedded store could not complete an operation."""
