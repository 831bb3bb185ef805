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
import resource
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.pipeline import AUTO_INTENTS, Callback, Result, drive, start_raw_forwarder
from bot.config import Settings
from knowledge.embeddings import LocalEmbedder
from main import start_app
from tests.support.config import WEBHOOK_SECRET

RESULTS = Path(__file__).with_name("RESULTS.md")
RAW_FACTOR = 10
FAQ = [
    ("shipping", "How long does shipping take?", "Delivery takes {d} business days."),
    ("payment", "Which payment methods do you accept?", "We accept Visa and PayPal."),
    ("returns", "How do I return an item?", "Return unworn items within {r} days."),
]


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


def store_accounts(count: int) -> tuple[str, ...]:
    return tuple(f"hook-{k:04d}" for k in range(count))


def scale_settings(data_dir: Path, callback_url: str, stores: int, database_url: str) -> Settings:
    raw: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": 0},
        "storage": {"database_url": database_url, "data_dir": str(data_dir)},
        # The bench measures the pipeline, not the per-account politeness limit.
        "outbox": {"rate_per_second": 100000, "burst": 100000},
        "members": [{"id": "lead", "name": "Lead"}],
        "stores": [
            {
                "id": f"store-{k:04d}",
                "name": f"Store {k}",
                "brand": f"Brand {k % 50}",
                "languages": ["en"],
                "mode": "auto",
                "risk": {"auto_intents": AUTO_INTENTS},
                "members": {"lead": "lead"},
                "channels": [
                    {
                        "id": account,
                        "kind": "webhook",
                        "secret": WEBHOOK_SECRET,
                        "callback_url": f"{callback_url}/replies",
                    }
                ],
                "faq": [
                    {"id": fid, "question": q, "answer": a.format(d=2 + k % 5, r=14 + k % 30)}
                    for fid, q, a in FAQ
                ],
            }
            for k, account in enumerate(store_accounts(stores))
        ],
    }
    return Settings.model_validate(raw)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        return
    from tests.support.postgres import running_cluster

    with running_cluster() as cluster:
        yield cluster.create_database(f"bench_{time.time_ns()}")


async def measure(
    stores: int, messages: int, concurrency: int, wait: float, db_kind: str, embedder: Any
) -> Row:
    callback = Callback()
    await callback.start()
    accounts = store_accounts(stores)
    runner, raw_url = await start_raw_forwarder(f"{callback.url}/raw")
    await drive("warm-up raw", raw_url, callback, 20, 4, wait, accounts=accounts)
    # Raw forwarding is about fifty times faster: the same count would be over in a fraction
    # of a second and swing from run to run, so its sustained rate gets more messages.
    raw_count = messages * RAW_FACTOR
    raw = await drive(
        "raw forwarding", raw_url, callback, raw_count, concurrency, wait, None, accounts
    )

    with tempfile.TemporaryDirectory(prefix="storedesk-scale-") as tmp_name:
        tmp = Path(tmp_name)
        with database(db_kind, tmp) as url:
            print(f"… {stores} stores: starting Storedesk ({db_kind})", flush=True)
            began = time.perf_counter()
            app = await start_app(
                scale_settings(tmp, callback.url, stores, url), port=0, embedder=embedder
            )
            start_seconds = time.perf_counter() - began
            try:
                await drive("warm-up", app.base_url, callback, 20, 4, wait, accounts=accounts)
                cpu_before = time.process_time()
                pipeline = await drive(
                    "pipeline", app.base_url, callback, messages, concurrency, wait, None, accounts
                )
                cpu_ms = (time.process_time() - cpu_before) * 1000 / max(1, pipeline.delivered)
                paced_rate = max(1.0, pipeline.throughput / 2)
                paced_count = max(50, min(messages, int(paced_rate * 20)))
                pipeline_paced = await drive(
                    "pipeline paced",
                    app.base_url,
                    callback,
                    paced_count,
                    concurrency,
                    wait,
                    paced_rate,
                    accounts,
                )
                memory = rss_mb()
            finally:
                await app.stop()
    raw_paced = await drive(
        "raw paced", raw_url, callback, paced_count, concurrency, wait, paced_rate, accounts
    )
    await runner.cleanup()
    await callback.stop()
    print(
        f"  {stores} stores: raw {raw.throughput:.1f} msg/s, pipeline {pipeline.throughput:.1f}"
        f" msg/s, paced added p99 {pipeline_paced.pct(0.99) - raw_paced.pct(0.99):.1f} ms",
        flush=True,
    )
    return Row(
        stores, raw, pipeline, raw_paced, pipeline_paced, paced_rate, cpu_ms, memory, start_seconds
    )


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
        "RSS is the whole benchmark process (app, load generator and receiver).",
        "Targets (issue 11): pipeline at least 1/3 of raw forwarding; added p99 under 100 ms at",
        "half the sustained rate; RSS under 400 MB at 1,000 stores; CPU per message flat.",
    ]
    return "\n".join(lines) + "\n"


async def run(args: argparse.Namespace) -> str:
    embedder = LocalEmbedder()
    rows = []
    for stores in args.stores:
        rows.append(
            await measure(
                stores, args.messages, args.concurrency, args.timeout, args.database, embedder
            )
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
