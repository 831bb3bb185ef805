"""Builds the triager and the drafter the config and environment ask for (used by main.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.ai.local_drafter import LocalDrafter
from bot.ai.local_summarizer import LocalSummarizer
from bot.ai.triage import LocalTriager
from bot.config import Settings, StoreConfig
from bot.domain.model import Store
from bot.ports import Drafter, Summarizer
from knowledge.articles import ArticleRecord, faq_articles
from knowledge.embeddings import Embedder
from storage.database import Database
from storage.intent_examples import examples_loader

if TYPE_CHECKING:
    from openai import AsyncOpenAI


def build_triager(settings: Settings, embedder: Embedder, db: Database | None) -> LocalTriager:
    """Per-store policies from the config; imported intent examples from the database."""
    return LocalTriager(
        embedder,
        policies={store.id: store.risk.to_policy() for store in settings.stores},
        load_examples=examples_loader(db) if db is not None else None,
        threshold=settings.triage.intent_threshold,
    )


def faq_of(config: StoreConfig) -> list[ArticleRecord]:
    """The store's `[[stores.faq]]` as articles; entries without a language take the store's."""
    entries = [
        entry.model_copy(update={"language": entry.language or config.languages[0]})
        for entry in config.faq
    ]
    return faq_articles(config.id, entries)  # type: ignore[arg-type]


def store_from(config: StoreConfig) -> Store:
    """The domain store a config entry describes (as the directory sync stores it)."""
    return Store(
        id=config.id,
        name=config.name,
        brand=config.brand,
        region=config.region,
        languages=list(config.languages),
        timezone=config.timezone,
        mode=config.mode,
        client_id=config.client,
        tone={lang: tone.model_dump() for lang, tone in config.tone.items()},
    )


def _openai_client(settings: Settings) -> AsyncOpenAI | None:
    config = settings.openai
    api_key = config.api_key()
    if api_key is None:
        return None
    from openai import AsyncOpenAI

    return AsyncOpenAI(
        api_key=api_key,
        base_url=config.resolved_base_url(),
        timeout=config.timeout_seconds,
        max_retries=config.max_retries,
    )


def build_drafter(settings: Settings) -> Drafter:
    """The local drafter, or an OpenAI-compatible model (falling back to it) when a key is set."""
    local = LocalDrafter(
        min_score=settings.drafting.min_score,
        templates={s.id: [t.to_template() for t in s.templates] for s in settings.stores},
    )
    config = settings.openai
    client = _openai_client(settings)
    if client is None:
        return local
    from bot.ai.openai_drafter import OpenAIDrafter  # the SDK loads only with a key

    return OpenAIDrafter(
        client,
        config.model,
        local,
        policies={store.id: store.risk.to_policy() for store in settings.stores},
        timeout_seconds=config.timeout_seconds,
        max_tool_rounds=config.max_tool_rounds,
        max_reply_chars=config.max_reply_chars,
    )


def build_summarizer(settings: Settings, embedder: Embedder) -> Summarizer:
    """The local extractive summarizer, or a model (falling back to it) when a key is set."""
    bound = settings.summaries.max_chars
    local = LocalSummarizer(embedder, max_chars=bound)
    config = settings.openai
    client = _openai_client(settings)
    if client is None:
        return local
    from bot.ai.openai_summarizer import OpenAISummarizer

    return OpenAISummarizer(
        client,
        config.model,
        local,
        policies={store.id: store.risk.to_policy() for store in settings.stores},
        timeout_seconds=config.timeout_seconds,
        max_chars=bound,
    )


def build_index_embedder(settings: Settings, local: Embedder) -> Embedder:
    """What embeds knowledge: the configured OpenAI-compatible model when a key is set,
    otherwise the local one. The server and `storedesk knowledge` must agree, or each
    would rebuild the other's index: both call this."""
    config = settings.openai
    api_key = config.api_key()
    if api_key is None or not config.embedding_model:
        return local
    from openai import OpenAI

    from knowledge.openai_embeddings import OpenAIEmbedder

    client = OpenAI(
        api_key=api_key,
        base_url=config.resolved_base_url(),
        timeout=config.timeout_seconds,
        max_retries=config.max_retries,
    )
    return OpenAIEmbedder(
        client,
        config.embedding_model,
        config.embedding_dimensions,
        send_dimensions="embedding_dimensions" in config.model_fields_set,
    )
