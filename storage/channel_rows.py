"""Rows the customer connectors keep: WhatsApp service windows and orders Shopify told us of."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.dialect_insert import insert_for
from storage.orm import email_messages, inbound_receipts, messages, shop_orders, whatsapp_windows


async def record_whatsapp_inbound(db: Database, account_id: str, wa_id: str, at: datetime) -> None:
    """Keep the newest customer message time: a late retry never shortens the window."""
    insert = insert_for(db.dialect)
    statement = insert(whatsapp_windows).values(
        channel_account_id=account_id, wa_id=wa_id, last_inbound_at=at
    )
    statement = statement.on_conflict_do_update(
        index_elements=["channel_account_id", "wa_id"],
        set_={
            "last_inbound_at": func.max(
                whatsapp_windows.c.last_inbound_at, statement.excluded.last_inbound_at
            )
            if db.dialect == "sqlite"
            else func.greatest(
                whatsapp_windows.c.last_inbound_at, statement.excluded.last_inbound_at
            )
        },
    )
    async with db.write_sessions() as session, session.begin():
        await session.execute(statement)


async def whatsapp_last_inbound(db: Database, account_id: str, wa_id: str) -> datetime | None:
    async with db.read_sessions() as session:
        return await session.scalar(
            select(whatsapp_windows.c.last_inbound_at).where(
                whatsapp_windows.c.channel_account_id == account_id,
                whatsapp_windows.c.wa_id == wa_id,
            )
        )


async def record_shop_event(
    db: Database,
    *,
    store_id: str,
    event_id: str,
    order_id: str,
    update: Callable[[dict[str, str]], dict[str, str]],
    now: datetime,
) -> bool:
    """Apply what one Shopify event says to the order's known fields (`update` gets the old
    ones); False, and nothing stored, when the event id was seen before. The receipt and the
    order change commit together."""
    try:
        async with db.write_sessions() as session, session.begin():
            await session.execute(
                inbound_receipts.insert().values(
                    channel_account_id=f"shopify:{store_id}", external_id=event_id, received_at=now
                )
            )
            key = (shop_orders.c.store_id == store_id) & (shop_orders.c.order_id == order_id)
            known = (await session.execute(select(shop_orders).where(key))).mappings().first()
            before = dict(known["fields"]) if known else {}
            merged = {**before, **update(before)}
            row = {
                "name": merged.get("order_id", "").strip().lstrip("#").upper(),
                "email": (merged.get("email") or "").lower() or None,
                "fields": merged,
                "updated_at": now,
            }
            if known is None:
                await session.execute(
                    shop_orders.insert().values(store_id=store_id, order_id=order_id, **row)
                )
            else:
                await session.execute(shop_orders.update().where(key).values(**row))
    except IntegrityError:
        return False
    return True


async def find_shop_order(
    db: Database, store_id: str, *, name: str | None = None, email: str | None = None
) -> dict[str, Any] | None:
    """The order with this name (`1042`, as Shopify's `#1042` is kept without the `#`), or
    the most recently updated one of this email."""
    query = select(shop_orders.c.fields).where(shop_orders.c.store_id == store_id)
    if name is not None:
        query = query.where(shop_orders.c.name == name)
    elif email is not None:
        query = query.where(shop_orders.c.email == email.lower())
    else:
        return None
    query = query.order_by(shop_orders.c.updated_at.desc()).limit(1)
    async with db.read_sessions() as session:
        return await session.scalar(query)


async def record_email(
    db: Database,
    *,
    account_id: str,
    message_id: str,
    subject: str,
    references: str,
    raw: bytes,
    now: datetime,
) -> None:
    """Keep the full original of a customer's mail (what the team sees is trimmed)."""
    try:
        async with db.write_sessions() as session, session.begin():
            await session.execute(
                email_messages.insert().values(
                    channel_account_id=account_id,
                    message_id=message_id,
                    subject=subject,
                    references=references,
                    raw=raw,
                    received_at=now,
                )
            )
    except IntegrityError:
        return  # the same mail fetched again: the original is already kept


async def email_thread_of(
    db: Database, account_id: str, conversation_id: str, in_reply_to: str | None
) -> tuple[str, str, str] | None:
    """(Message-ID, subject, References) of the customer mail a reply answers: the one it
    names, else the conversation's newest inbound mail."""
    async with db.read_sessions() as session:
        message_id = in_reply_to
        if message_id is None:
            message_id = await session.scalar(
                select(messages.c.external_id)
                .where(
                    messages.c.conversation_id == conversation_id,
                    messages.c.direction == "in",
                )
                .order_by(messages.c.created_at.desc())
                .limit(1)
            )
        if message_id is None:
            return None
        row = (
            await session.execute(
                select(email_messages.c.subject, email_messages.c.references).where(
                    email_messages.c.channel_account_id == account_id,
                    email_messages.c.message_id == message_id,
                )
            )
        ).first()
    return (message_id, row.subject, row.references) if row else (message_id, "", "")
