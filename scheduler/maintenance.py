"""Periodic maintenance the scheduler's leader runs (knowledge expiry, and later SLA timers
and data retention): each job every so many seconds, on the leader only, never overlapping.

A job must be idempotent: after a leader change the new leader runs it again at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ports import Clock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MaintenanceJob:
    name: str
    every_seconds: float
    run: Callable[[], Awaitable[object]]
    timeout_seconds: float = 300.0


class MaintenanceRunner:
    """Runs the jobs whose interval has passed since their last run (by the app's clock)."""

    def __init__(self, jobs: Sequence[MaintenanceJob], clock: Clock) -> None:
        self._jobs = list(jobs)
        self._clock = clock
        self._last: dict[str, datetime] = {}

    @property
    def names(self) -> list[str]:
        return [job.name for job in self._jobs]

    def forget(self) -> None:
        """On losing leadership: the next time this instance leads, every job runs at once."""
        self._last = {}

    async def run_due(self) -> list[str]:
        ran = []
        for job in self._jobs:
            now = self._clock.now()
            last = self._last.get(job.name)
            if last is not None and now - last < timedelta(seconds=job.every_seconds):
                continue
            self._last[job.name] = now
            try:
                await asyncio.wait_for(job.run(), timeout=job.timeout_seconds)
                ran.append(job.name)
            except Exception:  # TimeoutError included: one job failing never stops the others
                logger.exception("maintenance job %s failed", job.name)
        return ran
