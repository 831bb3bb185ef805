"""Knowledge proposal cards in the team's Telegram: Accept, Reject, and edit by replying.

The edit path follows the draft card's: a lead replies to the card with the new text and
confirms with "Accept this text"; a reply starting `reject:` rejects with that reason. The
knowledge base checks the role (refusals audited) and lets only one decision count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import CallbackQuery, Message, ReplyParameters

from bot.domain.errors import DomainError, NotAuthorized
from bot.workspaces.telegram import render
from bot.workspaces.telegram.callback_data import ButtonData, Press

if TYPE_CHECKING:
    from bot.workspaces.telegram.handlers import TeamContext

ALERT_LIMIT = 200
REJECT_PREFIX = "reject:"
KB_EDIT_HINT = (
    "Reply to the proposal card with the article text you want, then press “Accept this "
    "text”. Reply “reject: reason” to reject with a reason."
)
KB_PRESSES = frozenset({Press.KB_ACCEPT, Press.KB_EDIT, Press.KB_ACCEPT_EDIT, Press.KB_REJECT})


def refusal_text(refusal: DomainError) -> str:
    prefix = "Not allowed: " if isinstance(refusal, NotAuthorized) else ""
    return f"{prefix}{refusal}"


async def on_knowledge_press(
    ctx: TeamContext, query: CallbackQuery, data: ButtonData, message: Message
) -> None:
    if ctx.knowledge is None:
        await query.answer()
        return
    if data.press == Press.KB_EDIT:
        await query.answer(KB_EDIT_HINT[:ALERT_LIMIT], show_alert=True)
        return
    member = await ctx.knowledge.member(await ctx.actor(query.from_user.id))
    edited = None
    if data.press == Press.KB_ACCEPT_EDIT:
        edited = message.reply_to_message.text if message.reply_to_message else None
        if not edited:
            await query.answer("The edited text is gone; reply to the card again.", show_alert=True)
            return
    try:
        if data.press == Press.KB_REJECT:
            await ctx.knowledge.reject(member, data.ref)
        else:
            await ctx.knowledge.accept(member, data.ref, body=edited)
    except DomainError as refusal:
        await query.answer(refusal_text(refusal)[:ALERT_LIMIT], show_alert=True)
        return
    await query.answer("Done")
    if data.press == Press.KB_ACCEPT_EDIT:
        await query.edit_message_text("📚 Accepted as the new article version.", reply_markup=None)


async def on_knowledge_reply(
    ctx: TeamContext, message: Message, proposal_id: str, text: str
) -> str | None:
    """What to answer in the chain (None: nothing); asks before accepting an edit."""
    if ctx.knowledge is None or message.from_user is None:
        return None
    if not text.strip():
        return "⛔ Reply with the article text; files are not taken here."
    if not text.lower().startswith(REJECT_PREFIX):
        await message.get_bot().send_message(
            message.chat.id,
            "Accept this text as the new article version?",
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
            reply_parameters=ReplyParameters(message.message_id),
            reply_markup=render.confirm_proposal_keyboard(proposal_id),
        )
        return None
    member = await ctx.knowledge.member(await ctx.actor(message.from_user.id))
    try:
        await ctx.knowledge.reject(member, proposal_id, text[len(REJECT_PREFIX) :].strip())
    except DomainError as refusal:
        return f"⛔ {refusal_text(refusal)}"
    return None
