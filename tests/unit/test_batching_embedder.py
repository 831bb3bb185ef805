"""Concurrent queries share model calls and still get exactly their own vectors."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from knowledge.batching import BatchingEmbedder


class CountingEmbedder:
    """A deterministic stand-in model: each text's vector encodes its length and first char."""

    dim = 4

    def __init__(self, delay: float = 0.02, fail: bool = False) -> None:
        self.calls: list[int] = []
        self._delay = delay
        self._fail = fail
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.calls.append(len(texts))
        threading.Event().wait(self._delay)  # a model call takes time; others queue up
        if self._fail:
            raise RuntimeError("model crashed")
        return np.array([[len(t), ord(t[0]), 1, 0] for t in texts], dtype=np.float32)


def test_concurrent_callers_are_batched_and_get_their_own_rows() -> None:
    inner = CountingEmbedder()
    batching = BatchingEmbedder(inner, window_seconds=0.01)
    texts = [chr(ord("a") + i) * (i + 1) for i in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda t: batching.embed([t]), texts))
    for text, vectors in zip(texts, results, strict=True):
        assert vectors.tolist() == [[len(text), ord(text[0]), 1, 0]]
    assert sum(inner.calls) == 16
    assert len(inner.calls) < 16 / 2  # shared calls, not one per caller


def test_a_lone_caller_is_answered_and_bulk_work_goes_straight_through() -> None:
    inner = CountingEmbedder(delay=0)
    batching = BatchingEmbedder(inner, max_batch=3)
    assert batching.embed(["xy"]).tolist() == [[2, ord("x"), 1, 0]]
    batching.embed(["a", "b", "c"])
    assert inner.calls == [1, 3]
    assert batching.embed([]).shape == (0, 4)


def test_a_model_failure_reaches_every_caller_in_the_batch() -> None:
    batching = BatchingEmbedder(CountingEmbedder(fail=True), window_seconds=0.01)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(batching.embed, [t]) for t in "abcd"]
        for future in futures:
            with pytest.raises(RuntimeError, match="model crashed"):
                future.result(timeout=5)
