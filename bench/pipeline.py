"""Pipeline against raw forwarding, measured in the same run on this machine.

Baseline: a bare aiohttp receiver that checks the webhook signature and forwards the body to
the callback server (webhook → callback, nothing stored). Pipeline: Storedesk with one store in
`auto` mode: verify, store once, triage, retrieve, draft, audit, outbox, signed callback.
Both run in processes of their own (bench/servers.py) and are driven by the same bounded
load generator on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import tempfile
import time
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bench.servers import raw_forwarder, store_accounts, storedesk
from connectors.webhook.signature import sign
from tests.support.config import WEBHOOK_SECRET

QUESTIONS = [
    "How long does shipping take?",
    "Which payment methods do you accept?",
    "How do I return an item I bought?",
    "Do you take PayPal?",
    "When will my parcel be delivered?",
]


@dataclass
class Result:
    name: str
    sent: int
    delivered: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Callback:
    """Records when each reply arrives, keyed by the inbound message id it answers."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.done = asyncio.Event()
        self.expected = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def _receive(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        key = body.get("in_reply_to") or body.get("message_id")
        self.arrived.setdefault(key, time.perf_counter())
        if len(self.arrived) >= self.expected:
            self.done.set()
        return web.json_response({"ok": True})

    def reset(self, expected: int) -> None:
        self.arrived.clear()
        self.expected = expected
        self.done.clear()

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


async def drive(
    name: str,
    base_url: str,
    callback: Callback,
    count: int,
    concurrency: int,
    wait_seconds: float,
    rate: float | None = None,
    accounts: tuple[str, ...] = ("hook-0000",),
) -> Result:
    callback.reset(count)
    started: dict[str, float] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    run_id = f"{name}-{time.time_ns()}"
    begin = time.perf_counter()

    async def worker(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            if rate:
                # Open-loop pacing: message i is due at i / rate seconds after the start.
                due = begin + i / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            message_id = f"{run_id}-{i}"
            body = json.dumps(
                {
                    "message_id": message_id,
                    "customer": {"id": f"cust-{i}", "name": "Bench"},
                    "text": QUESTIONS[i % len(QUESTIONS)],
                    "sent_at": int(time.time()),
                }
            ).encode()
            ts = int(time.time())
            headers = {
                "Content-Type": "application/json",
                "X-Storedesk-Timestamp": str(ts),
                "X-Storedesk-Signature": sign(WEBHOOK_SECRET, ts, body),
            }
            started[message_id] = time.perf_counter()
            account = accounts[i % len(accounts)]
            async with http.post(f"{base_url}/hooks/{account}", data=body, headers=headers) as r:
                if r.status >= 300:
                    raise RuntimeError(f"{name}: webhook answered {r.status}: {await r.text()}")

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(callback.done.wait(), timeout=wait_seconds)
    # Throughput ends at the last delivery seen, so a time-out does not inflate it.
    end = max(callback.arrived.values(), default=time.perf_counter())
    latencies = [
        (callback.arrived[mid] - t0) * 1000
        for mid, t0 in started.items()
        if mid in callback.arrived
    ]
    return Result(name, count, len(latencies), end - begin, latencies)


def report(
    baseline: Result, pipeline: Result, count: int, concurrency: int, rate: float | None
) -> str:
    def row(r: Result) -> str:
        return (
            f"| {r.name} | {r.delivered}/{r.sent} | {r.throughput:.1f} | "
            f"{r.pct(0.5):.1f} | {r.pct(0.99):.1f} |"
        )

    ratio_tp = pipeline.throughput / baseline.throughput if baseline.throughput else float("nan")
    added_p50 = pipeline.pct(0.5) - baseline.pct(0.5)
    added_p99 = pipeline.pct(0.99) - baseline.pct(0.99)
    lines = [
        f"Machine: {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {count} messages, concurrency {concurrency}, "
        f"{'offered rate ' + format(rate, 'g') + ' msg/s' if rate else 'unpaced'}, "
        "SQLite (WAL, synchronous=FULL), local drafter, 127.0.0.1.",
        "",
        "| run | delivered | msg/s | p50 ms | p99 ms |",
        "|---|---|---|---|---|",
        row(baseline),
        row(pipeline),
        "",
        f"Pipeline throughput = {ratio_tp:.2f} × raw forwarding; "
        f"p50 latency ratio {pipeline.pct(0.5) / baseline.pct(0.5):.1f}×, "
        f"p99 ratio {pipeline.pct(0.99) / baseline.pct(0.99):.1f}×; "
        f"added latency p50 {added_p50:.1f} ms, p99 {added_p99:.1f} ms.",
    ]
    return "\n".join(lines)


async def main(count: int, concurrency: int, wait_seconds: float, rate: float | None) -> str:
    callback = Callback()
    await callback.start()
    accounts = store_accounts(1)
    try:
        async with raw_forwarder(callback.url) as raw_server:
            await drive("warm-up raw", raw_server.url, callback, 20, 4, wait_seconds, None,
                        accounts)  # fmt: skip
            baseline = await drive(
                "raw forwarding", raw_server.url, callback, count, concurrency, wait_seconds,
                rate, accounts,
            )  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="storedesk-bench-") as tmp:
            print("starting Storedesk (auto mode, SQLite) …", flush=True)
            async with storedesk(callback.url, tmp, f"sqlite+aiosqlite:///{tmp}/bench.db") as app:
                await drive("warm-up", app.url, callback, 20, 4, wait_seconds, None, accounts)
                pipeline = await drive(
                    "pipeline", app.url, callback, count, concurrency, wait_seconds, rate,
                    accounts,
                )  # fmt: skip
    finally:
        await callback.stop()
    return report(baseline, pipeline, count, concurrency, rate)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for replies")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="messages per second (default: as fast as possible)",
    )
    args = parser.parse_args()
    text = asyncio.run(main(args.messages, args.concurrency, args.timeout, args.rate))
    print(text)


if __name__ == "__main__":
    cli()
