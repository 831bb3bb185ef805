"""Builds the triager and the drafter the config and environment ask for (used by main.py)."""

from __future__ import annotations

from bot.ai.triage import LocalTriager
from bot.config import Settings, StoreConfig
from bot.domain.model import Store
from knowledge.embeddings import Embedder
from storage.database import Database
from storage.intent_examples import examples_loader


def build_triager(settings: Settings, embedder: Embedder, db: Database | None) -> LocalTriager:
    """Per-store policies from the config; imported intent examples from the database."""
    return LocalTriager(
        embedder,
        policies={store.id: store.risk.to_policy() for store in settings.stores},
        load_examples=examples_loader(db) if db is not None else None,
        threshold=settings.triage.intent_threshold,
    )


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
