"""Workspace mirrors sync one conversation at a time, however many rows wake at once."""

from __future__ import annotations

import asyncio

from bot.workspaces.thread_sync import KeyedLocks, Timeline


async def test_a_caller_arriving_as_the_lock_passes_on_still_waits_its_turn():
    """A holds, B waits; C arrives just as A lets go. Neither B nor C may run beside another."""
    locks = KeyedLocks()
    inside = 0
    most = 0
    late: list[asyncio.Task[None]] = []

    async def work() -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        if not late:  # the first holder: a third caller shows up right as it finishes
            late.append(asyncio.create_task(locks.run("conversation-1", work)))
        inside -= 1

    await asyncio.gather(*(locks.run("conversation-1", work) for _ in range(2)))
    await asyncio.gather(*late)
    assert most == 1
    assert len(locks) == 0


async def test_different_keys_run_side_by_side():
    locks = KeyedLocks()
    both_inside = asyncio.Event()
    entered: set[str] = set()

    def work_for(key: str):
        async def work() -> None:
            entered.add(key)
            if len(entered) == 2:
                both_inside.set()
            await asyncio.wait_for(both_inside.wait(), timeout=5)

        return work

    await asyncio.gather(locks.run("a", work_for("a")), locks.run("b", work_for("b")))
    assert entered == {"a", "b"}


def test_a_timeline_orders_by_time_then_messages_drafts_events():
    timeline: Timeline[str] = Timeline()
    timeline.add("2026-11-23T10:00:01", 2, "event")
    timeline.add("2026-11-23T10:00:01", 0, "message")
    timeline.add("2026-11-23T10:00:00", 1, "earlier draft")
    timeline.add("2026-11-23T10:00:01", 1, "draft")
    assert timeline.items() == ["earlier draft", "message", "draft", "event"]
