"""Replies by SMTP, threaded: `In-Reply-To` and `References` point at the customer's mail,
the subject keeps its `Re:`, and the Message-ID is derived from the idempotency key so a
retried send is recognisably the same mail."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from bot.ports import DeliveryError, OutboundReply
from connectors.email import EmailAccount
from connectors.email.parse import ROBOT_SENDERS

# (account id, conversation id, in-reply-to) → (Message-ID, subject, References) or None
ThreadOf = Callable[[str, str, str | None], Awaitable[tuple[str, str, str] | None]]


def reply_subject(subject: str) -> str:
    subject = subject.strip()
    if not subject:
        return "Re: your message"
    return subject if subject.lower().startswith(("re:", "aw:", "回复")) else f"Re: {subject}"


class EmailSender:
    def __init__(self, accounts: Mapping[str, EmailAccount], thread_of: ThreadOf) -> None:
        self._accounts = accounts
        self._thread_of = thread_of

    async def build(self, account: EmailAccount, reply: OutboundReply) -> EmailMessage:
        message = EmailMessage()
        message["From"] = formataddr((account.display_name, account.address))
        message["To"] = reply.customer_external_id
        domain = account.address.split("@", 1)[1]
        digest = hashlib.sha256(reply.idempotency_key.encode()).hexdigest()[:32]
        message["Message-ID"] = f"<{digest}@{domain}>"
        message["Date"] = formatdate(localtime=False)
        thread = await self._thread_of(account.id, reply.conversation_id, reply.in_reply_to)
        if thread is not None:
            parent, subject, references = thread
            message["Subject"] = reply_subject(subject)
            message["In-Reply-To"] = parent
            message["References"] = " ".join([*references.split(), parent][-20:])
        else:
            message["Subject"] = "Re: your message"
        message.set_content(reply.text)
        return message

    async def send(self, reply: OutboundReply) -> None:
        account = self._accounts.get(reply.channel_account_id)
        if account is None:
            raise DeliveryError(f"unknown email account {reply.channel_account_id}", permanent=True)
        if ROBOT_SENDERS.match(reply.customer_external_id):
            raise DeliveryError(
                f"not sent: {reply.customer_external_id} is an automatic sender", permanent=True
            )
        message = await self.build(account, reply)
        try:
            await aiosmtplib.send(
                message,
                hostname=account.smtp_host,
                port=account.smtp_port,
                username=account.username or None,
                password=account.password or None,
                use_tls=account.smtp_security == "tls",
                start_tls=account.smtp_security == "starttls",
                timeout=account.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            raise DeliveryError(f"recipient refused: {refused}", permanent=True) from None
        except aiosmtplib.SMTPResponseException as problem:
            raise DeliveryError(
                f"SMTP server answered {problem.code}: {problem.message}",
                permanent=500 <= problem.code < 600,
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as problem:
            raise DeliveryError(f"SMTP failed: {type(problem).__name__}: {problem}") from None
