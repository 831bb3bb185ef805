"""Intake: store each customer message once and attach it to the right conversation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from bot.domain.commands import ReceiveCustomerMessage
from bot.domain.customer_keys import channel_keys, scope_of
from bot.domain.errors import NotFound
from bot.domain.events import ConversationChanged
from bot.domain.model import (
    ChannelAccount,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerIdentity,
    Direction,
    Message,
    new_id,
)
from bot.ports import Clock, UnitOfWork
from bot.services import customer_linking, topics
from bot.services.summaries import LONG, request_summary, summary_due


@dataclass(frozen=True)
class IntakeResult:
    duplicate: bool
    message_id: str | None = None
    conversation_id: str | None = None


async def _new_identity(
    uow: UnitOfWork, cmd: ReceiveCustomerMessage, account: ChannelAccount, now: datetime
) -> CustomerIdentity:
    """A first message on this channel: join the customer a verified key names, or a new one."""
    store = await uow.repo.get_store(account.store_id)
    scope = scope_of(store.client_id if store else None, account.store_id)
    keys = channel_keys(account.kind, cmd.customer_external_id)
    customer_id = await customer_linking.verified_owner(uow, scope, keys)
    if customer_id is None:
        customer = Customer(id=new_id(), display_name=cmd.customer_name, created_at=now)
        uow.repo.add(customer)
        customer_id = customer.id
    identity = CustomerIdentity(
        id=new_id(),
        customer_id=customer_id,
        channel_account_id=account.id,
        external_id=cmd.customer_external_id,
    )
    uow.repo.add(identity)
    identity.customer_id = await customer_linking.link_keys(
        uow,
        scope=scope,
        customer_id=customer_id,
        customer_name=cmd.customer_name,
        identity_id=identity.id,
        keys=keys,
        store_id=account.store_id,
    )
    return identity


async def receive_customer_message(
    cmd: ReceiveCustomerMessage, uow: UnitOfWork, clock: Clock, summary_after: int | None = None
) -> IntakeResult:
    now = clock.now()
    async with uow:
        account = await uow.repo.get_account(cmd.channel_account_id)
        if account is None:
            raise NotFound(f"unknown channel account {cmd.channel_account_id}")
        await uow.repo.lock_customer(account.id, cmd.customer_external_id)
        if not await uow.repo.claim_inbound(account.id, cmd.external_id):
            return IntakeResult(duplicate=True)

        identity = await uow.repo.find_identity(account.id, cmd.customer_external_id)
        if identity is None:
            identity = await _new_identity(uow, cmd, account, now)

        conversation = await uow.repo.find_open_conversation(
            account.store_id, account.id, identity.customer_id
        )
        opened = conversation is None
        if conversation is None:
            conversation = Conversation(
                id=new_id(),
                store_id=account.store_id,
                channel_account_id=account.id,
                customer_id=identity.customer_id,
                status=ConversationStatus.OPEN,
                opened_at=now,
                updated_at=now,
            )
            uow.repo.add(conversation)
        elif conversation.status == ConversationStatus.WAITING:
            conversation.status = ConversationStatus.OPEN
        conversation.updated_at = now
        earlier = 0 if opened else await uow.repo.count_messages(conversation.id, Direction.IN)
        customer_messages = 1 + earlier

        message = Message(
            id=new_id(),
            conversation_id=conversation.id,
            direction=Direction.IN,
            text=cmd.text,
            created_at=now,
            external_id=cmd.external_id,
            channel_account_id=account.id,
            attachments=list(cmd.attachments),
        )
        uow.repo.add(message)
        await uow.audit(
            "received",
            actor=f"customer:{identity.customer_id}",
            store_id=account.store_id,
            conversation_id=conversation.id,
            payload={
                "message_id": message.id,
                "channel_account_id": account.id,
                "external_id": cmd.external_id,
                "text_sha256": hashlib.sha256(cmd.text.encode()).hexdigest(),
                "new_conversation": opened,
            },
        )
        await uow.enqueue(
            topics.DRAFT,
            key=f"draft:{message.id}",
            target=f"pipeline:{account.store_id}",
            payload={"message_id": message.id},
            store_id=account.store_id,
            conversation_id=conversation.id,
        )
        if summary_due(customer_messages, summary_after):
            await request_summary(uow, conversation, reason=LONG)
        uow.record(ConversationChanged(account.store_id, conversation.id))
        await uow.commit()
    return IntakeResult(duplicate=False, message_id=message.id, conversation_id=conversation.id)
