"""Replies to customers through their store's bot: split, paced per chat, errors translated.

A 429 comes back as `DeliveryError(retry_after=...)` for the outbox to honour; a 403 (the
customer blocked the bot) marks the chat undeliverable and fails permanently, so the team
thread shows it instead of a retry loop. Parts already sent are remembered, so a retry
sends only what is missing, in order. Files a reply carries go first, uploaded from the
data dir's media storage (`sendPhoto` / `sendDocument`), captioned when the text fits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import FSInputFile, Message, ReplyParameters

from bot.ports import Clock, DeliveryError, OutboundReply, ReplyAttachment
from bot.services.rate_limit import RateLimiter
from connectors.telegram.inbound import message_id_of
from connectors.telegram.text_parts import split_text
from storage import telegram_state
from storage.database import Database

BLOCKED_REASON = "the customer blocked the store bot; nothing more can be sent to this chat"
MAX_PACING_WAIT = 5.0
CAPTION_LIMIT = 1024


def reply_parts(reply: OutboundReply) -> list[tuple[str, ReplyAttachment | None]]:
    """What goes out, in order: each file (the first one captioned with the text when it fits
    in a caption), then the text as messages when there is no file or it is too long."""
    text = reply.text
    captioned = len(text) <= CAPTION_LIMIT
    parts: list[tuple[str, ReplyAttachment | None]] = [
        (text if captioned and index == 0 else "", attachment)
        for index, attachment in enumerate(reply.attachments)
    ]
    if not parts or (text and not captioned):
        parts.extend((part, None) for part in split_text(text))
    return parts


class TelegramChannel:
    def __init__(
        self,
        bots: Mapping[str, Bot],
        db: Database,
        clock: Clock,
        per_chat: RateLimiter,
        media_root: Path,
    ) -> None:
        self._bots = bots
        self._media_root = media_root
        self._db = db
        self._clock = clock
        self._per_chat = per_chat

    async def send(self, reply: OutboundReply) -> None:
        bot = self._bots.get(reply.channel_account_id)
        if bot is None:
            raise DeliveryError(f"no telegram bot for {reply.channel_account_id}", permanent=True)
        chat_id = int(reply.customer_external_id)
        if await telegram_state.is_blocked(self._db, reply.channel_account_id, chat_id):
            raise DeliveryError(BLOCKED_REASON, permanent=True)
        done = await telegram_state.sent_parts(self._db, reply.idempotency_key)
        reply_to = message_id_of(reply.in_reply_to)
        for index, (text, attachment) in enumerate(reply_parts(reply)):
            if index in done:
                continue
            await self._pace(f"{reply.channel_account_id}:{chat_id}")
            parameters = (
                ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                if reply_to is not None and index == 0
                else None
            )
            if attachment is None:
                request = bot.send_message(chat_id, text, reply_parameters=parameters)
            else:
                request = self._send_file(bot, chat_id, attachment, text, parameters)
            sent = await self._send_part(reply.channel_account_id, chat_id, request)
            await telegram_state.record_part(
                self._db, reply.idempotency_key, index, sent, self._clock.now()
            )

    def _send_file(
        self,
        bot: Bot,
        chat_id: int,
        attachment: ReplyAttachment,
        caption: str,
        parameters: ReplyParameters | None,
    ) -> Awaitable[Message]:
        """A multipart upload of the stored file: photos as photos, anything else as a
        document."""
        path = (self._media_root / attachment.path).resolve()
        if self._media_root.resolve() not in path.parents or not path.is_file():
            raise DeliveryError(
                f"the {attachment.kind} of this reply is no longer stored", permanent=True
            )
        upload = FSInputFile(path, filename=attachment.name)
        if attachment.kind == "photo":
            return bot.send_photo(
                chat_id, upload, caption=caption or None, reply_parameters=parameters
            )
        return bot.send_document(
            chat_id, upload, caption=caption or None, reply_parameters=parameters
        )

    async def _pace(self, chat_key: str) -> None:
        """About one message a second per chat, as Telegram asks; a long wait goes back to
        the outbox rather than holding a worker slot."""
        wait = self._per_chat.try_acquire(chat_key)
        if wait > MAX_PACING_WAIT:
            raise DeliveryError("pacing this chat", retry_after=wait)
        while wait > 0:
            await asyncio.sleep(wait)
            wait = self._per_chat.try_acquire(chat_key)

    async def _send_part(self, account_id: str, chat_id: int, request: Awaitable[Message]) -> int:
        try:
            message = await request
        except TelegramRetryAfter as limited:
            raise DeliveryError(
                f"telegram rate limit: {limited.message}", retry_after=float(limited.retry_after)
            ) from None
        except TelegramForbiddenError as forbidden:
            await telegram_state.mark_blocked(
                self._db, account_id, chat_id, forbidden.message, self._clock.now()
            )
            raise DeliveryError(
                f"{BLOCKED_REASON} (Telegram: {forbidden.message})", permanent=True
            ) from None
        except TelegramBadRequest as bad:
            raise DeliveryError(
                f"telegram refused the message: {bad.message}", permanent=True
            ) from None
        except (TelegramNetworkError, TelegramAPIError) as failure:
            raise DeliveryError(f"telegram: {failure}") from None
        return message.message_id
