"""Digest targets that need no platform: a directory on disk, and the web console."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.ports import Digest

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
    """Nothing to send: the run's text is kept in `digest_runs` when it is recorded as
    delivered, and the console's metrics page lists those of its stores."""

    async def deliver(self, digest: Digest) -> None:
        return None
