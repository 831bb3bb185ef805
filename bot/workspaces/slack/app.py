"""The Slack edge: bolt listeners that translate presses and thread replies into commands.

Listeners ack first and hand over to the bus; they hold no business rules. Refusals come
back to the person as an ephemeral message; the core has already put them in evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import SystemClock
from bot.domain import commands
from bot.domain.errors import DomainError
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from bot.workspaces.slack import blocks
from bot.workspaces.slack.api import SlackApi
from storage import inbound, views
from storage import workspace_posts as wp
from storage.database import Database
from storage.grants import IdentityLookup

NOTE_PREFIX = "note:"
EVENT_SOURCE = "slack:events"


@dataclass
class SlackDirectory:
    """Who is who: Slack users to members, and which channels are read-only client mirrors.

    Members are matched by Slack user id from the config, or else by the email of their
    Slack profile (looked up once per user and remembered).
    """

    members_by_user: Mapping[str, str]
    client_channels: frozenset[str]
    members_by_email: Mapping[str, str] = field(default_factory=dict)
    # Members granted a role later (`storedesk members grant --slack-user`), from the database.
    identities: IdentityLookup | None = None
    _learned: dict[str, str] = field(default_factory=dict)
    _looked_up: set[str] = field(default_factory=set)

    def actor(self, user_id: str) -> str:
        # An unknown Slack user acts under a name no role matches: the core refuses it.
        known = self.members_by_user.get(user_id) or self._learned.get(user_id)
        return known or f"slack:{user_id}"

    async def resolve(self, user_id: str, api: SlackApi) -> str:
        if user_id in self.members_by_user or user_id in self._learned:
            return self.actor(user_id)
        if self.identities is not None:
            granted = await self.identities("slack", user_id)
            if granted:
                self._learned[user_id] = granted
                return granted
        if self.members_by_email and user_id not in self._looked_up:
            self._looked_up.add(user_id)
            email = await api.user_email(user_id)
            if email and email.lower() in self.members_by_email:
                self._learned[user_id] = self.members_by_email[email.lower()]
        return self.actor(user_id)


def build_slack_app(
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    bus: MessageBus,
    db: Database,
    api: SlackApi,
    directory: SlackDirectory,
    clock: Clock | None = None,
) -> AsyncApp:
    clock = clock or SystemClock()
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        # ack() answers Slack at once; the work continues after the HTTP response.
        process_before_response=False,
        request_verification_enabled=signing_secret is not None,
        ignoring_self_events_enabled=True,
    )

    async def run(
        command: commands.Command, *, channel: str, user: str, thread_ts: str | None
    ) -> bool:
        try:
            await bus.handle(command)
        except DomainError as refusal:
            await api.ephemeral(channel, user, blocks.not_allowed_text(str(refusal)), thread_ts)
            return False
        return True

    async def refuse_in_client_channel(
        body: dict[str, Any], conversation_id: str, action: str
    ) -> bool:
        channel = (body.get("channel") or {}).get("id", "")
        if channel not in directory.client_channels:
            return False
        user = body["user"]["id"]
        await bus.handle(
            commands.RefuseAction(
                conversation_id,
                await directory.resolve(user, api),
                action,
                "read-only client channel",
            )
        )
        await api.ephemeral(
            channel, user, blocks.not_allowed_text("this channel is read-only"), None
        )
        return True

    async def draft_conversation(draft_id: str) -> dict[str, Any] | None:
        async with db.read_sessions() as session:
            for_draft = await views.draft_with_conversation(session, draft_id)
        return for_draft

    def where(body: dict[str, Any]) -> tuple[str, str, str | None]:
        channel = (body.get("channel") or {}).get("id", "")
        message = body.get("message") or {}
        return channel, body["user"]["id"], message.get("thread_ts") or message.get("ts")

    async def on_draft(
        body: dict[str, Any],
        draft_id: str,
        action_name: str,
        command: Callable[[str, str], commands.Command],
    ) -> None:
        """A button on a draft card: refused in a client channel, else run as the presser."""
        found = await draft_conversation(draft_id)
        if found is None or await refuse_in_client_channel(
            body, found["conversation_id"], action_name
        ):
            return
        channel, user, thread_ts = where(body)
        await run(
            command(draft_id, await directory.resolve(user, api)),
            channel=channel,
            user=user,
            thread_ts=thread_ts,
        )

    @app.action(blocks.APPROVE)
    async def approve(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await on_draft(body, action["value"], "approve", commands.ApproveDraft)

    @app.action(blocks.EDIT)
    async def edit(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        found = await draft_conversation(action["value"])
        if found is None or await refuse_in_client_channel(body, found["conversation_id"], "edit"):
            return
        await api.open_view(body["trigger_id"], blocks.edit_modal(action["value"], found["text"]))

    async def submit_modal(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        input_block: str,
        input_action: str,
        build: Callable[[str, str, str], commands.Command],
    ) -> None:
        """Run a modal's command; a refusal is shown on the modal's input, not as a new message."""
        value = view["state"]["values"][input_block][input_action]["value"] or ""
        actor = await directory.resolve(body["user"]["id"], api)
        try:
            await bus.handle(build(view["private_metadata"], actor, value))
        except DomainError as refusal:
            await ack(response_action="errors", errors={input_block: str(refusal)})
            return
        await ack()

    @app.view(blocks.EDIT_SUBMIT)
    async def edit_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await submit_modal(
            ack,
            body,
            view,
            blocks.EDIT_INPUT_BLOCK,
            blocks.EDIT_INPUT_ACTION,
            commands.EditAndSendDraft,
        )

    @app.action(blocks.ESCALATE)
    async def escalate(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        if await refuse_in_client_channel(body, action["value"], "escalate"):
            return
        await api.open_view(body["trigger_id"], blocks.escalate_modal(action["value"]))

    @app.view(blocks.ESCALATE_SUBMIT)
    async def escalate_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await submit_modal(
            ack,
            body,
            view,
            blocks.REASON_INPUT_BLOCK,
            blocks.REASON_INPUT_ACTION,
            commands.Escalate,
        )

    @app.action(blocks.CANCEL_AUTO)
    async def cancel_auto(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await on_draft(body, action["value"], "cancel_auto_send", commands.CancelAutoSend)

    @app.action(blocks.TAKE_OVER)
    async def take_over(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        if await refuse_in_client_channel(body, action["value"], "take_over"):
            return
        channel, user, thread_ts = where(body)
        await run(
            commands.TakeOver(action["value"], await directory.resolve(user, api)),
            channel=channel,
            user=user,
            thread_ts=thread_ts,
        )

    async def edit_or_delete(body: dict[str, Any], event: dict[str, Any]) -> None:
        """Web chat and webhook customers cannot see a sent reply change: say so, in evidence."""
        channel = str(event.get("channel") or "")
        changed = event.get("message") or {}
        ts = event.get("deleted_ts") or changed.get("ts") or ""
        user = changed.get("user") or (event.get("previous_message") or {}).get("user") or ""
        if not channel or not ts or changed.get("bot_id"):
            return
        event_id = str(body.get("event_id") or f"{channel}:{event.get('ts')}")
        if not await inbound.claim_event(db, EVENT_SOURCE, event_id, clock.now()):
            return
        async with db.read_sessions() as session:
            sent = await views.message_by_source_ref(session, f"slack:{channel}:{ts}")
        if sent is None:
            return
        what = "deletion" if event.get("subtype") == "message_deleted" else "edit"
        await bus.handle(
            commands.RefuseAction(
                sent["conversation_id"],
                await directory.resolve(user, api) if user else "slack",
                what,
                f"the {what} in Slack could not reach the customer: their channel cannot change "
                "a message already sent; send a correction as a new reply",
            )
        )

    @app.event("message")
    async def thread_reply(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("subtype") in ("message_changed", "message_deleted"):
            await edit_or_delete(body, event)
            return
        if event.get("bot_id") or event.get("subtype"):
            return  # our own posts and other bots' are not replies
        thread_ts, channel, user = event.get("thread_ts"), event.get("channel"), event.get("user")
        if not thread_ts or thread_ts == event.get("ts") or not channel or not user:
            return
        event_id = str(body.get("event_id") or f"{channel}:{event.get('ts')}")
        if not await inbound.claim_event(db, EVENT_SOURCE, event_id, clock.now()):
            return  # Slack retried a delivery we already handled
        async with db.read_sessions() as session:
            thread = await wp.find_thread_by_parent(session, channel, thread_ts)
        if thread is None:
            return
        if channel in directory.client_channels:
            await bus.handle(
                commands.RefuseAction(
                    thread.conversation_id,
                    await directory.resolve(user, api),
                    "reply",
                    "read-only client channel",
                )
            )
            await api.ephemeral(
                channel, user, blocks.not_allowed_text("this channel is read-only"), thread_ts
            )
            return
        text = str(event.get("text") or "")
        source = f"slack:{channel}:{event['ts']}"
        actor = await directory.resolve(user, api)
        command: commands.Command
        if text.lower().startswith(NOTE_PREFIX):
            command = commands.AddNote(
                thread.conversation_id, actor, text[len(NOTE_PREFIX) :].strip(), source_ref=source
            )
        else:
            command = commands.SendReply(thread.conversation_id, actor, text, source_ref=source)
        await run(command, channel=channel, user=user, thread_ts=thread_ts)

    return app
