"""The servers a benchmark measures, each in its own process, as they would be deployed.

The load generator and the reply receiver stay in the benchmark process; Storedesk and the
bare forwarder run apart from it, so neither shares a core (or the interpreter lock) with
the load it is offered, and the CPU time and RSS read from /proc are theirs alone.

    python -m bench.servers raw --callback URL
    python -m bench.servers storedesk --callback URL --stores N --data-dir DIR --database URL
Each prints `listening <base url>` once it accepts requests and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.config import Settings
from connectors.webhook.signature import verify
from tests.support.config import WEBHOOK_SECRET

AUTO_INTENTS = ["shipping", "payment", "return_exchange", "order_status", "product_question"]
FAQ = [
    ("shipping", "How long does shipping take?", "Delivery takes {d} business days."),
    ("payment", "Which payment methods do you accept?", "We accept Visa and PayPal."),
    ("returns", "How do I return an item?", "Return unworn items within {r} days."),
]
READY = "listening "
START_SECONDS = 300.0  # 1,000 stores embed 3,000 FAQ answers first
STOP_SECONDS = 60.0


def store_accounts(count: int) -> tuple[str, ...]:
    return tuple(f"hook-{k:04d}" for k in range(count))


def scale_settings(data_dir: Path, callback_url: str, stores: int, database_url: str) -> Settings:
    """`stores` stores in `auto` mode, each with its own signed webhook account and FAQ."""
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


async def start_raw_forwarder(callback_url: str) -> tuple[web.AppRunner, str]:
    """The baseline: check the webhook signature, forward the text to the callback."""
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        verify(
            WEBHOOK_SECRET,
            request.headers.get("X-Storedesk-Timestamp"),
            request.headers.get("X-Storedesk-Signature"),
            body,
            time.time(),
        )
        incoming = json.loads(body)
        reply = json.dumps({"in_reply_to": incoming["message_id"], "text": incoming["text"]})
        async with session.post(callback_url, data=reply) as response:
            await response.read()
        return web.json_response({"status": "forwarded"}, status=202)

    app = web.Application()
    app.router.add_post("/hooks/{account}", forward)
    app.on_cleanup.append(lambda _app: session.close())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


# --- the parent's handle on a server process ------------------------------------------------


@dataclass
class ServerProcess:
    name: str
    process: asyncio.subprocess.Process
    url: str
    start_seconds: float

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the server so far."""
        with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
            # Fields after the command name, which is in parentheses and may hold spaces.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), STOP_SECONDS)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def launch(name: str, arguments: list[str]) -> ServerProcess:
    """Start `python -m bench.servers ARGUMENTS` and wait until it says where it listens."""
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.servers", *arguments, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(START_SECONDS):
            while line := (await process.stdout.readline()).decode():
                if line.startswith(READY):
                    url = line.removeprefix(READY).strip()
                    return ServerProcess(name, process, url, time.perf_counter() - began)
    except TimeoutError:
        pass
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()
    raise RuntimeError(f"{name} did not start (exit status {process.returncode}); see stderr")


@contextlib.asynccontextmanager
async def serving(name: str, arguments: list[str]) -> AsyncIterator[ServerProcess]:
    """A server process for the length of the block, stopped however the block ends."""
    server = await launch(name, arguments)
    try:
        yield server
    finally:
        await server.stop()


def raw_forwarder(callback_url: str) -> contextlib.AbstractAsyncContextManager[ServerProcess]:
    return serving("raw forwarder", ["raw", "--callback", callback_url])


def storedesk(
    callback_url: str, data_dir: str, database_url: str, stores: int = 1
) -> contextlib.AbstractAsyncContextManager[ServerProcess]:
    return serving(
        "Storedesk",
        ["storedesk", "--callback", callback_url, "--stores", str(stores),
         "--data-dir", data_dir, "--database", database_url],
    )  # fmt: skip


# --- the server side ------------------------------------------------------------------------


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve(args: argparse.Namespace) -> None:
    if args.server == "raw":
        runner, url = await start_raw_forwarder(f"{args.callback}/raw")
        print(READY + url, flush=True)
        await _until_terminated()
        await runner.cleanup()
        return
    from main import start_app

    settings = scale_settings(Path(args.data_dir), args.callback, args.stores, args.database)
    app = await start_app(settings, port=0)  # the embedder a deployment gets
    print(READY + app.base_url, flush=True)
    await _until_terminated()
    await app.stop()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("server", choices=["raw", "storedesk"])
    parser.add_argument("--callback", required=True, help="base URL replies are posted to")
    parser.add_argument("--stores", type=int, default=1)
    parser.add_argument("--data-dir", help="Storedesk's data directory")
    parser.add_argument("--database", help="Storedesk's database URL")
    args = parser.parse_args()
    if args.server == "storedesk" and not (args.data_dir and args.database):
        parser.error("storedesk needs --data-dir and --database")
    asyncio.run(_serve(args))


if __name__ == "__main__":
    cli()
