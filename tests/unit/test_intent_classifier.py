"""Few-shot intents over the local embeddings: nearest label, or out of scope below a threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ai.intent_classifier import THRESHOLD_BOUNDS, TOP_K_CHOICES, IntentClassifier
from bot.cli_triage import read_intent_csv
from bot.domain.intents import DEFAULT_INTENTS, IntentExample, default_examples

STORE_CSV = Path(__file__).resolve().parents[1] / "data" / "triage" / "store_intents.csv"


@pytest.fixture(scope="module")
def defaults(embedder) -> IntentClassifier:
    return IntentClassifier(default_examples(), embedder)


def test_the_built_in_set_covers_the_common_shop_questions_in_english_and_chinese():
    assert set(DEFAULT_INTENTS) == {
        "order_status",
        "shipping",
        "return_exchange",
        "refund",
        "cancel",
        "product_question",
        "size_fit",
        "payment",
        "warranty",
        "complaint",
        "talk_to_human",
    }
    for label in DEFAULT_INTENTS:
        sentences = [e.sentence for e in default_examples() if e.label == label]
        assert any(s.isascii() for s in sentences) and any(not s.isascii() for s in sentences)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("my parcel has not arrived yet", "order_status"),
        ("I want my money back", "refund"),
        ("帮我取消订单吧", "cancel"),
        ("这件衣服我穿L码合适吗", "size_fit"),
        ("can i speak with someone", "talk_to_human"),
    ],
)
def test_shop_questions_get_their_intent(defaults, text, label):
    assert defaults.classify(text).label == label


@pytest.mark.parametrize("text", ["what is the best pizza in town", "今天股市怎么样"])
def test_unrelated_text_is_out_of_scope_rather_than_the_nearest_intent(defaults, text):
    guess = defaults.classify(text)
    assert guess.label == "out_of_scope"
    assert guess.score < defaults.threshold
    assert guess.runner_up in DEFAULT_INTENTS


def test_threshold_is_calibrated_from_the_examples_not_fixed(defaults, embedder):
    low, high = THRESHOLD_BOUNDS
    assert low < defaults.threshold < high
    assert defaults.calibration.in_scope_accuracy > 0.7
    assert defaults.calibration.out_of_scope_rejected > 0.8
    assert defaults.calibration.top_k in TOP_K_CHOICES
    tiny = IntentClassifier(
        [IntentExample("gift wrap please", "gift"), IntentExample("wrap it as a gift", "gift")],
        embedder,
    )
    assert tiny.threshold != defaults.threshold


def test_a_store_set_replaces_the_defaults_and_its_negatives_compete(embedder):
    store = IntentClassifier(read_intent_csv(STORE_CSV), embedder)
    assert store.labels == ["book_fitting", "gift_wrap", "order_status"]
    assert store.calibration.negatives > 3  # the store's three plus the generic sample
    assert store.classify("Could you gift-wrap the scarf?").label == "gift_wrap"
    assert store.classify("我想预约一个量体时间").label == "book_fitting"
    assert store.classify("Who painted the Mona Lisa?").label == "out_of_scope"
    assert store.classify("I want a refund").label != "refund"


def test_a_fixed_threshold_overrides_calibration(embedder):
    strict = IntentClassifier(default_examples(), embedder, threshold=0.99)
    assert strict.classify("Where is my order?").label == "out_of_scope"


def test_a_set_with_only_negatives_is_refused(embedder):
    with pytest.raises(ValueError, match="at least one example"):
        IntentClassifier([IntentExample("weather?", "oos")], embedder)


def test_chunked_scoring_gives_the_same_answers_as_one_block(embedder, defaults):
    chunked = IntentClassifier(default_examples(), embedder, chunk=7)
    assert chunked.threshold == pytest.approx(defaults.threshold, abs=1e-3)
    texts = ["where is my parcel", "讲个笑话", "I want a refund"]
    for a, b in zip(chunked.classify_many(texts), defaults.classify_many(texts), strict=True):
        assert (a.label, a.runner_up) == (b.label, b.runner_up)
        assert a.score == pytest.approx(b.score, abs=1e-4)
