"""Erasing personal data (retention and `customer forget`) while the audit chain still verifies.

Texts become `[erased]`, attachments and contact addresses go, and in audit rows hashed
with field digests (storage/audit.py, version 2) the personal fields are replaced by the
same marker: their digests stay, so `storedesk audit verify` still passes. Rows from the
legacy scheme cannot be changed without breaking the chain; they are counted, not touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.topics import CUSTOMER_SEND
from storage import outbox as outbox_rows
from storage.audit import ERASED, FIELD_DIGEST_SCHEME, PendingEvent, append_events
from storage.orm import (
    audit_events,
    conversations,
    customer_identities,
    customer_keys,
    customer_link_proposals,
    customers,
    drafts,
    email_messages,
    knowledge_proposals,
    messages,
    outbox,
    review_actions,
    whatsapp_windows,
)

# Audit payload fields that can carry what a customer wrote or who they are.
PERSONAL_AUDIT_FIELDS = frozenset(
    {
        "text",
        "text_sha256",
        "before",
        "after",
        "before_sha256",
        "after_sha256",
        "reason",
        "note",
        "query",
        "summary",
        "fields",
        "entities",
        "error",
        "last_error",
        "comment",
    }
)
PERSONAL_OUTBOX_FIELDS = frozenset({"text", "customer_external_id", "in_reply_to", "attachments"})
FORGOTTEN = "personal data erased"


@dataclass
class Erasure:
    """What was erased, by kind, for the operator's printout and the audit event."""

    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    drafts: int = 0
    review_actions: int = 0
    summaries: int = 0
    knowledge_proposals: int = 0
    outbox_items: int = 0
    outbox_cancelled: int = 0
    audit_fields: int = 0
    legacy_audit_rows_kept: int = 0
    email_copies: int = 0
    identities: int = 0
    contact_keys: int = 0
    link_proposals: int = 0
    customers: int = 0

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _erase_values(payload: dict[str, Any], keys: frozenset[str]) -> tuple[dict[str, Any], int]:
    changed = {k: ERASED for k, v in payload.items() if k in keys and v not in (ERASED, None)}
    return {**payload, **changed}, len(changed)


async def erase_conversations(
    session: AsyncSession, ids: Sequence[str], now: datetime, erasure: Erasure
) -> None:
    if not ids:
        return
    # The outbox worker locks an outbox row before the message it delivered; taking the
    # conversations' outbox rows first, in id order, keeps the same order (no deadlock).
    await session.execute(
        select(outbox.c.id)
        .where(outbox.c.conversation_id.in_(ids))
        .order_by(outbox.c.id)
        .with_for_update()
    )
    rows = (
        await session.execute(
            select(
                messages.c.id,
                messages.c.text,
                messages.c.attachments,
                messages.c.channel_account_id,
                messages.c.external_id,
            ).where(messages.c.conversation_id.in_(ids))
        )
    ).all()
    erasure.messages += sum(1 for r in rows if r.text != ERASED)
    erasure.attachments += sum(len(r.attachments or []) for r in rows)
    await session.execute(
        update(messages)
        .where(messages.c.conversation_id.in_(ids))
        .values(text=ERASED, attachments=[])
    )
    copies = [(r.channel_account_id, r.external_id) for r in rows if r.external_id]
    for account, external in copies:
        result = await session.execute(
            delete(email_messages).where(
                email_messages.c.channel_account_id == account,
                email_messages.c.message_id == external,
            )
        )
        erasure.email_copies += result.rowcount or 0
    result = await session.execute(
        update(drafts)
        .where(drafts.c.conversation_id.in_(ids), drafts.c.text != ERASED)
        .values(text=ERASED, note=ERASED)
    )
    erasure.drafts += result.rowcount or 0
    result = await session.execute(
        update(review_actions)
        .where(review_actions.c.conversation_id.in_(ids))
        .values(
            before=_erased_unless_null(review_actions.c.before),
            after=_erased_unless_null(review_actions.c.after),
            reason=_erased_unless_null(review_actions.c.reason),
        )
    )
    erasure.review_actions += result.rowcount or 0
    result = await session.execute(
        update(knowledge_proposals)
        .where(knowledge_proposals.c.conversation_id.in_(ids))
        .values(question=ERASED, draft_text=ERASED, sent_text=ERASED, diff=ERASED)
    )
    erasure.knowledge_proposals += result.rowcount or 0
    result = await session.execute(
        update(conversations)
        .where(conversations.c.id.in_(ids), conversations.c.summary.is_not(None))
        .values(summary=ERASED)
    )
    erasure.summaries += result.rowcount or 0
    await session.execute(
        update(conversations).where(conversations.c.id.in_(ids)).values(erased_at=now)
    )
    erasure.conversations += len(ids)
    await _erase_outbox(session, ids, now, erasure)
    await _erase_audit(session, ids, erasure)


def _erased_unless_null(column: Any) -> Any:
    return case((column.is_(None), None), else_=ERASED)


async def _erase_outbox(
    session: AsyncSession, ids: Sequence[str], now: datetime, erasure: Erasure
) -> None:
    rows = (
        await session.execute(
            select(outbox.c.id, outbox.c.topic, outbox.c.status, outbox.c.payload).where(
                outbox.c.conversation_id.in_(ids)
            )
        )
    ).all()
    for row in rows:
        payload, changed = _erase_values(dict(row.payload), PERSONAL_OUTBOX_FIELDS)
        values: dict[str, Any] = {"payload": payload, "updated_at": now}
        if row.topic == CUSTOMER_SEND and row.status == outbox_rows.PENDING:
            # Never send a customer the placeholder: an unsent reply is cancelled.
            values.update(status=outbox_rows.DEAD, last_error=FORGOTTEN)
            erasure.outbox_cancelled += 1
        if changed:
            erasure.outbox_items += 1
            await session.execute(update(outbox).where(outbox.c.id == row.id).values(**values))


async def _erase_audit(session: AsyncSession, ids: Sequence[str], erasure: Erasure) -> None:
    rows = (
        await session.execute(
            select(audit_events.c.seq, audit_events.c.hash_version, audit_events.c.payload).where(
                audit_events.c.conversation_id.in_(ids)
            )
        )
    ).all()
    for row in rows:
        payload, changed = _erase_values(dict(row.payload), PERSONAL_AUDIT_FIELDS)
        if not changed:
            continue
        if row.hash_version != FIELD_DIGEST_SCHEME:
            erasure.legacy_audit_rows_kept += 1
            continue
        erasure.audit_fields += changed
        await session.execute(
            update(audit_events).where(audit_events.c.seq == row.seq).values(payload=payload)
        )


async def erase_customer(session: AsyncSession, customer_id: str, now: datetime) -> Erasure:
    """Everything personal about one customer (and customers folded into them)."""
    erasure = Erasure()
    merged = [customer_id] + [
        r.id
        for r in await session.execute(
            select(customers.c.id).where(customers.c.merged_into == customer_id)
        )
    ]
    ids = [
        r.id
        for r in await session.execute(
            select(conversations.c.id).where(conversations.c.customer_id.in_(merged))
        )
    ]
    await erase_conversations(session, ids, now, erasure)
    await erase_identities(
        session,
        select(customer_identities.c.id).where(customer_identities.c.customer_id.in_(merged)),
        erasure,
    )
    result = await session.execute(
        delete(customer_keys).where(customer_keys.c.customer_id.in_(merged))
    )
    erasure.contact_keys += result.rowcount or 0
    result = await session.execute(
        delete(customer_link_proposals).where(
            or_(
                customer_link_proposals.c.customer_id.in_(merged),
                customer_link_proposals.c.other_customer_id.in_(merged),
            )
        )
    )
    erasure.link_proposals += result.rowcount or 0
    result = await session.execute(
        update(customers)
        .where(customers.c.id.in_(merged))
        .values(display_name=ERASED, erased_at=now)
    )
    erasure.customers += result.rowcount or 0
    return erasure


async def erase_identities(session: AsyncSession, which: Any, erasure: Erasure) -> None:
    """Addresses become unusable placeholders (unique per identity), keys on them go."""
    rows = (
        await session.execute(
            select(
                customer_identities.c.id,
                customer_identities.c.channel_account_id,
                customer_identities.c.external_id,
            ).where(customer_identities.c.id.in_(which))
        )
    ).all()
    for row in rows:
        if row.external_id.startswith("erased:"):
            continue
        await session.execute(
            delete(whatsapp_windows).where(
                and_(
                    whatsapp_windows.c.channel_account_id == row.channel_account_id,
                    whatsapp_windows.c.wa_id == row.external_id,
                )
            )
        )
        await session.execute(delete(customer_keys).where(customer_keys.c.identity_id == row.id))
        await session.execute(
            update(customer_identities)
            .where(customer_identities.c.id == row.id)
            .values(external_id=f"erased:{row.id}")
        )
        erasure.identities += 1


async def audit_erasure(
    session: AsyncSession,
    kind: str,
    *,
    actor: str,
    store_ids: Sequence[str],
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """One event per store chain involved; counts and ids only, never the erased data."""
    await session.flush()
    await append_events(
        session,
        [
            PendingEvent(
                at=now,
                actor=actor,
                kind=kind,
                store_id=store_id,
                conversation_id=None,
                payload=payload,
            )
            for store_id in sorted(set(store_ids))
        ]
        or [PendingEvent(now, actor, kind, None, None, payload)],
    )


async def expired_conversations(
    session: AsyncSession, store_id: str, resolved_before: datetime, limit: int
) -> list[tuple[str, str, str]]:
    """(conversation, customer, channel account) resolved before the cut and not yet erased."""
    rows = await session.execute(
        select(conversations.c.id, conversations.c.customer_id, conversations.c.channel_account_id)
        .where(
            conversations.c.store_id == store_id,
            conversations.c.status == "resolved",
            conversations.c.resolved_at < resolved_before,
            conversations.c.erased_at.is_(None),
        )
        .order_by(conversations.c.resolved_at, conversations.c.id)
        .limit(limit)
    )
    return [(r.id, r.customer_id, r.channel_account_id) for r in rows]


async def unused_identities(session: AsyncSession, pairs: set[tuple[str, str]]) -> list[str]:
    """Identities (customer, account) with no conversation left whose data is kept."""
    found = []
    for customer_id, account_id in sorted(pairs):
        live = await session.scalar(
            select(conversations.c.id)
            .where(
                conversations.c.customer_id == customer_id,
                conversations.c.channel_account_id == account_id,
                conversations.c.erased_at.is_(None),
            )
            .limit(1)
        )
        if live is not None:
            continue
        found += [
            r.id
            for r in await session.execute(
                select(customer_identities.c.id).where(
                    customer_identities.c.customer_id == customer_id,
                    customer_identities.c.channel_account_id == account_id,
                )
            )
        ]
    return found
