"""Assign, reopen and store mode over an in-memory unit of work; and how `/storedesk` reads
the conversation a person names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.commands import Assign, ChangeStoreMode, Reopen
from bot.domain.errors import InvalidInput, InvalidState, NotAuthorized, NotFound
from bot.domain.events import ConversationChanged
from bot.domain.model import (
    Conversation,
    ConversationStatus,
    CustomerIdentity,
    ReviewAction,
    Store,
    StoreMode,
)
from bot.domain.permissions import Member, Role
from bot.services import conversation_admin
from bot.workspaces.slack.mirror import target_name
from bot.workspaces.slack.slash_commands import ConversationRef, parse_reference, store_channels

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
STORE = "northwind"


class FixedClock:
    def now(self) -> datetime:
        return NOW


class FakeRepo:
    def __init__(self) -> None:
        self.stores: dict[str, Store] = {}
        self.members: dict[str, Member] = {}
        self.conversations: dict[str, Conversation] = {}
        self.identities: list[CustomerIdentity] = []
        self.added: list[object] = []
        self.locked: list[tuple[str, str]] = []

    async def get_store(self, store_id: str) -> Store | None:
        return self.stores.get(store_id)

    async def get_member(self, member_id: str) -> Member | None:
        return self.members.get(member_id)

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return self.conversations.get(conversation_id)

    async def identity_of(self, customer_id: str, account_id: str) -> CustomerIdentity | None:
        for identity in self.identities:
            if (identity.customer_id, identity.channel_account_id) == (customer_id, account_id):
                return identity
        return None

    async def lock_customer(self, account_id: str, external_id: str) -> None:
        self.locked.append((account_id, external_id))

    async def find_open_conversation(
        self, store_id: str, account_id: str, customer_id: str
    ) -> Conversation | None:
        for c in self.conversations.values():
            if (c.store_id, c.channel_account_id, c.customer_id) == (
                store_id,
                account_id,
                customer_id,
            ) and c.is_open:
                return c
        return None

    def add(self, entity: object) -> None:
        self.added.append(entity)


class FakeUnitOfWork:
    """Audit events count only once committed, as in the real one."""

    def __init__(self, repo: FakeRepo) -> None:
        self.repo = repo
        self.events: list[Any] = []
        self.audited: list[dict[str, Any]] = []
        self.commits = 0
        self._pending: list[dict[str, Any]] = []

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.rollback()

    async def commit(self) -> None:
        self.audited += self._pending
        self._pending = []
        self.commits += 1

    async def rollback(self) -> None:
        self._pending = []

    async def audit(
        self,
        kind: str,
        *,
        actor: str,
        store_id: str | None,
        conversation_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self._pending.append(
            {
                "kind": kind,
                "actor": actor,
                "store_id": store_id,
                "conversation_id": conversation_id,
                "payload": payload or {},
            }
        )

    def record(self, event: object) -> None:
        self.events.append(event)


def conversation(
    id: str = "c1", status: ConversationStatus = ConversationStatus.OPEN, customer: str = "cu1"
) -> Conversation:
    return Conversation(
        id=id,
        store_id=STORE,
        channel_account_id="nw-market",
        customer_id=customer,
        status=status,
        opened_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def uow() -> FakeUnitOfWork:
    repo = FakeRepo()
    repo.stores[STORE] = Store(
        id=STORE,
        name="Northwind Apparel",
        brand="Northwind",
        region="eu",
        languages=["en"],
        timezone="UTC",
        mode=StoreMode.DRAFT,
    )
    for member_id, role in {"ana": Role.AGENT, "sam": Role.LEAD, "chen": Role.CLIENT}.items():
        repo.members[member_id] = Member(id=member_id, name=member_id.title(), roles={STORE: role})
    repo.members["li"] = Member(id="li", name="Li", roles={"dragon": Role.AGENT})
    repo.conversations["c1"] = conversation()
    repo.identities.append(CustomerIdentity("i1", "cu1", "nw-market", "ext-1"))
    return FakeUnitOfWork(repo)


def kinds(uow: FakeUnitOfWork) -> list[str]:
    return [event["kind"] for event in uow.audited]


# --- assign ------------------------------------------------------------------------------------


async def test_an_agent_assigns_a_conversation_to_a_colleague(uow):
    await conversation_admin.assign(Assign("c1", "ana", "sam"), uow, FixedClock())
    assert uow.repo.conversations["c1"].assignee_id == "sam"
    assert kinds(uow) == ["assigned"]
    assert uow.audited[0]["payload"]["before"] is None
    assert uow.audited[0]["payload"]["after"] == "sam"
    (action,) = [a for a in uow.repo.added if isinstance(a, ReviewAction)]
    assert (action.action, action.actor_id, action.after) == ("assign", "ana", "sam")
    assert uow.events == [ConversationChanged(STORE, "c1")]


@pytest.mark.parametrize(
    ("assignee", "reason"),
    [
        ("li", "li has no role in store northwind"),
        ("nobody", "nobody has no role in store northwind"),
        ("chen", "chen is a read-only client of store northwind"),
    ],
)
async def test_the_assignee_must_work_in_the_store(uow, assignee, reason):
    with pytest.raises(InvalidInput, match=reason):
        await conversation_admin.assign(Assign("c1", "sam", assignee), uow, FixedClock())
    assert uow.repo.conversations["c1"].assignee_id is None
    assert uow.audited == []


async def test_a_client_may_not_assign_and_the_refusal_is_evidence(uow):
    with pytest.raises(NotAuthorized):
        await conversation_admin.assign(Assign("c1", "chen", "ana"), uow, FixedClock())
    assert kinds(uow) == ["denied"]
    assert uow.audited[0]["payload"]["action"] == "assign"
    assert uow.repo.conversations["c1"].assignee_id is None


async def test_a_resolved_or_already_assigned_conversation_is_not_assigned(uow):
    uow.repo.conversations["c1"].assignee_id = "ana"
    with pytest.raises(InvalidState, match="already assigned to ana"):
        await conversation_admin.assign(Assign("c1", "sam", "ana"), uow, FixedClock())
    uow.repo.conversations["c1"].status = ConversationStatus.RESOLVED
    with pytest.raises(InvalidState, match="reopen it first"):
        await conversation_admin.assign(Assign("c1", "sam", "sam"), uow, FixedClock())
    with pytest.raises(NotFound):
        await conversation_admin.assign(Assign("nope", "sam", "ana"), uow, FixedClock())


# --- reopen ------------------------------------------------------------------------------------


async def test_reopen_brings_a_resolved_conversation_back(uow):
    c1 = uow.repo.conversations["c1"]
    c1.status, c1.resolved_at = ConversationStatus.RESOLVED, NOW
    await conversation_admin.reopen(Reopen("c1", "ana"), uow, FixedClock())
    assert (c1.status, c1.resolved_at) == (ConversationStatus.OPEN, None)
    assert kinds(uow) == ["reopened"]
    assert uow.repo.locked == [("nw-market", "ext-1")]


async def test_only_a_resolved_conversation_is_reopened(uow):
    with pytest.raises(InvalidState, match="open, not resolved"):
        await conversation_admin.reopen(Reopen("c1", "ana"), uow, FixedClock())


async def test_reopen_is_refused_when_the_customer_already_wrote_again(uow):
    uow.repo.conversations["c1"].status = ConversationStatus.RESOLVED
    uow.repo.conversations["c2"] = conversation("c2")
    with pytest.raises(InvalidState, match="open conversation c2"):
        await conversation_admin.reopen(Reopen("c1", "ana"), uow, FixedClock())
    assert uow.repo.conversations["c1"].status == ConversationStatus.RESOLVED


async def test_a_client_may_not_reopen(uow):
    uow.repo.conversations["c1"].status = ConversationStatus.RESOLVED
    with pytest.raises(NotAuthorized):
        await conversation_admin.reopen(Reopen("c1", "chen"), uow, FixedClock())
    assert kinds(uow) == ["denied"]


# --- store mode --------------------------------------------------------------------------------


async def test_a_lead_changes_the_store_mode(uow):
    await conversation_admin.change_store_mode(
        ChangeStoreMode(STORE, "sam", " AUTO "), uow, FixedClock()
    )
    assert uow.repo.stores[STORE].mode == StoreMode.AUTO
    assert uow.audited == [
        {
            "kind": "mode_changed",
            "actor": "sam",
            "store_id": STORE,
            "conversation_id": None,
            "payload": {"before": "draft", "after": "auto"},
        }
    ]


@pytest.mark.parametrize("actor", ["ana", "chen", "li", "nobody"])
async def test_only_leads_and_admins_change_the_mode(uow, actor):
    with pytest.raises(NotAuthorized):
        await conversation_admin.change_store_mode(
            ChangeStoreMode(STORE, actor, "auto"), uow, FixedClock()
        )
    assert uow.repo.stores[STORE].mode == StoreMode.DRAFT
    assert kinds(uow) == ["denied"]
    assert uow.audited[0]["payload"]["action"] == "change_mode"


async def test_a_mode_change_needs_a_known_store_a_known_mode_and_a_change(uow):
    with pytest.raises(NotFound):
        await conversation_admin.change_store_mode(
            ChangeStoreMode("elsewhere", "sam", "auto"), uow, FixedClock()
        )
    with pytest.raises(InvalidInput, match="pilot, draft, assist, auto"):
        await conversation_admin.change_store_mode(
            ChangeStoreMode(STORE, "sam", "turbo"), uow, FixedClock()
        )
    with pytest.raises(InvalidState, match="already in draft mode"):
        await conversation_admin.change_store_mode(
            ChangeStoreMode(STORE, "sam", "draft"), uow, FixedClock()
        )
    assert uow.audited == []


# --- conversation references -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "4f1c2e3d4c5b6a798877665544332211",
            ConversationRef(conversation_id="4f1c2e3d4c5b6a798877665544332211"),
        ),
        ("1700000000.000100", ConversationRef(parent_ts="1700000000.000100")),
        ("p1700000000000100", ConversationRef(parent_ts="1700000000.000100")),
        (
            "https://acme.slack.com/archives/CNORTH/p1700000000000100",
            ConversationRef(parent_ts="1700000000.000100", channel="CNORTH"),
        ),
        (
            "<https://acme.slack.com/archives/CNORTH/p1700000000000100>",
            ConversationRef(parent_ts="1700000000.000100", channel="CNORTH"),
        ),
        (
            "<https://acme.slack.com/archives/CNORTH/p1700000000000100|thread>",
            ConversationRef(parent_ts="1700000000.000100", channel="CNORTH"),
        ),
        (
            # A link to a reply inside the thread names the thread's parent in thread_ts.
            "https://acme.slack.com/archives/CNORTH/p1700000050000200"
            "?thread_ts=1700000000.000100&cid=CNORTH",
            ConversationRef(parent_ts="1700000000.000100", channel="CNORTH"),
        ),
    ],
)
def test_a_conversation_is_named_by_id_ts_or_permalink(raw, expected):
    assert parse_reference(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "what?!", "<@U123|ana>", "https://example.com/not/a/permalink", "x" * 65]
)
def test_anything_else_is_not_a_conversation_reference(raw):
    with pytest.raises(InvalidInput, match="conversation"):
        parse_reference(raw)


def test_store_channels_come_from_the_staff_mirror_targets():
    targets = {
        "northwind": (
            target_name("CNORTH", interactive=True),
            target_name("CCLIENT", interactive=False),
        ),
        "dragon": (target_name("CDRAGON", interactive=True),),
    }
    assert store_channels(targets) == {"CNORTH": "northwind", "CDRAGON": "dragon"}
