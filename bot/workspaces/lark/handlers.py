"""The team's edge in Lark: card presses and thread replies become domain commands.

Handlers translate and hand over; roles are checked by the core for every command, which
audits refusals. A press is answered within Lark's 3 seconds with a toast (the card itself
is updated in place by the mirror, through the outbox); a refused thread reply shows up in
the thread as the `denied` event the core recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain import commands
from bot.domain.errors import DomainError
from bot.ports import DeliveryError
from bot.services.messagebus import MessageBus
from bot.workspaces.lark import cards
from bot.workspaces.lark.api import LarkApi
from bot.workspaces.lark.mirror import StoreGroup, source_prefix, target_name
from storage import lark_state, views
from storage import workspace_posts as wp
from storage.database import Database

NOTE_PREFIX = "note:"
EDIT_PREFIX = "edit:"
ESCALATED_HERE = "escalated from Lark"
MENTION = re.compile(r"@_user_\d+\s*")
TOAST_LIMIT = 200
MESSAGE_EVENT = "im.message.receive_v1"
CARD_EVENT = "card.action.trigger"


def toast(kind: str, text: str) -> dict[str, Any]:
    return {"toast": {"type": kind, "content": text[:TOAST_LIMIT]}}


@dataclass
class LarkTeam:
    bus: MessageBus
    db: Database
    api: LarkApi
    groups: Mapping[str, StoreGroup]
    members_by_open_id: Mapping[str, str]
    _stores_by_chat: dict[str, str] = field(default_factory=dict)

    def actor(self, open_id: str) -> str:
        # Someone not in the config acts under a name no role matches: the core refuses it.
        return self.members_by_open_id.get(open_id) or f"lark:{open_id}"

    async def store_of_chat(self, chat_id: str) -> str | None:
        if not self._stores_by_chat:
            self._stores_by_chat.update(
                {g.chat_id: g.store_id for g in self.groups.values() if g.chat_id}
            )
        if chat_id not in self._stores_by_chat:  # a group created on demand, maybe elsewhere
            created = await lark_state.stores_by_chat(self.db)
            self._stores_by_chat.update(
                {chat: store for chat, store in created.items() if store in self.groups}
            )
        return self._stores_by_chat.get(chat_id)

    async def handle(self, event_type: str, event: dict[str, Any]) -> dict[str, Any] | None:
        if event_type == CARD_EVENT:
            return await self.on_press(event)
        if event_type == MESSAGE_EVENT:
            await self.on_message(event)
        return None

    # --- card presses -----------------------------------------------------------------------

    async def on_press(self, event: dict[str, Any]) -> dict[str, Any]:
        action = event.get("action") if isinstance(event.get("action"), dict) else {}
        context = event.get("context") if isinstance(event.get("context"), dict) else {}
        operator = event.get("operator") if isinstance(event.get("operator"), dict) else {}
        value = cards.ButtonValue.parse(action.get("value"))
        chat_id = str(context.get("open_chat_id") or "")
        open_id = operator.get("open_id")
        if value is None or not isinstance(open_id, str) or not await self.store_of_chat(chat_id):
            return toast("info", "This button is not Storedesk's.")
        actor = self.actor(open_id)
        command: commands.Command
        if value.press == cards.Press.APPROVE:
            command = commands.ApproveDraft(value.ref, actor)
        elif value.press == cards.Press.SEND_EDIT:
            form = action.get("form_value") if isinstance(action.get("form_value"), dict) else {}
            edited = form.get(cards.EDIT_INPUT)
            if not isinstance(edited, str) or not edited.strip():
                return toast("warning", "Write the reply in the box first.")
            command = commands.EditAndSendDraft(value.ref, actor, edited.strip())
        elif value.press == cards.Press.ESCALATE:
            command = commands.Escalate(value.ref, actor, ESCALATED_HERE)
        else:
            command = commands.TakeOver(value.ref, actor)
        try:
            await self.bus.handle(command)
        except DomainError as refusal:
            return toast("error", f"Not allowed: {refusal}")
        done = {
            cards.Press.APPROVE: "Approved: sending to the customer.",
            cards.Press.SEND_EDIT: "Edited reply sent to the customer.",
            cards.Press.ESCALATE: "Escalated to a lead.",
            cards.Press.TAKE_OVER: "Taken over: reply in the thread.",
        }
        return toast("success", done[value.press])

    # --- replies in a conversation's thread -------------------------------------------------

    async def on_message(self, event: dict[str, Any]) -> None:
        sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        if sender.get("sender_type") != "user":
            return  # our own posts and other bots
        sender_ids = sender.get("sender_id") if isinstance(sender.get("sender_id"), dict) else {}
        open_id, chat_id = sender_ids.get("open_id"), str(message.get("chat_id") or "")
        root_id, message_id = message.get("root_id"), message.get("message_id")
        text = _text_of(message)
        if not (isinstance(open_id, str) and isinstance(root_id, str) and message_id and text):
            return
        store_id = await self.store_of_chat(chat_id)
        if store_id is None:
            return
        async with self.db.read_sessions() as session:
            thread = await wp.find_thread_by_parent(session, chat_id, root_id)
        if thread is None or thread.target != target_name(store_id):
            return  # a thread that is not a conversation's
        conversation_id = thread.conversation_id
        actor = self.actor(open_id)
        source = f"{source_prefix(store_id)}{message_id}"
        command: commands.Command
        lowered = text.lower()
        if lowered.startswith(NOTE_PREFIX):
            note = text[len(NOTE_PREFIX) :].strip()
            command = commands.AddNote(conversation_id, actor, note, source_ref=source)
        elif lowered.startswith(EDIT_PREFIX):
            async with self.db.read_sessions() as session:
                detail = await views.conversation_detail(session, conversation_id)
            draft = (detail or {}).get("draft")
            if draft is None:
                await self._answer(chat_id, str(message_id), "No draft is waiting; nothing sent.")
                return
            edited = text[len(EDIT_PREFIX) :].strip()
            command = commands.EditAndSendDraft(draft["id"], actor, edited)
        else:
            command = commands.SendReply(conversation_id, actor, text, source_ref=source)
        try:
            await self.bus.handle(command)
        except DomainError:
            return  # audited by the core; the mirror shows the refusal in the thread

    async def _answer(self, chat_id: str, message_id: str, text: str) -> None:
        """A short note to the member in the thread; best effort, nothing depends on it."""
        try:
            await self.api.reply(
                chat_id, message_id, "text", cards.text_content(text), f"sd-answer-{message_id}"
            )
        except DeliveryError:
            return


def _text_of(message: Mapping[str, Any]) -> str:
    """The text of a `text` message, without the @mention placeholders Lark puts in it."""
    if message.get("message_type") != "text":
        return ""
    try:
        content = json.loads(str(message.get("content") or ""))
    except ValueError:
        return ""
    text = content.get("text") if isinstance(content, dict) else None
    return MENTION.sub("", text).strip() if isinstance(text, str) else ""
