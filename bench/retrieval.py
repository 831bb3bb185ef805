"""Scoped hybrid retrieval: latency, build rate and memory at scale, and answer quality.

Scale run: `--chunks` chunks over `--stores` stores (85% store articles, 10% brand, 4% region,
1% global; every store answers in English or Chinese). Vectors come from the local embedder
run on a pool of distinct article texts; each chunk gets its text's vector plus small noise,
so 100,000 chunks build in seconds instead of hours of model time (the embedding rate is
measured and reported on its own). Latency is `KnowledgeIndex.search_vector`: both queries
with the scope prefilter, fusion and per-topic resolution, the question already embedded;
the embedding of one question is timed separately.

Quality run: ten topics written in English and Chinese, overlapping global, region, brand,
store and campaign articles (one campaign running, one expired), and questions paraphrased
from them. The expected answer is the most specific article in scope, computed from the
scope rules, not from the index. Reports hit@1, hit@3 and how often an article outside the
query's scope came back (must be 0).

    python -m bench.retrieval                  # ~2 minutes: 20,000 chunks, 200 stores
    python -m bench.retrieval --chunks 100000 --stores 1000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

os.environ.setdefault("LANCEDB_LOG", "error")

from bench.retrieval_data import TOPICS, Topic
from bot.ports import KnowledgeScope
from knowledge.articles import ArticleRecord
from knowledge.embeddings import LocalEmbedder
from knowledge.index import KnowledgeIndex
from knowledge.scope import article_specificity, in_scope

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REGIONS = 10
POOL_VARIANTS = 40  # distinct texts per topic and language in the scale run


def _rss_mb() -> tuple[float, float]:
    current = 0.0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _article(subject: Topic, language: str, n: int, article_id: str, **scope) -> ArticleRecord:
    title = subject.title_en if language == "en" else subject.title_zh
    body = (subject.body_en if language == "en" else subject.body_zh).format(n=n)
    return ArticleRecord(
        article_id, 1, scope.pop("store_id", None), language, title, body,
        topic=scope.pop("topic", subject.key), **scope,
    )  # fmt: skip


# --- scale --------------------------------------------------------------------------------


def _store_of(s: int) -> dict[str, str]:
    return {
        "store_id": f"store-{s}",
        "brand": f"brand-{s // 10}",
        "region": f"region-{s % REGIONS}",
        "language": "en" if s % 2 == 0 else "zh",
    }


def scale_corpus(chunks: int, stores: int, seed: int = 7) -> tuple[list[ArticleRecord], list[str]]:
    """Articles (one chunk each) and, per article, the pool text its vector comes from."""
    rng = random.Random(seed)
    articles: list[ArticleRecord] = []
    pool_keys: list[str] = []
    for i in range(chunks):
        s = rng.randrange(stores)
        home = _store_of(s)
        kind = i % 100
        if kind < 85:
            scope = {k: home[k] for k in ("store_id", "brand", "region")}
        elif kind < 95:
            scope = {"brand": home["brand"]}
        elif kind < 99:
            scope = {"region": home["region"]}
        else:
            scope = {}
        topic = TOPICS[rng.randrange(len(TOPICS))]
        language = home["language"] if kind < 99 else rng.choice(["en", "zh"])
        n = rng.randrange(1, POOL_VARIANTS + 1)
        # A few topics per store, so scope levels really compete for the same question.
        variant = f"{topic.key}-{rng.randrange(5)}"
        article = _article(topic, language, n, f"a{i}", topic=variant, **scope)
        articles.append(article)
        pool_keys.append(f"{article.title}\n{article.body}")
    return articles, pool_keys


async def scale_run(args: argparse.Namespace, embedder: LocalEmbedder, folder: Path) -> list[str]:
    lines = []
    articles, pool_keys = scale_corpus(args.chunks, args.stores)
    pool = sorted(set(pool_keys))
    started = time.perf_counter()
    pool_vectors = embedder.embed(pool)
    embed_rate = len(pool) / (time.perf_counter() - started)
    row_of = {text: i for i, text in enumerate(pool)}
    rng = np.random.default_rng(11)
    vectors = pool_vectors[[row_of[k] for k in pool_keys]]
    vectors = vectors + rng.normal(0, 0.01, vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    index = KnowledgeIndex(folder / "scale.lance", embedder)
    started = time.perf_counter()
    built = await asyncio.to_thread(index.build_blocking, articles, vectors)
    build_seconds = time.perf_counter() - started
    rss_built = _rss_mb()

    questions = [
        (q, lang) for t in TOPICS for lang, qs in (("en", t.questions_en), ("zh", t.questions_zh))
        for q in qs
    ]  # fmt: skip
    question_vectors = embedder.embed([q for q, _ in questions])
    picker = random.Random(3)
    for _ in range(20):  # warm caches and the thread pool
        await index.search_vector(_scope(0), questions[0][0], question_vectors[0])
    latencies: list[float] = []
    results = 0
    for _ in range(args.queries):
        s = picker.randrange(args.stores)
        scope = _scope(s)
        candidates = [i for i, (_, lang) in enumerate(questions) if lang == scope.language]
        qi = picker.choice(candidates)
        started = time.perf_counter()
        hits = await index.search_vector(scope, questions[qi][0], question_vectors[qi], 3)
        latencies.append((time.perf_counter() - started) * 1000)
        results += len(hits)
    embed_ms = []
    for q, _ in questions[:30]:
        started = time.perf_counter()
        embedder.embed([q])
        embed_ms.append((time.perf_counter() - started) * 1000)
    rss_now, rss_peak = _rss_mb()
    lines += [
        f"scale: {built:,} chunks over {args.stores:,} stores ({args.stores // 10} brands, "
        f"{REGIONS} regions)",
        f"  index build: {build_seconds:.1f} s = {built / build_seconds:,.0f} chunks/s "
        "(LanceDB write + full-text + scalar indices, vectors given)",
        f"  embedding:   {embed_rate:,.0f} texts/s (local USE, batch of {len(pool)} texts)",
        f"  scoped hybrid search ({args.queries} queries, top 3, {results / args.queries:.1f} "
        f"hits each): p50 {_percentile(latencies, 50):.1f} ms, p99 "
        f"{_percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms",
        f"  question embedding: p50 {_percentile(embed_ms, 50):.1f} ms, p99 "
        f"{_percentile(embed_ms, 99):.1f} ms",
        f"  memory: RSS {rss_built[0]:,.0f} MB after build, {rss_now:,.0f} MB after queries, "
        f"peak {rss_peak:,.0f} MB",
    ]
    return lines


def _scope(s: int) -> KnowledgeScope:
    home = _store_of(s)
    return KnowledgeScope(home["store_id"], home["brand"], home["region"], home["language"], NOW)


# --- quality ------------------------------------------------------------------------------

QUALITY_STORES = {
    "nw-de": ("Northwind", "eu", "en"),
    "nw-uk": ("Northwind", "eu", "en"),
    "nw-cn": ("Northwind", "apac", "zh"),
    "dr-cn": ("Dragon", "apac", "zh"),
    "dr-tw": ("Dragon", "apac", "zh"),
    "dr-us": ("Dragon", "us", "en"),
}


def quality_articles() -> list[ArticleRecord]:
    by_key = {t.key: t for t in TOPICS}
    day = timedelta(days=1)
    made: list[ArticleRecord] = []

    def add(key: str, lang: str, n: int, **scope) -> None:
        parts = [scope.get(k) or "" for k in ("store_id", "brand", "region", "campaign")]
        made.append(_article(by_key[key], lang, n, "/".join([*parts, key, lang]), **scope))

    for topic in TOPICS:
        for lang in ("en", "zh"):
            add(topic.key, lang, 30)  # global standing policy
    for key in ("returns", "sizing", "exchange"):
        for lang in ("en", "zh"):
            add(key, lang, 45, brand="Northwind")
    for key in ("warranty", "shipping"):
        for lang in ("en", "zh"):
            add(key, lang, 24, brand="Dragon")
    add("returns", "en", 60, store_id="nw-de")
    add("shipping", "en", 2, store_id="nw-de")
    add("warranty", "zh", 36, store_id="dr-cn")
    add("giftcards", "en", 50, store_id="nw-uk")
    add("international", "zh", 80, region="apac")
    for lang in ("en", "zh"):
        add("returns", lang, 90, brand="Dragon", campaign="singles-day",
            valid_from=NOW - day, valid_until=NOW + 10 * day)  # fmt: skip
        add("pricematch", lang, 14, brand="Northwind", campaign="summer",
            valid_from=NOW - 90 * day, valid_until=NOW - day)  # fmt: skip
    return made


async def quality_run(embedder: LocalEmbedder, folder: Path) -> list[str]:
    articles = quality_articles()
    index = KnowledgeIndex(folder / "quality.lance", embedder)
    await index.sync(articles)
    queries = at1 = at3 = returned = outside = 0
    misses: list[str] = []
    for store, (brand, region, lang) in QUALITY_STORES.items():
        scope = KnowledgeScope(store, brand, region, lang, NOW)
        for topic in TOPICS:
            in_reach = [a for a in articles if a.topic == topic.key and in_scope(a, scope)]
            expected = max(in_reach, key=article_specificity).id
            for question in topic.questions_en if lang == "en" else topic.questions_zh:
                hits = await index.search(scope, question, 3)
                queries += 1
                ids = [h.article_id for h in hits]
                at1 += bool(ids) and ids[0] == expected
                at3 += expected in ids
                if ids and ids[0] != expected:
                    misses.append(f"    {store}: {question!r} → {ids[0]} (expected {expected})")
                by_id = {a.id: a for a in articles}
                returned += len(ids)
                outside += sum(not in_scope(by_id[i], scope) for i in ids)
    lines = [
        f"quality: {len(articles)} articles, {len(QUALITY_STORES)} stores, {queries} questions "
        "(EN and ZH, paraphrased)",
        f"  hit@1 {at1 / queries:.3f} ({at1}/{queries}), hit@3 {at3 / queries:.3f} "
        f"({at3}/{queries})",
        f"  out-of-scope returned: {outside}/{returned} hits = {outside / max(returned, 1):.3f}",
    ]
    if misses:
        lines.append("  top-1 misses:")
        lines.extend(misses[:15])
    return lines


async def main(args: argparse.Namespace) -> None:
    embedder = LocalEmbedder()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="storedesk-bench-") as tmp:
        if not args.skip_quality:
            print("\n".join(await quality_run(embedder, Path(tmp))), flush=True)
        if args.chunks > 0:
            print("\n".join(await scale_run(args, embedder, Path(tmp))), flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=20_000, help="0 skips the scale run")
    parser.add_argument("--stores", type=int, default=None, help="default: chunks / 100")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    args.stores = args.stores or max(10, args.chunks // 100)
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
