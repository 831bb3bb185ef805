"""Linking one customer's identities across channels and stores, within one client.

Verified keys that match exactly link at once (the newer customer folds into the one that
held the key first); weaker evidence becomes a proposal that a member with a role on both
sides confirms or rejects. The audit trail names customers and reasons, never the keys.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.commands import DecideCustomerLink
from bot.domain.customer_keys import CustomerKey, exact_match, fuzzy_reason, lookup_keys
from bot.domain.errors import InvalidInput, NotAuthorized, NotFound
from bot.domain.permissions import Action, Member
from bot.ports import LookupResult, UnitOfWork

SYSTEM_ACTOR = "system:linking"
# Who may join two profiles: someone who may work conversations (not a read-only client)
# in a store of each side.
LINK_ACTION = Action.NOTE


async def verified_owner(uow: UnitOfWork, scope: str, keys: Sequence[CustomerKey]) -> str | None:
    """The customer who already holds one of these verified keys in this scope, if any."""
    await uow.links.lock_keys(scope, keys)
    for known in await uow.links.known_keys(scope, keys, exclude=""):
        if any(exact_match(key, known) for key in keys):
            return known.customer_id
    return None


async def link_keys(
    uow: UnitOfWork,
    *,
    scope: str,
    customer_id: str,
    customer_name: str,
    identity_id: str | None,
    keys: Sequence[CustomerKey],
    store_id: str,
    conversation_id: str | None = None,
) -> str:
    """Record keys for a customer, link on exact verified matches, propose on fuzzy ones.

    Returns the customer the keys belong to afterwards (another one, when linked).
    """
    if not keys:
        return customer_id
    await uow.links.lock_keys(scope, keys)
    known = await uow.links.known_keys(scope, keys, exclude=customer_id)
    # `known` comes oldest customer first: the first to hold a key keeps the profile.
    owners = list(
        dict.fromkeys(k.customer_id for k in known if any(exact_match(key, k) for key in keys))
    )
    survivor = owners[0] if owners else customer_id
    for absorbed in [customer_id, *owners[1:]] if owners else []:
        await uow.links.merge(survivor, absorbed)
        await uow.audit(
            "customer_linked",
            actor=SYSTEM_ACTOR,
            store_id=store_id,
            conversation_id=conversation_id,
            payload={
                "customer_id": survivor,
                "merged_customer_id": absorbed,
                "why": "exact match on a verified " + "/".join(sorted({k.kind for k in keys})),
            },
        )
    await uow.links.add_keys(scope, survivor, identity_id, keys)
    for known_key in known:
        if known_key.customer_id in owners:
            continue
        for key in keys:
            reason = fuzzy_reason(key, customer_name, known_key)
            if reason and await uow.links.propose(scope, survivor, known_key.customer_id, reason):
                await uow.audit(
                    "customer_link_proposed",
                    actor=SYSTEM_ACTOR,
                    store_id=store_id,
                    conversation_id=conversation_id,
                    payload={"customer_id": survivor, "other_customer_id": known_key.customer_id},
                )
                break
    return survivor


async def link_lookups(
    uow: UnitOfWork,
    *,
    scope: str,
    store_id: str,
    conversation_id: str,
    customer_id: str,
    customer_name: str,
    facts: Sequence[LookupResult],
) -> str:
    """Orders the back office found vouch for their order number (see customer_keys)."""
    keys = [
        key
        for fact in facts
        if fact.found and fact.kind == "order"
        for key in lookup_keys(store_id, fact.fields, fact.query)
    ]
    return await link_keys(
        uow,
        scope=scope,
        customer_id=customer_id,
        customer_name=customer_name,
        identity_id=None,
        keys=keys,
        store_id=store_id,
        conversation_id=conversation_id,
    )


async def decide_link(cmd: DecideCustomerLink, uow: UnitOfWork) -> dict[str, object]:
    """Returns what surfaces show: the proposal, the decision, and the customer it left."""
    proposal_id, actor_id, confirm = cmd.proposal_id, cmd.actor_id, cmd.confirm
    async with uow:
        member = await uow.repo.get_member(actor_id)
        if member is None:
            raise NotAuthorized(f"{actor_id} is not a member")
        proposal = await uow.links.get_proposal(proposal_id)
        if proposal is None:
            raise NotFound(f"link proposal {proposal_id} does not exist")
        if proposal.status != "pending":
            raise InvalidInput(f"link proposal {proposal_id} is already {proposal.status}")
        mine = await uow.links.customer_stores(proposal.customer_id)
        theirs = await uow.links.customer_stores(proposal.other_customer_id)
        store_id = _audit_store(member, mine, theirs)
        if not (_may_link(member, mine) and _may_link(member, theirs)):
            if store_id is not None:  # a refusal is evidence where the member works
                await uow.audit(
                    "denied",
                    actor=member.id,
                    store_id=store_id,
                    payload={"action": "link_customers", "proposal_id": proposal.id},
                )
                await uow.commit()
            raise NotAuthorized(
                f"{member.id} needs a role in a store of both customers to decide this link"
            )
        survivor = proposal.other_customer_id  # the customer who was there first
        # Decide first: a merge clears the pending proposals about the absorbed customer.
        await uow.links.decide(proposal.id, "confirmed" if confirm else "rejected", member.id)
        if confirm:
            await uow.links.merge(survivor, proposal.customer_id)
        await uow.audit(
            "customer_link_confirmed" if confirm else "customer_link_rejected",
            actor=member.id,
            store_id=store_id,
            payload={
                "proposal_id": proposal.id,
                "customer_id": proposal.customer_id,
                "other_customer_id": proposal.other_customer_id,
            },
        )
        await uow.commit()
    return {
        "proposal_id": proposal_id,
        "confirmed": confirm,
        "customer_id": survivor if confirm else proposal.customer_id,
    }


def _may_link(member: Member, stores: Sequence[str]) -> bool:
    return any(member.can(LINK_ACTION, store) for store in stores)


def _audit_store(member: Member, *sides: Sequence[str]) -> str | None:
    for stores in sides:
        for store in stores:
            if member.role_in(store) is not None:
                return store
    return None
