"""Slack listeners for knowledge proposal cards: Accept, Edit & accept (modal), Reject.

They translate presses into calls on the knowledge base, which checks the role, audits a
refusal and makes sure only one decision counts; a refusal or a card someone already
decided comes back to the presser as an ephemeral message (or on the modal's input).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain import commands
from bot.domain.errors import DomainError
from bot.domain.permissions import Member
from bot.services.messagebus import MessageBus
from bot.workspaces.slack import blocks
from bot.workspaces.slack import knowledge_blocks as kb_blocks
from bot.workspaces.slack.api import SlackApi
from bot.workspaces.slack.app import SlackDirectory
from knowledge.service import KnowledgeBase
from storage.database import Database


def register_knowledge_actions(
    app: AsyncApp,
    *,
    kb: KnowledgeBase,
    bus: MessageBus,
    db: Database,
    api: SlackApi,
    directory: SlackDirectory,
) -> None:
    async def member_of(user: str) -> Member:
        return await kb.member(await directory.resolve(user, api))

    def where(body: dict[str, Any]) -> tuple[str, str, str | None]:
        channel = (body.get("channel") or {}).get("id", "")
        message = body.get("message") or {}
        return channel, body["user"]["id"], message.get("thread_ts") or message.get("ts")

    async def refused(body: dict[str, Any], proposal_id: str, action: str) -> bool:
        """Presses in a read-only client channel, or on a proposal that is not there."""
        channel, user, thread_ts = where(body)
        if channel not in directory.client_channels:
            return False
        try:
            found = await kb.proposal(proposal_id)
        except DomainError:
            return True
        await bus.handle(
            commands.RefuseAction(
                found["conversation_id"],
                await directory.resolve(user, api),
                action,
                "read-only client channel",
            )
        )
        await api.ephemeral(
            channel, user, blocks.not_allowed_text("this channel is read-only"), thread_ts
        )
        return True

    async def say_no(body: dict[str, Any], refusal: DomainError) -> None:
        channel, user, thread_ts = where(body)
        await api.ephemeral(channel, user, blocks.not_allowed_text(str(refusal)), thread_ts)

    @app.action(kb_blocks.KB_ACCEPT)
    async def accept(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        if await refused(body, action["value"], "accept_knowledge"):
            return
        try:
            await kb.accept(await member_of(body["user"]["id"]), action["value"])
        except DomainError as refusal:
            await say_no(body, refusal)

    @app.action(kb_blocks.KB_EDIT)
    async def edit(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        if await refused(body, action["value"], "accept_knowledge"):
            return
        try:
            found = await kb.decidable(await member_of(body["user"]["id"]), action["value"])
        except DomainError as refusal:
            await say_no(body, refusal)
            return
        suggested = found["suggestion"]
        await api.open_view(
            body["trigger_id"],
            kb_blocks.edit_modal(found["id"], suggested["title"], suggested["body"]),
        )

    @app.action(kb_blocks.KB_REJECT)
    async def reject(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        if await refused(body, action["value"], "reject_knowledge"):
            return
        try:
            await kb.decidable(await member_of(body["user"]["id"]), action["value"])
        except DomainError as refusal:
            await say_no(body, refusal)
            return
        await api.open_view(body["trigger_id"], kb_blocks.reject_modal(action["value"]))

    def typed(view: dict[str, Any], block: str, action: str) -> str:
        return str((view["state"]["values"].get(block) or {}).get(action, {}).get("value") or "")

    @app.view(kb_blocks.KB_EDIT_SUBMIT)
    async def edit_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = typed(view, kb_blocks.KB_BODY_BLOCK, kb_blocks.KB_BODY_ACTION)
        try:
            await kb.accept(
                await member_of(body["user"]["id"]), view["private_metadata"], body=text
            )
        except DomainError as refusal:
            await ack(response_action="errors", errors={kb_blocks.KB_BODY_BLOCK: str(refusal)})
            return
        await ack()

    @app.view(kb_blocks.KB_REJECT_SUBMIT)
    async def reject_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        note = typed(view, kb_blocks.KB_NOTE_BLOCK, kb_blocks.KB_NOTE_ACTION).strip()
        try:
            await kb.reject(await member_of(body["user"]["id"]), view["private_metadata"], note)
        except DomainError as refusal:
            await ack(response_action="errors", errors={kb_blocks.KB_NOTE_BLOCK: str(refusal)})
            return
        await ack()
