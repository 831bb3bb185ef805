"""Digest targets that need no platform: a directory on disk, and the web console."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.ports import Digest
from storage.database import Database
from storage.digest_delivery import save_charts

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def folder_name(key: str) -> str:
    return _UNSAFE.sub("_", key).strip("_") or "digest"


class FileDigestTarget:
    """`<dir>/<key>/digest.md` plus one PNG per chart; rewriting the same key is harmless."""

    def __init__(self, directory: Path, *, per_key_folder: bool = True) -> None:
        self._directory = directory
        self._per_key_folder = per_key_folder

    def folder(self, digest: Digest) -> Path:
        return (
            self._directory / folder_name(digest.key) if self._per_key_folder else self._directory
        )

    async def deliver(self, digest: Digest) -> None:
        await asyncio.to_thread(self._write, digest)

    def _write(self, digest: Digest) -> None:
        folder = self.folder(digest)
        folder.mkdir(parents=True, exist_ok=True)
        for image in digest.images:
            (folder / image.filename).write_bytes(image.png)
        charts = "\n".join(f"![{i.title}]({i.filename})" for i in digest.images)
        (folder / "digest.md").write_text(
            digest.markdown + ("\n" + charts + "\n" if charts else ""), encoding="utf-8"
        )


class ConsoleDigestTarget:
    """Nothing to send: the charts are kept in `digest_charts` here, the text in
    `digest_runs` when the run is recorded as delivered; the console's digests page lists
    those whose stores the member may see."""

    def __init__(self, db: Database | None = None) -> None:
        self._db = db

    async def deliver(self, digest: Digest) -> None:
        if self._db is None:
            return
        async with self._db.write_sessions() as session, session.begin():
            await save_charts(session, digest.key, digest.images)
