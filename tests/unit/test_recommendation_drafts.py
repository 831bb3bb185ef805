"""Drafters show recommended items with their tagged links; the OpenAI prompt lists them."""

from __future__ import annotations

from dataclasses import replace

from bot.ai.local_drafter import LocalDrafter
from bot.ai.openai_drafter import data_message
from bot.domain.catalog import Recommendation
from bot.ports import DraftRequest
from tests.integration.test_openai_drafter import RETURNS, STORE, answer, drafter
from tests.support.fake_openai import Reply, running_fake_openai
from tests.unit.test_local_drafter import hit, make_store

ITEM = Recommendation(
    store_id="outlet",
    product_id="trail",
    variant_id="trail-m",
    title="Trail Runner",
    variant="M, black",
    price="89.00",
    currency="EUR",
    url="https://outlet.example/products/trail?sd_ref=t1",
    reason="same model, size M in stock, from sister store Outlet",
    sister_store=True,
)


def request(hits: list, language: str = "en") -> DraftRequest:
    return DraftRequest(
        store=make_store(),
        customer_name="Bea",
        text="Do you have the Trail Runner in M?",
        language=language,
        hits=hits,
        recommendations=(ITEM,),
    )


async def test_with_no_article_the_draft_offers_the_items():
    proposal = await LocalDrafter().draft(request([]))
    assert proposal.text == (
        "Hi Bea,\n\nThese items are in stock now:\n"
        "- Trail Runner (M, black · 89.00 EUR): https://outlet.example/products/trail?sd_ref=t1"
        "\n\nBest,\nNorthwind team"
    )


async def test_items_follow_the_answer_and_precede_the_signoff_in_chinese():
    proposal = await LocalDrafter().draft(request([hit("returns", 0.6)], language="zh"))
    assert proposal.text is not None
    body, _, signoff = proposal.text.rpartition("\n\n")
    assert signoff == "祝好！"
    assert body.endswith("这些商品现在有货：\n- Trail Runner (M, black · 89.00 EUR): " + ITEM.url)
    assert proposal.citations[0]["article_id"] == "returns"


def test_the_model_sees_the_items_as_quoted_data_without_links():
    prompt = data_message(request([]), clean=lambda text: text)
    assert (
        '<product title="Trail Runner" variant="M, black" price="89.00 EUR">'
        "same model, size M in stock, from sister store Outlet</product>"
    ) in prompt
    assert "sd_ref" not in prompt  # links are added by the drafter, never written by the model


async def test_the_openai_drafter_appends_the_items_to_the_models_reply_or_offers_them_alone():
    base = replace(request([RETURNS]), store=STORE, customer_name="Jo")
    async with running_fake_openai() as fake:
        fake.script(
            answer("Return unworn items within 30 days from your order page.", "returns"),
            Reply(content='{"reply": "", "citations": [], "no_answer": true}'),
        )
        grounded = await drafter(fake).draft(base)
        alone = await drafter(fake).draft(base)
        assert fake.problems == []
        prompt = fake.requests[0]["messages"][1]["content"]
    block = f"These items are in stock now:\n- Trail Runner (M, black · 89.00 EUR): {ITEM.url}"
    assert grounded.text == (
        "Hi Jo,\n\nReturn unworn items within 30 days from your order page.\n\n"
        f"{block}\n\nNorthwind Support"
    )
    assert alone.text == f"Hi Jo,\n\n{block}\n\nNorthwind Support"
    assert '<product title="Trail Runner"' in prompt
