"""Outbound pacing: per-target token buckets, and exponential backoff with bounded jitter."""

from __future__ import annotations

import random

import pytest

from bot.services.rate_limit import RateLimiter
from bot.services.retry_policy import RetryPolicy


class FakeMonotonic:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


def test_a_full_bucket_allows_a_burst_then_asks_to_wait(clock):
    limiter = RateLimiter(rate_per_second=2.0, burst=3, monotonic=clock)
    assert [limiter.try_acquire("account:a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.try_acquire("account:a") == pytest.approx(0.5)


def test_wait_time_shrinks_as_time_passes(clock):
    limiter = RateLimiter(rate_per_second=1.0, burst=1, monotonic=clock)
    assert limiter.try_acquire("t") == 0.0
    assert limiter.try_acquire("t") == pytest.approx(1.0)
    clock.advance(0.25)
    assert limiter.try_acquire("t") == pytest.approx(0.75)
    clock.advance(0.75)
    assert limiter.try_acquire("t") == 0.0


def test_refused_attempts_do_not_use_up_tokens(clock):
    limiter = RateLimiter(rate_per_second=1.0, burst=1, monotonic=clock)
    limiter.try_acquire("t")
    for _ in range(5):
        assert limiter.try_acquire("t") > 0
    clock.advance(1.0)
    assert limiter.try_acquire("t") == 0.0


def test_tokens_refill_at_the_rate_but_never_beyond_the_burst(clock):
    limiter = RateLimiter(rate_per_second=4.0, burst=2, monotonic=clock)
    limiter.try_acquire("t")
    limiter.try_acquire("t")
    clock.advance(0.25)  # one token back
    assert limiter.try_acquire("t") == 0.0
    assert limiter.try_acquire("t") > 0
    clock.advance(3600)  # idle for an hour: still only a burst of 2
    assert limiter.try_acquire("t") == 0.0
    assert limiter.try_acquire("t") == 0.0
    assert limiter.try_acquire("t") > 0


def test_each_target_has_its_own_bucket(clock):
    limiter = RateLimiter(rate_per_second=1.0, burst=1, monotonic=clock)
    assert limiter.try_acquire("account:a") == 0.0
    assert limiter.try_acquire("account:a") > 0
    assert limiter.try_acquire("account:b") == 0.0
    assert limiter.try_acquire("account:b") > 0


def test_forgetting_targets_at_the_cap_only_ever_gives_full_buckets(clock):
    limiter = RateLimiter(rate_per_second=1.0, burst=1, monotonic=clock, max_targets=2)
    limiter.try_acquire("a")
    limiter.try_acquire("b")
    assert limiter.try_acquire("c") == 0.0  # buckets were dropped, c starts full
    assert limiter.try_acquire("c") > 0


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_nonsense_limits_are_refused(rate, burst):
    with pytest.raises(ValueError, match="rate_per_second"):
        RateLimiter(rate_per_second=rate, burst=burst)


# --- retry policy -------------------------------------------------------------------------


class EdgeRandom(random.Random):
    """Returns one end of every uniform(a, b) range, to pin the jitter's bounds exactly."""

    def __init__(self, upper: bool) -> None:
        super().__init__(0)
        self.upper = upper

    def uniform(self, a: float, b: float) -> float:
        return b if self.upper else a


def test_delay_ceiling_doubles_per_attempt_until_the_cap():
    policy = RetryPolicy(base_seconds=2.0, cap_seconds=60.0)
    top = EdgeRandom(upper=True)
    assert [policy.delay(n, top) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_delay_floor_is_half_the_ceiling():
    policy = RetryPolicy(base_seconds=2.0, cap_seconds=60.0)
    bottom = EdgeRandom(upper=False)
    assert [policy.delay(n, bottom) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_attempt_zero_or_less_is_treated_as_the_first():
    policy = RetryPolicy(base_seconds=2.0, cap_seconds=60.0)
    top = EdgeRandom(upper=True)
    assert policy.delay(0, top) == policy.delay(-3, top) == policy.delay(1, top) == 2


@pytest.mark.parametrize("seed", range(5))
def test_jitter_stays_between_half_the_ceiling_and_the_ceiling(seed):
    policy = RetryPolicy(base_seconds=0.5, cap_seconds=30.0)
    rng = random.Random(seed)
    for attempt in range(1, 101):
        ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
        delay = policy.delay(attempt, rng)
        assert ceiling / 2 <= delay <= ceiling, (attempt, delay)


def test_jitter_spreads_retries_of_the_same_attempt():
    policy = RetryPolicy(base_seconds=2.0, cap_seconds=600.0)
    rng = random.Random(42)
    delays = {policy.delay(5, rng) for _ in range(50)}
    assert len(delays) == 50
    assert max(delays) - min(delays) > 4  # spread over a good part of [16, 32]


def test_same_seed_gives_the_same_delays():
    policy = RetryPolicy()
    first = [policy.delay(n, random.Random(7)) for n in range(1, 10)]
    second = [policy.delay(n, random.Random(7)) for n in range(1, 10)]
    assert first == second


def test_the_highest_configurable_attempt_count_is_capped_not_overflowing():
    # bot/config.py allows outbox.max_attempts up to 100.
    policy = RetryPolicy(base_seconds=2.0, cap_seconds=600.0)
    assert 300 <= policy.delay(100, random.Random(1)) <= 600
