"""Extractive conversation summaries with the local embedding model (no generation, no download).

The customer's key sentences are the most central ones (highest mean similarity to the
others), plus the latest message, which is what a person taking over answers next. A header
line names what triage found (intents, order numbers) in the conversation's language.
"""

from __future__ import annotations

import asyncio
import re

import numpy as np

from bot.ports import ConversationSummary, SummaryRequest
from knowledge.embeddings import Embedder

_SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")
_MIN_CHARS = 4

_ZH_INTENTS = {
    "order_status": "订单状态",
    "shipping": "物流配送",
    "return_exchange": "退换货",
    "refund": "退款",
    "cancel": "取消订单",
    "product_question": "商品咨询",
    "size_fit": "尺码",
    "payment": "支付",
    "warranty": "保修",
    "complaint": "投诉",
    "talk_to_human": "要求人工",
}
_PHRASES = {
    "en": {
        "header": "Customer, {count} messages",
        "about": "about {what}",
        "orders": "orders {what}",
        "tracking": "tracking {what}",
        "points": "Key points",
        "latest": "Latest",
        "join": ", ",
        "end": ".",
        "sep": "; ",
    },
    "zh": {
        "header": "客户共 {count} 条消息",
        "about": "关于{what}",
        "orders": "订单 {what}",
        "tracking": "运单 {what}",
        "points": "要点",
        "latest": "最新",
        "join": "、",
        "end": "。",
        "sep": "；",
    },
}


def split_sentences(text: str) -> list[str]:
    parts = (part.strip() for part in _SENTENCE_END.split(text))
    return [part for part in parts if len(part) >= _MIN_CHARS]


def central_order(vectors: np.ndarray) -> list[int]:
    """Indexes from most to least central: mean cosine similarity to every other sentence."""
    if len(vectors) < 2:
        return list(range(len(vectors)))
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0.0)
    centrality = similarity.sum(axis=1) / (len(vectors) - 1)
    return [int(i) for i in np.argsort(-centrality, kind="stable")]


def _label(intent: str, language: str) -> str:
    if language == "zh":
        return _ZH_INTENTS.get(intent, intent.replace("_", " "))
    return intent.replace("_", " ")


class LocalSummarizer:
    def __init__(self, embedder: Embedder, *, max_chars: int = 400, key_sentences: int = 2) -> None:
        self._embedder = embedder
        self._max_chars = max_chars
        self._key_sentences = key_sentences

    async def summarize(self, request: SummaryRequest) -> ConversationSummary:
        language = "zh" if request.language.split("-")[0].lower() == "zh" else "en"
        words = _PHRASES[language]
        customer = [text for direction, text in request.turns if direction == "in"]
        latest = split_sentences(customer[-1]) if customer else []
        earlier = [s for text in customer[:-1] for s in split_sentences(text)]
        key = await self._key(earlier, self._key_sentences)

        facts = [words["header"].format(count=len(customer))]
        if request.intents:
            what = words["join"].join(_label(i, language) for i in request.intents)
            facts.append(words["about"].format(what=what))
        for name, phrase in (("order_numbers", "orders"), ("tracking_numbers", "tracking")):
            values = list(request.entities.get(name, ()))
            if values:
                facts.append(words[phrase].format(what=words["join"].join(values)))
        lines = [words["sep"].join(facts) + words["end"]]
        if key:
            lines.append(f"{words['points']}: " + " / ".join(key))
        if latest:
            lines.append(f"{words['latest']}: " + " ".join(latest))
        return ConversationSummary(
            text=_bounded("\n".join(lines), self._max_chars), language=language, source="local"
        )

    async def _key(self, sentences: list[str], limit: int) -> list[str]:
        """The `limit` most central sentences, in the order the customer wrote them."""
        unique = list(dict.fromkeys(sentences))
        if len(unique) <= limit:
            return unique
        vectors = await asyncio.to_thread(self._embedder.embed, unique)
        chosen = sorted(central_order(vectors)[:limit])
        return [unique[i] for i in chosen]


def _bounded(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1].rstrip() + "…"
