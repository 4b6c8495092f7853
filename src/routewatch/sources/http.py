"""The one HTTP client of routewatch: timeouts, retries with backoff, conditional requests.

:class:`Downloader` streams a URL into a file the caller names (a temporary file in the
cache), hashing as it goes, and returns a :class:`Download` describing what arrived. It sends
``If-None-Match`` / ``If-Modified-Since`` when given the validators of the cached copy and
reports ``304 Not Modified`` without touching the file.

Failure modes, all raised as :class:`~routewatch.errors.FetchError` after the last attempt:

- retried: connection refused or reset, timeouts, HTTP 5xx / 408 / 429, a body shorter than
  its ``Content-Length`` or cut off mid-stream, an empty body;
- not retried: other HTTP 4xx (404: the publisher has no such file), an HTML page where a
  data file was expected (``Content-Type: text/html`` or a body that starts like HTML).

The transport is the seam for tests (``httpx.MockTransport``); the suite itself uses a real
server on 127.0.0.1. Backoff sleeps ``backoff * 2**(attempt - 1)`` seconds (``Retry-After``
when the server sends a short one), so tests pass ``backoff=0``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from routewatch import __version__
from routewatch.errors import FetchError

__all__ = ["Download", "Downloader", "HttpPolicy", "Progress", "Validators"]

#: called with (bytes received so far, expected total or None)
Progress = Callable[[int, int | None], None]

_CHUNK = 1 << 16
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retries; defaults come from the ``http-*`` settings."""

    timeout: float = 60.0
    retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 60.0
    user_agent: str = f"routewatch/{__version__}"


@dataclass(frozen=True)
class Validators:
    """What the cached copy of a URL was served with, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Download:
    """The outcome of a successful request: new content (hashed) or 304 Not Modified."""

    not_modified: bool
    size: int = 0
    sha256: str = ""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    attempts: int = 1


class _AttemptError(Exception):
    def __init__(self, reason: str, *, retry: bool, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.wait = wait


class Downloader:
    """Download files over HTTP(S) with the retry policy; use as a context manager."""

    def __init__(
        self,
        policy: HttpPolicy | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or HttpPolicy()
        self._sleep = sleep
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=True,
            headers={"User-Agent": self.policy.user_agent},
        )

    def __enter__(self) -> Downloader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def download(
        self,
        url: str,
        dest: Path,
        *,
        validators: Validators | None = None,
        progress: Progress | None = None,
    ) -> Download:
        """Stream ``url`` into ``dest`` (overwritten); retry per the policy; never partial.

        On failure ``dest`` may hold a partial body: the caller owns it and must discard it.
        """
        attempts = max(1, self.policy.retries)
        reasons: list[str] = []
        for attempt in range(1, attempts + 1):
            try:
                result = self._attempt(url, dest, validators, progress)
            except _AttemptError as failed:
                reasons.append(failed.reason)
                if not failed.retry or attempt == attempts:
                    break
                self._sleep(self._delay(attempt, failed.wait))
                continue
            return Download(result.not_modified, result.size, result.sha256, result.etag,
                            result.last_modified, result.content_type, attempt)
        raise FetchError(f"download of {url} failed after {len(reasons)} attempt(s): "
                         f"{reasons[-1]}.")

    def get_text(self, url: str, *, limit: int = 1 << 20) -> str | None:
        """A small text file (a published checksum), or None when the server has none (404)."""
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            raise FetchError(f"could not read {url}: {_describe(exc, self.policy)}") from exc
        if response.status_code in {404, 410}:
            return None
        if response.status_code != 200:
            raise FetchError(f"could not read {url}: HTTP {response.status_code}")
        return response.content[:limit].decode("utf-8", errors="replace")

    def _delay(self, attempt: int, wait: float | None) -> float:
        if wait is not None and wait <= self.policy.max_backoff:
            return wait
        return float(min(self.policy.backoff * 2 ** (attempt - 1), self.policy.max_backoff))

    def _attempt(
        self, url: str, dest: Path, validators: Validators | None, progress: Progress | None
    ) -> Download:
        headers = _conditional_headers(validators)
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                _check_status(response, bool(headers))
                if response.status_code == 304:
                    return Download(True, etag=response.headers.get("etag"),
                                    last_modified=response.headers.get("last-modified"))
                return _receive(response, dest, progress)
        except httpx.HTTPError as exc:
            raise _AttemptError(_describe(exc, self.policy), retry=True) from exc


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators is not None and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators is not None and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _check_status(response: httpx.Response, conditional: bool) -> None:
    status = response.status_code
    if status == 200 or (status == 304 and conditional):
        return
    if status in _RETRY_STATUS:
        raise _AttemptError(f"HTTP {status}", retry=True, wait=_retry_after(response))
    hint = " (the publisher has no such file: check the date and collector)" if status in {
        404, 410} else ""
    raise _AttemptError(f"HTTP {status}{hint}", retry=False)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _receive(response: httpx.Response, dest: Path, progress: Progress | None) -> Download:
    content_type = response.headers.get("content-type")
    if content_type and content_type.split(";")[0].strip().lower() in {"text/html",
                                                                        "application/xhtml+xml"}:
        raise _AttemptError(f"server sent an HTML page ({content_type}), not the data file",
                             retry=False)
    expected = _expected_length(response)
    digest = hashlib.sha256()
    size = 0
    with dest.open("wb") as handle:
        for chunk in response.iter_bytes(_CHUNK):
            if size == 0 and _looks_like_html(chunk):
                raise _AttemptError("server sent an HTML page, not the data file", retry=False)
            handle.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(size, expected)
    if size == 0:
        raise _AttemptError("server sent an empty body", retry=True)
    if expected is not None and size != expected:
        raise _AttemptError(f"truncated: got {size} of {expected} bytes", retry=True)
    return Download(False, size, digest.hexdigest(), response.headers.get("etag"),
                    response.headers.get("last-modified"), content_type)


def _expected_length(response: httpx.Response) -> int | None:
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return None  # Content-Length counts encoded bytes; the decoded size differs
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _looks_like_html(head: bytes) -> bool:
    start = head[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _describe(exc: httpx.HTTPError, policy: HttpPolicy) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {policy.timeout:g} s ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({exc})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection dropped mid-response, body truncated ({exc})"
    return f"{type(exc).__name__}: {exc}"
