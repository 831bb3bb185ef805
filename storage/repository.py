"""The SQLAlchemy implementation of the services' Repository port."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import (
    ChannelAccount,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerIdentity,
    Direction,
    Draft,
    DraftStatus,
    Message,
    Store,
)
from bot.domain.permissions import Member, Role
from bot.ports import Clock, OutboxItem
from storage import outbox as outbox_rows
from storage.dialect_insert import insert_for
from storage.orm import conversations, inbound_receipts, member_roles, members, sla_marks


async def load_member(session: AsyncSession, member_id: str) -> Member | None:
    row = (await session.execute(select(members).where(members.c.id == member_id))).first()
    if row is None:
        return None
    roles = (
        await session.execute(
            select(member_roles.c.store_id, member_roles.c.role).where(
                member_roles.c.member_id == member_id
            )
        )
    ).all()
    return Member(id=row.id, name=row.name, roles={r.store_id: Role(r.role) for r in roles})


class SqlRepository:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self._clock = clock

    @property
    def _now(self) -> datetime:
        # Read at each use: a transaction may wait for the write lock before it runs.
        return self._clock.now()

    def add(self, entity: object) -> None:
        self.session.add(entity)

    async def get_store(self, store_id: str) -> Store | None:
        return await self.session.get(Store, store_id)

    async def get_account(self, account_id: str) -> ChannelAccount | None:
        return await self.session.get(ChannelAccount, account_id)

    async def get_member(self, member_id: str) -> Member | None:
        return await load_member(self.session, member_id)

    async def find_identity(self, account_id: str, external_id: str) -> CustomerIdentity | None:
        return (
            await self.session.scalars(
                select(CustomerIdentity).where(
                    CustomerIdentity.channel_account_id == account_id,  # type: ignore[arg-type]
                    CustomerIdentity.external_id == external_id,  # type: ignore[arg-type]
                )
            )
        ).first()

    async def identity_of(self, customer_id: str, account_id: str) -> CustomerIdentity | None:
        return (
            await self.session.scalars(
                select(CustomerIdentity).where(
                    CustomerIdentity.customer_id == customer_id,  # type: ignore[arg-type]
                    CustomerIdentity.channel_account_id == account_id,  # type: ignore[arg-type]
                )
            )
        ).first()

    async def get_customer(self, customer_id: str) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def find_open_conversation(
        self, store_id: str, account_id: str, customer_id: str
    ) -> Conversation | None:
        return (
            await self.session.scalars(
                select(Conversation)
                .where(
                    Conversation.store_id == store_id,  # type: ignore[arg-type]
                    Conversation.channel_account_id == account_id,  # type: ignore[arg-type]
                    Conversation.customer_id == customer_id,  # type: ignore[arg-type]
                    Conversation.status != ConversationStatus.RESOLVED,  # type: ignore[arg-type]
                )
                .order_by(Conversation.opened_at.desc())  # type: ignore[attr-defined]
                .limit(1)
            )
        ).first()

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return await self.session.get(Conversation, conversation_id)

    async def get_message(self, message_id: str) -> Message | None:
        return await self.session.get(Message, message_id)

    async def get_draft(self, draft_id: str) -> Draft | None:
        return await self.session.get(Draft, draft_id)

    async def pending_drafts(self, conversation_id: str) -> list[Draft]:
        return list(
            await self.session.scalars(
                select(Draft).where(
                    Draft.conversation_id == conversation_id,  # type: ignore[arg-type]
                    Draft.status == DraftStatus.PENDING,  # type: ignore[arg-type]
                )
            )
        )

    async def conversation_messages(self, conversation_id: str) -> list[Message]:
        return list(
            await self.session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)  # type: ignore[arg-type]
                .order_by(Message.created_at, Message.id)  # type: ignore[arg-type]
            )
        )

    async def count_messages(self, conversation_id: str, direction: Direction) -> int:
        """One indexed count: intake must not load a long conversation to number a message."""
        counted = await self.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.conversation_id == conversation_id,  # type: ignore[arg-type]
                Message.direction == direction,  # type: ignore[arg-type]
            )
        )
        return int(counted or 0)

    async def message_has_draft(self, message_id: str) -> bool:
        found = await self.session.scalar(
            select(Draft.id).where(Draft.message_id == message_id).limit(1)  # type: ignore[arg-type]
        )
        return found is not None

    async def lock_customer(self, account_id: str, external_id: str) -> None:
        """Serialize intake per customer, so concurrent first messages open one conversation.

        SQLite already runs one writer at a time; PostgreSQL takes a transaction-scoped
        advisory lock on a hash of the customer's channel identity.
        """
        if self.session.bind.dialect.name != "postgresql":
            return
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"intake:{account_id}:{external_id}"},
        )

    async def claim_inbound(self, account_id: str, external_id: str) -> bool:
        """Record an inbound delivery; False when it was seen before (a redelivery)."""
        return await self._insert_once(
            inbound_receipts,
            channel_account_id=account_id,
            external_id=external_id,
            received_at=self._now,
        )

    async def _insert_once(self, table: Table, **values: object) -> bool:
        """False when the row's key exists: the first writer wins, the rest learn it.

        One `INSERT … ON CONFLICT DO NOTHING` instead of a savepoint around a plain insert:
        intake runs this for every message, and the savepoint cost two more statements."""
        statement = insert_for(self.session.bind.dialect.name)(table).values(**values)
        await self.session.flush()  # rows this one may refer to go first, as before
        result = await self.session.execute(statement.on_conflict_do_nothing())
        return bool(result.rowcount == 1)

    async def store_members(self, store_id: str) -> list[Member]:
        ids = await self.session.scalars(
            select(member_roles.c.member_id)
            .where(member_roles.c.store_id == store_id)
            .order_by(member_roles.c.member_id)
        )
        found = [await load_member(self.session, member_id) for member_id in ids.all()]
        return [member for member in found if member is not None]

    async def open_assignment_counts(self, member_ids: Sequence[str]) -> dict[str, int]:
        """Unresolved conversations assigned to each member, across every store."""
        if not member_ids:
            return {}
        rows = await self.session.execute(
            select(conversations.c.assignee_id, func.count())
            .where(
                conversations.c.assignee_id.in_(list(member_ids)),
                conversations.c.status != ConversationStatus.RESOLVED,
            )
            .group_by(conversations.c.assignee_id)
        )
        return {assignee: int(count) for assignee, count in rows.all()}

    async def claim_sla_mark(self, conversation_id: str, message_id: str, stage: str) -> bool:
        """Record an SLA step for one waiting period; False when it was taken before."""
        return await self._insert_once(
            sla_marks, conversation_id=conversation_id, message_id=message_id, stage=stage,
            at=self._now,
        )  # fmt: skip

    async def get_outbox_item(self, item_id: int) -> OutboxItem | None:
        return await outbox_rows.get(self.session, item_id)

    async def revive_outbox_item(self, item_id: int) -> bool:
        return await outbox_rows.revive(self.session, item_id, self._now)

    async def claim_outbox(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[OutboxItem]:
        return await outbox_rows.claim_due(
            self.session,
            now=self._now,
            worker_id=worker_id,
            limit=limit,
            lease_seconds=lease_seconds,
        )

    async def extend_outbox_lease(
        self, worker_id: str, item_ids: list[int], lease_seconds: float
    ) -> int:
        return await outbox_rows.extend_lease(
            self.session,
            now=self._now,
            worker_id=worker_id,
            item_ids=item_ids,
            lease_seconds=lease_seconds,
        )

    async def reschedule_outbox(
        self, item_id: int, at: datetime, error: str | None, *, count_attempt: bool
    ) -> None:
        await outbox_rows.reschedule(
            self.session, item_id, now=self._now, at=at, error=error, count_attempt=count_attempt
        )

    async def kill_outbox(self, item_id: int, error: str) -> None:
        await outbox_rows.mark_dead(self.session, item_id, now=self._now, error=error)
