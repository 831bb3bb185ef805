"""SLA steps on one conversation: a reminder at the mark, escalation to leads at the target.

The timer job (on the scheduler leader) only finds candidates; this checks again inside the
write transaction, so a reply that just went out wins, and the step's mark (one per stage
per waiting period) makes each reminder and breach happen exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.domain.commands import ApplySlaTimer
from bot.domain.events import ConversationChanged
from bot.domain.model import Conversation, ConversationStatus
from bot.domain.permissions import Action
from bot.domain.sla import SlaPolicy, SlaStage, SlaState, conversation_sla, duration_words
from bot.ports import Clock, Repository, UnitOfWork

SLA_ACTOR = "storedesk:sla"
CLOCK_WORDS = {"first_response": "first response", "next_response": "next response"}


async def apply_sla_timer(
    cmd: ApplySlaTimer, uow: UnitOfWork, clock: Clock, policies: Mapping[str, SlaPolicy]
) -> SlaStage | None:
    """The step taken now (reminder or breach), or None when nothing was due."""
    async with uow:
        conversation = await uow.repo.get_conversation(cmd.conversation_id)
        if conversation is None:
            return None
        state = await sla_of(uow.repo, conversation, policies, clock.now())
        if state is None or state.stage == SlaStage.OK:
            return None
        stage_key = "breach" if state.stage == SlaStage.BREACHED else "reminder"
        if not await uow.repo.claim_sla_mark(conversation.id, state.message_id, stage_key):
            return None
        payload = _payload(state, conversation.assignee_id)
        store_id = conversation.store_id
        if state.stage == SlaStage.REMINDER:
            await uow.audit(
                "sla_reminder",
                actor=SLA_ACTOR,
                store_id=store_id,
                conversation_id=conversation.id,
                payload=payload,
            )
        else:
            before = conversation.status
            if before != ConversationStatus.TAKEN_OVER:  # a person's conversation stays theirs
                conversation.status = ConversationStatus.ESCALATED
            leads = [
                m.id
                for m in await uow.repo.store_members(store_id)
                if m.can(Action.SEND_REPLY, store_id, needs_supervisor=True)
            ]
            await uow.audit(
                "sla_breached",
                actor=SLA_ACTOR,
                store_id=store_id,
                conversation_id=conversation.id,
                payload={**payload, "leads": leads},
            )
            await uow.audit(
                "escalated",
                actor=SLA_ACTOR,
                store_id=store_id,
                conversation_id=conversation.id,
                payload={
                    "action": "escalate",
                    "reason": breach_reason(state, conversation.assignee_id),
                    "leads": leads,
                    "before": before.value,
                    "after": conversation.status.value,
                },
            )
        conversation.updated_at = clock.now()
        uow.record(ConversationChanged(store_id, conversation.id))
        await uow.commit()
        return state.stage


async def sla_of(
    repo: Repository,
    conversation: Conversation,
    policies: Mapping[str, SlaPolicy],
    now: datetime,
) -> SlaState | None:
    """SLA age and stage of a conversation (for the timer, a queue or a header); None when
    its store has no SLA or nobody is waiting on the team."""
    policy = policies.get(conversation.store_id)
    if policy is None:
        return None
    messages = await repo.conversation_messages(conversation.id)
    return conversation_sla(conversation.status, messages, policy, now)


def breach_reason(state: SlaState, assignee_id: str | None) -> str:
    what = CLOCK_WORDS[state.clock.value]
    who = "" if assignee_id else " (unassigned)"
    return f"SLA breached: no {what} within {duration_words(state.target_seconds)}{who}"


def _payload(state: SlaState, assignee_id: str | None) -> dict[str, object]:
    return {
        "clock": state.clock.value,
        "message_id": state.message_id,
        "waiting_since": state.since.isoformat(),
        "waited_seconds": round(state.age_seconds, 1),
        "target_seconds": state.target_seconds,
        "due_at": state.due_at.isoformat(),
        "assignee_id": assignee_id,
    }
