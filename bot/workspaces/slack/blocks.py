"""Block Kit rendering of store threads: pure functions, no Slack client, no I/O.

Everything that comes from a customer, a model or another person is untrusted here. It is
escaped for mrkdwn and fitted to Slack's limits before it reaches a block, so a message can
neither ping a channel, hide a link behind a label, nor make `chat.postMessage` fail.
Blocks are built with `slack_sdk` classes and serialized with `to_dict()`, which validates
them, so a layout Slack would reject fails here, in tests, not in production.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.sla import reminder_sentence

# Action ids and modal callback ids; the Slack listeners dispatch on these.
APPROVE = "sd_approve"
EDIT = "sd_edit"
ESCALATE = "sd_escalate"
TAKE_OVER = "sd_take_over"
CANCEL_AUTO = "sd_cancel_auto"
EDIT_SUBMIT = "sd_edit_submit"
ESCALATE_SUBMIT = "sd_escalate_submit"
EDIT_INPUT_BLOCK = "sd_edit_text"
EDIT_INPUT_ACTION = "sd_edit_value"
REASON_INPUT_BLOCK = "sd_reason"
REASON_INPUT_ACTION = "sd_reason_value"
DRAFT_ACTIONS_BLOCK = "sd_draft_actions"

# Slack's limits (Block Kit reference, chat.postMessage).
TEXT_LIMIT = 3000  # a section's or context element's text
FALLBACK_LIMIT = 4000  # a message's top-level `text`, shown in notifications
BUTTON_VALUE_LIMIT = 2000
BUTTON_LABEL_LIMIT = 75  # Slack documents 75 for button text; slack_sdk enforces it
BLOCKS_LIMIT = 50
INPUT_LIMIT = 3000  # plain_text_input max_length and initial_value
SUMMARY_LIMIT = 2000  # a conversation summary in the parent message (config caps it lower)
NAME_LIMIT = 150  # a name shown inline: enough to recognise, short enough to stay one line

ELLIPSIS = "…"

Rendered = tuple[str, list[dict[str, Any]]]

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")

STATUS_EMOJI = {
    "open": ":large_blue_circle:",
    "waiting": ":hourglass_flowing_sand:",
    "review": ":eyes:",
    "escalated": ":rotating_light:",
    "taken_over": ":bust_in_silhouette:",
    "resolved": ":white_check_mark:",
}
STATUS_LABEL = {
    "open": "Open",
    "waiting": "Waiting for the customer",
    "review": "In review",
    "escalated": "Escalated",
    "taken_over": "Taken over",
    "resolved": "Resolved",
}
CHANNEL_LABEL = {
    "webchat": "Web chat",
    "webhook": "Marketplace webhook",
    "telegram": "Telegram",
    "email": "Email",
    "whatsapp": "WhatsApp",
}
ROUTE_LABEL = {
    "auto": "auto-send",
    "draft": "draft for an agent",
    "review": "review by a lead",
    "takeover": "human takeover",
}
DELIVERY_LABEL = {
    "queued": ":hourglass_flowing_sand: Queued for delivery",
    "sent": ":white_check_mark: Sent",
    "failed": ":x: Delivery failed",
}
DECISION_EMOJI = {
    "approved": ":white_check_mark:",
    "edited": ":pencil2:",
    "escalated": ":rotating_light:",
    "taken over": ":bust_in_silhouette:",
    "discarded": ":wastebasket:",
}


def escape_mrkdwn(text: str) -> str:
    """Escape the characters Slack reads as control characters in mrkdwn.

    With `&`, `<` and `>` escaped, `<!channel>`, `<@U123>` and `<https://evil|label>` show
    exactly as typed instead of pinging people or disguising a link.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def not_allowed_text(reason: str) -> str:
    """Text of an ephemeral refusal; the reason may quote user input, so it is escaped."""
    prefix = ":no_entry: You can't do that: "
    return prefix + _fit(reason.strip() or "not allowed", FALLBACK_LIMIT - len(prefix))


def parent_message(
    conversation: Mapping[str, Any],
    *,
    store_name: str,
    history_count: int,
    previous_permalink: str | None = None,
    profile_line: str | None = None,
) -> Rendered:
    """The message at the channel root that a conversation's thread hangs from.

    `conversation` is `conversation_detail(...)["conversation"]`; an `assignee_name` key,
    when the caller adds one, is shown instead of the bare `assignee_id`.
    """
    customer_raw = _one_line(conversation.get("customer_name")) or "Unknown customer"
    store_raw = _one_line(store_name) or "Unknown store"
    status = str(conversation.get("status") or "open")
    status_label = STATUS_LABEL.get(status, status.replace("_", " ").capitalize())
    kind = str(conversation.get("channel_kind") or "")
    channel = CHANNEL_LABEL.get(kind) or kind or "unknown channel"
    account = _one_line(conversation.get("channel_account_id"))
    assignee = _one_line(conversation.get("assignee_name") or conversation.get("assignee_id"))

    if history_count <= 0:
        history = "first contact"
    else:
        plural = "" if history_count == 1 else "s"
        history = f"{history_count} earlier conversation{plural} across stores"
    if profile_line:  # the cross-store profile, already filtered to the channel's audience
        history = profile_line

    origin = f"*Channel:* {_inline(channel)}"
    if account:
        origin += f" (account {_inline(account)})"
    status_parts = [
        f"{STATUS_EMOJI.get(status, ':grey_question:')} *{_inline(status_label)}*",
        f"Assigned to {_inline(assignee)}" if assignee else "Unassigned",
    ]
    if conversation.get("review_required"):
        status_parts.append(":warning: Needs a lead's approval")

    blocks: list[Block] = [
        _section(f"*New conversation · {_inline(customer_raw)}*"),
        _context(f"*Store:* {_inline(store_raw)}", origin, f"*History:* {history}"),
        _context(*status_parts),
    ]
    summary = str(conversation.get("summary") or "").strip()
    if summary:
        blocks.append(_context("*Summary:* " + _fit(summary, SUMMARY_LIMIT)))
    if previous_permalink:
        blocks.append(_section(f"Continues a thread that was lost: {_link(previous_permalink)}"))

    fallback = f"New conversation · {customer_raw} · {store_raw} · {status_label}"
    return _fallback(fallback), _serialize(blocks)


def thread_message(
    message: Mapping[str, Any], *, customer_name: str, author_name: str | None
) -> Rendered:
    """A customer message, a reply sent to the customer, or an internal note, in the thread.

    `author_name` is the person who sent the reply or wrote the note; None for a reply means
    Storedesk sent it on its own (auto-send).
    """
    direction = str(message.get("direction") or "")
    text = str(message.get("text") or "")
    if direction == "in":
        who = _one_line(customer_name) or "Customer"
        header = f"*{_inline(who)}* wrote:\n"
        blocks: list[Block] = [_section(header + _body(text, TEXT_LIMIT - len(header)))]
        fallback = f"{who} wrote: {text}"
    elif direction == "out":
        who = _one_line(author_name) or "Storedesk (auto-sent)"
        header = f":outbox_tray: *Sent to customer by {_inline(who)}*\n"
        blocks = [_section(header + _body(text, TEXT_LIMIT - len(header), quote=False))]
        status = str(message.get("delivery_status") or "")
        if status:
            blocks.append(_context(DELIVERY_LABEL.get(status) or _inline(status)))
        fallback = f"Sent to customer by {who}: {text}"
    elif direction == "note":
        who = _one_line(author_name) or "someone on the team"
        header = f":lock: *Internal note by {_inline(who)}* · _not sent to the customer_\n"
        blocks = [_section(header + _body(text, TEXT_LIMIT - len(header)))]
        fallback = f"Internal note by {who} (not sent to the customer): {text}"
    else:
        raise ValueError(f"message direction {direction!r} is not in, out or note")
    return _fallback(fallback), _serialize(blocks)


def draft_card(
    draft: Mapping[str, Any],
    *,
    interactive: bool,
    needs_supervisor: bool,
    decided: Mapping[str, Any] | None = None,
    conversation_id: str | None = None,
    pilot: bool = False,
) -> Rendered:
    """The AI draft with its grounds, and the buttons to act on it while it is pending.

    In a `pilot` store a pending draft is for leads only: the channel sees that one is
    waiting in the console's review queue, not its text.

    Posting it again with `decided` updates the card in place: the buttons give way to a
    line saying who did what, so nobody acts twice on one draft. Escalate and Take over
    carry the conversation id: pass `conversation_id`, or a `conversation_id` key in
    `draft` (the dict from `conversation_detail` has none).
    """
    draft_id = str(draft["id"])
    text = str(draft.get("text") or "")
    note = str(draft.get("note") or "").strip()
    route = str(draft.get("route") or "")
    has_answer = bool(draft.get("confident", True)) and bool(text.strip())
    pending = decided is None
    if pilot and pending:
        line = (
            ":lock: *Pilot mode* — an AI draft waits for a lead in the console's review queue;"
            " only leads see it, and nothing is sent without them."
        )
        return _fallback("AI draft waiting for a lead (pilot mode)"), _serialize([_section(line)])

    blocks: list[Block] = []
    if has_answer:
        header = ":robot_face: *Suggested reply*\n"
        blocks.append(_section(header + _body(text, TEXT_LIMIT - len(header))))
        fallback = f"AI draft: {text}"
    else:
        line = ":grey_question: *No confident answer in the knowledge base*"
        if interactive and pending:
            line += " — reply in this thread to answer"
        blocks.append(_section(line))
        fallback = "AI draft: no confident answer in the knowledge base"
    if note:
        prefix = "*Drafter's note:* "
        blocks.append(_context(prefix + _fit(note, TEXT_LIMIT - len(prefix))))
    blocks.append(_context(*_grounds(draft, route)))

    if pending and needs_supervisor:
        blocks.append(_section(":warning: *Needs a lead's approval* — only a lead can send it."))
        fallback += " (needs a lead's approval)"

    if decided is not None:
        line_md, line_plain = _decision(decided)
        blocks.append(_section(line_md))
        fallback = line_plain
    elif interactive:
        target = conversation_id or draft.get("conversation_id")
        if not target:
            raise ValueError("an interactive draft card needs the conversation id")
        blocks.append(
            _draft_actions(draft_id, str(target), approvable=has_answer, held=route == "auto")
        )
    return _fallback(fallback), _serialize(blocks)


def event_line(
    event: Mapping[str, Any], *, actor_name: str, mention_ids: Sequence[str] = ()
) -> Rendered | None:
    """A one-line audit note for the thread, or None for kinds not worth a line there.

    `mention_ids` are Slack user ids to ping (the leads an SLA breach escalates to); only
    ids of the Slack user shape become mentions, nothing else is ever unescaped."""
    kind = str(event.get("kind") or "")
    payload = event.get("payload")
    data: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
    actor_raw = _one_line(actor_name) or "someone"
    actor = _inline(actor_raw)
    detail = ""
    if kind == "escalated":
        head, plain = f":rotating_light: *Escalated* by {actor}", f"Escalated by {actor_raw}"
        detail = str(data.get("reason") or "")
    elif kind == "taken_over":
        head = f":bust_in_silhouette: *Taken over* by {actor}"
        plain = f"Taken over by {actor_raw}"
    elif kind == "assigned":
        assignee = _one_line(str(data.get("after") or "someone"))
        head = f":busts_in_silhouette: *Assigned* to {_inline(assignee)} by {actor}"
        plain = f"Assigned to {assignee} by {actor_raw}"
    elif kind == "auto_send_held":
        seconds = data.get("hold_seconds")
        wait = f"{round(float(seconds))} s" if isinstance(seconds, int | float) else "a moment"
        head = f":hourglass_flowing_sand: *Sends by itself in {wait}* unless someone acts"
        plain = f"Sends by itself in {wait} unless someone acts"
    elif kind == "auto_send_cancelled":
        head = f":raised_hand: *Auto-send cancelled* by {actor}: a person sends this one"
        plain = f"Auto-send cancelled by {actor_raw}: a person sends this one"
    elif kind == "sla_reminder":
        sentence = reminder_sentence(data)
        head, plain = (
            f":alarm_clock: *SLA reminder*: {_inline(sentence)}",
            f"SLA reminder: {sentence}",
        )
    elif kind == "released":
        head = f":robot_face: *Released* by {actor}: drafting resumes"
        plain = f"Released by {actor_raw}: drafting resumes"
    elif kind == "reopened":
        head, plain = f":arrows_counterclockwise: *Reopened* by {actor}", f"Reopened by {actor_raw}"
    elif kind == "resolved":
        head, plain = f":white_check_mark: *Resolved* by {actor}", f"Resolved by {actor_raw}"
    elif kind == "delivery_failed":
        head = ":x: *Delivery to the customer failed*"
        plain = "Delivery to the customer failed"
        detail = str(data.get("error") or "")
    elif kind == "denied":
        action = _one_line(str(data.get("action") or "do that").replace("_", " "))
        head = f":no_entry: {actor} was *not allowed* to {_inline(action)}"
        plain = f"{actor_raw} was not allowed to {action}"
        detail = str(data.get("reason") or "")
    else:
        return None

    when_md, when_plain = _time(event.get("at"))
    suffix = f" · {when_md}" if when_md else ""
    if detail.strip():
        head += ": "
        plain += f": {detail.strip()}"
        head += _fit(_one_line(detail), TEXT_LIMIT - len(head) - len(suffix))
    if when_plain:
        plain += f" · {when_plain}"
    pings = " ".join(f"<@{uid}>" for uid in mention_ids if _SLACK_USER.match(uid))
    if pings:
        return _fallback(plain) + " " + pings, _serialize([_context(head + suffix + " " + pings)])
    return _fallback(plain), _serialize([_context(head + suffix)])


def edit_modal(draft_id: str, text: str) -> dict[str, Any]:
    """The Edit modal, prefilled with the draft; submitting sends the edited text.

    Slack caps a plain_text_input at 3000 characters, value included. A longer draft is
    shortened to fit, ending with "…", and the modal says so: what is submitted is what
    the person saw, never a silently cut reply.
    """
    value = _truncate(text, INPUT_LIMIT)
    blocks: list[Block] = []
    if value != text:
        blocks.append(
            _context(
                f":warning: The draft is longer than {INPUT_LIMIT} characters, the most Slack "
                "allows here, and has been shortened. Check the end before sending."
            )
        )
    blocks.append(
        text_input(EDIT_INPUT_BLOCK, EDIT_INPUT_ACTION, "Reply to the customer", initial=value)
    )
    return modal(EDIT_SUBMIT, draft_id, "Edit reply", "Send to customer", blocks)


def escalate_modal(conversation_id: str) -> dict[str, Any]:
    """The Escalate modal: a lead takes over the decision, and the reason is required."""
    blocks: list[Block] = [
        _section(
            "Escalating hands this conversation to a lead: its pending drafts will need "
            "a lead's approval before anything is sent."
        ),
        text_input(
            REASON_INPUT_BLOCK, REASON_INPUT_ACTION, "Why does this need a lead?", min_length=1
        ),
    ]
    return modal(ESCALATE_SUBMIT, conversation_id, "Escalate", "Escalate", blocks)


def text_input(
    block_id: str,
    action_id: str,
    label: str,
    *,
    initial: str | None = None,
    optional: bool = False,
    min_length: int | None = None,
) -> InputBlock:
    """A multi-line text field of a modal, capped at what Slack accepts."""
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        element=PlainTextInputElement(
            action_id=action_id,
            multiline=True,
            initial_value=initial or None,
            min_length=min_length,
            max_length=INPUT_LIMIT,
        ),
        optional=optional,
    )


def modal(
    callback_id: str, metadata: str, title: str, submit: str, blocks: Sequence[Block]
) -> dict[str, Any]:
    """A modal whose submission names what it acts on in `private_metadata`."""
    return View(
        type="modal",
        callback_id=callback_id,
        private_metadata=metadata,
        title=PlainTextObject(text=title),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        blocks=list(blocks),
    ).to_dict()


def _draft_actions(
    draft_id: str, conversation_id: str, *, approvable: bool, held: bool = False
) -> ActionsBlock:
    buttons: list[ButtonElement] = []
    if approvable:
        buttons.append(_button(APPROVE, "Approve & send", draft_id, style="primary"))
    buttons += [
        _button(EDIT, "Edit", draft_id),
        _button(ESCALATE, "Escalate", conversation_id, style="danger"),
        _button(TAKE_OVER, "Take over", conversation_id),
    ]
    if held:  # an `assist` store's draft, due to go out by itself
        buttons.append(_button(CANCEL_AUTO, "Cancel auto-send", draft_id))
    return ActionsBlock(block_id=DRAFT_ACTIONS_BLOCK, elements=buttons)


def _button(action_id: str, label: str, value: str, *, style: str | None = None) -> ButtonElement:
    # A cut id would act on the wrong record, so an id that does not fit is an error.
    if not value or len(value) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"button value must be 1..{BUTTON_VALUE_LIMIT} characters")
    return ButtonElement(
        action_id=action_id,
        text=PlainTextObject(text=_truncate(label, BUTTON_LABEL_LIMIT), emoji=True),
        value=value,
        style=style,
    )


def _grounds(draft: Mapping[str, Any], route: str) -> list[str]:
    """Context elements saying what the draft stands on: language, route, risk, knowledge."""
    language = _one_line(draft.get("language")) or "unknown"
    route_label = ROUTE_LABEL.get(route) or route or "unknown"
    reasons = [_one_line(r) for r in _sequence(draft.get("risk_reasons")) if _one_line(r)]
    citations = [_citation(c) for c in _sequence(draft.get("citations")) if isinstance(c, Mapping)]
    risk = "*Risk:* "
    cites = "*Cites:* "
    return [
        f"*Language:* {_inline(language)}",
        f"*Route:* {_inline(route_label)}",
        risk + (_fit(", ".join(reasons), TEXT_LIMIT - len(risk)) if reasons else "none"),
        cites
        + (
            _fit("; ".join(citations), TEXT_LIMIT - len(cites))
            if citations
            else "no knowledge cited"
        ),
    ]


def _citation(citation: Mapping[str, Any]) -> str:
    article = _one_line(citation.get("article_id")) or "?"
    title = _one_line(citation.get("title")) or article
    version = citation.get("version")
    ref = f"{article} v{version}" if version is not None else article
    return f"{title} ({ref})"


def _decision(decided: Mapping[str, Any]) -> tuple[str, str]:
    action = _one_line(decided.get("action")) or "decided"
    by = _one_line(decided.get("by")) or "someone"
    when_md, when_plain = _time(decided.get("at"))
    emoji = DECISION_EMOJI.get(action.lower(), ":information_source:")
    label = action[0].upper() + action[1:]
    md = f"{emoji} *{_inline(label)}* by {_inline(by)}"
    plain = f"{label} by {by}"
    if when_md:
        md += f" at {when_md}"
        plain += f" at {when_plain}"
    return md, plain


def _time(value: Any) -> tuple[str, str]:
    """(mrkdwn, plain) for an ISO time: Slack shows the mrkdwn in each reader's timezone."""
    if not value:
        return "", ""
    raw = _one_line(value)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return _inline(raw, 64), raw[:64]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # storage keeps naive times in UTC
    plain = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short}} {{time}}|{plain}>", plain


def _link(url: str) -> str:
    """A mrkdwn link to a URL we were given; anything but a plain http(s) URL stays text."""
    url = url.strip()
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        return _inline(url)
    if len(url) > TEXT_LIMIT // 2:
        return _inline(url)
    return f"<{escape_mrkdwn(url).replace('|', '%7C')}|previous thread>"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text, verbatim=True))


def _context(*texts: str) -> ContextBlock:
    # verbatim: no auto-linking or mention parsing of anything that slipped through.
    return ContextBlock(elements=[MarkdownTextObject(text=t, verbatim=True) for t in texts])


def _serialize(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    if len(blocks) > BLOCKS_LIMIT:
        raise ValueError(f"a message holds at most {BLOCKS_LIMIT} blocks, got {len(blocks)}")
    return [block.to_dict() for block in blocks]  # to_dict validates against Slack's rules


def _body(text: str, limit: int, *, quote: bool = True) -> str:
    if not text.strip():
        return "_(no text)_"
    return _fit(text.strip(), limit, quote=quote)


def _fit(text: str, limit: int, *, quote: bool = False) -> str:
    """`text` escaped for mrkdwn in at most `limit` characters, optionally as a quote.

    A cut ends with an ellipsis and never splits an entity such as `&amp;`, which Slack
    would otherwise show half-decoded.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    newline = "\n> " if quote else "\n"
    pieces = ["> "] if quote else []
    pieces += [newline if c == "\n" else _ESCAPES.get(c, c) for c in text]
    if sum(len(p) for p in pieces) <= limit:
        return "".join(pieces)
    budget = limit - len(ELLIPSIS)
    kept: list[str] = []
    size = 0
    for piece in pieces:
        if size + len(piece) > budget:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + ELLIPSIS


def _inline(text: str, limit: int = NAME_LIMIT) -> str:
    """A short untrusted value (name, id, label) on one line, escaped."""
    return _fit(_one_line(text), limit)


def _one_line(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _fallback(text: str) -> str:
    """Top-level `text`: notifications and old clients show it, and Slack parses it too."""
    return _fit(text.strip(), FALLBACK_LIMIT)


def _sequence(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []
