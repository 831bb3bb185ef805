"""Per-target token buckets: no single customer channel or workspace gets flooded."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        rate_per_second: float,
        burst: int,
        monotonic: Callable[[], float] = time.monotonic,
        max_targets: int = 100_000,
    ) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("rate_per_second must be > 0 and burst >= 1")
        self._rate = rate_per_second
        self._burst = float(burst)
        self._monotonic = monotonic
        self._buckets: dict[str, _Bucket] = {}
        self._max_targets = max_targets

    def try_acquire(self, target: str) -> float:
        """Take a token: 0.0 when allowed, else the seconds to wait before trying again."""
        now = self._monotonic()
        bucket = self._buckets.get(target)
        if bucket is None:
            if len(self._buckets) >= self._max_targets:
                self._buckets.clear()  # full buckets are the default state anyway
            bucket = self._buckets[target] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate
