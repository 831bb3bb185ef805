"""SLA steps on one conversation: a reminder at the mark, escalation to leads at the target.

The timer job (on the scheduler leader) only finds candidates; this checks again inside the
write transaction, so a reply that just went out wins, and the step's mark (one per stage
per waiting period) makes each reminder and breach happen exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.commands import ApplySlaTimer
from bot.domain.events import ConversationChanged
from bot.domain.model import ConversationStatus
from bot.domain.permissions import Action
from bot.domain.sla import SlaPolicy, SlaStage, SlaState, conversation_sla, duration_words
from bot.ports import Clock, UnitOfWork

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
        policy = policies.get(conversation.store_id)
        if policy is None:
            return None
        messages = await uow.repo.conversation_messages(conversation.id)
        state = conversation_sla(conversation.status, messages, policy, clock.now())
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
                    "before": conversation.status.value,
                    "after": ConversationStatus.ESCALATED.value,
                },
            )
            conversation.status = ConversationStatus.ESCALATED
        conversation.updated_at = clock.now()
        uow.record(ConversationChanged(store_id, conversation.id))
        await uow.commit()
        return state.stage


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
