"""The SLA timer: on the scheduler leader, find conversations past a reminder mark or a
target and hand each to the core, which remind or escalate once.

`run_sla_timers` is one bounded pass; `SlaTimerLoop` repeats it every few seconds while this
instance leads (and does nothing while it follows).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.commands import ApplySlaTimer
from bot.domain.sla import SlaPolicy, SlaStage, WaitingPeriod, sla_state
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from storage.database import Database
from storage.sla_rows import waiting_conversations

logger = logging.getLogger(__name__)

BATCH = 200


@dataclass(frozen=True)
class SlaPass:
    examined: int = 0
    reminded: int = 0
    breached: int = 0


async def run_sla_timers(
    db: Database,
    bus: MessageBus,
    clock: Clock,
    policies: Mapping[str, SlaPolicy],
    *,
    limit: int = BATCH,
) -> SlaPass:
    """One pass over at most `limit` waiting conversations, oldest wait first."""
    if not policies:
        return SlaPass()
    now = clock.now()
    earliest_mark = min(policy.reminder_seconds for policy in policies.values())
    async with db.read_sessions() as session:
        rows = await waiting_conversations(
            session, list(policies), now - timedelta(seconds=earliest_mark), limit
        )
    reminded = breached = 0
    for row in rows:
        period = WaitingPeriod(row.message_id, row.since, first=not row.answered_before)
        stage = sla_state(period, policies[row.store_id], now).stage
        if stage == SlaStage.OK or (stage == SlaStage.REMINDER and row.reminded):
            continue
        try:
            done = await bus.handle(ApplySlaTimer(row.conversation_id))
        except Exception:
            logger.exception("SLA timer failed on conversation %s", row.conversation_id)
            continue
        reminded += done == SlaStage.REMINDER
        breached += done == SlaStage.BREACHED
    return SlaPass(len(rows), reminded, breached)


class SlaTimerLoop:
    """Runs the timer while `is_leader()` says this instance leads the scheduler."""

    def __init__(
        self,
        is_leader: Callable[[], bool],
        db: Database,
        bus: MessageBus,
        clock: Clock,
        policies: Mapping[str, SlaPolicy],
        *,
        interval_seconds: float = 5.0,
    ) -> None:
        self._is_leader = is_leader
        self._db = db
        self._bus = bus
        self._clock = clock
        self._policies = dict(policies)
        self._interval = interval_seconds
        self.passes = 0  # passes run here, for operators and tests

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self._is_leader():
                try:
                    await run_sla_timers(self._db, self._bus, self._clock, self._policies)
                    self.passes += 1
                except Exception:
                    logger.exception("SLA timer pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._interval)
