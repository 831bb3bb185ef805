"""Real LanceDB on disk and the real local embedder: retrieval quality and sync behaviour."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.ai.local_drafter import DEFAULT_MIN_SCORE, LocalDrafter
from bot.domain.model import Store, StoreMode
from bot.ports import DraftRequest, KnowledgeScope
from knowledge.articles import ArticleRecord, faq_articles
from knowledge.embeddings import LocalEmbedder
from knowledge.index import KnowledgeIndex

APPAREL = "northwind"
ELECTRONICS = "dragon"


@dataclass(frozen=True)
class Faq:
    id: str | None
    question: str
    answer: str
    language: str


APPAREL_FAQ = [
    Faq(
        "returns",
        "What is your return policy?",
        "You can return unworn items with tags within 30 days of delivery for a full refund. "
        "Start a return from your order page; the return label is free.",
        "en",
    ),
    Faq(
        "shipping",
        "How long does shipping take?",
        "Orders ship within 1 business day. Standard delivery takes 3-5 business days in the "
        "US; express takes 1-2 days.",
        "en",
    ),
    Faq(
        "sizing",
        "How do I find my size?",
        "Use the size chart on each product page. Our jeans run small, so we suggest ordering "
        "one size up. Measure your waist and hips and compare.",
        "en",
    ),
    Faq(
        "payment",
        "Which payment methods do you accept?",
        "We accept Visa, Mastercard, American Express, PayPal and Apple Pay. Your card is "
        "charged when the order ships.",
        "en",
    ),
]

ELECTRONICS_FAQ = [
    Faq(
        None,
        "保修政策是什么？",
        "所有电子产品享受一年免费保修，自签收之日起计算。人为损坏和进水不在保修范围内。"
        "请提供订单号和故障照片申请保修。",
        "zh",
    ),
    Faq(
        None,
        "什么时候发货？",
        "下单后48小时内发货，默认顺丰快递，江浙沪次日达，其他地区一般2到4天送达。",
        "zh",
    ),
    Faq(
        None,
        "可以退货吗？",
        "签收后7天内支持无理由退货，商品需保持完好、配件齐全。退货运费由买家承担，质量问题除外。",
        "zh",
    ),
]


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def scope(store_id: str, language: str) -> KnowledgeScope:
    return KnowledgeScope(store_id, store_id.title(), "global", language, NOW)


def all_articles() -> list[ArticleRecord]:
    return faq_articles(APPAREL, APPAREL_FAQ) + faq_articles(ELECTRONICS, ELECTRONICS_FAQ)


def id_of(title: str) -> str:
    return next(a.id for a in all_articles() if a.title == title)


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture
def index(tmp_path: Path, embedder: LocalEmbedder) -> KnowledgeIndex:
    return KnowledgeIndex(tmp_path / "lance", embedder)


@pytest.fixture
async def synced(index: KnowledgeIndex) -> KnowledgeIndex:
    assert await index.sync(all_articles()) == len(all_articles())
    return index


def test_embedder_returns_normalized_float32_rows(embedder: LocalEmbedder):
    vectors = embedder.embed(["Where is my parcel?", "我的包裹在哪里？"])

    assert vectors.shape == (2, embedder.dim)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_faq_ids_are_stable_unique_and_scoped_to_the_store():
    first, again = (
        faq_articles(ELECTRONICS, ELECTRONICS_FAQ),
        faq_articles(ELECTRONICS, ELECTRONICS_FAQ),
    )

    assert [a.id for a in first] == [a.id for a in again]
    assert len({a.id for a in first}) == len(first)
    assert all(a.id.startswith("dragon/faq/faq-") for a in first)
    assert faq_articles(APPAREL, APPAREL_FAQ)[0].id == "northwind/faq/returns"


def test_duplicate_faq_questions_are_refused():
    with pytest.raises(ValueError, match="share the article id"):
        faq_articles(ELECTRONICS, [ELECTRONICS_FAQ[0], ELECTRONICS_FAQ[0]])


@pytest.mark.parametrize(
    ("question", "expected_title"),
    [
        ("Can I send back a shirt I don't like?", "What is your return policy?"),
        ("how many days until my order gets delivered", "How long does shipping take?"),
        ("Should I order a bigger size for jeans?", "How do I find my size?"),
        ("Can I pay with PayPal?", "Which payment methods do you accept?"),
    ],
)
async def test_paraphrased_english_question_finds_the_right_article(
    synced: KnowledgeIndex, question: str, expected_title: str
):
    hits = await synced.search(scope(APPAREL, "en"), question)

    assert hits[0].article_id == id_of(expected_title)
    assert hits[0].score >= DEFAULT_MIN_SCORE
    assert hits[0].score > hits[1].score
    assert hits[0].text.startswith(
        next(f.answer for f in APPAREL_FAQ if f.question == expected_title)[:20]
    )


@pytest.mark.parametrize(
    ("question", "expected_title"),
    [
        ("手机坏了能保修吗？", "保修政策是什么？"),
        ("我的订单什么时候能发出？", "什么时候发货？"),
        ("不喜欢可以退吗", "可以退货吗？"),
    ],
)
async def test_chinese_question_finds_the_chinese_article(
    synced: KnowledgeIndex, question: str, expected_title: str
):
    hits = await synced.search(scope(ELECTRONICS, "zh"), question)

    assert hits[0].article_id == id_of(expected_title)
    assert hits[0].language == "zh"
    assert hits[0].score >= DEFAULT_MIN_SCORE


async def test_search_never_crosses_into_another_store_even_when_it_would_match_better(
    synced: KnowledgeIndex,
):
    question = "手机坏了能保修吗？"

    # The apparel store answers in English only; scoped to it, its articles are all there is.
    top_in_apparel = await synced.search(scope(APPAREL, "en"), question, 1)
    in_apparel = await synced.search(scope(APPAREL, "en"), question, 10)
    in_electronics = await synced.search(scope(ELECTRONICS, "zh"), question, 10)

    # Filtering after ranking would leave this empty: the global best is the other store's.
    assert [h.article_id[: len(APPAREL) + 1] for h in top_in_apparel] == [f"{APPAREL}/"]
    assert len(in_apparel) == len(APPAREL_FAQ)
    assert all(h.article_id.startswith(f"{APPAREL}/") for h in in_apparel)
    assert in_electronics[0].article_id == id_of("保修政策是什么？")
    assert in_electronics[0].score > max(h.score for h in in_apparel)


async def test_unrelated_question_scores_below_the_drafting_threshold(
    synced: KnowledgeIndex,
):
    drafter = LocalDrafter()
    store = Store(APPAREL, "Northwind", "Northwind", "us", ["en"], "UTC", StoreMode.DRAFT)

    for store_id, language in ((APPAREL, "en"), (ELECTRONICS, "zh")):
        hits = await synced.search(scope(store_id, language), "tell me a joke about cats")
        assert hits, "the store has articles, so search ranks them"
        assert max(h.score for h in hits) < drafter.min_score
        proposal = await drafter.draft(
            DraftRequest(store, "Ana", "tell me a joke about cats", "en", hits)
        )
        assert proposal.text is None


async def test_unknown_store_and_empty_index_find_nothing(index: KnowledgeIndex):
    assert await index.search(scope(APPAREL, "en"), "What is your return policy?") == []

    await index.sync(all_articles())

    assert await index.search(scope("nobody", "en"), "What is your return policy?") == []


async def test_quotes_in_a_store_id_stay_a_value_not_a_filter(synced: KnowledgeIndex):
    hits = await synced.search(scope("x' OR store_id != 'x", "en"), "What is your return policy?")

    assert hits == []


async def test_resync_embeds_only_what_changed_and_drops_what_is_gone(
    synced: KnowledgeIndex, tmp_path: Path, embedder: LocalEmbedder
):
    articles = all_articles()
    assert await synced.sync(articles) == 0

    # A restart opens the same directory and finds nothing to embed.
    restarted = KnowledgeIndex(tmp_path / "lance", embedder)
    assert await restarted.sync(articles) == 0

    returns = next(a for a in articles if a.id == id_of("What is your return policy?"))
    edited = replace(returns, version=2, body="Returns are accepted within 60 days, free.")
    shipping_id = id_of("How long does shipping take?")
    changed = [edited if a.id == returns.id else a for a in articles if a.id != shipping_id]
    assert await restarted.sync(changed) == 1

    hits = await restarted.search(scope(APPAREL, "en"), "Can I send back a shirt I don't like?", 10)
    assert hits[0].article_id == returns.id
    assert (hits[0].version, hits[0].text) == (2, edited.body)
    assert shipping_id not in {h.article_id for h in hits}
    assert len(hits) == len(APPAREL_FAQ) - 1

    assert await restarted.sync(changed) == 0


async def test_sync_to_nothing_empties_the_index(synced: KnowledgeIndex):
    assert await synced.sync([]) == 0

    assert await synced.search(scope(APPAREL, "en"), "What is your return policy?") == []
