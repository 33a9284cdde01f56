"""A token-bucket rate limiter shared by the requests of one network source.

Each source owns one bucket sized to its plan (CoinGecko keyless ~5/min, Demo
30/min, Pro 500/min; CoinGlass by plan). ``acquire`` blocks until a token is
free; the clock and the sleep function are injectable so tests run instantly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cryptodesk.core.errors import ConfigError


class TokenBucket:
    """Allow ``rate_per_minute`` requests per minute with bursts of up to ``burst``."""

    def __init__(
        self,
        rate_per_minute: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_minute <= 0:
            raise ConfigError(f"rate limit must be > 0 requests/minute, got {rate_per_minute}", parameter="rate")
        if burst < 1:
            raise ConfigError(f"rate limit burst must be >= 1, got {burst}", parameter="burst")
        self.rate_per_second = rate_per_minute / 60.0
        self.capacity = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0
        """Total seconds spent waiting for tokens (for tests and diagnostics)."""

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate_per_second)

    def reserve(self) -> float:
        """Take one token and return how many seconds the caller must wait before using it."""
        with self._lock:
            self._refill()
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate_per_second

    def acquire(self) -> None:
        """Block until a token is available."""
        wait = self.reserve()
        if wait > 0:
            self.waited += wait
            self._sleep(wait)
