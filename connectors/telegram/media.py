"""Customer media: what a message carries, downloaded to local storage under a size cap.

A file over the cap, or one that fails to download, is still recorded (kind, size, why it
was skipped) so the team sees that something was sent; it never blocks the message.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.types import Message

logger = logging.getLogger(__name__)
CHUNK = 64 * 1024


class TooLarge(Exception):
    pass


def _downloadable(message: Message) -> list[tuple[str, str, str, int | None, str]]:
    """(kind, file_id, file_unique_id, size, file name) of each file in the message."""
    found = []
    if message.photo:
        largest = message.photo[-1]
        found.append(
            ("photo", largest.file_id, largest.file_unique_id, largest.file_size, "photo.jpg")
        )
    if message.document:
        doc = message.document
        name = Path(doc.file_name or "document").name or "document"
        found.append(("document", doc.file_id, doc.file_unique_id, doc.file_size, name))
    if message.voice:
        voice = message.voice
        found.append(("voice", voice.file_id, voice.file_unique_id, voice.file_size, "voice.ogg"))
    return found


def describe(message: Message) -> str:
    """The text the team and the drafter see for a message, media included."""
    text = message.text or message.caption or ""
    if message.location is not None:
        where = f"[location {message.location.latitude:.5f}, {message.location.longitude:.5f}]"
        text = f"{text}\n{where}".strip()
    if message.contact is not None:
        contact = message.contact
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        text = f"{text}\n[contact: {name}, {contact.phone_number}]".strip()
    for kind, *_rest in _downloadable(message):
        if not message.caption and not message.text:
            text = f"{text}\n[{kind}]".strip()
    return text


def shared_details(message: Message) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = []
    if message.location is not None:
        details.append(
            {
                "kind": "location",
                "latitude": message.location.latitude,
                "longitude": message.location.longitude,
            }
        )
    if message.contact is not None:
        details.append(
            {
                "kind": "contact",
                "phone_number": message.contact.phone_number,
                "first_name": message.contact.first_name,
                "last_name": message.contact.last_name,
            }
        )
    return details


async def fetch_media(
    bot: Bot,
    account_id: str,
    message: Message,
    media_root: Path,
    max_bytes: int,
    wait_seconds: float,
) -> list[dict[str, Any]]:
    """Download each file of the message; returns the attachment records for intake."""
    attachments = shared_details(message)
    for kind, file_id, unique_id, size, name in _downloadable(message):
        record: dict[str, Any] = {"kind": kind, "name": name, "size": size}
        if size is not None and size > max_bytes:
            record["skipped"] = f"larger than {max_bytes} bytes"
            attachments.append(record)
            continue
        relative = Path("telegram") / account_id / f"{unique_id}{Path(name).suffix}"
        try:
            record["size"] = await _download(
                bot, file_id, media_root / relative, max_bytes, wait_seconds
            )
            record["path"] = relative.as_posix()
        except TooLarge:
            record["skipped"] = f"larger than {max_bytes} bytes"
        except Exception as problem:  # a failed download must not lose the message
            logger.warning("telegram %s: could not download %s: %r", account_id, kind, problem)
            record["skipped"] = "download failed"
        attachments.append(record)
    return attachments


async def _download(
    bot: Bot, file_id: str, target: Path, max_bytes: int, wait_seconds: float
) -> int:
    info = await bot.get_file(file_id)
    if info.file_size is not None and info.file_size > max_bytes:
        raise TooLarge
    if not info.file_path:
        raise RuntimeError("Telegram gave no file_path")
    url = bot.session.api.file_url(bot.token, info.file_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    written = 0
    try:
        with partial.open("wb") as handle:
            async for chunk in bot.session.stream_content(
                url, timeout=int(wait_seconds), chunk_size=CHUNK, raise_for_status=True
            ):
                written += len(chunk)
                if written > max_bytes:
                    raise TooLarge
                handle.write(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return written
