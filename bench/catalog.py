"""Product search quality on the synthetic catalogue: hit@1 and hit@3, English and Chinese.

Each language's catalogue sits in its own store of one index, next to the other language's
store, so the store filter is exercised too (a hit from the wrong store counts as a leak). A third
run asks the Chinese questions of the English store: cross-lingual, for information.

    python -m bench.catalog            # about 30 s: embeds 48 products and 96 questions
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("LANCEDB_LOG", "error")

from bench.catalog_data import products, questions
from knowledge.catalog.index import ProductIndex
from knowledge.embeddings import Embedder, LocalEmbedder

STORES = {"en": "bench-en", "zh": "bench-zh"}


@dataclass(frozen=True)
class Quality:
    language: str
    questions: int
    hit_at_1: float
    hit_at_3: float
    leaks: int  # results from a store outside the filter (must be 0)


async def measure(
    embedder: Embedder, directory: Path, *, cross_lingual: bool = True
) -> list[Quality]:
    index = ProductIndex(directory, embedder)
    await index.apply([p for lang, store in STORES.items() for p in products(store, lang)])
    results: list[Quality] = []
    runs = [(lang, lang, store) for lang, store in STORES.items()]
    if cross_lingual:
        runs.append(("zh→en", "zh", STORES["en"]))  # Chinese questions, English catalogue
    for label, language, store in runs:
        pairs = questions(language)
        first = top3 = leaks = 0
        for question, expected in pairs:
            hits = await index.search([store], question, 3)
            ids = [h.product_id for h in hits]
            leaks += sum(1 for h in hits if h.store_id != store)
            first += bool(ids) and ids[0] == expected
            top3 += expected in ids
        results.append(Quality(label, len(pairs), first / len(pairs), top3 / len(pairs), leaks))
    return results


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(measure(LocalEmbedder(), Path(tmp) / "catalog.lance"))
    for q in results:
        print(
            f"{q.language}: {q.questions} questions  hit@1 {q.hit_at_1:.3f}  "
            f"hit@3 {q.hit_at_3:.3f}  leaks {q.leaks}"
        )
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
