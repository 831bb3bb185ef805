"""Digests into a Telegram chat through the team bot: the summary, then one photo per chart.

Telegram cannot be asked what a bot already sent, so each part (text chunk, photo) is
recorded through `DigestProgress` as soon as Telegram accepted it; a run taken over after a
crash sends only the parts not yet recorded.
"""

from __future__ import annotations

from telegram import Bot, InputFile, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.ports import DeliveryError, Digest, DigestProgress
from bot.services.digest_markup import caption, telegram_messages


class TelegramDigestTarget:
    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        progress: DigestProgress,
        *,
        topic_id: int | None = None,
    ) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._progress = progress
        self._topic_id = topic_id

    async def deliver(self, digest: Digest) -> None:
        done = await self._progress.delivered(digest.key)
        try:
            for number, text in enumerate(telegram_messages(digest.markdown)):
                part = f"text:{number}"
                if part in done:
                    continue
                sent = await self._bot.send_message(
                    self._chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    message_thread_id=self._topic_id,
                )
                await self._progress.mark(digest.key, part, str(sent.message_id))
            for image in digest.images:
                part = f"photo:{image.filename}"
                if part in done:
                    continue
                sent = await self._bot.send_photo(
                    self._chat_id,
                    InputFile(image.png, filename=image.filename),
                    caption=caption(image.title),
                    parse_mode=ParseMode.HTML,
                    message_thread_id=self._topic_id,
                )
                await self._progress.mark(digest.key, part, str(sent.message_id))
        except TelegramError as failure:
            raise DeliveryError(f"telegram digest to {self._chat_id}: {failure.message}") from None
