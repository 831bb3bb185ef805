"""`/storedesk`: status, assignment, resolve and reopen, store mode and customer profile.

Slack does not send slash commands from inside a thread, so the conversation is named by
the last argument: its id, a permalink into its thread, or the thread's parent ts. The
listener acks at once, translates the text into a command or a read, and answers with an
ephemeral message through the command's `response_url`. Client mirror channels are
read-only: everything is refused there, in evidence when the conversation is known.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import SystemClock
from bot.domain import commands
from bot.domain.errors import DomainError, InvalidInput, NotFound
from bot.domain.permissions import Action, Member
from bot.domain.profile import header_line
from bot.ports import Clock
from bot.services.conversation_admin import parse_mode
from bot.services.messagebus import MessageBus
from bot.workspaces.slack import blocks, digest_command
from bot.workspaces.slack.api import SlackApi
from bot.workspaces.slack.app import SlackDirectory
from bot.workspaces.slack.mirror import parse_target
from storage import profiles, views
from storage import workspace_posts as wp
from storage.database import Database
from storage.repository import load_member

logger = logging.getLogger(__name__)

COMMAND = "/storedesk"
READ_ONLY = "this channel is read-only"
USAGE = "\n".join(
    [
        f"*{COMMAND}* — run it in a store channel. Name a conversation by its id, a link to its "
        "thread, or the thread's timestamp.",
        f"• `{COMMAND} status` — the store's queue",
        f"• `{COMMAND} status <conversation>` — status, customer, assignee, pending draft",
        f"• `{COMMAND} assign @person <conversation>`",
        f"• `{COMMAND} resolve <conversation>` · `{COMMAND} reopen <conversation>`",
        f"• `{COMMAND} release <conversation>` — end a take-over; drafting resumes",
        f"• `{COMMAND} mode <pilot|draft|assist|auto>` — leads and admins",
        f"• `{COMMAND} whois <conversation>` — the customer's profile",
        f"• `{COMMAND} link confirm|reject <proposal>` — decide a proposed customer link",
        f"• `{COMMAND} digest daily 09:00` · `{COMMAND} digest weekly mon 09:00` — leads",
    ]
)
# Statuses in which the team, not the customer, owes the next step.
SUMMARY_ORDER = ("open", "review", "escalated", "taken_over", "waiting")
# How a surface names each refused action in the thread's evidence line.
REFUSED_ACTION = {
    "status": "view the status",
    "assign": "assign",
    "resolve": "resolve",
    "reopen": "reopen",
    "release": "release",
    "whois": "view the customer profile",
}

_TS = re.compile(r"\d{9,}\.\d{6}")
_P_TS = re.compile(r"p(\d{10,})")
_PERMALINK = re.compile(r"https?://[^/\s]+/archives/([A-Z0-9]+)/p(\d{10,})(?:[/?#]\S*)?")
_CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class ConversationRef:
    """A conversation named by its id, or by its thread's parent (in `channel`, when known)."""

    conversation_id: str | None = None
    parent_ts: str | None = None
    channel: str | None = None


def profile_lines(profile: Mapping[str, Any]) -> list[str]:
    """Past conversations, orders, open issues and pending links, as whois shows them."""
    lines = []
    earlier = [c for c in profile["conversations"] if c["id"] != profile["current_conversation"]]
    for past in earlier[:5]:
        lines.append(
            f"• `{past['id']}` {past['store_id']} · {past['status']} · {past['opened_at'][:10]}"
        )
    for order in profile["orders_seen"][-5:]:
        lines.append(f"• order {blocks.escape_mrkdwn(order['order'])} ({order['store_id']})")
    for issue in profile["open_issues"][:5]:
        topic = f" · {issue['intent']}" if issue.get("intent") else ""
        lines.append(f"• open: `{issue['id']}` {issue['store_id']}{topic}")
    for link in profile["pending_links"]:
        lines.append(
            f"• link proposal `{link['id']}`: {blocks.escape_mrkdwn(link['other_name'])} "
            f"({', '.join(link['other_stores'])}) — {blocks.escape_mrkdwn(link['reason'])}. "
            f"`{COMMAND} link confirm {link['id']}` or `{COMMAND} link reject {link['id']}`"
        )
    return lines


def _ts_from_p(digits: str) -> str:
    return f"{digits[:-6]}.{digits[-6:]}"


def parse_reference(raw: str) -> ConversationRef:
    """Read the last argument of a command; raise `InvalidInput` when it names nothing."""
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):  # Slack wraps links: <url> or <url|label>
        text = text[1:-1].split("|", 1)[0]
    permalink = _PERMALINK.fullmatch(text)
    if permalink:
        channel, digits = permalink.groups()
        # A link to a reply carries its thread's parent in `thread_ts`.
        thread_ts = parse_qs(urlsplit(text).query).get("thread_ts", [""])[0]
        parent = thread_ts if _TS.fullmatch(thread_ts) else _ts_from_p(digits)
        return ConversationRef(parent_ts=parent, channel=channel)
    if _TS.fullmatch(text):
        return ConversationRef(parent_ts=text)
    p_ts = _P_TS.fullmatch(text)
    if p_ts:
        return ConversationRef(parent_ts=_ts_from_p(p_ts.group(1)))
    if _CONVERSATION_ID.fullmatch(text):
        return ConversationRef(conversation_id=text)
    raise InvalidInput("conversation: give its id, a link to its thread or the thread's ts")


def store_channels(targets: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Staff channel → store id, from the mirror's targets (client mirrors left out)."""
    found: dict[str, str] = {}
    for store_id, names in targets.items():
        for name in names:
            channel, interactive = parse_target(name)
            if interactive:
                found[channel] = store_id
    return found


def register_slash_commands(
    app: AsyncApp,
    *,
    bus: MessageBus,
    db: Database,
    directory: SlackDirectory,
    store_by_channel: Mapping[str, str],
    api: SlackApi | None = None,
    clock: Clock | None = None,
) -> None:
    """Add the `/storedesk` listener to a bolt app; `api` lets members be matched by email."""
    handler = _SlashCommands(bus, db, directory, store_by_channel, api, clock or SystemClock())

    @app.command(COMMAND)
    async def storedesk(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        try:
            text = await handler.answer(command)
        except DomainError as refusal:
            text = blocks.not_allowed_text(str(refusal))
        except Exception:
            logger.exception("%s failed: %r", COMMAND, command.get("text"))
            text = ":warning: Storedesk could not do that just now; please try again."
        await respond(text=text, response_type="ephemeral")


class _SlashCommands:
    """Translates one command's text into a bus command or a read, and words the answer."""

    def __init__(
        self,
        bus: MessageBus,
        db: Database,
        directory: SlackDirectory,
        store_by_channel: Mapping[str, str],
        api: SlackApi | None,
        clock: Clock,
    ) -> None:
        self._bus = bus
        self._db = db
        self._directory = directory
        self._store_by_channel = store_by_channel
        self._api = api
        self._clock = clock

    async def _actor(self, user: str) -> str:
        if self._api is None:
            return self._directory.actor(user)
        return await self._directory.resolve(user, self._api)

    async def answer(self, command: Mapping[str, Any]) -> str:
        args = str(command.get("text") or "").split()
        verb = args[0].lower() if args else "help"
        channel = str(command.get("channel_id") or "")
        user = str(command.get("user_id") or "")
        if channel in self._directory.client_channels:
            return await self._refuse_read_only(verb, args, channel, user)
        store_id = self._store_by_channel.get(channel)
        if store_id is None:
            return f"Run `{COMMAND}` in a store channel.\n\n{USAGE}"
        if verb == "status" and len(args) == 1:
            return await self._store_summary(store_id, await self._actor(user))
        if verb == "status" and len(args) == 2:
            return await self._status(store_id, channel, args[1], await self._actor(user))
        if verb == "whois" and len(args) == 2:
            return await self._whois(store_id, channel, args[1], await self._actor(user))
        if verb == "link" and len(args) == 3 and args[1].lower() in ("confirm", "reject"):
            return await self._link(args[1].lower(), args[2], await self._actor(user))
        if verb == "assign" and len(args) == 3:
            return await self._assign(store_id, channel, args[1], args[2], user)
        if verb == "release" and len(args) == 2:
            conversation_id = await self._conversation_in_store(store_id, channel, args[1])
            await self._bus.handle(commands.Release(conversation_id, await self._actor(user)))
            return (
                f":robot_face: Released `{conversation_id}`: drafts resume with the next message."
            )
        if verb in ("resolve", "reopen") and len(args) == 2:
            conversation_id = await self._conversation_in_store(store_id, channel, args[1])
            actor = await self._actor(user)
            if verb == "resolve":
                await self._bus.handle(commands.Resolve(conversation_id, actor))
                return f":white_check_mark: Resolved conversation `{conversation_id}`."
            await self._bus.handle(commands.Reopen(conversation_id, actor))
            return f":leftwards_arrow_with_hook: Reopened conversation `{conversation_id}`."
        if verb == "mode" and len(args) == 2:
            return await self._change_mode(store_id, args[1], await self._actor(user))
        if verb == "digest" and len(args) >= 2:
            actor = await self._actor(user)
            return await digest_command.subscribe(
                self._db,
                self._clock,
                store_id=store_id,
                channel=channel,
                actor=actor,
                words=args[1:],
            )
        return USAGE

    async def _refuse_read_only(self, verb: str, args: list[str], channel: str, user: str) -> str:
        action = REFUSED_ACTION.get(verb)
        if action is not None and len(args) >= 2:
            with_conversation = await self._find(channel, args[-1])
            if with_conversation is not None:
                await self._bus.handle(
                    commands.RefuseAction(
                        with_conversation, await self._actor(user), action, READ_ONLY
                    )
                )
        return blocks.not_allowed_text(READ_ONLY)

    async def _find(self, channel: str, raw: str) -> str | None:
        """The conversation a reference names, or None; a malformed reference names none."""
        try:
            ref = parse_reference(raw)
        except InvalidInput:
            return None
        async with self._db.read_sessions() as session:
            if ref.conversation_id is not None:
                found = await views.store_of(session, ref.conversation_id) is not None
                return ref.conversation_id if found else None
            assert ref.parent_ts is not None
            thread = await wp.find_thread_by_parent(session, ref.channel or channel, ref.parent_ts)
        return thread.conversation_id if thread else None

    async def _conversation_in_store(self, store_id: str, channel: str, raw: str) -> str:
        parse_reference(raw)  # a malformed reference is a usage error, said as such
        conversation_id = await self._find(channel, raw)
        if conversation_id is None:
            raise NotFound(f"no conversation found for {raw}")
        async with self._db.read_sessions() as session:
            owner = await views.store_of(session, conversation_id)
        if owner != store_id:
            raise NotFound(f"conversation {conversation_id} is not in this channel's store")
        return conversation_id

    async def _viewer(self, session: AsyncSession, actor: str, store_id: str) -> Member:
        member = await load_member(session, actor) or Member(id=actor, name=actor)
        member.authorize(Action.VIEW, store_id)
        return member

    async def _store_summary(self, store_id: str, actor: str) -> str:
        async with self._db.read_sessions() as session:
            await self._viewer(session, actor, store_id)
            store = (await views.stores_by_id(session, [store_id])).get(store_id, {})
            counts = await views.status_counts(session, store_id)
            oldest = await views.oldest_waiting(session, store_id)
        name = blocks.escape_mrkdwn(str(store.get("name") or store_id))
        lines = [f"*{name}* · mode *{store.get('mode', '?')}*"]
        lines.append(
            " · ".join(f"{blocks.STATUS_LABEL[s]}: *{counts.get(s, 0)}*" for s in SUMMARY_ORDER)
        )
        if oldest is None:
            lines.append("Nothing is waiting for the team.")
        else:
            waited = _age(self._clock.now() - oldest["updated_at"])
            lines.append(
                f"Oldest waiting for the team: {blocks.escape_mrkdwn(oldest['customer_name'])} "
                f"({blocks.STATUS_LABEL[oldest['status']].lower()}), untouched for {waited} "
                f"· `{oldest['id']}`"
            )
        return "\n".join(lines)

    async def _status(self, store_id: str, channel: str, raw: str, actor: str) -> str:
        conversation_id = await self._conversation_in_store(store_id, channel, raw)
        async with self._db.read_sessions() as session:
            await self._viewer(session, actor, store_id)
            detail = await views.conversation_detail(session, conversation_id)
            if detail is None:
                raise NotFound(f"conversation {conversation_id} does not exist")
            head = detail["conversation"]
            assignee = head["assignee_id"]
            assignee_member = await load_member(session, assignee) if assignee else None
        status = head["status"]
        draft = detail["draft"]
        channel_kind = blocks.CHANNEL_LABEL.get(head["channel_kind"], head["channel_kind"])
        assigned = "unassigned"
        if assignee:
            assigned = blocks.escape_mrkdwn(assignee_member.name if assignee_member else assignee)
        pending = "none"
        if draft is not None:
            pending = blocks.ROUTE_LABEL.get(draft["route"], draft["route"])
        lines = [
            f"*Conversation* `{conversation_id}`",
            f"Status: {blocks.STATUS_EMOJI.get(status, '')} *{blocks.STATUS_LABEL[status]}*"
            + (" · needs a lead's approval" if head["review_required"] else ""),
            f"Customer: {blocks.escape_mrkdwn(head['customer_name'])} "
            f"({blocks.escape_mrkdwn(channel_kind)})",
            f"Assignee: {assigned}",
            f"Pending draft: {pending}",
        ]
        return "\n".join(lines)

    async def _whois(self, store_id: str, channel: str, raw: str, actor: str) -> str:
        conversation_id = await self._conversation_in_store(store_id, channel, raw)
        async with self._db.read_sessions() as session:
            viewer = await self._viewer(session, actor, store_id)
            profile = await views.customer_of(session, conversation_id)
            if profile is None:
                raise NotFound(f"conversation {conversation_id} does not exist")
            seen = await profiles.customer_profile(
                session,
                profile["customer_id"],
                viewer.visible_stores(),
                current_conversation=conversation_id,
            )
        assert seen is not None
        origin = blocks.CHANNEL_LABEL.get(profile["channel_kind"], profile["channel_kind"])
        return "\n".join(
            [
                f"*{blocks.escape_mrkdwn(profile['name'])}* · customer `{profile['customer_id']}`",
                blocks.escape_mrkdwn(header_line(seen)),
                f"Channel of origin: {blocks.escape_mrkdwn(origin)} "
                f"(account {blocks.escape_mrkdwn(profile['channel_account_id'])})",
                f"First seen: {_slack_date(profile['first_seen'])}",
                *profile_lines(seen),
            ]
        )

    async def _link(self, verb: str, proposal_id: str, actor: str) -> str:
        decision = await self._bus.handle(
            commands.DecideCustomerLink(proposal_id, actor, confirm=verb == "confirm")
        )
        if decision["confirmed"]:
            return f":link: Linked: both profiles are now customer `{decision['customer_id']}`."
        return f":heavy_multiplication_x: Link proposal `{proposal_id}` rejected."

    async def _assign(self, store_id: str, channel: str, who: str, raw: str, user: str) -> str:
        mention = _MENTION.fullmatch(who)
        if mention is not None:
            assignee = await self._actor(mention.group(1))
        elif who.startswith("<") or who.startswith("@"):
            raise InvalidInput(f"assignee: mention the person, e.g. `{COMMAND} assign @name …`")
        else:
            assignee = who  # a member id, as in the config file
        conversation_id = await self._conversation_in_store(store_id, channel, raw)
        await self._bus.handle(commands.Assign(conversation_id, await self._actor(user), assignee))
        async with self._db.read_sessions() as session:
            member = await load_member(session, assignee)
        name = blocks.escape_mrkdwn(member.name if member else assignee)
        return f":bust_in_silhouette: Assigned conversation `{conversation_id}` to {name}."

    async def _change_mode(self, store_id: str, mode: str, actor: str) -> str:
        await self._bus.handle(commands.ChangeStoreMode(store_id, actor, mode))
        async with self._db.read_sessions() as session:
            store = (await views.stores_by_id(session, [store_id])).get(store_id, {})
        name = blocks.escape_mrkdwn(str(store.get("name") or store_id))
        return (
            f":gear: *{name}* is now in *{parse_mode(mode).value}* mode. "
            "The config file's mode applies again when Storedesk restarts."
        )


def _age(elapsed: timedelta) -> str:
    minutes = max(0, int(elapsed.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def _slack_date(moment: datetime) -> str:
    """Slack shows a date token in each reader's own timezone; the fallback is UTC."""
    plain = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{plain}>"
