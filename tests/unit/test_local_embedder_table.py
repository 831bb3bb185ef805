"""The local model's token table served from a memory-mapped file, not a private copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embeddings import LocalEmbedder

TEXTS = ["How long does shipping take?", "退货需要几天？", "Do you take PayPal?"]


@pytest.fixture(scope="module")
def in_memory() -> np.ndarray:
    return LocalEmbedder().embed(TEXTS)


def _table_of(embedder: LocalEmbedder) -> np.ndarray:
    return embedder._model._model.table  # type: ignore[union-attr]


def test_a_mapped_table_gives_the_same_vectors(tmp_path: Path, in_memory: np.ndarray) -> None:
    mapped = LocalEmbedder(table_dir=tmp_path)
    vectors = mapped.embed(TEXTS)
    assert np.array_equal(vectors, in_memory)
    assert isinstance(_table_of(mapped), np.memmap)
    assert len(list(tmp_path.glob("use-token-table-*.npy"))) == 1


def test_the_file_is_written_once_and_shared(tmp_path: Path, in_memory: np.ndarray) -> None:
    LocalEmbedder(table_dir=tmp_path).embed(TEXTS[:1])
    (written,) = tmp_path.glob("use-token-table-*.npy")
    first = written.stat().st_mtime_ns
    second = LocalEmbedder(table_dir=tmp_path)
    assert np.array_equal(second.embed(TEXTS), in_memory)
    assert written.stat().st_mtime_ns == first
    assert not list(tmp_path.glob("*.tmp"))


def test_a_damaged_file_is_written_again(tmp_path: Path, in_memory: np.ndarray) -> None:
    LocalEmbedder(table_dir=tmp_path).embed(TEXTS[:1])
    (written,) = tmp_path.glob("use-token-table-*.npy")
    with written.open("r+b") as file:
        file.truncate(4096)  # a copy cut short, e.g. by a full disk elsewhere
    again = LocalEmbedder(table_dir=tmp_path)
    assert np.array_equal(again.embed(TEXTS), in_memory)
    assert isinstance(_table_of(again), np.memmap)
