"""A raw RFC 5322 mail as what Storedesk needs: who, thread ids, the team's text, attachments.

Auto-replies and bounces are recognised (RFC 3834 `Auto-Submitted`, `Precedence`, the
`X-Autoreply` family, mailer-daemon senders, `multipart/report` delivery reports) so they
are never answered: answering them is how mail loops start.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from connectors.email.html_text import html_to_text
from connectors.email.trim import trim_reply

MAX_TEXT = 20_000
_MSGID = re.compile(r"<[^<>\s]+>")
ROBOT_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.I)


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    in_reply_to: str | None
    references: list[str]
    sender: str
    sender_name: str
    subject: str
    team_text: str
    full_text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    automatic: str = ""  # why this mail must not be answered; empty for a person's mail


def _ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")


def automatic_reason(message: EmailMessage, sender: str) -> str:
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if header in message:
            return f"{header} present"
    if message.get_content_type() == "multipart/report":
        return "delivery or read report (multipart/report)"
    if ROBOT_SENDERS.match(sender):
        return f"sent by {sender}"
    if "Return-Path" in message and str(message["Return-Path"]).strip() == "<>":
        return "null return path (a bounce)"
    return ""


def _body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = body.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if body.get_content_type() == "text/html":
        return html_to_text(content)
    return str(content)


def _attachments(message: EmailMessage, account_id: str, message_id: str) -> list[dict[str, Any]]:
    kept = []
    for index, part in enumerate(message.iter_attachments()):
        payload = part.get_payload(decode=True) or b""
        kept.append(
            {
                # The bytes stay in the kept original; this names the part to fetch.
                "url": f"email:{account_id}/{message_id}#part={index}",
                "name": (part.get_filename() or f"attachment-{index}")[:255],
                "content_type": part.get_content_type()[:100],
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return kept


def parse_mail(account_id: str, raw: bytes) -> ParsedMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    addresses = getaddresses([str(message.get("Reply-To") or message.get("From") or "")])
    sender_name, sender = addresses[0] if addresses else ("", "")
    sender = sender.strip().lower()
    ids = _ids(str(message.get("Message-ID", "")))
    # A mail without Message-ID still gets a stable id, so a re-fetch is recognised.
    message_id = ids[0] if ids else f"<sha256-{hashlib.sha256(raw).hexdigest()[:40]}@storedesk>"
    full_text = _body_text(message)
    reply_to_ids = _ids(str(message.get("In-Reply-To", "")))
    return ParsedMail(
        message_id=message_id,
        in_reply_to=reply_to_ids[0] if reply_to_ids else None,
        references=_ids(str(message.get("References", ""))),
        sender=sender,
        sender_name=sender_name.strip() or sender.split("@")[0],
        subject=str(message.get("Subject", "")).strip()[:998],
        team_text=trim_reply(full_text)[:MAX_TEXT],
        full_text=full_text,
        attachments=_attachments(message, account_id, message_id),
        automatic=automatic_reason(message, sender),
    )
