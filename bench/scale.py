"""Does Storedesk keep its speed as stores grow? Raw forwarding vs pipeline at 1, 100, 1,000.

For each store count, in the same run: the bare forwarder (verify signature, POST to the
callback) and Storedesk with that many stores in `auto` mode (each its own webhook account
and FAQ), both unpaced to find the sustained rate, then both paced at half the pipeline's
sustained rate to measure added latency below saturation. Reports CPU time per message
(flat cost as stores grow) and the process RSS, and writes the table to bench/RESULTS.md.

    python -m bench.scale --stores 1,100,1000 --messages 300 [--database postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.pipeline import Callback, Result, drive
from bench.servers import raw_forwarder, store_accounts, storedesk

RESULTS = Path(__file__).with_name("RESULTS.md")
RAW_FACTOR = 10


@dataclass
class Row:
    stores: int
    raw: Result
    pipeline: Result
    raw_paced: Result
    pipeline_paced: Result
    paced_rate: float
    cpu_ms_per_message: float
    rss_mb: float
    start_seconds: float


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        return
    from tests.support.postgres import running_cluster

    with running_cluster() as cluster:
        yield cluster.create_database(f"bench_{time.time_ns()}")


async def measure(stores: int, messages: int, concurrency: int, wait: float, db_kind: str) -> Row:
    callback = Callback()
    await callback.start()
    accounts = store_accounts(stores)
    try:
        async with raw_forwarder(callback.url) as raw_server:
            await drive("warm-up raw", raw_server.url, callback, 20, 4, wait, accounts=accounts)
            # Raw forwarding is about fifty times faster: the same count would be over in a
            # fraction of a second and swing from run to run, so its sustained rate gets more.
            raw = await drive(
                "raw forwarding", raw_server.url, callback, messages * RAW_FACTOR, concurrency,
                wait, None, accounts,
            )  # fmt: skip
            with (
                tempfile.TemporaryDirectory(prefix="storedesk-scale-") as tmp,
                database(db_kind, Path(tmp)) as url,
            ):
                print(f"… {stores} stores: starting Storedesk ({db_kind})", flush=True)
                async with storedesk(callback.url, tmp, url, stores) as app:
                    await drive("warm-up", app.url, callback, 20, 4, wait, accounts=accounts)
                    cpu_before = app.cpu_seconds()
                    pipeline = await drive(
                        "pipeline", app.url, callback, messages, concurrency, wait, None,
                        accounts,
                    )  # fmt: skip
                    cpu_ms = (app.cpu_seconds() - cpu_before) * 1000 / max(1, pipeline.delivered)
                    paced_rate = max(1.0, pipeline.throughput / 2)
                    paced_count = max(50, min(messages, int(paced_rate * 20)))
                    pipeline_paced = await drive(
                        "pipeline paced", app.url, callback, paced_count, concurrency, wait,
                        paced_rate, accounts,
                    )  # fmt: skip
                    memory = app.rss_mb()
            raw_paced = await drive(
                "raw paced", raw_server.url, callback, paced_count, concurrency, wait,
                paced_rate, accounts,
            )  # fmt: skip
    finally:
        await callback.stop()
    print(
        f"  {stores} stores: raw {raw.throughput:.1f} msg/s, pipeline {pipeline.throughput:.1f}"
        f" msg/s, paced added p99 {pipeline_paced.pct(0.99) - raw_paced.pct(0.99):.1f} ms",
        flush=True,
    )
    return Row(
        stores, raw, pipeline, raw_paced, pipeline_paced, paced_rate, cpu_ms, memory,
        app.start_seconds,
    )  # fmt: skip


def table(rows: list[Row], messages: int, concurrency: int, db_kind: str) -> str:
    cpu = os.cpu_count()
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench.scale` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        f"Machine: {platform.machine()}, {cpu} CPUs, {platform.system()} {platform.release()},"
        f" Python {platform.python_version()}; database {db_kind}; local embedder and drafter;"
        f" {messages} messages per unpaced pipeline run ({messages * RAW_FACTOR} for raw"
        f" forwarding), concurrency {concurrency}, all on 127.0.0.1.",
        "",
        "| stores | raw msg/s | pipeline msg/s | pipeline / raw | paced at msg/s | added p50 ms"
        " | added p99 ms | CPU ms/msg | RSS MB | start s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r.pipeline.throughput / r.raw.throughput if r.raw.throughput else float("nan")
        lines.append(
            f"| {r.stores} | {r.raw.throughput:.1f} | {r.pipeline.throughput:.1f} | {ratio:.3f} |"
            f" {r.paced_rate:.1f} | {r.pipeline_paced.pct(0.5) - r.raw_paced.pct(0.5):.1f} |"
            f" {r.pipeline_paced.pct(0.99) - r.raw_paced.pct(0.99):.1f} |"
            f" {r.cpu_ms_per_message:.1f} | {r.rss_mb:.0f} | {r.start_seconds:.1f} |"
        )
    lines += [
        "",
        "Added latency = pipeline minus raw forwarding at the same offered rate (half the",
        "pipeline's sustained rate), from webhook POST to the reply's arrival at the callback.",
        "Storedesk and the raw forwarder each run in a process of their own, as deployed; the",
        "load generator and the reply receiver in the benchmark's. CPU ms/msg and RSS are the",
        "Storedesk process's alone; start s is its launch until it accepts webhooks.",
        "Targets (issue 11): pipeline at least 1/3 of raw forwarding; added p99 under 100 ms at",
        "half the sustained rate; RSS under 400 MB at 1,000 stores; CPU per message flat.",
    ]
    return "\n".join(lines) + "\n"


async def run(args: argparse.Namespace) -> str:
    rows = []
    for stores in args.stores:
        rows.append(
            await measure(stores, args.messages, args.concurrency, args.timeout, args.database)
        )
    return table(rows, args.messages, args.concurrency, args.database)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--stores", type=lambda v: [int(x) for x in v.split(",")], default=[1, 100, 1000]
    )
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--no-write", action="store_true", help="print only; keep RESULTS.md")
    args = parser.parse_args()
    text = asyncio.run(run(args))
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    cli()
