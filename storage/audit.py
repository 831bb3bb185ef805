"""The evidence chain: append-only audit events, each hashed over its predecessor."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.orm import audit_events, audit_heads

GENESIS = "0" * 64
SYSTEM_CHAIN = "_system"
# Version 1 hashed the payload itself, so erasing any personal value broke the chain.
# Version 2 hashes one digest per top-level payload field (stored with the row): a field's
# value may be replaced by ERASED while its digest still proves what was there.
LEGACY_SCHEME = 1
FIELD_DIGEST_SCHEME = 2
ERASED = "[erased]"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(body)}".encode()).hexdigest()


def event_body(
    *,
    chain: str,
    chain_seq: int,
    at: datetime,
    actor: str,
    kind: str,
    store_id: str | None,
    conversation_id: str | None,
    payload: dict[str, Any],
) -> dict[str, Any]:
    return {
        "chain": chain,
        "chain_seq": chain_seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "kind": kind,
        "store_id": store_id,
        "conversation_id": conversation_id,
        "payload": payload,
    }


def field_digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def field_digests(payload: dict[str, Any]) -> dict[str, str]:
    return {key: field_digest(value) for key, value in payload.items()}


def payload_matches(payload: dict[str, Any], digests: dict[str, str]) -> bool:
    """Every field is there, and each one is either erased or still hashes to its digest."""
    if set(payload) != set(digests):
        return False
    return all(
        value == ERASED or field_digest(value) == digests[key] for key, value in payload.items()
    )


def row_hash_ok(row: Any, prev_hash: str) -> bool:
    """Does a stored event still hash to what the chain recorded for it?"""
    version = getattr(row, "hash_version", LEGACY_SCHEME) or LEGACY_SCHEME
    if version == LEGACY_SCHEME:
        hashed: Any = row.payload
    elif version == FIELD_DIGEST_SCHEME:
        digests = row.field_digests
        if not isinstance(digests, dict) or not isinstance(row.payload, dict):
            return False
        if not payload_matches(row.payload, digests):
            return False
        hashed = {"v": FIELD_DIGEST_SCHEME, "field_digests": digests}
    else:
        return False
    body = event_body(
        chain=row.chain,
        chain_seq=row.chain_seq,
        at=row.at,
        actor=row.actor,
        kind=row.kind,
        store_id=row.store_id,
        conversation_id=row.conversation_id,
        payload=hashed,
    )
    return event_hash(prev_hash, body) == row.hash


@dataclass(frozen=True)
class PendingEvent:
    at: datetime
    actor: str
    kind: str
    store_id: str | None
    conversation_id: str | None
    payload: dict[str, Any]

    @property
    def chain(self) -> str:
        """One chain per store keeps writers of different stores apart."""
        return self.store_id or SYSTEM_CHAIN


async def append_events(session: AsyncSession, events: list[PendingEvent]) -> None:
    """Append a transaction's events: one head lock, one insert, one head update per chain."""
    by_chain: dict[str, list[PendingEvent]] = {}
    for pending in events:
        by_chain.setdefault(pending.chain, []).append(pending)
    for chain in sorted(by_chain):  # a fixed lock order across chains avoids deadlocks
        head = (
            await session.execute(
                select(audit_heads.c.chain_seq, audit_heads.c.hash)
                .where(audit_heads.c.chain == chain)
                .with_for_update()
            )
        ).first()
        if head is None:
            await session.execute(
                insert(audit_heads).values(chain=chain, chain_seq=0, hash=GENESIS)
            )
            seq, digest = 0, GENESIS
        else:
            seq, digest = int(head.chain_seq), str(head.hash)
        rows = []
        for pending in by_chain[chain]:
            # Round-trip through JSON so the hashed payload is exactly what the column stores.
            payload = json.loads(canonical_json(pending.payload))
            digests = field_digests(payload)
            seq += 1
            body = event_body(
                chain=chain,
                chain_seq=seq,
                at=pending.at,
                actor=pending.actor,
                kind=pending.kind,
                store_id=pending.store_id,
                conversation_id=pending.conversation_id,
                payload={"v": FIELD_DIGEST_SCHEME, "field_digests": digests},
            )
            prev_hash, digest = digest, event_hash(digest, body)
            rows.append(
                {
                    "chain": chain,
                    "chain_seq": seq,
                    "at": pending.at,
                    "actor": pending.actor,
                    "kind": pending.kind,
                    "store_id": pending.store_id,
                    "conversation_id": pending.conversation_id,
                    "payload": payload,
                    "hash_version": FIELD_DIGEST_SCHEME,
                    "field_digests": digests,
                    "prev_hash": prev_hash,
                    "hash": digest,
                }
            )
        await session.execute(insert(audit_events), rows)
        await session.execute(
            update(audit_heads)
            .where(audit_heads.c.chain == chain)
            .values(chain_seq=seq, hash=digest)
        )


@dataclass(frozen=True)
class ChainProblem:
    chain: str
    seq: int | None
    chain_seq: int
    reason: str

    def __str__(self) -> str:
        where = f"event seq={self.seq}" if self.seq is not None else "end of chain"
        return f"chain {self.chain!r}, {where} (chain position {self.chain_seq}): {self.reason}"


async def _chain_rows(session: AsyncSession, chain: str) -> AsyncIterator[Any]:
    result = await session.stream(
        select(audit_events).where(audit_events.c.chain == chain).order_by(audit_events.c.chain_seq)
    )
    async for row in result:
        yield row


async def verify_chains(session: AsyncSession) -> tuple[int, ChainProblem | None]:
    """Return how many events were checked and the first problem found, if any."""
    heads = (await session.execute(select(audit_heads).order_by(audit_heads.c.chain))).all()
    known = {h.chain for h in heads}
    orphan = (
        await session.execute(
            select(audit_events.c.chain, audit_events.c.seq, audit_events.c.chain_seq)
            .where(
                audit_events.c.chain.not_in(known) if known else audit_events.c.chain.is_not(None)
            )
            .limit(1)
        )
    ).first()
    if orphan is not None:
        return 0, ChainProblem(orphan.chain, orphan.seq, orphan.chain_seq, "chain has no head")
    checked = 0
    for head in heads:
        expected_seq, prev_hash = 1, GENESIS
        async for row in _chain_rows(session, head.chain):
            checked += 1
            if row.chain_seq != expected_seq:
                return checked, ChainProblem(
                    head.chain, row.seq, expected_seq, f"event missing (found {row.chain_seq})"
                )
            if row.prev_hash != prev_hash:
                return checked, ChainProblem(
                    head.chain, row.seq, row.chain_seq, "link to the previous event is broken"
                )
            if not row_hash_ok(row, prev_hash):
                return checked, ChainProblem(
                    head.chain, row.seq, row.chain_seq, "content does not match its hash"
                )
            prev_hash = row.hash
            expected_seq += 1
        if expected_seq - 1 != head.chain_seq or prev_hash != head.hash:
            return checked, ChainProblem(
                head.chain, None, head.chain_seq, "events at the end of the chain were removed"
            )
    return checked, None
