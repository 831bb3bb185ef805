"""Scope resolution through the real index: LanceDB on disk, the local embedder, hybrid
search. Specific beats general, expired is never returned, another store never leaks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.ports import KnowledgeScope
from knowledge.articles import ArticleRecord, QAPair
from knowledge.embeddings import LocalEmbedder
from knowledge.index import KnowledgeIndex

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
QUESTION = "How many days do I have to return an item?"


def returns(article_id: str, days: int, **scope) -> ArticleRecord:
    return ArticleRecord(
        article_id, 1, scope.pop("store_id", None), scope.pop("language", "en"),
        "Return policy", f"You can return items within {days} days of delivery.",
        topic="returns", **scope,
    )  # fmt: skip


ARTICLES = [
    returns("all/returns", 14),
    returns("northwind/returns", 30, brand="Northwind"),
    returns("nw-berlin/returns", 60, store_id="nw-berlin", brand="Northwind"),
    returns(
        "northwind/bf/returns",
        90,
        brand="Northwind",
        campaign="black-friday",
        valid_from=NOW - DAY,
        valid_until=NOW + DAY,
    ),
    ArticleRecord(
        "nw-paris/secret",
        1,
        "nw-paris",
        "en",
        "Paris staff discount code",
        "The staff discount code is PARIS-42.",
        topic="discount",
    ),
    ArticleRecord(
        "all/summer-sale",
        1,
        None,
        "en",
        "Summer sale",
        "Summer sale: 20% off swimwear.",
        valid_until=NOW - DAY,
    ),
    ArticleRecord("all/zh-returns", 1, None, "zh", "退货政策", "签收后7天内可以无理由退货。"),
    ArticleRecord(
        "all/care",
        1,
        None,
        "en",
        "Product care",
        "# Washing\nWash cold, inside out.\n\n## Wool\nHand wash wool in lukewarm water.",
        qa=(QAPair("Can I tumble dry?", "No, lay flat to dry."),),
    ),
]


def scope(store: str, brand: str, at: datetime = NOW, language: str = "en") -> KnowledgeScope:
    return KnowledgeScope(store, brand, "eu", language, at)


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture
async def index(tmp_path: Path, embedder: LocalEmbedder) -> KnowledgeIndex:
    built = KnowledgeIndex(tmp_path / "lance", embedder)
    await built.sync(ARTICLES)
    return built


async def test_a_running_campaign_wins_then_the_store_then_the_brand_then_global(index):
    after_campaign = NOW + 2 * DAY
    cases = [
        (scope("nw-berlin", "Northwind"), "northwind/bf/returns"),
        (scope("nw-berlin", "Northwind", after_campaign), "nw-berlin/returns"),
        (scope("nw-munich", "Northwind", after_campaign), "northwind/returns"),
        (scope("dragon-1", "Dragon"), "all/returns"),
    ]
    for where, expected in cases:
        hits = await index.search(where, QUESTION)
        assert hits[0].article_id == expected, where
        # The general answers to the same topic are not offered beside the specific one.
        assert [h.article_id for h in hits].count(expected) == 1
        assert not {h.article_id for h in hits[1:]} & {a.id for a in ARTICLES[:4]}


async def test_expired_articles_are_never_returned_even_for_their_own_words(index):
    hits = await index.search(scope("nw-berlin", "Northwind"), "Summer sale: 20% off swimwear", 10)
    assert "all/summer-sale" not in {h.article_id for h in hits}
    before_expiry = await index.search(
        scope("nw-berlin", "Northwind", NOW - 2 * DAY), "Summer sale swimwear", 10
    )
    assert before_expiry[0].article_id == "all/summer-sale"


async def test_another_stores_article_is_never_returned(index):
    for store in ("nw-berlin", "nw-munich", "dragon-1"):
        hits = await index.search(scope(store, "Northwind"), "staff discount code PARIS-42", 10)
        assert "nw-paris/secret" not in {h.article_id for h in hits}
    hits = await index.search(scope("nw-paris", "Northwind"), "staff discount code", 10)
    assert hits[0].article_id == "nw-paris/secret"


async def test_language_is_part_of_the_scope(index):
    english = await index.search(scope("x", "Y", language="en"), "退货政策", 10)
    assert "all/zh-returns" not in {h.article_id for h in english}
    chinese = await index.search(scope("x", "Y", language="zh-CN"), "不喜欢可以退吗", 10)
    assert [h.article_id for h in chinese] == ["all/zh-returns"]


async def test_chunks_keep_their_heading_and_qa_pairs_are_answers(index):
    wool = await index.search(scope("x", "Y"), "how should I wash a wool sweater", 3)
    assert wool[0].article_id == "all/care"
    assert wool[0].text == "Hand wash wool in lukewarm water."
    dry = await index.search(scope("x", "Y"), "can I put it in the tumble dryer", 3)
    assert (dry[0].article_id, dry[0].text) == ("all/care", "No, lay flat to dry.")


async def test_full_text_finds_an_exact_code_the_vectors_barely_know(index):
    hits = await index.search(scope("nw-paris", "Northwind"), "PARIS-42", 3)
    assert hits[0].article_id == "nw-paris/secret"


async def test_expired_rows_crowding_the_candidates_do_not_hide_a_valid_answer(tmp_path, embedder):
    """More expired near-copies than there are candidate places, and one valid answer.

    Validity is checked on the candidates; when an expired row took a place, the query
    must be asked again with the time window in the filter, or the valid one is lost.
    """
    expired = [
        ArticleRecord(
            f"old/returns-{n}",
            1,
            None,
            "en",
            "Return policy",
            f"You can return items within {n} days of delivery.",
            topic=f"old-returns-{n}",
            valid_until=NOW - DAY,
        )
        for n in range(40)
    ]
    valid = ArticleRecord(
        "all/refund-window", 1, None, "en", "Refunds",
        "Refunds reach your card a week after we receive the parcel.", topic="refunds",
    )  # fmt: skip
    crowded = KnowledgeIndex(tmp_path / "lance", embedder)
    await crowded.sync([*expired, valid])
    hits = await crowded.search(scope("x", "Y"), QUESTION, 3)
    assert [h.article_id for h in hits] == ["all/refund-window"]
    before = await crowded.search(scope("x", "Y", NOW - 2 * DAY), QUESTION, 3)
    assert all(h.article_id.startswith("old/") for h in before)


async def test_an_answer_found_by_full_text_alone_is_scored_by_its_own_vector(tmp_path, embedder):
    """Full-text rows carry no vector; one the vector query did not return is scored apart.

    Twenty-five near-copies fill every vector candidate place, so the code's article is
    found by its words only, and its score must be its real cosine, not a guess."""
    question = embedder.embed(["Where is my parcel?"])[0]
    away = np.zeros_like(question)
    away[int(np.argmin(np.abs(question)))] = 1.0
    away -= float(np.dot(away, question)) * question
    away /= np.linalg.norm(away)
    far = 0.2 * question + np.sqrt(1 - 0.2**2) * away  # cosine 0.2 with the question
    near = [
        ArticleRecord(f"all/lockers-{n}", 1, None, "en", "Lockers", "Pickup points by city.",
                      topic=f"lockers-{n}")
        for n in range(25)
    ]  # fmt: skip
    code = ArticleRecord(
        "all/voucher", 1, None, "en", "Voucher", "Your voucher code is ZX-9981.", topic="voucher"
    )
    built = KnowledgeIndex(tmp_path / "lance", embedder)
    await asyncio.to_thread(built.build_blocking, [*near, code], np.stack([question] * 25 + [far]))
    hits = await built.search_vector(scope("x", "Y"), "ZX-9981", question, 30)
    by_id = {hit.article_id: hit.score for hit in hits}
    assert by_id["all/voucher"] == pytest.approx(0.2, abs=1e-3)
    assert by_id["all/lockers-0"] == pytest.approx(1.0, abs=1e-3)
