"""Assembles the core from the implementations `main.py` (or a test) chooses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from bot.domain import commands
from bot.domain.events import OutboxEnqueued
from bot.domain.routing import RoutingPolicy
from bot.domain.sla import SlaPolicy
from bot.ports import (
    Clock,
    CustomerChannel,
    Drafter,
    Lookup,
    Retriever,
    Summarizer,
    Triager,
    UnitOfWork,
)
from bot.services import (
    assist_hold,
    conversation_admin,
    delivery,
    drafting,
    intake,
    membership,
    review,
    sla,
    summaries,
    topics,
)
from bot.services.customer_edits import revise_customer_message
from bot.services.customer_linking import decide_link
from bot.services.messagebus import Listener, MessageBus
from bot.services.outbox_topics import CustomerSend, DraftJob
from bot.services.outbox_worker import OutboxWorker, TopicHandler, WorkerSettings
from bot.services.rate_limit import RateLimiter
from bot.services.recommendations import Recommender
from bot.services.retry_policy import RetryPolicy


@dataclass
class Core:
    bus: MessageBus
    worker: OutboxWorker


def bootstrap(
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    retriever: Retriever,
    drafter: Drafter,
    channel_for: Callable[[str], CustomerChannel | None],
    worker_id: str,
    listeners: list[Listener] | None = None,
    limiter: RateLimiter | None = None,
    retry_policy: RetryPolicy | None = None,
    worker_settings: WorkerSettings | None = None,
    topic_handlers: Mapping[str, TopicHandler] | None = None,
    lookup_for: Callable[[str], Lookup | None] = lambda _store_id: None,
    triager: Triager | None = None,
    summarizer: Summarizer | None = None,
    summary_after: int | None = None,
    assist_hold_for: Callable[[str], float] | None = None,
    recommender: Recommender | None = None,
    routing: RoutingPolicy | None = None,
    sla_policies: Mapping[str, SlaPolicy] | None = None,
) -> Core:
    handlers = {
        commands.ReceiveCustomerMessage: partial(
            intake.receive_customer_message, clock=clock, summary_after=summary_after
        ),
        commands.DraftReply: partial(
            drafting.draft_reply,
            clock=clock,
            retriever=retriever,
            drafter=drafter,
            lookup_for=lookup_for,
            triager=triager,
            assist_hold_for=assist_hold_for or (lambda _store_id: assist_hold.DEFAULT_HOLD_SECONDS),
            recommender=recommender,
            routing=routing,
        ),
        commands.ReleaseHeldDraft: partial(assist_hold.release_held_draft, clock=clock),
        commands.CancelAutoSend: partial(assist_hold.cancel_auto_send, clock=clock),
        commands.SummarizeConversation: partial(
            summaries.summarize_conversation,
            clock=clock,
            summarizer=summarizer,
            triager=triager,
        ),
        commands.ApproveDraft: partial(review.approve_draft, clock=clock),
        commands.EditAndSendDraft: partial(review.edit_and_send_draft, clock=clock),
        commands.RejectDraft: partial(review.reject_draft, clock=clock),
        commands.Escalate: partial(review.escalate, clock=clock),
        commands.TakeOver: partial(review.take_over, clock=clock),
        commands.SendReply: partial(review.send_reply, clock=clock),
        commands.AddNote: partial(review.add_note, clock=clock),
        commands.AddClientComment: partial(review.add_client_comment, clock=clock),
        commands.Resolve: partial(review.resolve, clock=clock),
        commands.RetryDelivery: partial(review.retry_delivery, clock=clock),
        commands.RefuseAction: partial(review.refuse_action, clock=clock),
        commands.Assign: partial(conversation_admin.assign, clock=clock),
        commands.Reopen: partial(conversation_admin.reopen, clock=clock),
        commands.Release: partial(conversation_admin.release, clock=clock),
        commands.ChangeStoreMode: partial(conversation_admin.change_store_mode, clock=clock),
        commands.InviteMember: partial(membership.invite_member, clock=clock),
        commands.AcceptInvitation: partial(membership.accept_invitation, clock=clock),
        commands.GrantByIdentity: partial(membership.grant_by_identity, clock=clock),
        commands.RevokeGrant: partial(membership.revoke_grant, clock=clock),
        commands.ReviseCustomerMessage: partial(revise_customer_message, clock=clock),
        commands.ApplySlaTimer: partial(
            sla.apply_sla_timer, clock=clock, policies=sla_policies or {}
        ),
        commands.RecordDelivery: delivery.record_delivery,
        commands.DecideCustomerLink: decide_link,
        commands.RecordDeliveryFailure: delivery.record_delivery_failure,
    }
    bus = MessageBus(uow_factory, handlers, listeners)
    worker = OutboxWorker(
        uow_factory,
        clock,
        {
            topics.DRAFT: DraftJob(bus),
            topics.CUSTOMER_SEND: CustomerSend(bus, channel_for),
            topics.SUMMARIZE: summaries.SummarizeJob(bus),
            topics.ASSIST_RELEASE: assist_hold.AssistReleaseJob(bus),
            **(topic_handlers or {}),
        },
        limiter or RateLimiter(rate_per_second=5.0, burst=10),
        retry_policy or RetryPolicy(),
        worker_id,
        worker_settings,
    )

    def wake_worker(event: object) -> None:
        if isinstance(event, OutboxEnqueued):
            worker.wake()

    bus.subscribe(wake_worker)
    return Core(bus=bus, worker=worker)
