"""Keeps a conversation's Slack thread in step with Storedesk, one idempotent sync at a time.

Each outbox row of topic `workspace.mirror` asks for one conversation in one channel to be
brought up to date: the parent at the channel root (never anything else there), then every
message, draft card and notable event in its thread, in order. Every item is claimed in the
database before it is posted and carries its key in Slack message metadata, so a crash or a
timeout is reconciled by reading the thread rather than posting twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.profile import header_line
from bot.ports import Clock, DeliveryError, OutboxItem
from bot.workspaces.actor_names import actor_display_name
from bot.workspaces.slack import blocks, knowledge_blocks
from bot.workspaces.slack.api import SlackApi, ThreadLost, UnsureSend
from bot.workspaces.thread_sync import ThreadSync
from knowledge.proposal_cards import ProposalCard, conversation_cards
from storage import profiles, views
from storage import workspace_posts as wp
from storage.database import Database

SHOWN_EVENTS = frozenset(
    {
        "auto_send_held",
        "auto_send_cancelled",
        "escalated",
        "taken_over",
        "assigned",
        "released",
        "reopened",
        "resolved",
        "delivery_failed",
        "denied",
        "sla_reminder",
    }
)
STAFF_TARGET, CLIENT_TARGET = "slack", "slack-client"


def target_name(channel: str, *, interactive: bool) -> str:
    return f"{STAFF_TARGET if interactive else CLIENT_TARGET}:{channel}"


def parse_target(target: str) -> tuple[str, bool]:
    kind, _, channel = target.partition(":")
    return channel, kind == STAFF_TARGET


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    blocks: list[dict[str, Any]]
    updatable: bool = False

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(
            json.dumps([self.text, self.blocks], sort_keys=True).encode()
        ).hexdigest()


class SlackMirror:
    def __init__(
        self,
        api: SlackApi,
        db: Database,
        clock: Clock,
        store_names: Mapping[str, str],
        member_names: Mapping[str, str],
        supervisor_check: Callable[[dict[str, Any], dict[str, Any]], bool],
        in_flight_seconds: float = 30.0,
        member_mentions: Mapping[str, str] | None = None,
    ) -> None:
        self._api = api
        self._db = db
        self._clock = clock
        self._store_names = store_names
        self._member_names = member_names
        self._needs_supervisor = supervisor_check
        self._in_flight_seconds = in_flight_seconds
        self._mentions = dict(member_mentions or {})  # member id -> Slack user id
        self._threads = ThreadSync(db, clock)

    # --- TopicHandler -----------------------------------------------------------------------

    async def deliver(self, item: OutboxItem) -> None:
        channel, interactive = parse_target(item.payload["target"])
        if item.conversation_id is not None:
            await self.sync(item.payload["target"], item.conversation_id, channel, interactive)
        await self._threads.done(item)

    async def give_up(self, item: OutboxItem, error: str) -> None:
        await self._threads.dead(item, error)

    # --- sync -------------------------------------------------------------------------------

    async def sync(
        self, target: str, conversation_id: str, channel: str, interactive: bool
    ) -> None:
        # One sync per thread at a time in this process; across processes the `posting`
        # claim and its age keep two workers from posting the same item.
        await self._threads.one_at_a_time(
            f"{target}|{conversation_id}",
            lambda: self._sync_locked(target, conversation_id, channel, interactive),
        )

    async def _sync_locked(
        self, target: str, conversation_id: str, channel: str, interactive: bool
    ) -> None:
        for _attempt in range(2):  # a lost parent is replaced once per run
            try:
                await self._sync_once(target, conversation_id, channel, interactive)
                return
            except ThreadLost:
                await self._replace_parent(target, conversation_id, channel)
        raise DeliveryError("the new parent was lost too; will try again later")

    async def _sync_once(
        self, target: str, conversation_id: str, channel: str, interactive: bool
    ) -> None:
        async with self._db.read_sessions() as session:
            detail = await views.conversation_detail(session, conversation_id)
            if detail is None:
                return
            drafts = await views.conversation_drafts(session, conversation_id)
            cards = await conversation_cards(session, conversation_id)
            # The header speaks to the whole channel: only stores all its members may see.
            profile = await profiles.customer_profile(
                session,
                detail["conversation"]["customer_id"],
                await profiles.channel_audience(session, detail["conversation"]["store_id"]),
                current_conversation=conversation_id,
            )
        async with self._db.write_sessions() as session, session.begin():
            thread = await wp.get_thread(session, target, conversation_id)
            if thread is None:
                thread = await wp.open_thread(
                    session, target, conversation_id, channel, self._clock.now()
                )
        parent = self._parent_item(detail, profile, thread.lost_permalink)
        if thread.parent_ts is None:
            ts = await self._post_once(thread, parent, parent_ts=None)
            async with self._db.write_sessions() as session, session.begin():
                await wp.set_parent(session, thread, ts)
            thread = wp.ThreadRef(
                thread.target,
                thread.conversation_id,
                thread.generation,
                channel,
                ts,
                thread.lost_permalink,
            )
        async with self._db.read_sessions() as session:
            posted = await wp.posts(session, thread)
        if posted.get(parent.key) and posted[parent.key].content_hash != parent.content_hash:
            await self._update(thread, parent, posted[parent.key])
        for item in self._thread_items(detail, drafts, interactive, channel, cards):
            existing = posted.get(item.key)
            if existing is not None and existing.status == wp.POSTED:
                if item.updatable and existing.content_hash != item.content_hash:
                    await self._update(thread, item, existing)
                continue
            await self._post_once(thread, item, parent_ts=thread.parent_ts)

    async def _replace_parent(self, target: str, conversation_id: str, channel: str) -> None:
        async with self._db.read_sessions() as session:
            old = await wp.get_thread(session, target, conversation_id)
        link = None
        if old is not None and old.parent_ts is not None:
            # A deleted parent has no permalink any more; then name where it was.
            link = await self._api.permalink(old.channel, old.parent_ts) or (
                f"the earlier parent message (ts {old.parent_ts}) is no longer available"
            )
        async with self._db.write_sessions() as session, session.begin():
            await wp.open_thread(
                session, target, conversation_id, channel, self._clock.now(), lost_permalink=link
            )

    # --- posting with crash safety ----------------------------------------------------------

    async def _post_once(self, thread: wp.ThreadRef, item: Item, *, parent_ts: str | None) -> str:
        now = self._clock.now()
        async with self._db.write_sessions() as session, session.begin():
            claimed = await wp.begin_post(session, thread, item.key, now)
            existing = None if claimed else (await wp.posts(session, thread)).get(item.key)
        if existing is not None:
            if existing.status == wp.POSTED and existing.ts:
                return existing.ts
            age = (now - existing.updated_at).total_seconds() if existing.updated_at else 1e9
            if age < self._in_flight_seconds:
                # Another worker may be posting it right now: looking could miss it.
                raise DeliveryError(
                    f"{item.key} is being posted elsewhere", retry_after=self._in_flight_seconds
                )
            # Left `posting` by a crash or an unsure answer: is it in Slack already?
            found = await self._api.find_item(thread.channel, parent_ts, item.key)
            if found is not None:
                await self._finish(thread, item, found)
                return found
        try:
            ts = await self._api.post(
                thread.channel, item.text, item.blocks, item_key=item.key, thread_ts=parent_ts
            )
        except UnsureSend:
            raise  # the row stays `posting`; the next sync looks before it posts
        await self._finish(thread, item, ts)
        return ts

    async def _finish(self, thread: wp.ThreadRef, item: Item, ts: str) -> None:
        async with self._db.write_sessions() as session, session.begin():
            await wp.finish_post(
                session, thread, item.key, ts, item.content_hash, self._clock.now()
            )

    async def _update(self, thread: wp.ThreadRef, item: Item, existing: wp.PostRef) -> None:
        if existing.ts is None:
            return
        await self._api.update(thread.channel, existing.ts, item.text, item.blocks)
        await self._finish(thread, item, existing.ts)

    # --- what the thread should show --------------------------------------------------------

    def _name(self, actor: str | None, customer_name: str) -> str:
        return actor_display_name(actor, customer_name, self._member_names, nobody="someone")

    def _parent_item(
        self, detail: dict[str, Any], profile: dict[str, Any] | None, lost_permalink: str | None
    ) -> Item:
        conversation = detail["conversation"]
        text, parent_blocks = blocks.parent_message(
            conversation,
            store_name=self._store_names.get(conversation["store_id"], conversation["store_id"]),
            history_count=profile["earlier_conversations"] if profile else 0,
            previous_permalink=lost_permalink,
            profile_line=header_line(profile) if profile else None,
        )
        return Item("parent", text, parent_blocks, updatable=True)

    def _thread_items(
        self,
        detail: dict[str, Any],
        drafts: list[dict[str, Any]],
        interactive: bool,
        channel: str,
        cards: Sequence[ProposalCard] = (),
    ) -> list[Item]:
        conversation = detail["conversation"]
        customer = conversation["customer_name"]
        timeline: list[tuple[str, int, Item]] = []
        own_prefix = f"slack:{channel}:"
        for message in detail["messages"]:
            if (message.get("source_ref") or "").startswith(own_prefix):
                continue  # written in this very thread by a member: already there
            text, message_blocks = blocks.thread_message(
                message,
                customer_name=customer,
                author_name=self._name(message.get("author_id"), customer),
            )
            updatable = message["direction"] == "out"  # delivery status changes
            timeline.append(
                (
                    message["created_at"],
                    0,
                    Item(f"msg:{message['id']}", text, message_blocks, updatable),
                )
            )
        for draft in drafts:
            if draft["status"] == "discarded" and not draft["confident"]:
                continue
            decided = self._decision(draft, detail["events"], customer)
            text, card = blocks.draft_card(
                draft,
                interactive=interactive,
                needs_supervisor=self._needs_supervisor(conversation, draft),
                decided=decided,
                conversation_id=conversation["id"],
                pilot=conversation.get("store_mode") == "pilot",
            )
            timeline.append(
                (draft["created_at"], 1, Item(f"draft:{draft['id']}", text, card, True))
            )
        for event in detail["events"]:
            if event["kind"] not in SHOWN_EVENTS:
                continue
            leads = event["payload"].get("leads") if interactive else None
            line = blocks.event_line(
                event,
                actor_name=self._name(event["actor"], customer),
                mention_ids=[self._mentions[m] for m in leads or () if m in self._mentions],
            )
            if line is not None:
                timeline.append((event["at"], 2, Item(f"event:{event['seq']}", line[0], line[1])))
        for card in cards:  # knowledge proposals from edits made in this conversation
            text, card_blocks = knowledge_blocks.proposal_card(
                card, interactive=interactive, names=dict(self._member_names)
            )
            timeline.append((card.created_at, 3, Item(f"kb:{card.id}", text, card_blocks, True)))
        timeline.sort(key=lambda entry: (entry[0], entry[1]))
        return [item for _at, _order, item in timeline]

    def _decision(
        self, draft: dict[str, Any], events: list[dict[str, Any]], customer: str
    ) -> dict[str, Any] | None:
        """Who did what to a draft, read from the evidence, for the card's final state."""
        if draft["status"] == "pending":
            return None
        for event in reversed(events):
            payload = event["payload"]
            if payload.get("draft_id") != draft["id"]:
                continue
            if event["kind"] == "reviewed":
                action = "edited and sent" if payload.get("action") == "edit" else "approved"
            elif event["kind"] == "reply_queued" and event["actor"].startswith("storedesk"):
                action = "sent automatically"
            elif event["kind"] == "draft_discarded":
                action = f"set aside ({payload.get('why', 'discarded')})"
            else:
                continue
            return {"action": action, "by": self._name(event["actor"], customer), "at": event["at"]}
        return {"action": draft["status"], "by": "Storedesk", "at": draft["decided_at"] or ""}
