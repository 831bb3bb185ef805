"""Micro-batching for the embedder: concurrent queries share one model call.

The local model costs about as much for one text as for sixteen (a fixed cost per call
dominates), so under load embedding each query alone wastes most of the CPU. Callers that
arrive while a batch is being collected, or while the model is busy, ride along in the next
call; a lone caller waits only `window_seconds`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from knowledge.embeddings import Embedder


@dataclass
class _Request:
    texts: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    vectors: np.ndarray | None = None
    error: BaseException | None = None


class BatchingEmbedder:
    def __init__(
        self, inner: Embedder, *, max_batch: int = 64, window_seconds: float = 0.002
    ) -> None:
        self.dim = inner.dim
        self._inner = inner
        self._max_batch = max_batch
        self._window = window_seconds
        self._queue: list[_Request] = []
        self._queue_lock = threading.Lock()
        self._model_lock = threading.Lock()  # one model call at a time; the queue fills meanwhile
        self._collecting = False

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) >= self._max_batch:
            return self._inner.embed(texts)  # bulk work (index builds) is batched already
        request = _Request(list(texts))
        with self._queue_lock:
            self._queue.append(request)
            leader = not self._collecting
            self._collecting = True
        if leader:
            time.sleep(self._window)
            with self._model_lock:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                    self._collecting = False
                self._run(batch)
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors

    def _run(self, batch: list[_Request]) -> None:
        flat = [text for request in batch for text in request.texts]
        try:
            vectors = self._inner.embed(flat)
        except BaseException as failure:  # every waiting caller must hear about it
            for request in batch:
                request.error = failure
                request.done.set()
            raise
        start = 0
        for request in batch:
            request.vectors = vectors[start : start + len(request.texts)]
            start += len(request.texts)
            request.done.set()
