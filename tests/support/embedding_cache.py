"""The real local model behind a per-text memo, for the tests' shared `embedder` fixture.

Every app a test starts indexes the same few demo articles and embeds the same questions;
on two busy cores the model spent about a second per app start recomputing vectors it had
already made. Each distinct text still goes through the real model once per session.
"""

from __future__ import annotations

import threading

import numpy as np

from knowledge.embeddings import Embedder


class MemoizingEmbedder:
    """Embeds only texts it has not seen; rows come back in the order asked for."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.dim = inner.dim
        self._known: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._known))
        if missing:
            rows = self.inner.embed(missing)
            with self._lock:
                self._known.update(zip(missing, rows, strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.stack([self._known[t] for t in texts]).astype(np.float32, copy=True)
