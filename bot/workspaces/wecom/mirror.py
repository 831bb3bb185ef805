"""Keeps a conversation in step in the store's WeCom group, and its draft cards in members'
app chats.

Each `workspace.mirror` outbox row with a `wecom:<store id>` target brings one conversation
up to date. An app group chat (`appchat/send`) takes text, images, files, text cards, news
and markdown but no template cards, so the conversation's text goes to the store's group
(created with `appchat/create` on demand, its id stored) and the button card goes to the
store's agents and leads by `message/send` (`touser`). A card is updated with
`message/update_template_card`, which spends a one-use `response_code`.

Items are claimed in `workspace_posts` before they are sent and finished after, like the
Telegram mirror; an error answer releases the claim (nothing was posted), so a retry posts
it, in order. WeCom cannot be asked what a group holds: an item left `posting` by a crash
is sent again once its claim is old (rare duplicate, never a loss). Cards and notices set
`enable_duplicate_check`, so WeCom itself drops such a repeat.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.ports import Clock, DeliveryError, OutboxItem
from bot.workspaces.actor_names import actor_display_name
from bot.workspaces.thread_sync import DRAFT, EVENT, MESSAGE, ThreadSync, Timeline
from bot.workspaces.wecom import render
from bot.workspaces.wecom.api import RATE_LIMIT_ERRCODES, WeComApi, WeComError
from storage import wecom_state
from storage import workspace_posts as wp
from storage.database import Database

TARGET_KIND = "wecom"
SHOWN_EVENTS = frozenset(
    {"escalated", "taken_over", "released", "reopened", "resolved", "delivery_failed", "denied"}
)
STATUS_EVENTS = frozenset({"escalated", "taken_over", "released", "reopened", "resolved"})
DUPLICATE_CHECK = {"enable_duplicate_check": 1, "duplicate_check_interval": 1800}
SYSTEM_BUSY = -1
NO_MESSAGE_ID = "-"


def target_name(store_id: str) -> str:
    return f"{TARGET_KIND}:{store_id}"


@dataclass(frozen=True)
class StoreGroup:
    """Where a store lives in the team's WeCom: its group, and who gets its cards."""

    name: str
    chat_id: str | None  # None: created on demand with `members`
    members: tuple[str, ...]  # every mapped member's userid (the group)
    card_to: tuple[str, ...]  # agents, leads and admins (clients only read)
    owner: str | None = None


@dataclass(frozen=True)
class Item:
    key: str
    text: str = ""
    card: dict[str, Any] | None = None
    decided: str | None = None  # a decided card: its buttons give way to this label

    @property
    def content_hash(self) -> str:
        content = [self.text, self.card, self.decided]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class WeComMirror:
    def __init__(
        self,
        api: WeComApi,
        db: Database,
        clock: Clock,
        agent_id: int,
        groups: Mapping[str, StoreGroup],
        member_names: Mapping[str, str],
        *,
        rate_limit_retry_seconds: float = 30.0,
        in_flight_seconds: float = 30.0,
    ) -> None:
        self._api = api
        self._db = db
        self._clock = clock
        self._agent_id = agent_id
        self._groups = groups
        self._member_names = member_names
        self._rate_limit_wait = rate_limit_retry_seconds
        self._in_flight_seconds = in_flight_seconds
        self._threads = ThreadSync(db, clock)

    # --- TopicHandler -----------------------------------------------------------------------

    async def deliver(self, item: OutboxItem) -> None:
        notice = item.payload.get("notice")
        if notice is not None:
            await self._call("message/send", self._text_to(notice["touser"], notice["text"]))
        elif item.conversation_id is not None and item.store_id in self._groups:
            await self.sync(item.store_id, item.conversation_id)
        await self._threads.done(item)

    async def give_up(self, item: OutboxItem, error: str) -> None:
        await self._threads.dead(item, error)

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
        chat_id = await self._chat(store_id, group)
        thread = await self._threads.thread(target_name(store_id), conversation_id, chat_id)
        posted = await self._threads.posted(thread)
        for item in self._items(snapshot.detail, snapshot.drafts, group):
            existing = posted.get(item.key)
            if existing is not None and existing.status == wp.POSTED:
                if item.card is not None and existing.content_hash != item.content_hash:
                    await self._update_card(thread, item)
                continue
            await self._post_once(thread, item, group)

    async def _chat(self, store_id: str, group: StoreGroup) -> str:
        if group.chat_id is not None:
            return group.chat_id

        async def create() -> str:
            body: dict[str, Any] = {"name": render.fit(group.name, 50), "userlist": group.members}
            if group.owner:
                body["owner"] = group.owner
            answer = await self._call("appchat/create", body)
            return await wecom_state.remember_chat(
                self._db, store_id, str(answer["chatid"]), self._clock.now()
            )

        return await self._threads.created_once(
            f"chat:{store_id}", lambda: wecom_state.chat_of(self._db, store_id), create
        )

    # --- posting ----------------------------------------------------------------------------

    async def _post_once(self, thread: wp.ThreadRef, item: Item, group: StoreGroup) -> None:
        now = self._clock.now()
        async with self._db.write_sessions() as session, session.begin():
            claimed = await wp.begin_post(session, thread, item.key, now)
            existing = None if claimed else (await wp.posts(session, thread)).get(item.key)
        if existing is not None:
            if existing.status == wp.POSTED:
                return
            age = (now - existing.updated_at).total_seconds() if existing.updated_at else 1e9
            if age < self._in_flight_seconds:
                raise DeliveryError(
                    f"{item.key} is being posted elsewhere", retry_after=self._in_flight_seconds
                )
        try:
            posted_as = await self._send(thread.channel, item, group)
        except _Answered as answered:
            await wecom_state.release_post(self._db, thread, item.key)
            raise answered.error from None
        async with self._db.write_sessions() as session, session.begin():
            await wp.finish_post(
                session, thread, item.key, posted_as, item.content_hash, self._clock.now()
            )

    async def _send(self, chat_id: str, item: Item, group: StoreGroup) -> str:
        if item.card is None:
            body = {"chatid": chat_id, "msgtype": "text", "text": {"content": item.text}}
            await self._call("appchat/send", body, answered=True)
            return NO_MESSAGE_ID  # appchat/send answers with no message id
        answer = await self._call(
            "message/send",
            {
                "touser": "|".join(group.card_to),
                "msgtype": "template_card",
                "agentid": self._agent_id,
                "template_card": item.card,
                **DUPLICATE_CHECK,
            },
            answered=True,
        )
        code = answer.get("response_code")
        if code:
            await wecom_state.remember_code(
                self._db, item.card["task_id"], str(code), self._clock.now()
            )
        return str(answer.get("msgid") or NO_MESSAGE_ID)[:32]

    async def _update_card(self, thread: wp.ThreadRef, item: Item) -> None:
        """Show the card's news if a code is at hand; otherwise the next press brings one."""
        assert item.card is not None
        task = item.card["task_id"]
        code = await wecom_state.card_code(self._db, task)
        if not code:
            return
        body: dict[str, Any] = {"atall": 1, "agentid": self._agent_id, "response_code": code}
        if item.decided is not None:
            body["button"] = {"replace_name": item.decided}
        else:
            body["template_card"] = item.card
        try:
            await self._call("message/update_template_card", body, answered=True)
        except _Answered as answered:
            if answered.error.retry_after is not None:
                raise answered.error from None
            # A code WeCom no longer takes (expired after 72 hours, used): drop it, go on.
        await wecom_state.spend_code(self._db, task, code, self._clock.now())
        async with self._db.write_sessions() as session, session.begin():
            posted = (await wp.posts(session, thread)).get(item.key)
            await wp.finish_post(
                session,
                thread,
                item.key,
                posted.ts if posted and posted.ts else NO_MESSAGE_ID,
                item.content_hash,
                self._clock.now(),
            )

    def _text_to(self, touser: str, text: str) -> dict[str, Any]:
        return {
            "touser": touser,
            "msgtype": "text",
            "agentid": self._agent_id,
            "text": {"content": render.fit_bytes(text)},
            **DUPLICATE_CHECK,
        }

    async def _call(
        self, path: str, body: dict[str, Any], *, answered: bool = False
    ) -> dict[str, Any]:
        """WeCom errors become the outbox's; `answered` marks errors WeCom itself returned
        (so nothing was posted), as opposed to a lost answer."""
        try:
            return await self._api.post(path, body)
        except WeComError as error:
            failure = self._delivery_error(error)
            if answered:
                raise _Answered(failure) from None
            raise failure from None
        except (aiohttp.ClientError, TimeoutError) as failure:
            raise DeliveryError(f"wecom {path}: {failure or type(failure).__name__}") from None

    def _delivery_error(self, error: WeComError) -> DeliveryError:
        if error.errcode in RATE_LIMIT_ERRCODES:
            return DeliveryError(f"wecom rate limit: {error}", retry_after=self._rate_limit_wait)
        return DeliveryError(f"wecom refused: {error}", permanent=error.errcode != SYSTEM_BUSY)

    # --- what the group and cards show ------------------------------------------------------

    def _name(self, actor: str | None, customer: str) -> str:
        return actor_display_name(
            actor, customer, self._member_names, nobody="Storedesk (auto-sent)"
        )

    def _items(
        self, detail: dict[str, Any], drafts: Sequence[dict[str, Any]], group: StoreGroup
    ) -> list[Item]:
        conversation = detail["conversation"]
        conversation_id, customer = conversation["id"], conversation["customer_name"]
        timeline: Timeline[Item] = Timeline()
        sent_text = {m["id"]: m["text"] for m in detail["messages"] if m["direction"] == "out"}
        for message in detail["messages"]:
            who = customer if message["direction"] == "in" else None
            who = who or self._name(message["author_id"], customer)
            text = render.message_text(message, conversation_id, who)
            timeline.add(message["created_at"], MESSAGE, Item(f"msg:{message['id']}", text))
        status_line = None
        for event in detail["events"]:
            if event["kind"] not in SHOWN_EVENTS:
                continue
            actor = self._name(event["actor"], customer)
            line = render.event_text(event, conversation_id, actor)
            if line is not None:
                timeline.add(event["at"], EVENT, Item(f"event:{event['seq']}", line))
                if event["kind"] in STATUS_EVENTS:
                    status_line = line.split(" ", 1)[1]
        for draft in drafts:
            if draft["status"] == "discarded" and not draft["confident"]:
                continue
            at = draft["created_at"]
            text = render.draft_text(draft, conversation_id)
            timeline.add(at, DRAFT, Item(f"draft:{draft['id']}", text))
            if not group.card_to:
                continue
            decided = None
            if draft["status"] != "pending":
                edited = sent_text.get(draft["reply_message_id"], draft["text"]) != draft["text"]
                who = self._name(draft["decided_by"], customer)
                decided = render.decided_label(draft, edited, who)
            card = render.card(draft, conversation, group.name, status_line)
            timeline.add(at, DRAFT, Item(f"card:{draft['id']}", card=card, decided=decided))
        header = Item("header", render.header_text(conversation, group.name))
        return [header, *timeline.items()]


class _Answered(Exception):
    """WeCom answered with an error: the message was not posted."""

    def __init__(self, error: DeliveryError) -> None:
        super().__init__(str(error))
        self.error = error
