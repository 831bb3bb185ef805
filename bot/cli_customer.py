"""`storedesk customer forget`: erase one customer's personal data on request, audited.

The customer is named by id, or by email within one client (never across clients). The
`customer_forgotten` audit event carries ids and counts only; the chain still verifies.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.customer_keys import KeyKind, normalize_email, scope_of
from bot.ports import Clock
from storage.customer_links import customer_stores
from storage.database import open_database
from storage.erasure import Erasure, audit_erasure, erase_customer
from storage.orm import (
    channel_accounts,
    customer_identities,
    customer_keys,
    customers,
    stores,
)


def add_parser(sub: Any) -> None:
    customer = sub.add_parser("customer", help="customer data requests")
    actions = customer.add_subparsers(dest="customer_command", required=True)
    forget = actions.add_parser("forget", help="erase one customer's personal data")
    which = forget.add_mutually_exclusive_group(required=True)
    which.add_argument("--customer", help="customer id")
    which.add_argument("--email", help="the customer's email address (needs --client)")
    forget.add_argument("--client", help="with --email: the client whose stores to search")
    forget.add_argument("--actor", default="operator", help="who asked, for the audit trail")


async def customers_by_email(session: AsyncSession, email: str, client: str) -> list[str]:
    """Customers of this client's stores known by this address (key or email identity)."""
    store_ids = [
        r.id for r in await session.execute(select(stores.c.id).where(stores.c.client_id == client))
    ]
    if not store_ids:
        return []
    by_key = select(customer_keys.c.customer_id).where(
        customer_keys.c.scope == scope_of(client, ""),
        customer_keys.c.kind == KeyKind.EMAIL.value,
        customer_keys.c.value == email,
    )
    by_identity = (
        select(customer_identities.c.customer_id)
        .join(channel_accounts, channel_accounts.c.id == customer_identities.c.channel_account_id)
        .where(
            channel_accounts.c.store_id.in_(store_ids),
            channel_accounts.c.kind == "email",
            customer_identities.c.external_id == email,
        )
    )
    ids = {r[0] for r in await session.execute(by_key.union(by_identity))}
    # A customer folded into another is forgotten through the one that absorbed it.
    rows = await session.execute(
        select(customers.c.id, customers.c.merged_into).where(customers.c.id.in_(ids))
    )
    return sorted({r.merged_into or r.id for r in rows})


async def forget(
    settings: Settings,
    customer_ids: list[str] | None,
    email: str | None,
    client: str | None,
    actor: str,
    clock: Clock,
) -> dict[str, Erasure]:
    db = open_database(settings.database_url)
    done: dict[str, Erasure] = {}
    try:
        async with db.write_sessions() as session, session.begin():
            if customer_ids is None:
                assert email is not None and client is not None
                customer_ids = await customers_by_email(session, email, client)
            for named in customer_ids:
                known = (
                    await session.execute(
                        select(customers.c.id, customers.c.merged_into).where(
                            customers.c.id == named
                        )
                    )
                ).first()
                if known is None:
                    continue
                # A customer folded into another lives on in the one that absorbed it.
                customer_id = known.merged_into or known.id
                if customer_id in done:
                    continue
                involved = await customer_stores(session, customer_id)
                now = clock.now()
                erasure = await erase_customer(session, customer_id, now)
                await audit_erasure(
                    session,
                    "customer_forgotten",
                    actor=actor,
                    store_ids=involved,
                    payload={"customer_id": customer_id, **erasure.counts()},
                    now=now,
                )
                done[customer_id] = erasure
    finally:
        await db.dispose()
    return done


async def run(args: argparse.Namespace, settings: Settings) -> int:
    email = None
    if args.email is not None:
        if not args.client:
            print("customer forget: --email needs --client", file=sys.stderr)
            return 2
        email = normalize_email(args.email)
        if email is None:
            print(f"customer forget: not an email address: {args.email!r}", file=sys.stderr)
            return 2
    ids = [args.customer] if args.customer else None
    done = await forget(settings, ids, email, args.client, args.actor, SystemClock())
    if not done:
        print("customer forget: no such customer", file=sys.stderr)
        return 1
    for customer_id, erasure in done.items():
        print(f"customer {customer_id}: personal data erased")
        for name, count in erasure.counts().items():
            if count:
                print(f"  {name.replace('_', ' ')}: {count}")
    return 0
