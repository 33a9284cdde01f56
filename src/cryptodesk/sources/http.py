"""The base of HTTP sources: one httpx client, a rate limiter, retries and error translation.

Everything a JSON-over-HTTP source shares lives here so each provider module
only knows its own endpoints and shapes:

* one ``httpx.Client`` per source, with an injectable transport (tests replay a
  local server; nothing else changes);
* a per-source :class:`~cryptodesk.sources.ratelimit.TokenBucket`;
* retries of *temporary* failures only (429, 5xx, 408, timeouts, connection
  errors, truncated bodies) with exponential backoff and full jitter, honouring
  ``Retry-After``;
* httpx errors translated once, here, into
  :class:`~cryptodesk.core.errors.TemporarySourceError` /
  :class:`~cryptodesk.core.errors.PermanentSourceError` with ``raise ... from e``;
* API keys travel in headers and are scrubbed from every error message;
* small shape checks (:func:`require`, :func:`require_list`, :func:`number`) so
  schema drift fails loudly with the field named and nothing from that page is
  returned.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from cryptodesk.core.errors import PermanentSourceError, SourceError, TemporarySourceError
from cryptodesk.sources.ratelimit import TokenBucket

TEMPORARY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry temporary failures."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 120.0
    """A server asking to wait longer than this fails the request instead of stalling the run."""

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential with full jitter."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return rng.uniform(ceiling / 2, ceiling)


class HttpSource:
    """A JSON-over-HTTP source. Subclasses set ``name`` and call :meth:`get_json`."""

    name = "http"

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        rate_per_minute: float = 30.0,
        burst: int = 1,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._secrets = tuple(s for s in secrets if s)
        self.retry = retry or RetryPolicy()
        self.limiter = TokenBucket(rate_per_minute, burst=burst, clock=timer, sleep=sleep)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.client = httpx.Client(
            base_url=self.base_url,
            headers={"accept": "application/json", "user-agent": "cryptodesk", **(headers or {})},
            timeout=timeout,
            transport=transport,
        )
        self.attempts = 0
        """Requests sent so far (tests check retries with it)."""

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the underlying connection pool."""
        self.client.close()

    def __enter__(self) -> HttpSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, *, what: str | None = None) -> Any:
        """GET ``path`` and return the decoded JSON body, retrying temporary failures.

        ``what`` names the request in error messages (defaults to the path).
        """
        label = f"{self.name} {what or path}"
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._once(path, params, label)
            except TemporarySourceError as e:
                if attempt >= self.retry.max_attempts:
                    raise TemporarySourceError(
                        f"{e} (gave up after {attempt} attempts)", retry_after=e.retry_after
                    ) from e
                delay = self.retry.backoff(attempt, self._rng)
                if e.retry_after is not None:
                    if e.retry_after > self.retry.max_retry_after:
                        raise
                    delay = max(delay, e.retry_after)
                self._sleep(delay)

    def _once(self, path: str, params: Mapping[str, Any] | None, label: str) -> Any:
        """One rate-limited request; httpx and JSON errors are translated here and only here."""
        self.limiter.acquire()
        self.attempts += 1
        try:
            response = self.client.get(path, params=dict(params or {}))
            body = response.content
        except httpx.TimeoutException as e:
            raise TemporarySourceError(self._scrub(f"{label}: timed out ({type(e).__name__})")) from e
        except httpx.TransportError as e:
            raise TemporarySourceError(self._scrub(f"{label}: connection failed ({type(e).__name__}: {e})")) from e
        except httpx.HTTPError as e:
            raise PermanentSourceError(self._scrub(f"{label}: request failed ({type(e).__name__}: {e})")) from e
        if response.status_code >= 400:
            raise self._status_error(response, label)
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise TemporarySourceError(
                self._scrub(f"{label}: invalid or truncated JSON ({len(body)} bytes: {e}); nothing from it was used")
            ) from e

    def _status_error(self, response: httpx.Response, label: str) -> SourceError:
        """The error for an HTTP status >= 400 (subclasses refine with :meth:`explain_error`)."""
        status = response.status_code
        detail = _short_body(response)
        if status in TEMPORARY_STATUS:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            message = self._scrub(f"{label}: HTTP {status} {detail}".rstrip())
            return TemporarySourceError(message, retry_after=retry_after)
        special = self.explain_error(response, label)
        if special is not None:
            return special
        hint = "Check the API key setting." if status in (401, 403) else None
        return PermanentSourceError(self._scrub(f"{label}: HTTP {status} {detail}".rstrip()), hint=hint)

    def explain_error(self, response: httpx.Response, label: str) -> SourceError | None:  # noqa: ARG002
        """A provider-specific error for a non-temporary status, or None for the generic one."""
        return None

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


# ---------------------------------------------------------------------- helpers


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _short_body(response: httpx.Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "")


def require(obj: Any, name: str, where: str) -> Any:
    """``obj[name]`` or a PermanentSourceError naming the missing field (schema drift)."""
    if not isinstance(obj, dict):
        raise PermanentSourceError(f"{where}: expected a JSON object, got {type(obj).__name__} (schema changed?)")
    if name not in obj:
        raise PermanentSourceError(f"{where}: missing field {name!r} (schema changed?)")
    return obj[name]


def require_list(obj: Any, where: str) -> list[Any]:
    """``obj`` if it is a JSON array, else a PermanentSourceError."""
    if not isinstance(obj, list):
        raise PermanentSourceError(f"{where}: expected a JSON array, got {type(obj).__name__} (schema changed?)")
    return obj


def number(value: Any, name: str, where: str, *, nullable: bool = True) -> float | None:
    """A JSON number (or numeric string) as float; None when null and ``nullable``."""
    if value is None:
        if nullable:
            return None
        raise PermanentSourceError(f"{where}: field {name!r} is null, expected a number")
    if isinstance(value, bool):
        raise PermanentSourceError(f"{where}: field {name!r} is a boolean, expected a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise PermanentSourceError(f"{where}: field {name!r} = {value!r} is not a number (schema changed?)")
