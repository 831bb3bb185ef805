"""A fetched mail into the core: kept whole, trimmed for the team, robots never answered."""

from __future__ import annotations

import logging

from bot.domain.commands import ReceiveCustomerMessage
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from connectors.email import EmailAccount
from connectors.email.parse import parse_mail
from storage.channel_rows import record_email
from storage.database import Database

logger = logging.getLogger(__name__)


class EmailIntake:
    def __init__(self, account: EmailAccount, bus: MessageBus, db: Database, clock: Clock) -> None:
        self._account = account
        self._bus = bus
        self._db = db
        self._clock = clock

    async def __call__(self, raw: bytes) -> bool:
        """True when the mail is handled (stored, or deliberately left alone)."""
        mail = parse_mail(self._account.id, raw)
        if mail.automatic:
            logger.info(
                "mailbox %s: not answering %s (%s)",
                self._account.id,
                mail.message_id,
                mail.automatic,
            )
            return True
        if not mail.sender or mail.sender == self._account.address.lower():
            return True  # our own mail (a copy in the inbox) is never a customer message
        await record_email(
            self._db,
            account_id=self._account.id,
            message_id=mail.message_id,
            subject=mail.subject,
            references=" ".join(mail.references),
            raw=raw,
            now=self._clock.now(),
        )
        text = mail.team_text
        if mail.in_reply_to is None and mail.subject:
            text = f"{mail.subject}\n\n{text}".strip()  # a new thread: the subject is the question
        await self._bus.handle(
            ReceiveCustomerMessage(
                channel_account_id=self._account.id,
                external_id=mail.message_id,
                customer_external_id=mail.sender,
                customer_name=mail.sender_name[:200],
                text=text or "[empty mail]",
                attachments=tuple(mail.attachments),
            )
        )
        return True
