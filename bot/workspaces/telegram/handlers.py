"""The team bot's edge: button presses and replies in store topics become domain commands.

Handlers translate and hand over; roles are checked by the core for every command. A press
the core refuses is answered with an alert (`answerCallbackQuery` with `show_alert`), a
refused reply with a short answer in the chain; the core has already audited the refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from telegram import Message, ReplyParameters, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.domain import commands
from bot.domain.errors import DomainError
from bot.services.messagebus import MessageBus
from bot.workspaces.telegram import render
from bot.workspaces.telegram.callback_data import ButtonData, Press
from bot.workspaces.telegram.knowledge_handlers import (
    KB_PRESSES,
    on_knowledge_press,
    on_knowledge_reply,
)
from bot.workspaces.telegram.mirror import target_name
from bot.workspaces.telegram.team_media import (
    FileRefused,
    carries_files,
    forget_files,
    has_file,
    store_files,
)
from knowledge.service import KnowledgeBase
from storage import workspace_posts as wp
from storage.database import Database
from storage.grants import IdentityLookup

NOTE_PREFIX = "note:"
ALERT_LIMIT = 200
EDIT_HINT = "Reply to the draft card with the new text, then press “Send this edited reply”."
ESCALATED_HERE = "escalated from Telegram"
FILES_GO_TO_CUSTOMER_MESSAGES = (
    "A photo or document goes to the customer as a reply to their message; "
    "the draft card takes text edits only."
)
FILES_ONLY_ON_TELEGRAM = (
    "This customer writes from another channel, which cannot receive files; nothing was sent."
)


@dataclass(frozen=True)
class TeamContext:
    bus: MessageBus
    db: Database
    members_by_user: Mapping[int, str]
    chats: frozenset[int]
    media_root: Path
    max_media_bytes: int
    file_accounts: frozenset[str]  # channel accounts whose customers can receive files
    # Members granted a role later (`storedesk members grant --telegram-user`).
    identities: IdentityLookup | None = None
    knowledge: KnowledgeBase | None = None  # decides knowledge proposal cards

    async def actor(self, user_id: int) -> str:
        # Someone unknown acts under a name no role matches: the core refuses it.
        known = self.members_by_user.get(user_id)
        if known is None and self.identities is not None:
            known = await self.identities("telegram", str(user_id))
        return known or f"telegram:{user_id}"


def add_team_handlers(application: Application, ctx: TeamContext) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(partial(on_press, ctx)))
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS
            & filters.REPLY
            & (filters.TEXT | filters.PHOTO | filters.Document.ALL)
            & ~filters.COMMAND,
            partial(on_reply, ctx),
        )
    )


async def on_press(ctx: TeamContext, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    data = ButtonData.parse(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if data is None or message is None or message.chat.id not in ctx.chats:
        await query.answer()
        return
    if data.press in KB_PRESSES:
        await on_knowledge_press(ctx, query, data, message)
        return
    actor = await ctx.actor(query.from_user.id)
    command: commands.Command
    if data.press == Press.EDIT:
        await query.answer(EDIT_HINT, show_alert=True)
        return
    if data.press == Press.APPROVE:
        command = commands.ApproveDraft(data.ref, actor)
    elif data.press == Press.SEND_EDIT:
        edited = message.reply_to_message.text if message.reply_to_message else None
        if not edited:
            await query.answer("The edited text is gone; reply to the card again.", show_alert=True)
            return
        command = commands.EditAndSendDraft(data.ref, actor, edited)
    elif data.press == Press.ESCALATE:
        command = commands.Escalate(data.ref, actor, ESCALATED_HERE)
    elif data.press == Press.CANCEL_AUTO:
        command = commands.CancelAutoSend(data.ref, actor)
    else:
        command = commands.TakeOver(data.ref, actor)
    try:
        await ctx.bus.handle(command)
    except DomainError as refusal:
        await query.answer(f"Not allowed: {refusal}"[:ALERT_LIMIT], show_alert=True)
        return
    await query.answer("Done")
    if data.press == Press.SEND_EDIT:
        await query.edit_message_text("📤 Edited reply sent to the customer.", reply_markup=None)


async def on_reply(ctx: TeamContext, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return
    replied = message.reply_to_message
    text = message.text or message.caption or ""
    if message.chat.id not in ctx.chats or replied is None or not (text or has_file(message)):
        return
    async with ctx.db.read_sessions() as session:
        found = await wp.find_post(session, target_name(message.chat.id), str(replied.message_id))
    if found is None:
        return  # a reply to something that is not ours
    conversation_id, item_key = found
    if item_key.startswith("kb:"):
        answer = await on_knowledge_reply(ctx, message, item_key.removeprefix("kb:"), text)
        if answer:
            await _answer(message, answer)
        return
    actor = await ctx.actor(message.from_user.id)
    source = f"{target_name(message.chat.id)}:{message.message_id}"
    command: commands.Command
    attachments: list[dict[str, Any]] = []
    if text.lower().startswith(NOTE_PREFIX):  # notes keep their text; a file stays in the chat
        command = commands.AddNote(
            conversation_id, actor, text[len(NOTE_PREFIX) :].strip(), source_ref=source
        )
    elif item_key.startswith("draft:") and has_file(message):
        await _answer(message, FILES_GO_TO_CUSTOMER_MESSAGES)
        return
    elif item_key.startswith("draft:"):
        await _answer(
            message,
            "Send this to the customer instead of the draft?",
            render.confirm_edit_keyboard(item_key.removeprefix("draft:")),
        )
        return
    elif has_file(message) and not await carries_files(ctx.db, conversation_id, ctx.file_accounts):
        await _answer(message, f"⛔ {FILES_ONLY_ON_TELEGRAM}")
        return
    else:
        try:
            attachments = await store_files(message, ctx.media_root, ctx.max_media_bytes)
        except FileRefused as refused:
            await _answer(message, f"⛔ {refused}")
            return
        except TelegramError as failure:
            await _answer(message, f"⛔ The file could not be downloaded ({failure.message}).")
            return
        command = commands.SendReply(
            conversation_id, actor, text, source_ref=source, attachments=tuple(attachments)
        )
    try:
        await ctx.bus.handle(command)
    except DomainError as refusal:
        forget_files(attachments, ctx.media_root)
        await _answer(message, f"⛔ Not allowed: {refusal}")


async def _answer(message: Message, text: str, keyboard: object = None) -> None:
    await message.get_bot().send_message(
        message.chat.id,
        render.fit(text),
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_parameters=ReplyParameters(message.message_id),
        reply_markup=keyboard,  # type: ignore[arg-type]
    )
