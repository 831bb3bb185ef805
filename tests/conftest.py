"""Shared fixtures: a real app on 127.0.0.1 with a real SQLite file and LanceDB on disk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from knowledge.embeddings import LocalEmbedder
from main import RunningApp, start_app
from tests.support.config import make_settings
from tests.support.fake_callback import FakeCallbackServer


@pytest.fixture(scope="session")
def embedder() -> LocalEmbedder:
    """The model loads once per test session; every app shares it."""
    return LocalEmbedder()


@pytest.fixture
async def callback_server() -> AsyncIterator[FakeCallbackServer]:
    server = FakeCallbackServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def app_mode() -> str:
    return "draft"


@pytest.fixture
async def app(
    tmp_path: Path, callback_server: FakeCallbackServer, embedder: LocalEmbedder, app_mode: str
) -> AsyncIterator[RunningApp]:
    settings = make_settings(tmp_path / "data", callback_server.url, mode=app_mode)
    running = await start_app(
        settings,
        port=0,
        embedder=embedder,
        retry_policy=RetryPolicy(base_seconds=0.05, cap_seconds=0.2),
        worker_settings=WorkerSettings(poll_seconds=0.05),
    )
    yield running
    await running.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
