"""Files a member sends as a reply in the team topic, stored for the customer's store bot.

They land in the data dir's media storage like customer media (`telegram/team/...`), so
the outbox only carries a path and the store bot uploads the file when it sends. The cap
is the same `max_media_bytes`: Telegram's size is checked before downloading, the bytes
after, and nothing over the cap is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from telegram import Message

from storage.database import Database
from storage.orm import conversations

TEAM_DIR = Path("telegram") / "team"


class FileRefused(Exception):
    """The file cannot be sent; the message says why, for the member."""


def has_file(message: Message) -> bool:
    return bool(message.photo) or message.document is not None


async def store_files(message: Message, media_root: Path, max_bytes: int) -> list[dict[str, Any]]:
    """Download the photo or document of `message`; returns the attachment records."""
    if message.photo:
        largest = message.photo[-1]
        found = ("photo", largest.file_id, largest.file_unique_id, largest.file_size, "photo.jpg")
    elif message.document is not None:
        doc = message.document
        name = Path(doc.file_name or "document").name or "document"
        found = ("document", doc.file_id, doc.file_unique_id, doc.file_size, name)
    else:
        return []
    kind, file_id, unique_id, size, name = found
    too_large = FileRefused(f"the {kind} is larger than {max_bytes} bytes; nothing was sent")
    if size is not None and size > max_bytes:
        raise too_large
    info = await message.get_bot().get_file(file_id)
    if info.file_size is not None and info.file_size > max_bytes:
        raise too_large
    relative = TEAM_DIR / f"{message.message_id}-{unique_id}{Path(name).suffix}"
    target = media_root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    await info.download_to_drive(target)
    written = target.stat().st_size
    if written > max_bytes:
        target.unlink(missing_ok=True)
        raise too_large
    return [{"kind": kind, "name": name, "size": written, "path": relative.as_posix()}]


async def carries_files(db: Database, conversation_id: str, file_accounts: frozenset[str]) -> bool:
    """Only store bots send files; a customer on another channel would get the caption alone."""
    async with db.read_sessions() as session:
        account = (
            await session.execute(
                select(conversations.c.channel_account_id).where(
                    conversations.c.id == conversation_id
                )
            )
        ).scalar()
    return account in file_accounts


def forget_files(attachments: list[dict[str, Any]], media_root: Path) -> None:
    """Remove files of a reply the core refused: nothing is kept that was never sent."""
    for attachment in attachments:
        (media_root / str(attachment["path"])).unlink(missing_ok=True)
