"""The local summarizer: the customer's central sentences, what triage found, bounded length."""

from __future__ import annotations

import numpy as np

from bot.ai.local_summarizer import LocalSummarizer, central_order, split_sentences
from bot.domain.model import Store, StoreMode
from bot.ports import SummaryRequest

STORE = Store("northwind", "Northwind", "Northwind", "eu", ["en", "zh"], "UTC", StoreMode.DRAFT)


def _request(turns, language, **kw) -> SummaryRequest:
    return SummaryRequest(store=STORE, language=language, turns=turns, **kw)


def test_sentences_split_on_english_and_chinese_punctuation():
    assert split_sentences("Hi. Where is my order? 我的订单呢？还没到。ok") == [
        "Where is my order?",
        "我的订单呢？",
        "还没到。",
    ]


def test_the_most_central_sentence_is_the_one_most_like_the_others():
    vectors = np.array([[1.0, 0.0], [0.9, 0.436], [0.0, 1.0], [0.95, 0.312]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert central_order(vectors)[0] in (1, 3)
    assert central_order(vectors)[-1] == 2


async def test_english_summary_keeps_the_on_topic_sentences_and_drops_small_talk(embedder):
    turns = [
        ("in", "My parcel for order #1042 has not arrived yet."),
        ("out", "Sorry to hear that, let me check."),
        ("in", "By the way, I love the colour of your website."),
        ("in", "The courier says the parcel for #1042 is delayed at the depot."),
        ("in", "The delivery is late and the tracking has not moved for a week."),
        ("in", "When will my order #1042 be delivered?"),
    ]
    summary = await LocalSummarizer(embedder, key_sentences=2).summarize(
        _request(
            turns,
            "en",
            intents=["order_status", "shipping"],
            entities={"order_numbers": ["#1042"]},
        )
    )
    text = summary.text
    assert summary.source == "local" and summary.language == "en"
    assert text.startswith("Customer, 5 messages; about order status, shipping; orders #1042.")
    assert "colour of your website" not in text
    assert "Latest: When will my order #1042 be delivered?" in text
    assert "Sorry to hear that" not in text  # only the customer's words are quoted


async def test_chinese_summary_is_framed_in_chinese(embedder):
    turns = [
        ("in", "我的订单 #2088 还没有收到。"),
        ("in", "顺便说一句，你们的客服头像很可爱。"),
        ("in", "快递显示包裹在转运中心停了五天。"),
        ("in", "物流一直没有更新，包裹是不是丢了？"),
        ("in", "请问订单 #2088 什么时候能到？"),
    ]
    summary = await LocalSummarizer(embedder, key_sentences=2).summarize(
        _request(turns, "zh", intents=["shipping"], entities={"order_numbers": ["#2088"]})
    )
    assert summary.language == "zh"
    assert summary.text.startswith("客户共 5 条消息；关于物流配送；订单 #2088。")
    assert "头像很可爱" not in summary.text
    assert "最新: 请问订单 #2088 什么时候能到？" in summary.text


async def test_summary_never_exceeds_its_bound(embedder):
    long = "This is a very long complaint about an order that keeps going on and on. " * 30
    summary = await LocalSummarizer(embedder, max_chars=120).summarize(
        _request([("in", long), ("in", long)], "en")
    )
    assert len(summary.text) == 120 and summary.text.endswith("…")
