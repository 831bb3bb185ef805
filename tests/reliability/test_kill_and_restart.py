"""Kill test: instances die with SIGKILL under load; nothing is lost, nothing sent twice.

Two instances share one PostgreSQL, one runs alone on SQLite. A marketplace sends signed
webhooks (5 % delivered twice, retried on any error like a real sender), a lead approves
every draft through the console of whichever instance is up, and every few hundred messages
an instance is killed and restarted. Afterwards every inbound message is stored exactly once
and every approved reply reached the customer's callback; a resend after a kill may only
happen to this receiver because it deduplicates by `Idempotency-Key`, and is counted.

Each engine gets `STOREDESK_KILL_MESSAGES` messages (default 1,000: 2,000 in all across
the three instances; `make soak` sends 5,000 each, 10,000 in all).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from storage.database import Database, open_database
from storage.orm import drafts, inbound_receipts, messages
from tests.reliability.instances import Instance, Reviewer
from tests.support.config import settings_dict
from tests.support.fake_callback import FakeCallbackServer
from tests.support.webhook_client import signed_headers, webhook_body

MESSAGES = int(os.environ.get("STOREDESK_KILL_MESSAGES", "1000"))
KILL_EVERY = 300
DUPLICATE_SHARE = 0.05
SENDERS = 12
IN_FLIGHT = 3.0  # seconds a request sent just before a kill may take to be read here
QUESTION = "How long does shipping take to my address?"


@dataclass
class Tally:
    accepted: int = 0
    duplicates_sent: int = 0
    duplicate_answers: int = 0
    retries: int = 0
    kills: int = 0
    kill_times: list[float] = field(default_factory=list)
    approvals: int = 0
    approved: set[str] = field(default_factory=set)


def instance_config(tmp: Path, name: str, database_url: str, callback_url: str) -> dict[str, Any]:
    config = settings_dict(tmp / name, callback_url, database_url=database_url)
    config["outbox"] = {
        "base_backoff_seconds": 0.2,
        "max_backoff_seconds": 2.0,
        "max_attempts": 50,
        "rate_per_second": 1000.0,
        "burst": 1000,
        "lease_seconds": 5.0,
    }
    config["stores"] = config["stores"][:1]  # Northwind: the webhook store
    config["stores"][0]["members"] = {"sam": "lead"}
    return config


@pytest.fixture
async def receiver() -> AsyncIterator[FakeCallbackServer]:
    server = FakeCallbackServer()
    await server.start()
    yield server
    await server.stop()


async def deliver(
    http: aiohttp.ClientSession, instances: list[Instance], index: int, tally: Tally
) -> None:
    """Send one webhook like a marketplace: retry on any failure until it is accepted."""
    body = webhook_body(f"m-{index}", f"{QUESTION} (ref {index})", customer_id=f"c-{index}")
    for attempt in range(600):
        live = [i for i in instances if i.alive] or instances
        target = live[(index + attempt) % len(live)]
        try:
            async with http.post(
                f"{target.base_url}/hooks/nw-market",
                data=body,
                headers=signed_headers(body),
                timeout=aiohttp.ClientTimeout(total=20),
            ) as response:
                if response.status in (200, 202):
                    tally.accepted += 1
                    break
        except (aiohttp.ClientError, TimeoutError):
            pass
        tally.retries += 1
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"message {index} was never accepted")
    if random.random() < DUPLICATE_SHARE:  # the marketplace delivers it again, elsewhere
        tally.duplicates_sent += 1
        other = instances[(index + 1) % len(instances)]
        try:
            async with http.post(
                f"{other.base_url}/hooks/nw-market", data=body, headers=signed_headers(body)
            ) as response:
                if response.status == 200 and (await response.json())["status"] == "duplicate":
                    tally.duplicate_answers += 1
        except (aiohttp.ClientError, TimeoutError):
            pass


async def pending_draft_ids(db: Database) -> list[str]:
    async with db.read_sessions() as session:
        rows = await session.execute(
            select(drafts.c.id).where(drafts.c.status == "pending").limit(200)
        )
        return [row.id for row in rows]


async def approve_everything(
    db: Database, instances: list[Instance], reviewer: Reviewer, tally: Tally, done: asyncio.Event
) -> None:
    slots = asyncio.Semaphore(6)  # a few leads working at once

    async def approve(draft_id: str) -> None:
        live = [i for i in instances if i.alive]
        if not live:
            return
        async with slots:
            try:
                status = await reviewer.approve(random.choice(live), draft_id)
            except (aiohttp.ClientError, TimeoutError, AssertionError, KeyError, ValueError):
                return  # the instance died under us: the draft is still pending, try again
        if status in (200, 409):
            tally.approved.add(draft_id)
            tally.approvals += 1

    while not done.is_set():
        waiting = [d for d in await pending_draft_ids(db) if d not in tally.approved]
        await asyncio.gather(*(approve(draft_id) for draft_id in waiting))
        await asyncio.sleep(0.2)


async def chaos(instances: list[Instance], tally: Tally, progress: list[int]) -> None:
    """Kill an instance every KILL_EVERY accepted messages, then bring it back."""
    next_kill = KILL_EVERY
    while progress[0] < MESSAGES:
        if tally.accepted >= next_kill:
            next_kill += KILL_EVERY
            victim = random.choice(instances)
            tally.kill_times.append(time.monotonic())
            victim.kill()
            tally.kills += 1
            await asyncio.sleep(0.5)
            await victim.start()
        await asyncio.sleep(0.05)


async def counts(db: Database) -> dict[str, int]:
    async with db.read_sessions() as session:

        async def scalar(query: Any) -> int:
            return int((await session.execute(query)).scalar_one())

        inbound = await scalar(
            select(func.count()).select_from(messages).where(messages.c.direction == "in")
        )
        distinct_inbound = await scalar(
            select(func.count(func.distinct(messages.c.external_id))).where(
                messages.c.direction == "in"
            )
        )
        receipts = await scalar(select(func.count()).select_from(inbound_receipts))
        outbound = await scalar(
            select(func.count()).select_from(messages).where(messages.c.direction == "out")
        )
        sent = await scalar(
            select(func.count())
            .select_from(messages)
            .where(messages.c.direction == "out", messages.c.delivery_status == "sent")
        )
        pending = await scalar(
            select(func.count()).select_from(drafts).where(drafts.c.status == "pending")
        )
    return {
        "inbound": inbound,
        "distinct_inbound": distinct_inbound,
        "receipts": receipts,
        "outbound": outbound,
        "sent": sent,
        "pending_drafts": pending,
    }


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
async def test_kill_nine_under_load_loses_nothing_and_sends_nothing_twice(
    engine: str, tmp_path: Path, receiver: FakeCallbackServer, request: pytest.FixtureRequest
) -> None:
    random.seed(11)
    if engine == "postgresql":
        database_url = str(request.getfixturevalue("postgres_url"))
        names = ["pg-a", "pg-b"]
    else:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'storedesk.db'}"
        names = ["sqlite"]
    instances = [
        Instance(name, instance_config(tmp_path, name, database_url, receiver.url), tmp_path)
        for name in names
    ]
    for instance in instances:
        await instance.start()
    db = open_database(database_url)
    started = asyncio.get_running_loop().time()
    reviewer = Reviewer("sam")
    tally = Tally()
    done = asyncio.Event()
    progress = [0]
    try:
        approver = asyncio.create_task(approve_everything(db, instances, reviewer, tally, done))
        killer = asyncio.create_task(chaos(instances, tally, progress))
        async with aiohttp.ClientSession() as http:
            queue: asyncio.Queue[int] = asyncio.Queue()
            for index in range(MESSAGES):
                queue.put_nowait(index)

            async def sender() -> None:
                while not queue.empty():
                    await deliver(http, instances, queue.get_nowait(), tally)
                    progress[0] += 1

            await asyncio.gather(*(sender() for _ in range(SENDERS)))
        await killer
        loaded = asyncio.get_running_loop().time()

        # Converge: every message drafted, approved and delivered (bounded).
        deadline = asyncio.get_running_loop().time() + 300
        while True:
            seen = await counts(db)
            delivered = len(receiver.idempotency_keys())
            if seen["sent"] == MESSAGES and delivered == MESSAGES:
                break
            assert asyncio.get_running_loop().time() < deadline, (
                f"did not converge: {seen}, delivered={delivered}, {tally}\n"
                + "\n".join(i.log_tail(15) for i in instances)
            )
            await asyncio.sleep(0.5)
        done.set()
        await approver
        converged = asyncio.get_running_loop().time()
    finally:
        done.set()
        for instance in instances:
            instance.stop()
        await reviewer.close()
        await db.dispose()

    resent = receiver.request_count() - len(receiver.idempotency_keys())
    print(
        f"\n[{engine}] messages={MESSAGES} kills={tally.kills} duplicate deliveries="
        f"{tally.duplicates_sent} (answered duplicate: {tally.duplicate_answers}) sender "
        f"retries={tally.retries} approvals={tally.approvals} resends to the receiver={resent}"
        f" load {loaded - started:.0f}s, drain {converged - loaded:.0f}s"
    )
    assert tally.kills >= MESSAGES // KILL_EVERY - 1
    assert seen["inbound"] == seen["distinct_inbound"] == seen["receipts"] == MESSAGES
    assert seen["outbound"] == seen["sent"] == MESSAGES
    assert seen["pending_drafts"] == 0
    assert len(receiver.idempotency_keys()) == MESSAGES
    # Only a kill that landed mid-send can cause a resend, and only to this deduplicating
    # receiver (same Idempotency-Key); a channel that cannot tell leaves it to a person.
    # Each resent reply must have been in flight when a kill landed (its first copy can be
    # read by this busy test process a little after the kill) and sent again after it.
    unexplained = [
        (key, times)
        for key, times in receiver.arrivals().items()
        if len(times) > 1
        and not any(times[0] - IN_FLIGHT <= k <= times[1] for k in tally.kill_times)
    ]
    assert unexplained == [], (
        f"resent without a kill between: {unexplained}, kills at {tally.kill_times}"
    )
    assert all(len(times) <= 2 for times in receiver.arrivals().values())
