"""Shared fixtures: a real app on 127.0.0.1 with a real SQLite file and LanceDB on disk."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from knowledge.embeddings import LocalEmbedder
from main import RunningApp, start_app
from storage import migrate
from storage.database import open_database
from tests.support.config import make_settings
from tests.support.embedding_cache import MemoizingEmbedder
from tests.support.fake_callback import FakeCallbackServer
from tests.support.postgres import PostgresCluster, PostgresUnavailable, running_cluster


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One cluster per test session; each test gets its own database from `postgres_url`."""
    try:
        with running_cluster() as cluster:
            yield cluster
    except PostgresUnavailable as missing:
        pytest.fail(f"PostgreSQL is needed for these tests: {missing}")


@pytest.fixture
def postgres_url(postgres: PostgresCluster) -> str:
    """A fresh, empty database for this test."""
    return postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")


async def _migrated(url: str) -> None:
    database = open_database(url)
    try:
        await migrate.upgrade(database)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def migrated_postgres(postgres: PostgresCluster) -> str:
    """A database at the newest schema that each app test's database is copied from.

    Running every migration for every app test cost more than the tests themselves; the
    migrations are tested from an empty database in tests/integration/test_migrations.py,
    and each app still runs its upgrade at start (finding the schema current).
    """
    name = "t_migrated_template"
    asyncio.run(_migrated(postgres.create_database(name)))
    return name


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite counterpart of `migrated_postgres`: a file each app test starts from a copy of."""
    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    asyncio.run(_migrated(f"sqlite+aiosqlite:///{path}"))
    assert not path.with_name(f"{path.name}-wal").exists(), "the template must be checkpointed"
    return path


@pytest.fixture(scope="session")
def embedder() -> MemoizingEmbedder:
    """The model loads once per test session; every app shares it, and each text's vector."""
    return MemoizingEmbedder(LocalEmbedder())


@pytest.fixture
async def callback_server() -> AsyncIterator[FakeCallbackServer]:
    server = FakeCallbackServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def app_mode() -> str:
    return "draft"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that runs the app runs it on SQLite and on PostgreSQL, at the newest schema."""
    if request.param == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        template = str(request.getfixturevalue("migrated_postgres"))
        return cluster.create_database(f"t_{uuid.uuid4().hex[:12]}", template=template)
    copy = tmp_path / "storedesk.db"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite"), copy)
    return f"sqlite+aiosqlite:///{copy}"


@pytest.fixture
async def app(
    tmp_path: Path,
    callback_server: FakeCallbackServer,
    embedder: MemoizingEmbedder,
    app_mode: str,
    database_url: str,
) -> AsyncIterator[RunningApp]:
    settings = make_settings(
        tmp_path / "data", callback_server.url, mode=app_mode, database_url=database_url
    )
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
