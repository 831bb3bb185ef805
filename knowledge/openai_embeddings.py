"""Knowledge vectors from an OpenAI-compatible embeddings endpoint, when configured.

Only the knowledge index uses it: triage keeps the local embedder, whose out-of-scope
thresholds are calibrated on its own vectors. The index rebuilds itself when the
dimension changes, so switching models is a restart, not a migration. A failed call
raises: the draft job that needed the search is retried by the outbox, nothing is lost.
"""

from __future__ import annotations

import numpy as np
from openai import OpenAI

BATCH = 256  # inputs per request: well under the API's limit, few round trips on import


class OpenAIEmbedder:
    def __init__(
        self, client: OpenAI, model: str, dim: int, *, send_dimensions: bool = False
    ) -> None:
        self._client = client
        self._model = model
        self.dim = dim
        self._send_dimensions = send_dimensions

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            # Empty strings are refused by some servers; a space embeds as "nothing said".
            batch = [t if t.strip() else " " for t in texts[start : start + BATCH]]
            extra = {"dimensions": self.dim} if self._send_dimensions else {}
            answer = self._client.embeddings.create(
                model=self._model, input=batch, encoding_format="float", **extra
            )
            ordered = sorted(answer.data, key=lambda item: item.index)
            if len(ordered) != len(batch):
                raise ValueError(f"embeddings: asked for {len(batch)}, got {len(ordered)}")
            rows.extend(item.embedding for item in ordered)
        vectors = np.asarray(rows, dtype=np.float32)
        if vectors.shape[1] != self.dim:
            raise ValueError(
                f"embeddings: model {self._model} returned {vectors.shape[1]} dimensions, "
                f"the config says {self.dim} (set openai.embedding_dimensions)"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, np.float32(1e-12))
