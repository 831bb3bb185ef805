"""The SQL side of customer linking: contact keys, merges and link proposals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.customer_keys import CustomerKey, KeyKind, KnownKey
from bot.domain.model import new_id
from bot.ports import Clock, LinkProposal
from storage.orm import (
    channel_accounts,
    conversations,
    customer_identities,
    customer_keys,
    customer_link_proposals,
    customers,
)

# Fuzzy email candidates share the domain; a cap keeps one huge domain from slowing intake.
CANDIDATE_LIMIT = 200


class SqlCustomerLinks:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self._clock = clock

    async def lock_keys(self, scope: str, keys: Sequence[CustomerKey]) -> None:
        """Two first messages with the same verified key must not make two customers."""
        if self.session.bind.dialect.name != "postgresql":
            return  # SQLite runs one writer at a time
        for key in sorted({(k.kind.value, k.value) for k in keys if k.verified}):
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"customer-key:{scope}:{key[0]}:{key[1]}"},
            )

    async def known_keys(
        self, scope: str, keys: Sequence[CustomerKey], *, exclude: str
    ) -> list[KnownKey]:
        if not keys:
            return []
        matches = [
            and_(customer_keys.c.kind == k.kind.value, customer_keys.c.value == k.value)
            for k in keys
        ]
        domains = {k.value.partition("@")[2] for k in keys if k.kind == KeyKind.EMAIL}
        matches += [
            and_(
                customer_keys.c.kind == KeyKind.EMAIL.value, customer_keys.c.value.endswith(f"@{d}")
            )
            for d in sorted(domains)
        ]
        rows = await self.session.execute(
            select(
                customer_keys.c.customer_id,
                customers.c.display_name,
                customer_keys.c.kind,
                customer_keys.c.value,
                customer_keys.c.verified,
            )
            .join(customers, customers.c.id == customer_keys.c.customer_id)
            .where(
                customer_keys.c.scope == scope,
                customer_keys.c.customer_id != exclude,
                customers.c.merged_into.is_(None),
                customers.c.erased_at.is_(None),
                or_(*matches),
            )
            .order_by(customers.c.created_at, customer_keys.c.customer_id)
            .limit(CANDIDATE_LIMIT)
        )
        return [
            KnownKey(r.customer_id, r.display_name, KeyKind(r.kind), r.value, r.verified)
            for r in rows
        ]

    async def add_keys(
        self, scope: str, customer_id: str, identity_id: str | None, keys: Sequence[CustomerKey]
    ) -> None:
        await self.session.flush()  # the identity the keys point at must exist first
        for key in keys:
            exists = await self.session.scalar(
                select(customer_keys.c.id).where(
                    customer_keys.c.customer_id == customer_id,
                    customer_keys.c.kind == key.kind.value,
                    customer_keys.c.value == key.value,
                    customer_keys.c.verified == key.verified,
                )
            )
            if exists is not None:
                continue
            await self.session.execute(
                customer_keys.insert().values(
                    id=new_id(),
                    scope=scope,
                    customer_id=customer_id,
                    identity_id=identity_id,
                    kind=key.kind.value,
                    value=key.value,
                    verified=key.verified,
                    source=key.source,
                    created_at=self._clock.now(),
                )
            )

    async def merge(self, survivor_id: str, absorbed_id: str) -> None:
        """Fold one customer into another: identities, conversations and keys move over."""
        await self.session.flush()
        for table in (customer_identities, conversations):
            await self.session.execute(
                update(table)
                .where(table.c.customer_id == absorbed_id)
                .values(customer_id=survivor_id)
            )
        held = {
            (r.kind, r.value, r.verified)
            for r in await self.session.execute(
                select(customer_keys.c.kind, customer_keys.c.value, customer_keys.c.verified).where(
                    customer_keys.c.customer_id == survivor_id
                )
            )
        }
        for row in (
            await self.session.execute(
                select(customer_keys).where(customer_keys.c.customer_id == absorbed_id)
            )
        ).all():
            if (row.kind, row.value, row.verified) in held:
                await self.session.execute(
                    delete(customer_keys).where(customer_keys.c.id == row.id)
                )
            else:
                await self.session.execute(
                    update(customer_keys)
                    .where(customer_keys.c.id == row.id)
                    .values(customer_id=survivor_id)
                )
        # Open questions about the absorbed customer are moot now; new messages may ask again.
        await self.session.execute(
            delete(customer_link_proposals).where(
                customer_link_proposals.c.status == "pending",
                or_(
                    customer_link_proposals.c.customer_id == absorbed_id,
                    customer_link_proposals.c.other_customer_id == absorbed_id,
                ),
            )
        )
        await self.session.execute(
            update(customers).where(customers.c.id == absorbed_id).values(merged_into=survivor_id)
        )

    async def propose(self, scope: str, customer_id: str, other_id: str, reason: str) -> bool:
        """Queue a proposal once per pair, whichever way round; a rejected pair stays rejected."""
        pair = or_(
            and_(
                customer_link_proposals.c.customer_id == customer_id,
                customer_link_proposals.c.other_customer_id == other_id,
            ),
            and_(
                customer_link_proposals.c.customer_id == other_id,
                customer_link_proposals.c.other_customer_id == customer_id,
            ),
        )
        if await self.session.scalar(select(customer_link_proposals.c.id).where(pair)) is not None:
            return False
        await self.session.execute(
            customer_link_proposals.insert().values(
                id=new_id(),
                scope=scope,
                customer_id=customer_id,
                other_customer_id=other_id,
                reason=reason[:1000],
                status="pending",
                created_at=self._clock.now(),
            )
        )
        return True

    async def get_proposal(self, proposal_id: str) -> LinkProposal | None:
        row = (
            await self.session.execute(
                select(customer_link_proposals).where(customer_link_proposals.c.id == proposal_id)
            )
        ).first()
        if row is None:
            return None
        return LinkProposal(
            row.id, row.scope, row.customer_id, row.other_customer_id, row.reason, row.status
        )

    async def decide(self, proposal_id: str, status: str, actor_id: str) -> None:
        await self.session.execute(
            update(customer_link_proposals)
            .where(customer_link_proposals.c.id == proposal_id)
            .values(status=status, decided_by=actor_id, decided_at=self._clock.now())
        )

    async def customer_stores(self, customer_id: str) -> list[str]:
        return await customer_stores(self.session, customer_id)


async def customer_stores(session: AsyncSession, customer_id: str) -> list[str]:
    """Every store where the customer has an identity or a conversation."""
    by_identity = (
        select(channel_accounts.c.store_id)
        .join(
            customer_identities, customer_identities.c.channel_account_id == channel_accounts.c.id
        )
        .where(customer_identities.c.customer_id == customer_id)
    )
    by_conversation = select(conversations.c.store_id).where(
        conversations.c.customer_id == customer_id
    )
    rows = await session.execute(by_identity.union(by_conversation))
    return sorted({r[0] for r in rows})
