"""Knowledge vectors from an OpenAI-compatible endpoint: the real `openai` client against the
fake API, the index built and searched with them, and the switch back to local vectors."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from openai import OpenAI

from bot.ai.wiring import build_index_embedder
from bot.config import Settings
from bot.ports import KnowledgeScope
from knowledge.articles import ArticleRecord
from knowledge.embeddings import LocalEmbedder
from knowledge.index import KnowledgeIndex
from knowledge.openai_embeddings import BATCH, OpenAIEmbedder
from tests.support.config import settings_dict
from tests.support.fake_openai import running_fake_openai

ARTICLES = [
    ArticleRecord("returns", 1, "northwind", "en", "What is your return policy?",
                  "Return unworn items within 30 days for a full refund."),
    ArticleRecord("shipping", 1, "northwind", "en", "How long does shipping take?",
                  "Delivery takes 2-4 business days within the EU."),
]  # fmt: skip
SCOPE = KnowledgeScope("northwind", "Northwind", "global", "en", datetime(2026, 11, 23, tzinfo=UTC))


def settings_with(tmp_path: Any, base_url: str, **openai: Any) -> Settings:
    config = settings_dict(tmp_path / "data", "http://127.0.0.1:9")
    config["openai"] = {"base_url": base_url, "max_retries": 0, **openai}
    return Settings.model_validate(config)


async def test_vectors_come_from_the_endpoint_normalized_and_batched():
    async with running_fake_openai() as server:
        embedder = OpenAIEmbedder(
            OpenAI(api_key="sk-test", base_url=server.url, max_retries=0),
            "text-embedding-3-small",
            16,
            send_dimensions=True,
        )
        texts = [f"question {n}" for n in range(BATCH + 5)] + [""]
        # The client is synchronous (the index calls it from worker threads); so do we here.
        vectors = await asyncio.to_thread(embedder.embed, texts)
    assert vectors.shape == (BATCH + 6, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert [len(r["input"]) for r in server.requests] == [BATCH, 6]
    assert all(r["dimensions"] == 16 and r["model"] == "text-embedding-3-small"
               for r in server.requests)  # fmt: skip
    assert server.requests[-1]["input"][-1] == " "  # empty text sent as a space
    assert server.problems == []


async def test_a_dimension_mismatch_is_a_clear_error():
    async with running_fake_openai() as server:
        embedder = OpenAIEmbedder(
            OpenAI(api_key="sk-test", base_url=server.url, max_retries=0), "embedder", 1536
        )
        with pytest.raises(ValueError, match=r"returned 8 dimensions.*embedding_dimensions"):
            await asyncio.to_thread(embedder.embed, ["hello"])
    assert "dimensions" not in server.requests[0]  # not set in the config: not sent


def test_local_vectors_without_a_key_or_a_model(tmp_path, monkeypatch):
    local = LocalEmbedder()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with_model = settings_with(tmp_path, "http://127.0.0.1:9/v1", embedding_model="m")
    assert build_index_embedder(with_model, local) is local
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert build_index_embedder(settings_with(tmp_path, "http://127.0.0.1:9/v1"), local) is local
    chosen = build_index_embedder(with_model, local)
    assert isinstance(chosen, OpenAIEmbedder) and chosen.dim == 1536


async def test_index_built_and_searched_with_remote_vectors_then_rebuilt_locally(
    tmp_path, monkeypatch, embedder
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    async with running_fake_openai() as server:
        settings = settings_with(
            tmp_path, server.url, embedding_model="text-embedding-3-small", embedding_dimensions=32
        )
        remote = build_index_embedder(settings, embedder)
        index = KnowledgeIndex(tmp_path / "index", remote)
        assert await index.sync(ARTICLES) == 2
        embedded = sum(len(r["input"]) for r in server.requests)
        assert embedded >= 2 and all(r["dimensions"] == 32 for r in server.requests)
        # The fake's vectors carry no meaning; the full-text half still finds the article.
        hits = await index.search(SCOPE, "return policy")
        assert hits and hits[0].article_id == "returns"
        assert await index.sync(ARTICLES) == 0  # unchanged: nothing sent again
        assert sum(len(r["input"]) for r in server.requests) == embedded + 1  # the query only
    local_index = KnowledgeIndex(tmp_path / "index", embedder)
    assert await local_index.sync(ARTICLES) == 2  # another dimension: rebuilt from scratch
    hits = await local_index.search(SCOPE, "How long until my parcel arrives?")
    assert hits and hits[0].article_id == "shipping"
