"""Keeps a conversation's thread in the store's Lark group in step with Storedesk.

Each `workspace.mirror` outbox row with a `lark:<store id>` target brings one conversation
up to date: the store's group (configured, or created on demand and stored), a root card at
the group's root, then every customer message, reply, note, draft card and notable event as
replies in the root's thread (`reply_in_thread`), in order. Cards are PATCHed in place when
they change (a decided draft loses its buttons and says who decided).

Items are claimed in `workspace_posts` before the call and finished after. Every send
carries a `uuid` derived from the item, which Lark deduplicates for an hour: an item left
`posting` by a crash, a lost answer or a second worker is simply sent again with the same
uuid, and Lark returns the message it already has instead of posting a second one. (An
item left `posting` for over an hour could appear twice: the outbox gives up long before.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.ports import Clock, OutboxItem
from bot.workspaces.actor_names import actor_display_name
from bot.workspaces.lark import cards
from bot.workspaces.lark.api import LarkApi
from bot.workspaces.thread_sync import DRAFT, EVENT, MESSAGE, ThreadSync, Timeline
from storage import lark_state
from storage import workspace_posts as wp
from storage.database import Database

TARGET_KIND = "lark"
SHOWN_EVENTS = frozenset(
    {"escalated", "taken_over", "released", "reopened", "resolved", "delivery_failed", "denied"}
)


def target_name(store_id: str) -> str:
    return f"{TARGET_KIND}:{store_id}"


def source_prefix(store_id: str) -> str:
    """How a member's message in the store's group is referenced (`source_ref`)."""
    return f"{target_name(store_id)}:"


@dataclass(frozen=True)
class StoreGroup:
    """Where a store lives in the team's Lark: its group, or how to create one."""

    store_id: str
    name: str
    chat_id: str | None  # None: created on demand
    members: tuple[str, ...] = ()  # open ids invited when the group is created


@dataclass(frozen=True)
class Item:
    key: str
    card: dict[str, Any] | None = None
    text: str | None = None

    @property
    def updatable(self) -> bool:
        return self.card is not None

    @property
    def message(self) -> tuple[str, dict[str, Any]]:
        if self.card is not None:
            return "interactive", self.card
        return "text", cards.text_content(self.text or "")

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(
            json.dumps([self.card, self.text], sort_keys=True).encode()
        ).hexdigest()


def send_uuid(thread: wp.ThreadRef, item_key: str) -> str:
    """Stable per item and thread generation: Lark keeps one message per uuid for an hour."""
    seed = f"{thread.target}|{thread.conversation_id}|{thread.generation}|{item_key}"
    return "sd-" + hashlib.sha256(seed.encode()).hexdigest()[:40]


class LarkMirror:
    def __init__(
        self,
        api: LarkApi,
        db: Database,
        clock: Clock,
        groups: Mapping[str, StoreGroup],
        member_names: Mapping[str, str],
    ) -> None:
        self._api = api
        self._db = db
        self._clock = clock
        self._groups = groups
        self._member_names = member_names
        self._threads = ThreadSync(db, clock)

    # --- TopicHandler -----------------------------------------------------------------------

    async def deliver(self, item: OutboxItem) -> None:
        if item.conversation_id is not None and item.store_id in self._groups:
            await self.sync(item.store_id, item.conversation_id)
        await self._threads.done(item)

    async def give_up(self, item: OutboxItem, error: str) -> None:
        await self._threads.dead(item, error)

    # --- groups -----------------------------------------------------------------------------

    async def chat_of(self, store_id: str) -> str:
        group = self._groups[store_id]
        if group.chat_id is not None:
            return group.chat_id

        async def create() -> str:
            # The uuid makes a repeated creation (after a lost answer) return the same group.
            uuid = "sd-chat-" + hashlib.sha256(store_id.encode()).hexdigest()[:32]
            chat_id = await self._api.create_chat(group.name, list(group.members), uuid)
            return await lark_state.remember_chat(self._db, store_id, chat_id, self._clock.now())

        return await self._threads.created_once(
            f"chat:{store_id}", lambda: lark_state.chat_of(self._db, store_id), create
        )

    # --- sync -------------------------------------------------------------------------------

    async def sync(self, store_id: str, conversation_id: str) -> None:
        await self._threads.one_at_a_time(
            conversation_id, lambda: self._sync_locked(store_id, conversation_id)
        )

    async def _sync_locked(self, store_id: str, conversation_id: str) -> None:
        group = self._groups[store_id]
        snapshot = await self._threads.snapshot(conversation_id)
        if snapshot is None:
            return
        detail, drafts = snapshot.detail, snapshot.drafts
        chat_id = await self.chat_of(store_id)
        thread = await self._threads.thread(target_name(store_id), conversation_id, chat_id)
        root = Item("parent", card=cards.root_card(detail["conversation"], group.name))
        if thread.parent_ts is None:
            root_id = await self._post_once(thread, root, reply_to=None)
            async with self._db.write_sessions() as session, session.begin():
                await wp.set_parent(session, thread, root_id)
        else:
            root_id = thread.parent_ts
        posted = await self._threads.posted(thread)
        for item in [root, *self._items(detail, drafts, store_id)]:
            existing = posted.get(item.key)
            if existing is not None and existing.status == wp.POSTED:
                if item.updatable and existing.content_hash != item.content_hash:
                    await self._update(thread, item, existing)
                continue
            await self._post_once(thread, item, reply_to=root_id)

    async def _post_once(self, thread: wp.ThreadRef, item: Item, *, reply_to: str | None) -> str:
        now = self._clock.now()
        async with self._db.write_sessions() as session, session.begin():
            claimed = await wp.begin_post(session, thread, item.key, now)
            existing = None if claimed else (await wp.posts(session, thread)).get(item.key)
        if existing is not None and existing.status == wp.POSTED and existing.ts:
            return existing.ts
        # Still `posting` (a failed or unanswered call, another worker): the same uuid cannot
        # make a second message, so there is nothing to wait for.
        msg_type, content = item.message
        uuid = send_uuid(thread, item.key)
        if reply_to is None:
            message_id = await self._api.send(thread.channel, msg_type, content, uuid)
        else:
            message_id = await self._api.reply(thread.channel, reply_to, msg_type, content, uuid)
        async with self._db.write_sessions() as session, session.begin():
            await wp.finish_post(
                session, thread, item.key, message_id, item.content_hash, self._clock.now()
            )
        return message_id

    async def _update(self, thread: wp.ThreadRef, item: Item, existing: wp.PostRef) -> None:
        if existing.ts is None or item.card is None:
            return
        await self._api.update_card(thread.channel, existing.ts, item.card)
        async with self._db.write_sessions() as session, session.begin():
            await wp.finish_post(
                session, thread, item.key, existing.ts, item.content_hash, self._clock.now()
            )

    # --- what the thread shows --------------------------------------------------------------

    def _name(self, actor: str | None, customer: str) -> str:
        return actor_display_name(
            actor, customer, self._member_names, nobody="Storedesk (auto-sent)"
        )

    def _items(
        self, detail: dict[str, Any], drafts: list[dict[str, Any]], store_id: str
    ) -> list[Item]:
        conversation = detail["conversation"]
        customer = conversation["customer_name"]
        timeline: Timeline[Item] = Timeline()
        own = source_prefix(store_id)
        for message in detail["messages"]:
            if (message.get("source_ref") or "").startswith(own):
                continue  # a member wrote it in this very thread: already there
            author = self._name(message["author_id"], customer)
            card = cards.message_card(message, customer, author)
            timeline.add(message["created_at"], MESSAGE, Item(f"msg:{message['id']}", card=card))
        for draft in drafts:
            if draft["status"] == "discarded" and not draft["confident"]:
                continue
            card = cards.draft_card(draft, conversation["id"], self._decision(draft, customer))
            timeline.add(draft["created_at"], DRAFT, Item(f"draft:{draft['id']}", card=card))
        for event in detail["events"]:
            if event["kind"] not in SHOWN_EVENTS:
                continue
            line = cards.event_text(event, self._name(event["actor"], customer))
            if line is not None:
                timeline.add(event["at"], EVENT, Item(f"event:{event['seq']}", text=line))
        return timeline.items()

    def _decision(self, draft: Mapping[str, Any], customer: str) -> str | None:
        if draft["status"] == "pending":
            return None
        who = self._name(draft.get("decided_by"), customer)
        if draft["status"] == "approved":
            return f"✅ Sent to the customer, decided by {who}"
        return f"➖ Set aside ({who})" if draft.get("decided_by") else "➖ Set aside"
