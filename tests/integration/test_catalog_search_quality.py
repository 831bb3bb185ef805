"""Product search finds what buyers ask for, in English and Chinese, within the store only.

The numbers come from the same code as `python -m bench.catalog`; the floor is below the
measured 1.00 so a small model or tokenizer change does not fail, but a broken fusion,
filter or embedder does.
"""

from __future__ import annotations

from pathlib import Path

from bench.catalog import measure
from knowledge.embeddings import LocalEmbedder

HIT_AT_3_FLOOR = 0.9


async def test_hit_at_3_on_the_synthetic_catalogue_clears_the_floor_with_no_leaks(
    embedder: LocalEmbedder, tmp_path: Path
) -> None:
    results = await measure(embedder, tmp_path / "catalog.lance", cross_lingual=False)
    assert [q.language for q in results] == ["en", "zh"]
    for quality in results:
        assert quality.questions == 48
        assert quality.leaks == 0, quality
        assert quality.hit_at_3 >= HIT_AT_3_FLOOR, quality
