"""Buying questions, fitting variants, tagged links and the attribution window rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, load_settings
from bot.domain.attribution import OrderPlaced, pick_recommendation
from bot.domain.catalog import Product, ProductHit, RecommendationRecord, Variant
from bot.domain.model import Store, StoreMode
from bot.domain.shopping import (
    ShoppingNeed,
    canonical_colour,
    fitting_variants,
    reason_for,
    shopping_need,
    tag_in_url,
    tagged_url,
)
from bot.services.recommendations import Recommender, SalesPolicy

SHOE = Product(
    "nw",
    "trail",
    "Trail Runner",
    url="https://nw.example/products/trail?ref=home",
    variants=(
        Variant("s-black", size="S", colour="Black", stock=2),
        Variant("m-black", size="M", colour="Black", stock=0),
        Variant("m-navy", size="M", colour="藏青", stock=4),
    ),
)


@pytest.mark.parametrize(
    ("intent", "text", "kind", "size", "colour"),
    [
        ("size_fit", "Do you have the Trail Runner in size M?", "size", "M", ""),
        ("product_question", "Does it come in black?", "colour", "", "black"),
        ("product_question", "Is this waterproof?", "product", "", ""),
        ("out_of_scope", "When will the boots be back in stock?", "restock", "", ""),
        ("out_of_scope", "Can you suggest something similar?", "alternative", "", ""),
        ("size_fit", "有越野跑鞋M码吗", "size", "M", ""),
        ("product_question", "有黑色的吗", "colour", "", "black"),
        ("out_of_scope", "这款什么时候补货", "restock", "", ""),
        ("product_question", "有没有深蓝色XL的", "size", "XL", "navy"),
    ],
)
def test_buying_questions_are_recognised_in_english_and_chinese(intent, text, kind, size, colour):
    assert shopping_need(intent, text) == ShoppingNeed(kind, size=size, colour=colour)


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("order_status", "My order says out of stock, where is it?"),
        ("refund", "Refund me instead"),
        ("shipping", "How long does shipping take?"),
        ("out_of_scope", "Tell me a joke"),
    ],
)
def test_questions_about_placed_orders_or_nothing_to_buy_get_no_products(intent, text):
    assert shopping_need(intent, text) is None


def test_only_in_stock_variants_of_the_asked_size_and_colour_fit():
    assert [v.id for v in fitting_variants(SHOE, ShoppingNeed("size", size="M"))] == ["m-navy"]
    assert fitting_variants(SHOE, ShoppingNeed("colour", size="M", colour="black")) == []
    assert canonical_colour("Navy Blue") == "navy" and canonical_colour("深蓝色") == "navy"


def test_reason_says_why_an_item_was_chosen():
    need = ShoppingNeed("size", size="M")
    assert reason_for(SHOE, SHOE.variants[2], need, asked=SHOE) == "same model, size M in stock"
    other = Product("outlet", "trail", "Trail Runner", variants=(Variant("m", size="M", stock=1),))
    sold_out = Product("nw", "trail", "Trail Runner", variants=(Variant("m", size="M", stock=0),))
    assert reason_for(
        other, other.variants[0], need, asked=sold_out, sister_store_name="Outlet"
    ) == (
        "alternative to Trail Runner, which is not in stock as asked, size M in stock, "
        "from sister store Outlet"
    )


def test_tracking_tag_is_added_to_the_link_and_read_back():
    url = tagged_url(SHOE.url, "sd_ref", "abc123")
    assert url == "https://nw.example/products/trail?ref=home&sd_ref=abc123"
    assert tag_in_url("/products/trail?ref=home&sd_ref=abc123", "sd_ref") == "abc123"
    assert tag_in_url("/products/trail", "sd_ref") == ""
    assert tagged_url("", "sd_ref", "abc") == ""


def _record(tag: str, at: datetime) -> RecommendationRecord:
    return RecommendationRecord(tag, "d", "nw", f"conv-{tag}", "size", [], at)


def test_a_tag_wins_over_a_customer_match_and_both_need_the_window():
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    window = timedelta(hours=72)
    order = OrderPlaced("nw", "1", now, tags=("t1",), email="a@example.com")
    tagged, customer = (
        _record("t1", now - timedelta(hours=5)),
        _record("c1", now - timedelta(hours=1)),
    )
    assert pick_recommendation(order, [tagged], [customer], window) == (tagged, "tag")
    old_tag = _record("t1", now - timedelta(hours=73))
    assert pick_recommendation(order, [old_tag], [customer], window) == (customer, "customer")
    assert pick_recommendation(order, [old_tag], [], window) is None
    later = _record("c2", now + timedelta(minutes=1))  # made after the order: not its cause
    assert pick_recommendation(order, [], [later], window) is None


def test_order_contacts_match_phone_shapes():
    order = OrderPlaced(
        "nw", "1", datetime.now(UTC), email=" A@Example.com ", phone="+49 151 234-567"
    )
    assert order.contacts() == ["a@example.com", "49151234567", "+49151234567"]


SISTERS_TOML = """
[[stores]]
id = "northwind"
name = "Northwind"
brand = "Northwind"
languages = ["en"]
client = "acme"
[stores.sales]
recommend_from = ["{sister}"]

[[stores]]
id = "outlet"
name = "Northwind Outlet"
brand = "Northwind"
languages = ["en"]
client = "acme"

[[stores]]
id = "rival"
name = "Rival Shop"
brand = "Rival"
languages = ["en"]
client = "other-client"
"""


def test_recommending_from_another_clients_store_is_a_config_error_naming_both(tmp_path: Path):
    path = tmp_path / "storedesk.toml"
    path.write_text(SISTERS_TOML.replace("{sister}", "outlet"))
    assert load_settings(path).store("northwind").sales.recommend_from == ["outlet"]
    path.write_text(SISTERS_TOML.replace("{sister}", "rival"))
    with pytest.raises(ConfigError) as problem:
        load_settings(path)
    message = str(problem.value)
    assert str(path) in message and "northwind" in message and "rival" in message
    assert "same client" in message


class FixedSearch:
    def __init__(self, hits: list[ProductHit]) -> None:
        self.hits = hits
        self.asked: list[list[str]] = []

    async def search(self, store_ids, text, limit=10) -> list[ProductHit]:
        self.asked.append(list(store_ids))
        return self.hits


STORE = Store("nw", "Northwind", "Northwind", "eu", ["en"], "UTC", StoreMode.DRAFT, "acme")


async def test_a_store_without_a_catalogue_or_with_recommendations_off_drafts_as_before():
    no_uow: Any = object()  # no sister stores named: the recommender never reads the database
    question = "Do you have it in size M?"
    assert (
        await Recommender(FixedSearch([]), SalesPolicy()).recommend(
            no_uow, STORE, "size_fit", question
        )
        is None
    )
    off = SalesPolicy(max_items={"nw": 0})
    assert (
        await Recommender(FixedSearch([ProductHit(SHOE, 0.9)]), off).recommend(
            no_uow, STORE, "size_fit", question
        )
        is None
    )
    found = await Recommender(FixedSearch([ProductHit(SHOE, 0.9)]), SalesPolicy()).recommend(
        no_uow, STORE, "size_fit", question
    )
    assert found is not None and [i.variant_id for i in found.items] == ["m-navy"]
    assert found.items[0].url.endswith(f"sd_ref={found.tag}")
