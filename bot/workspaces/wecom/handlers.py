"""Members' presses and commands become domain commands; roles are checked by the core.

Card presses arrive as `template_card_event` (EventKey names the button, TaskId the card,
ResponseCode the one-use code that lets the card be updated). WeCom does not deliver app
group messages nor quotes to the app, so replies are text commands sent to the app:
`reply <ref> <text>`, `edit <ref> <text>`, `note <ref> <text>`, where `<ref>` is the
`#` reference the group shows. Answers to the member (refusals, the Edit hint) are
notices through the outbox like every other send.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain import commands
from bot.domain.errors import DomainError
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from bot.services.topics import MIRROR
from bot.workspaces.wecom import render
from storage import inbound, views, wecom_state
from storage import outbox as outbox_rows
from storage.database import Database

DEDUPE_SOURCE = "wecom:team"
NOTICE_TARGET = "wecom:notices"
ESCALATED_HERE = "escalated from WeCom"
COMMAND = re.compile(r"^\s*(reply|edit|note)\s+#?([0-9a-fA-F]{6,32})\s+(.+)$", re.DOTALL)
HELP = (
    "Commands: reply <ref> <text> (to the customer), edit <ref> <text> (replaces the waiting "
    "draft and sends it), note <ref> <text> (internal). <ref> is the #reference in the group."
)


@dataclass(frozen=True)
class TeamContext:
    bus: MessageBus
    db: Database
    clock: Clock
    agent_id: int
    members_by_user: Mapping[str, str]
    max_attempts: int

    def actor(self, userid: str) -> str:
        # Someone not in the config acts under a name no role matches: the core refuses it.
        return self.members_by_user.get(userid) or f"wecom:{userid}"

    async def dispatch(self, fields: dict[str, str]) -> None:
        if fields.get("AgentID") and fields["AgentID"] != str(self.agent_id):
            return  # another app of the corp
        userid = fields.get("FromUserName", "")
        if fields.get("MsgType") == "text" and fields.get("MsgId"):
            if await self._first(f"msg:{fields['MsgId']}"):
                await on_text(self, userid, fields["MsgId"], fields.get("Content", ""))
        elif fields.get("MsgType") == "event" and fields.get("Event") == "template_card_event":
            identity = f"{userid}:{fields.get('CreateTime')}:{fields.get('EventKey')}"
            if await self._first(f"card:{identity}:{fields.get('TaskId')}"):
                await on_press(self, userid, fields)

    async def _first(self, event_id: str) -> bool:
        return await inbound.claim_event(self.db, DEDUPE_SOURCE, event_id, self.clock.now())

    async def notify(self, userid: str, text: str, key: str) -> None:
        """A direct message to one member, through the outbox."""
        now: datetime = self.clock.now()
        async with self.db.write_sessions() as session, session.begin():
            await outbox_rows.enqueue(
                session,
                now=now,
                topic=MIRROR,
                key=f"wecom-notice:{key}",
                target=NOTICE_TARGET,
                payload={"target": NOTICE_TARGET, "notice": {"touser": userid, "text": text}},
                store_id=None,
                conversation_id=None,
                max_attempts=self.max_attempts,
            )


async def on_press(ctx: TeamContext, userid: str, fields: dict[str, str]) -> None:
    code, task = fields.get("ResponseCode", ""), fields.get("TaskId", "")
    press, _, ref = fields.get("EventKey", "").partition(":")
    if press not in render.PRESSES or not ref.isalnum():
        return
    if code and task.startswith("sd-"):
        # Before the command: the sync its change triggers updates the card with this code.
        await wecom_state.remember_code(ctx.db, task, code, ctx.clock.now())
    actor = ctx.actor(userid)
    key = f"{userid}:{fields.get('CreateTime')}:{press}:{ref}"
    command: commands.Command
    if press == "e":
        async with ctx.db.read_sessions() as session:
            draft = await views.draft_with_conversation(session, ref)
        if draft is not None:
            await ctx.notify(userid, render.commands_hint(draft["conversation_id"]), key)
        return
    if press == "a":
        command = commands.ApproveDraft(ref, actor)
    elif press == "x":
        command = commands.Escalate(ref, actor, ESCALATED_HERE)
    else:
        command = commands.TakeOver(ref, actor)
    await _run(ctx, command, userid, key)


async def on_text(ctx: TeamContext, userid: str, msg_id: str, content: str) -> None:
    key = f"msg:{msg_id}"
    match = COMMAND.match(content)
    if match is None:
        await ctx.notify(userid, HELP, key)
        return
    verb, short, text = match.group(1).lower(), match.group(2).lower(), match.group(3).strip()
    found = await wecom_state.conversations_starting_with(ctx.db, short)
    if len(found) != 1:
        problem = "matches several conversations" if found else "matches no conversation"
        await ctx.notify(userid, f"#{short} {problem}; use the reference the group shows.", key)
        return
    conversation_id, actor, source = found[0], ctx.actor(userid), f"wecom:{msg_id}"
    command: commands.Command
    if verb == "reply":
        command = commands.SendReply(conversation_id, actor, text, source_ref=source)
    elif verb == "note":
        command = commands.AddNote(conversation_id, actor, text, source_ref=source)
    else:
        async with ctx.db.read_sessions() as session:
            drafts = await views.conversation_drafts(session, conversation_id)
        waiting = [d for d in drafts if d["status"] == "pending" and d["confident"]]
        if not waiting:
            await ctx.notify(userid, f"#{short} has no draft waiting; use reply.", key)
            return
        command = commands.EditAndSendDraft(waiting[-1]["id"], actor, text)
    await _run(ctx, command, userid, key)


async def _run(ctx: TeamContext, command: commands.Command, userid: str, key: str) -> None:
    try:
        await ctx.bus.handle(command)
    except DomainError as refusal:
        await ctx.notify(userid, f"⛔ Not done: {refusal}", key)
