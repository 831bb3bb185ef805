"""Script-based language guess: picks the tone and the knowledge language of a reply."""

from __future__ import annotations

import pytest

from bot.domain.language import detect_language


@pytest.mark.parametrize(
    "text",
    ["How long does shipping take?", "Where is my order #12345?", "ok"],
)
def test_english_text_gives_the_default(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["Jacke XL blau?", "ok", "iPhone 15 case"])
def test_default_is_the_store_language_when_nothing_else_is_recognised(text):
    assert detect_language(text, default="de") == "de"


def test_english_in_a_german_store_is_english():
    assert detect_language("How long does shipping take?", default="de") == "en"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Où est ma commande, s'il vous plaît ?", "fr"),
        ("Wo ist meine Bestellung? Danke", "de"),
        ("¿Dónde está mi pedido? Gracias", "es"),
        ("Dove è il mio ordine? Grazie", "it"),
        ("Onde está o meu pedido? Obrigado", "pt"),
        ("Waar is mijn bestelling? Bedankt", "nl"),
    ],
)
def test_other_latin_languages_are_detected_and_passed_through(text, language):
    assert detect_language(text, default="en") == language


@pytest.mark.parametrize("text", ["多久发货？", "我的订单什么时候到", "产品保修多久？"])
def test_chinese_text_is_zh(text):
    assert detect_language(text) == "zh"


def test_chinese_is_zh_even_in_an_english_store():
    assert detect_language("请问可以开发票吗", default="en") == "zh"


def test_mixed_text_that_is_mostly_chinese_is_zh():
    assert detect_language("我的order在哪里？") == "zh"


def test_mixed_text_with_one_chinese_place_name_stays_english():
    assert detect_language("Please ship my order to 北京 as soon as possible") == "en"


@pytest.mark.parametrize("text", ["ありがとう", "カタカナ", "注文はどこですか"])
def test_japanese_kana_is_ja_even_with_kanji(text):
    assert detect_language(text) == "ja"


def test_korean_and_russian_are_recognised():
    assert detect_language("배송은 얼마나 걸리나요?") == "ko"
    assert detect_language("Где мой заказ?") == "ru"


@pytest.mark.parametrize("text", ["", "   ", "?!", "12345"])
def test_text_without_letters_gives_the_default(text):
    assert detect_language(text) == "en"
    assert detect_language(text, default="zh") == "zh"


def test_chinese_question_with_a_long_order_number_is_zh():
    assert detect_language("查询订单 2024112312345678901", default="en") == "zh"
