"""Starting the app on a test config changed by the test (extra channels, a back office)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.ports import Clock
from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from knowledge.embeddings import Embedder
from main import RunningApp, start_app
from tests.support.config import settings_dict


def store_of(config: dict[str, Any], store_id: str = "northwind") -> dict[str, Any]:
    return next(s for s in config["stores"] if s["id"] == store_id)


async def start_custom_app(
    tmp_path: Path,
    database_url: str,
    embedder: Embedder,
    change: Callable[[dict[str, Any]], None],
    callback_url: str = "http://127.0.0.1:9",
    clock: Clock | None = None,
) -> RunningApp:
    """The `app` fixture's app, after `change` edited its config dict in place."""
    config = settings_dict(tmp_path / "data", callback_url, database_url=database_url)
    change(config)
    return await start_app(
        Settings.model_validate(config),
        port=0,
        embedder=embedder,
        retry_policy=RetryPolicy(base_seconds=0.05, cap_seconds=0.2),
        worker_settings=WorkerSettings(poll_seconds=0.05),
        clock=clock,
    )
