"""Tables, and the imperative mapping of the domain dataclasses onto them."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry

from bot.domain import attribution, catalog, knowledge, model

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
mapper_registry = registry(metadata=metadata)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(enum_cls: type[StrEnum]) -> Enum:
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


ID = String(32)
NAME = String(200)

stores = Table(
    "stores",
    metadata,
    Column("id", NAME, primary_key=True),
    Column("name", NAME, nullable=False),
    Column("brand", NAME, nullable=False),
    Column("region", String(50), nullable=False),
    Column("languages", JSON, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("mode", _enum(model.StoreMode), nullable=False),
    Column("client_id", NAME),
    Column("tone", JSON, nullable=False),
)

channel_accounts = Table(
    "channel_accounts",
    metadata,
    Column("id", NAME, primary_key=True),
    Column("store_id", NAME, ForeignKey("stores.id"), nullable=False),
    Column("kind", String(30), nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("id", NAME, primary_key=True),
    Column("name", NAME, nullable=False),
)

member_roles = Table(
    "member_roles",
    metadata,
    Column("member_id", NAME, ForeignKey("members.id"), primary_key=True),
    Column("store_id", NAME, ForeignKey("stores.id"), primary_key=True),
    Column("role", String(20), nullable=False),
)

# --- organization: clients, role grants, invitations --------------------------------------
# `member_grants` is the truth (organization / client / store scope, from config or an
# invitation); `member_roles` is its per-store expansion, rebuilt when grants change, so
# every permission check stays one indexed read however many stores a client owns.

clients = Table(
    "clients",
    metadata,
    Column("id", NAME, primary_key=True),
    Column("name", NAME, nullable=False),
)

member_grants = Table(
    "member_grants",
    metadata,
    Column("member_id", NAME, ForeignKey("members.id"), primary_key=True),
    Column("scope", String(20), primary_key=True),
    Column("scope_id", NAME, primary_key=True),
    Column("role", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("granted_by", NAME),
    Column("created_at", UTCDateTime(), nullable=False),
)

member_identities = Table(
    "member_identities",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("value", NAME, primary_key=True),
    Column("member_id", NAME, ForeignKey("members.id"), nullable=False),
)

invitations = Table(
    "invitations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("email", NAME, nullable=False),
    Column("role", String(20), nullable=False),
    Column("scope", String(20), nullable=False),
    Column("scope_id", NAME, nullable=False),
    Column("invited_by", NAME, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("accepted_at", UTCDateTime()),
    Column("member_id", NAME),
)

customers = Table(
    "customers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("display_name", NAME, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Set when a confirmed or exact link folded this customer into another one.
    Column("merged_into", ID),
    Column("erased_at", UTCDateTime),
)

customer_identities = Table(
    "customer_identities",
    metadata,
    Column("id", ID, primary_key=True),
    Column("customer_id", ID, ForeignKey("customers.id"), nullable=False),
    Column("channel_account_id", NAME, ForeignKey("channel_accounts.id"), nullable=False),
    Column("external_id", String(255), nullable=False),
    UniqueConstraint("channel_account_id", "external_id"),
)

# What links identities to one customer: normalized email, phone or order number, within
# one client (`scope`), and whether the channel or the back office vouched for it.
customer_keys = Table(
    "customer_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("scope", NAME, nullable=False),
    Column("customer_id", ID, ForeignKey("customers.id"), nullable=False),
    Column("identity_id", ID, ForeignKey("customer_identities.id")),
    Column("kind", String(10), nullable=False),
    Column("value", String(255), nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("source", String(30), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("customer_id", "kind", "value", "verified"),
    Index("ix_customer_keys_lookup", "scope", "kind", "value"),
)

# A fuzzy match waits here for a member with a role on both sides to confirm or reject it.
customer_link_proposals = Table(
    "customer_link_proposals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("scope", NAME, nullable=False),
    Column("customer_id", ID, ForeignKey("customers.id"), nullable=False),
    Column("other_customer_id", ID, ForeignKey("customers.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_by", NAME),
    Column("decided_at", UTCDateTime),
    UniqueConstraint("customer_id", "other_customer_id"),
    Index("ix_customer_link_proposals_status", "status", "created_at"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("store_id", NAME, ForeignKey("stores.id"), nullable=False),
    Column("channel_account_id", NAME, ForeignKey("channel_accounts.id"), nullable=False),
    Column("customer_id", ID, ForeignKey("customers.id"), nullable=False),
    Column("status", _enum(model.ConversationStatus), nullable=False),
    Column("review_required", Boolean, nullable=False, default=False),
    Column("assignee_id", NAME),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("summary", Text),
    Column("summary_messages", Integer),
    Column("summarized_at", UTCDateTime),
    # When retention or `customer forget` erased its personal data.
    Column("erased_at", UTCDateTime),
    Index("ix_conversations_store_updated", "store_id", "updated_at"),
    Index("ix_conversations_lookup", "store_id", "channel_account_id", "customer_id", "status"),
)

inbound_receipts = Table(
    "inbound_receipts",
    metadata,
    Column("channel_account_id", NAME, primary_key=True),
    Column("external_id", String(255), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("conversation_id", ID, ForeignKey("conversations.id"), nullable=False),
    Column("direction", _enum(model.Direction), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("external_id", String(255)),
    Column("channel_account_id", NAME),
    Column("author_id", NAME),
    Column("delivery_status", _enum(model.DeliveryStatus)),
    Column("attachments", JSON, nullable=False),
    Index("ix_messages_conversation_created", "conversation_id", "created_at"),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("conversation_id", ID, ForeignKey("conversations.id"), nullable=False),
    Column("message_id", ID, ForeignKey("messages.id"), nullable=False, unique=True),
    Column("text", Text, nullable=False),
    Column("language", String(10), nullable=False),
    Column("route", _enum(model.Route), nullable=False),
    Column("status", _enum(model.DraftStatus), nullable=False),
    Column("confident", Boolean, nullable=False),
    Column("citations", JSON, nullable=False),
    Column("risk_reasons", JSON, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_by", NAME),
    Column("decided_at", UTCDateTime),
    Column("reply_message_id", ID),
    Index("ix_drafts_conversation_status", "conversation_id", "status"),
)

review_actions = Table(
    "review_actions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("conversation_id", ID, ForeignKey("conversations.id"), nullable=False),
    Column("draft_id", ID),
    Column("actor_id", NAME, nullable=False),
    Column("action", String(30), nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("reason", Text),
    Column("at", UTCDateTime, nullable=False),
)

knowledge_articles = Table(
    "knowledge_articles",
    metadata,
    Column("id", NAME, primary_key=True),
    Column("version", Integer, primary_key=True),
    # Scope: a NULL field means "all" (every store, brand, region, language, no campaign).
    Column("store_id", NAME, ForeignKey("stores.id"), nullable=True),
    Column("language", String(10), nullable=True),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("brand", NAME, nullable=True),
    Column("region", String(50), nullable=True),
    Column("campaign", NAME, nullable=True),
    Column("topic", NAME, nullable=True),  # NULL: the id's last segment
    Column("qa", JSON, nullable=True),
    Column("variables", JSON, nullable=True),
    Column("valid_from", UTCDateTime, nullable=True),
    Column("valid_until", UTCDateTime, nullable=True),
    Column("author", NAME, nullable=True),
    Column("approver", NAME, nullable=True),
    Column("source", String(20), nullable=False, server_default="config"),
    Index("ix_knowledge_articles_status", "status", "id"),
)

knowledge_proposals = Table(
    "knowledge_proposals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("store_id", NAME, ForeignKey("stores.id"), nullable=False),
    Column("conversation_id", ID, nullable=False),
    Column("draft_id", ID, nullable=False),
    Column("question", Text, nullable=False),
    Column("language", String(10), nullable=False),
    Column("draft_text", Text, nullable=False),
    Column("sent_text", Text, nullable=False),
    Column("diff", Text, nullable=False),
    Column("status", _enum(knowledge.ProposalStatus), nullable=False),
    Column("created_by", NAME, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("article_id", NAME),
    Column("article_version", Integer),
    Column("decided_by", NAME),
    Column("decided_at", UTCDateTime),
    Column("decision_note", Text),
    Column("result_article_id", NAME),
    Column("result_version", Integer),
    Index("ix_knowledge_proposals_store_status", "store_id", "status", "created_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("key", String(255), nullable=False, unique=True),
    Column("topic", String(50), nullable=False),
    Column("target", String(255), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("claimed_by", String(64)),
    Column("last_error", Text),
    Column("store_id", NAME),
    Column("conversation_id", ID),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("chain", NAME, nullable=False),
    Column("chain_seq", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", NAME, nullable=False),
    Column("kind", String(50), nullable=False),
    Column("store_id", NAME),
    Column("conversation_id", ID),
    Column("payload", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # How `hash` was computed (storage/audit.py); 2 adds one digest per payload field.
    Column("hash_version", Integer, nullable=False, server_default="1"),
    Column("field_digests", JSON),
    UniqueConstraint("chain", "chain_seq"),
    Index("ix_audit_events_conversation", "conversation_id", "seq"),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("chain", NAME, primary_key=True),
    Column("chain_seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

workspace_threads = Table(
    "workspace_threads",
    metadata,
    Column("target", NAME, primary_key=True),
    Column("conversation_id", ID, primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("channel", String(64), nullable=False),
    Column("parent_ts", String(64)),  # Lark message ids (`om_` + 32) pass 32 characters
    Column("lost_permalink", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_workspace_threads_parent", "channel", "parent_ts"),
)

workspace_posts = Table(
    "workspace_posts",
    metadata,
    Column("target", NAME, primary_key=True),
    Column("conversation_id", ID, primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("item_key", String(100), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("ts", String(64)),
    Column("content_hash", String(64)),
    Column("updated_at", UTCDateTime, nullable=False),
)

# --- customer channels and back office (connectors own these rows) ---------------------

whatsapp_windows = Table(
    "whatsapp_windows",
    metadata,
    Column("channel_account_id", NAME, primary_key=True),
    Column("wa_id", String(64), primary_key=True),
    Column("last_inbound_at", UTCDateTime, nullable=False),
)

shop_orders = Table(
    "shop_orders",
    metadata,
    Column("store_id", NAME, primary_key=True),
    Column("order_id", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("email", String(255)),
    Column("fields", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_shop_orders_name", "store_id", "name"),
    Index("ix_shop_orders_email", "store_id", "email"),
)

email_messages = Table(
    "email_messages",
    metadata,
    Column("channel_account_id", NAME, primary_key=True),
    Column("message_id", String(255), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("references", Text, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

# A store's few-shot intent examples (`storedesk intents import`); replaced as a whole.
intent_examples = Table(
    "intent_examples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("store_id", NAME, nullable=False),
    Column("sentence", Text, nullable=False),
    Column("label", String(100), nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Index("ix_intent_examples_store", "store_id"),
)

telegram_topics = Table(
    "telegram_topics",
    metadata,
    Column("chat_id", BigInteger, primary_key=True),
    Column("store_id", NAME, primary_key=True),
    Column("thread_id", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

telegram_blocked_chats = Table(
    "telegram_blocked_chats",
    metadata,
    Column("channel_account_id", NAME, primary_key=True),
    Column("chat_id", BigInteger, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("blocked_at", UTCDateTime, nullable=False),
)

telegram_sent_parts = Table(
    "telegram_sent_parts",
    metadata,
    Column("idempotency_key", String(255), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("message_id", BigInteger, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
)

lark_chats = Table(
    "lark_chats",
    metadata,
    Column("store_id", NAME, primary_key=True),
    Column("chat_id", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# WeCom: the app group chat made for a store, and the one-use code that updates a button card.
wecom_chats = Table(
    "wecom_chats",
    metadata,
    Column("store_id", NAME, primary_key=True),
    Column("chat_id", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

wecom_card_codes = Table(
    "wecom_card_codes",
    metadata,
    Column("task_id", String(128), primary_key=True),
    Column("response_code", String(255), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("id", NAME, primary_key=True),
    Column("target", String(255), nullable=False),
    Column("store_ids", JSON, nullable=False),
    Column("client_id", NAME),
    Column("cron", String(100), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("cadence", String(10), nullable=False),
    Column("created_by", NAME, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

digest_runs = Table(
    "digest_runs",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("subscription_id", NAME, nullable=False),
    Column("period_label", String(20), nullable=False),
    Column("target", String(255)),
    Column("store_ids", JSON),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("claimed_by", String(64)),
    Column("lease_until", UTCDateTime),
    Column("text", Text),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
)

catalog_products = Table(
    "catalog_products",
    metadata,
    Column("store_id", NAME, ForeignKey("stores.id"), primary_key=True),
    Column("product_id", String(255), primary_key=True),
    Column("title", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

sales_recommendations = Table(
    "sales_recommendations",
    metadata,
    Column("tag", String(32), primary_key=True),
    Column("draft_id", ID, nullable=False),
    Column("store_id", NAME, ForeignKey("stores.id"), nullable=False),
    Column("conversation_id", ID, ForeignKey("conversations.id"), nullable=False),
    Column("need", String(20), nullable=False),
    Column("items", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_sales_recommendations_store_created", "store_id", "created_at"),
)

sales_orders = Table(
    "sales_orders",
    metadata,
    Column("store_id", NAME, primary_key=True),
    Column("order_id", String(64), primary_key=True),
    Column("conversation_id", ID, ForeignKey("conversations.id"), nullable=False),
    Column("conversation_store_id", NAME, nullable=False),
    Column("agent_id", NAME),
    Column("tag", String(32)),
    Column("matched_by", String(20), nullable=False),
    Column("amount", String(32), nullable=False),
    Column("currency", String(8), nullable=False),
    Column("ordered_at", UTCDateTime, nullable=False),
    Index("ix_sales_orders_conversation_store", "conversation_store_id", "ordered_at"),
)

# Which parts of a digest a target has delivered (text chunks, photos, the mail), so a run
# taken over after a crash sends only what is missing.
digest_parts = Table(
    "digest_parts",
    metadata,
    Column("run_key", String(255), primary_key=True),
    Column("part", String(100), primary_key=True),
    Column("ref", String(255)),
    Column("delivered_at", UTCDateTime, nullable=False),
)

digest_charts = Table(
    "digest_charts",
    metadata,
    Column("run_key", String(255), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("filename", String(100), nullable=False),
    Column("title", String(200), nullable=False),
    Column("png", LargeBinary, nullable=False),
)

# One row per SLA step taken for one waiting period (the customer message that started
# it): the primary key makes each reminder and each breach happen once, whoever runs the job.
sla_marks = Table(
    "sla_marks",
    metadata,
    Column("conversation_id", ID, ForeignKey("conversations.id"), primary_key=True),
    Column("message_id", ID, primary_key=True),
    Column("stage", String(20), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

_MAPPED: list[tuple[type[Any], Table]] = [
    (model.Store, stores),
    (model.ChannelAccount, channel_accounts),
    (model.Customer, customers),
    (model.CustomerIdentity, customer_identities),
    (model.Conversation, conversations),
    (model.Message, messages),
    (model.Draft, drafts),
    (model.ReviewAction, review_actions),
    (knowledge.KnowledgeProposal, knowledge_proposals),
    (catalog.RecommendationRecord, sales_recommendations),
    (attribution.OrderAttribution, sales_orders),
]


def start_mappers() -> None:
    """Map the domain classes once per process; the domain itself never imports this."""
    if mapper_registry.mappers:
        return
    for cls, table in _MAPPED:
        mapper_registry.map_imperatively(cls, table)
