"""A customer's edit of a message they sent: the stored copy and the team threads follow.

The edit is evidence like the message itself (hashes of before and after); a draft already
written from the old text stays as it is, for the team to judge against the new one.
"""

from __future__ import annotations

import hashlib

from bot.domain.commands import ReviseCustomerMessage
from bot.domain.errors import NotFound
from bot.domain.events import ConversationChanged
from bot.domain.model import Direction
from bot.ports import Clock, UnitOfWork
from bot.services.actions import existing_conversation


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def revise_customer_message(
    cmd: ReviseCustomerMessage, uow: UnitOfWork, clock: Clock
) -> bool:
    """True when the text changed."""
    async with uow:
        message = await uow.repo.get_message(cmd.message_id)
        if message is None or message.direction != Direction.IN:
            raise NotFound(f"customer message {cmd.message_id} does not exist")
        if message.text == cmd.text or not cmd.text.strip():
            return False
        conversation = await existing_conversation(uow, message.conversation_id)
        before = message.text
        message.text = cmd.text
        conversation.updated_at = clock.now()
        await uow.audit(
            "customer_edited",
            actor=f"customer:{conversation.customer_id}",
            store_id=conversation.store_id,
            conversation_id=conversation.id,
            payload={
                "message_id": message.id,
                "before_sha256": _sha256(before),
                "after_sha256": _sha256(cmd.text),
            },
        )
        uow.record(ConversationChanged(conversation.store_id, conversation.id))
        await uow.commit()
    return True
