"""Few-shot intent classification over local sentence embeddings, with a calibrated threshold.

Each label scores the mean of its `k` most similar examples (one lucky neighbour is not
enough, a label's average is dragged down by its odd examples); `k` is chosen per example
set, with the threshold, by the same leave-one-out check. The threshold below which a
message is `out_of_scope` is not a constant: it is chosen per example set by leave-one-out,
the value that best separates examples recognised under their own label from negatives (the
store's own `out_of_scope` examples plus a generic off-topic sample), weighting both sides
equally. A store's negatives also compete as a label of their own: a message closer to them
than to any intent is out of scope whatever its score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.domain.intents import OFF_TOPIC_SAMPLES, OUT_OF_SCOPE, IntentExample, normalize_label
from bot.domain.triage import IntentGuess
from knowledge.embeddings import Embedder

TOP_K_CHOICES = (1, 2, 3, 5)
THRESHOLD_BOUNDS = (0.15, 0.85)
CHUNK = 512  # rows of the similarity matrix held at once: large sets stay within memory


@dataclass(frozen=True)
class Calibration:
    threshold: float
    top_k: int
    in_scope_accuracy: float  # leave-one-out, examples recognised under their own label
    out_of_scope_rejected: float  # share of negatives below the threshold
    examples: int
    negatives: int
    value: float = 0.0  # the balanced score the choice maximised


class IntentClassifier:
    def __init__(
        self,
        examples: Sequence[IntentExample],
        embedder: Embedder,
        *,
        threshold: float | None = None,
        generic_negatives: Sequence[str] = OFF_TOPIC_SAMPLES,
        chunk: int = CHUNK,
    ) -> None:
        self._chunk = chunk
        clean = [IntentExample(e.sentence.strip(), normalize_label(e.label)) for e in examples]
        positives = [e for e in clean if e.sentence and e.label != OUT_OF_SCOPE]
        if not positives:
            raise ValueError("an intent set needs at least one example that is not out_of_scope")
        store_negatives = [e.sentence for e in clean if e.sentence and e.label == OUT_OF_SCOPE]
        self._embedder = embedder
        self.labels = sorted({e.label for e in positives})
        self._label_index = {label: i for i, label in enumerate(self.labels)}
        self._example_labels = np.array([self._label_index[e.label] for e in positives])
        texts = [e.sentence for e in positives] + store_negatives + list(generic_negatives)
        vectors = np.concatenate(
            [embedder.embed(texts[i : i + chunk]) for i in range(0, len(texts), chunk)]
        )
        self._positives = vectors[: len(positives)]
        self._store_negatives = vectors[len(positives) : len(positives) + len(store_negatives)]
        negatives = vectors[len(positives) :]
        self._k = TOP_K_CHOICES[0]
        best: Calibration | None = None
        for k in TOP_K_CHOICES:
            self._k = k
            candidate = self._calibrate(negatives)
            if best is None or candidate.value > best.value + 1e-9:
                best = candidate
        assert best is not None
        self._k = best.top_k
        self.calibration = best
        self.threshold = threshold if threshold is not None else self.calibration.threshold

    def classify(self, text: str) -> IntentGuess:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[IntentGuess]:
        if not texts:
            return []
        vectors = self._embedder.embed(list(texts))
        scores = self._scores_of(vectors)
        negative_best = (
            (vectors @ self._store_negatives.T).max(axis=1)
            if len(self._store_negatives)
            else np.full(len(texts), -1.0)
        )
        guesses = []
        for row, neg in zip(scores, negative_best, strict=True):
            order = np.argsort(-row)
            best, score = self.labels[order[0]], float(row[order[0]])
            runner_up = self.labels[order[1]] if len(order) > 1 else None
            if score < self.threshold or float(neg) > score:
                guesses.append(IntentGuess(OUT_OF_SCOPE, score, best))
            else:
                guesses.append(IntentGuess(best, score, runner_up))
        return guesses

    def _scores_of(self, vectors: np.ndarray, *, leave_out_self: bool = False) -> np.ndarray:
        """Label scores of many vectors, a chunk of rows at a time."""
        parts = []
        for start in range(0, len(vectors), self._chunk):
            rows = vectors[start : start + self._chunk]
            exclude = None
            if leave_out_self:  # row i of the positives is column i
                exclude = np.zeros((len(rows), len(self._positives)), dtype=bool)
                exclude[np.arange(len(rows)), np.arange(start, start + len(rows))] = True
            parts.append(self._label_scores(rows @ self._positives.T, exclude))
        return np.concatenate(parts) if parts else np.zeros((0, len(self.labels)))

    def _label_scores(self, sims: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
        """Per label, the mean of its `k` best similarities (rows: queries)."""
        if exclude is not None:
            sims = np.where(exclude, -np.inf, sims)
        out = np.full((sims.shape[0], len(self.labels)), -1.0, dtype=np.float32)
        for index in range(len(self.labels)):
            columns = sims[:, self._example_labels == index]
            k = min(self._k, columns.shape[1])
            top = -np.sort(-columns, axis=1)[:, :k]
            finite = np.where(np.isfinite(top), top, np.nan)
            with np.errstate(invalid="ignore"):
                mean = np.nanmean(finite, axis=1) if k else np.full(len(columns), -1.0)
            out[:, index] = np.nan_to_num(mean, nan=-1.0)
        return out

    def _calibrate(self, negatives: np.ndarray) -> Calibration:
        n = len(self._positives)
        loo = self._scores_of(self._positives, leave_out_self=True)
        predicted = loo.argmax(axis=1)
        best = loo.max(axis=1)
        # An example that is its label's only one cannot be left out and still be recognised.
        counts = np.bincount(self._example_labels, minlength=len(self.labels))
        testable = counts[self._example_labels] > 1
        correct = (predicted == self._example_labels) & testable
        negative_scores = self._scores_of(negatives).max(axis=1) if len(negatives) else np.zeros(0)
        low, high = THRESHOLD_BOUNDS
        candidates = np.unique(np.clip(np.concatenate([best, negative_scores]), low, high))
        best_t, best_value, best_pair = low, -1.0, (0.0, 0.0)
        positives_counted = max(int(testable.sum()), 1)
        for t in candidates:
            accepted = float((correct & (best >= t)).sum()) / positives_counted
            rejected = float((negative_scores < t).mean()) if len(negative_scores) else 1.0
            value = 0.5 * accepted + 0.5 * rejected
            if value > best_value + 1e-9:
                best_t, best_value, best_pair = float(t), value, (accepted, rejected)
        return Calibration(
            threshold=round(best_t, 4),
            top_k=self._k,
            value=round(best_value, 4),
            in_scope_accuracy=round(best_pair[0], 4),
            out_of_scope_rejected=round(best_pair[1], 4),
            examples=n,
            negatives=len(negatives),
        )
