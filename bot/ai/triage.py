"""Local triage: rules from the domain plus few-shot intents over the local embeddings.

One classifier per store, built on first use from the store's imported examples (or the
built-in set when it has none) and kept until `forget(store_id)`; building embeds every
example, so it runs in a worker thread and never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence

from bot.ai.intent_classifier import IntentClassifier
from bot.domain.intents import IntentExample, default_examples
from bot.domain.model import Store
from bot.domain.risk_policy import DEFAULT_POLICY, RiskPolicy
from bot.domain.triage import Triage, triage_text
from knowledge.embeddings import Embedder

ExamplesLoader = Callable[[str], Awaitable[Sequence[IntentExample]]]
DEFAULT_SET = "__default__"
# The built-in set's classifier depends only on the model: build it once per model instance.
_BUILT_IN: weakref.WeakKeyDictionary[Embedder, dict[float | None, IntentClassifier]] = (
    weakref.WeakKeyDictionary()
)


def built_in_classifier(embedder: Embedder, threshold: float | None) -> IntentClassifier:
    by_threshold = _BUILT_IN.setdefault(embedder, {})
    if threshold not in by_threshold:
        by_threshold[threshold] = IntentClassifier(
            default_examples(), embedder, threshold=threshold
        )
    return by_threshold[threshold]


class LocalTriager:
    def __init__(
        self,
        embedder: Embedder,
        *,
        policies: Mapping[str, RiskPolicy] | None = None,
        load_examples: ExamplesLoader | None = None,
        threshold: float | None = None,
    ) -> None:
        self._embedder = embedder
        self._policies = dict(policies or {})
        self._load_examples = load_examples
        self._threshold = threshold
        self._classifiers: dict[str, IntentClassifier] = {}
        self._store_sets: dict[str, str] = {}
        self._lock = asyncio.Lock()

    def policy(self, store_id: str) -> RiskPolicy:
        return self._policies.get(store_id, DEFAULT_POLICY)

    def forget(self, store_id: str) -> None:
        """The store's examples changed: rebuild its classifier on next use."""
        self._store_sets.pop(store_id, None)
        self._classifiers.pop(store_id, None)

    async def classifier(self, store_id: str) -> IntentClassifier:
        async with self._lock:
            key = self._store_sets.get(store_id)
            if key is None:
                loaded = await self._load_examples(store_id) if self._load_examples else ()
                examples = list(loaded)
                key = store_id if examples else DEFAULT_SET
                if key not in self._classifiers and examples:
                    self._classifiers[key] = await asyncio.to_thread(
                        IntentClassifier, examples, self._embedder, threshold=self._threshold
                    )
                elif key not in self._classifiers:
                    self._classifiers[key] = await asyncio.to_thread(
                        built_in_classifier, self._embedder, self._threshold
                    )
                self._store_sets[store_id] = key
            return self._classifiers[key]

    async def triage(
        self, store: Store, text: str, *, channel_account_id: str | None = None
    ) -> Triage:
        classifier = await self.classifier(store.id)
        intent = (await asyncio.to_thread(classifier.classify_many, [text]))[0]
        return triage_text(
            text,
            default_language=store.languages[0] if store.languages else "en",
            intent=intent,
            policy=self.policy(store.id),
            channel_account_id=channel_account_id,
        )
