"""Hot questions and knowledge gaps: similar customer questions grouped by meaning.

Greedy single pass over normalized sentence vectors: a question joins the first cluster
whose centroid it resembles (cosine >= threshold), else starts its own. Questions arrive
in time order, so the result is deterministic for the same history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_THRESHOLD = 0.55


@dataclass(frozen=True)
class QuestionCluster:
    count: int
    example: str  # the member closest to the centroid, as the customer wrote it
    message_ids: tuple[str, ...]


def cluster_questions(
    message_ids: Sequence[str],
    texts: Sequence[str],
    vectors: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 5,
    min_count: int = 1,
) -> list[QuestionCluster]:
    """The `limit` biggest clusters with at least `min_count` questions, biggest first."""
    if len(message_ids) != len(texts) or len(texts) != len(vectors):
        raise ValueError("message_ids, texts and vectors must have the same length")
    sums: list[np.ndarray] = []
    members: list[list[int]] = []
    for index, vector in enumerate(vectors):
        best, best_score = -1, threshold
        for cluster, total in enumerate(sums):
            centroid = total / max(float(np.linalg.norm(total)), 1e-12)
            score = float(np.dot(centroid, vector))
            if score >= best_score:
                best, best_score = cluster, score
        if best < 0:
            sums.append(np.array(vector, dtype=np.float32))
            members.append([index])
        else:
            sums[best] = sums[best] + vector
            members[best].append(index)
    clusters = []
    for total, indexes in zip(sums, members, strict=True):
        if len(indexes) < min_count:
            continue
        centroid = total / max(float(np.linalg.norm(total)), 1e-12)
        central = max(indexes, key=lambda i: (float(np.dot(vectors[i], centroid)), -i))
        clusters.append(
            QuestionCluster(
                count=len(indexes),
                example=texts[central],
                message_ids=tuple(message_ids[i] for i in indexes),
            )
        )
    clusters.sort(key=lambda c: (-c.count, c.message_ids[0]))
    return clusters[:limit]
