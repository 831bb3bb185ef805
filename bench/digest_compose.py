"""How long one daily digest takes to compose (query, metrics, charts) from a busy week.

    python -m bench.digest_compose --per-day 250

Writes a generated week of audit events (four conversations per `--per-day` unit and day)
into a fresh SQLite file, then times composing the last day's digest without clustering.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from bot.services.periods import period_of
from scheduler.digests import DigestRunner
from scheduler.wiring import target_factory
from storage.digest_runs import Subscription
from tests.support.digest_db import FixedClock, history_database
from tests.support.history import busy_day

FIRST_DAY = datetime(2026, 11, 16, tzinfo=UTC)


async def measure(per_day: int) -> None:
    records = []
    for offset in range(7):
        for copy in range(per_day):
            for record in busy_day(FIRST_DAY + timedelta(days=offset)).records:
                conversation = f"{record.conversation_id}-{offset}-{copy}"
                records.append(dataclasses.replace(record, conversation_id=conversation))
    folder = tempfile.mkdtemp(prefix="storedesk-bench-")
    store = {"id": "nw", "name": "Northwind", "timezone": "UTC", "client_id": None}
    db = await history_database(f"sqlite+aiosqlite:///{folder}/bench.db", [store], records)
    clock = FixedClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    runner = DigestRunner(db, clock, target_factory(None), worker_id="bench")
    subscription = Subscription(
        "bench", f"file:{folder}", ("nw",), None, "0 9 * * *", "UTC", "day", "bench"
    )
    period = period_of(date(2026, 11, 22), "day", "UTC")
    try:
        for run in ("cold", "warm"):
            started = time.perf_counter()
            await runner.compose(subscription, period, f"bench:{run}")
            seconds = time.perf_counter() - started
            print(
                f"{len(records)} audit events, {per_day * 4 * 7} conversations: "
                f"{run} compose {seconds:.2f} s"
            )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-day", type=int, default=250)
    asyncio.run(measure(parser.parse_args().per_day))


if __name__ == "__main__":
    main()
