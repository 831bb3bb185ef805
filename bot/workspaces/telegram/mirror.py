"""Keeps a conversation's message chain in the store's Telegram topic in step with Storedesk.

Each `workspace.mirror` outbox row with a `telegram:<chat id>` target brings one conversation
up to date: the store's topic (created on demand, its id stored), a header message, then
every customer message (with its media), reply, note, draft card and notable event as
replies to the header, in order. Items are claimed in `workspace_posts` before they are sent
and finished after, like the Slack mirror; Telegram offers no way to read a chat back, so an
item left `posting` by a crash is sent again once its claim is old (rare duplicate, never a
loss). Cards and statuses are edited in place when they change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.domain.profile import header_line
from bot.ports import Clock, DeliveryError, OutboxItem
from bot.workspaces.actor_names import actor_display_name
from bot.workspaces.telegram import render
from bot.workspaces.thread_sync import DRAFT, EVENT, KNOWLEDGE, MESSAGE, ThreadSync, Timeline
from knowledge.proposal_cards import ProposalCard, conversation_cards
from storage import profiles, telegram_state, views
from storage import workspace_posts as wp
from storage.database import Database

TARGET_KIND = "telegram"
SHOWN_EVENTS = frozenset(
    {
        "escalated",
        "taken_over",
        "released",
        "reopened",
        "resolved",
        "delivery_failed",
        "denied",
        "auto_send_held",
        "auto_send_cancelled",
        "sla_reminder",
    }
)
MEDIA_SENDERS = {"photo": "send_photo", "document": "send_document", "voice": "send_voice"}


def target_name(chat_id: int) -> str:
    return f"{TARGET_KIND}:{chat_id}"


def chat_of(target: str) -> int:
    return int(target.partition(":")[2])


@dataclass(frozen=True)
class StorePlace:
    """Where a store lives in the team's Telegram."""

    chat_id: int
    topics: bool
    name: str


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    keyboard: InlineKeyboardMarkup | None = None
    updatable: bool = False
    media: tuple[str, Path] | None = None  # (kind, local file)

    @property
    def content_hash(self) -> str:
        markup = self.keyboard.to_dict() if self.keyboard is not None else None
        return hashlib.sha256(json.dumps([self.text, markup], sort_keys=True).encode()).hexdigest()


class TelegramMirror:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        clock: Clock,
        places: Mapping[str, StorePlace],
        member_names: Mapping[str, str],
        media_root: Path,
        in_flight_seconds: float = 30.0,
    ) -> None:
        self._bot = bot
        self._db = db
        self._clock = clock
        self._places = places
        self._member_names = member_names
        self._media_root = media_root
        self._in_flight_seconds = in_flight_seconds
        self._threads = ThreadSync(db, clock)

    # --- TopicHandler -----------------------------------------------------------------------

    async def deliver(self, item: OutboxItem) -> None:
        if item.conversation_id is not None and item.store_id in self._places:
            await self.sync(item.payload["target"], item.store_id, item.conversation_id)
        await self._threads.done(item)

    async def give_up(self, item: OutboxItem, error: str) -> None:
        await self._threads.dead(item, error)

    # --- sync -------------------------------------------------------------------------------

    async def sync(self, target: str, store_id: str, conversation_id: str) -> None:
        await self._threads.one_at_a_time(
            conversation_id, lambda: self._sync_locked(target, store_id, conversation_id)
        )

    async def _sync_locked(self, target: str, store_id: str, conversation_id: str) -> None:
        place = self._places[store_id]
        async with self._db.read_sessions() as session:
            detail = await views.conversation_detail(session, conversation_id)
            if detail is None:
                return
            drafts = await views.conversation_drafts(session, conversation_id)
            cards = await conversation_cards(session, conversation_id)
            profile = await profiles.customer_profile(
                session,
                detail["conversation"]["customer_id"],
                await profiles.channel_audience(session, store_id),
                current_conversation=conversation_id,
            )
        topic = await self._topic(store_id, place) if place.topics else None
        async with self._db.write_sessions() as session, session.begin():
            thread = await wp.get_thread(session, target, conversation_id)
            if thread is None:
                thread = await wp.open_thread(
                    session, target, conversation_id, str(place.chat_id), self._clock.now()
                )
        header = Item(
            "parent",
            render.parent_text(
                detail["conversation"], place.name, header_line(profile) if profile else None
            ),
            updatable=True,
        )
        if thread.parent_ts is None:
            parent_id = await self._post_once(thread, header, topic, reply_to=None)
            async with self._db.write_sessions() as session, session.begin():
                await wp.set_parent(session, thread, str(parent_id))
            parent = parent_id
        else:
            parent = int(thread.parent_ts)
        posted = await self._threads.posted(thread)
        for item in [header, *self._items(detail, drafts, place.chat_id, cards)]:
            existing = posted.get(item.key)
            if existing is not None and existing.status == wp.POSTED:
                if item.updatable and existing.content_hash != item.content_hash:
                    await self._update(thread, item, existing)
                continue
            await self._post_once(thread, item, topic, reply_to=parent)

    async def _topic(self, store_id: str, place: StorePlace) -> int:

        async def create() -> int:
            topic = await _call(self._bot.create_forum_topic(place.chat_id, place.name[:128]))
            return await telegram_state.remember_topic(
                self._db, place.chat_id, store_id, topic.message_thread_id, self._clock.now()
            )

        return await self._threads.created_once(
            f"topic:{place.chat_id}:{store_id}",
            lambda: telegram_state.topic_of(self._db, place.chat_id, store_id),
            create,
        )

    # --- posting ----------------------------------------------------------------------------

    async def _post_once(
        self, thread: wp.ThreadRef, item: Item, topic: int | None, *, reply_to: int | None
    ) -> int:
        now = self._clock.now()
        async with self._db.write_sessions() as session, session.begin():
            claimed = await wp.begin_post(session, thread, item.key, now)
            existing = None if claimed else (await wp.posts(session, thread)).get(item.key)
        if existing is not None:
            if existing.status == wp.POSTED and existing.ts:
                return int(existing.ts)
            age = (now - existing.updated_at).total_seconds() if existing.updated_at else 1e9
            if age < self._in_flight_seconds:
                raise DeliveryError(
                    f"{item.key} is being posted elsewhere", retry_after=self._in_flight_seconds
                )
        message_id = await self._send(int(thread.channel), item, topic, reply_to)
        async with self._db.write_sessions() as session, session.begin():
            await wp.finish_post(
                session, thread, item.key, str(message_id), item.content_hash, self._clock.now()
            )
        return message_id

    async def _send(self, chat_id: int, item: Item, topic: int | None, reply_to: int | None) -> int:
        replying = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        if item.media is not None:
            kind, path = item.media
            sender = getattr(self._bot, MEDIA_SENDERS[kind])
            message = await _call(
                sender(
                    chat_id,
                    path.read_bytes(),
                    caption=item.text,
                    message_thread_id=topic,
                    reply_parameters=replying,
                    **({"filename": path.name} if kind == "document" else {}),
                )
            )
        else:
            message = await _call(
                self._bot.send_message(
                    chat_id,
                    item.text,
                    message_thread_id=topic,
                    reply_parameters=replying,
                    reply_markup=item.keyboard,
                )
            )
        return int(message.message_id)

    async def _update(self, thread: wp.ThreadRef, item: Item, existing: wp.PostRef) -> None:
        if existing.ts is None:
            return
        # Not modified: it already shows this (a sync that stopped after editing).
        with contextlib.suppress(_NotModified):
            await _call(
                self._bot.edit_message_text(
                    item.text,
                    chat_id=int(thread.channel),
                    message_id=int(existing.ts),
                    reply_markup=item.keyboard,
                )
            )
        async with self._db.write_sessions() as session, session.begin():
            await wp.finish_post(
                session, thread, item.key, existing.ts, item.content_hash, self._clock.now()
            )

    # --- what the chain shows ---------------------------------------------------------------

    def _name(self, actor: str | None, customer: str) -> str:
        return actor_display_name(
            actor, customer, self._member_names, nobody="Storedesk (auto-sent)"
        )

    def _items(
        self,
        detail: dict[str, Any],
        drafts: list[dict[str, Any]],
        chat_id: int,
        cards: Sequence[ProposalCard] = (),
    ) -> list[Item]:
        conversation = detail["conversation"]
        customer = conversation["customer_name"]
        timeline: Timeline[Item] = Timeline()
        own_prefix = f"{TARGET_KIND}:{chat_id}:"
        for message in detail["messages"]:
            if (message.get("source_ref") or "").startswith(own_prefix):
                continue  # a member wrote it in this very chain: already there
            text = render.message_text(
                message, customer, self._name(message["author_id"], customer)
            )
            at = message["created_at"]
            key = f"msg:{message['id']}"
            timeline.add(at, MESSAGE, Item(key, text, updatable=True))
            for index, attachment in enumerate(message.get("attachments") or []):
                media = self._media_item(f"media:{message['id']}:{index}", attachment, customer)
                if media is not None:
                    timeline.add(at, MESSAGE, media)
        for draft in drafts:
            if draft["status"] == "discarded" and not draft["confident"]:
                continue
            decided = self._decision(draft, customer)
            pilot = conversation.get("store_mode") == "pilot"
            keyboard = (
                render.draft_keyboard(draft, conversation["id"])
                if not decided and not pilot
                else None
            )
            text = render.draft_text(draft, decided, pilot=pilot)
            timeline.add(
                draft["created_at"], DRAFT, Item(f"draft:{draft['id']}", text, keyboard, True)
            )
        for event in detail["events"]:
            if event["kind"] not in SHOWN_EVENTS:
                continue
            line = render.event_text(event, self._name(event["actor"], customer))
            if line is not None:
                timeline.add(event["at"], EVENT, Item(f"event:{event['seq']}", line))
        for card in cards:  # knowledge proposals from edits made in this conversation
            text = render.proposal_text(card, self._member_names)
            keyboard = render.proposal_keyboard(card)
            timeline.add(card.created_at, KNOWLEDGE, Item(f"kb:{card.id}", text, keyboard, True))
        return timeline.items()

    def _media_item(self, key: str, attachment: Mapping[str, Any], customer: str) -> Item | None:
        kind = attachment.get("kind")
        if kind not in MEDIA_SENDERS:
            return None
        if attachment.get("skipped") or not attachment.get("path"):
            return Item(key, render.skipped_media_text(attachment, customer))
        path = (self._media_root / str(attachment["path"])).resolve()
        if self._media_root.resolve() not in path.parents or not path.is_file():
            return Item(key, f"📎 {customer} sent a {kind} that is no longer stored")
        return Item(key, render.media_caption(attachment, customer), media=(str(kind), path))

    def _decision(self, draft: Mapping[str, Any], customer: str) -> str | None:
        if draft["status"] == "pending":
            return None
        if draft["status"] == "approved":
            return (
                f"✅ Sent to the customer, decided by {self._name(draft['decided_by'], customer)}"
            )
        return "➖ Set aside"


class _NotModified(Exception):
    pass


async def _call(request: Any) -> Any:
    """Telegram errors become the outbox's: 429 waits as told, the rest retry or give up."""
    try:
        return await request
    except RetryAfter as limited:
        wait = limited.retry_after
        seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
        raise DeliveryError(
            f"telegram rate limit: {limited.message}", retry_after=seconds
        ) from None
    except BadRequest as bad:
        if "not modified" in bad.message.lower():
            raise _NotModified from None
        raise DeliveryError(f"telegram refused: {bad.message}", permanent=True) from None
    except Forbidden as forbidden:
        raise DeliveryError(
            f"the team bot may not post here: {forbidden.message}", permanent=True
        ) from None
    except TelegramError as failure:
        raise DeliveryError(f"telegram: {failure.message}") from None
