"""`knowledge import` reports progress inside one big file and through indexing, and keeps
a log readable: a line per tenth when stderr is not a terminal."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import numpy as np

from knowledge.formats import Defaults, ReadProgress, read_files
from knowledge.import_progress import ImportProgress
from knowledge.index import KnowledgeIndex

ROWS = 2000


class HashingEmbedder:
    """A cheap stand-in for the model (our own Embedder port): indexing speed, not quality,
    is what this test exercises, and 2,000 model embeddings would take most of a minute."""

    dim = 16

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], np.uint8) for t in texts]
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim) + 1.0
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def big_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "answer"])
        for n in range(ROWS):
            writer.writerow([f"Question number {n}?", f"Answer {n}: see the help page."])
        writer.writerow(["", ""])  # a bad row still counts as a row read
    return path


def test_reading_one_big_csv_reports_rows_in_many_steps(tmp_path):
    path = big_csv(tmp_path / "faq.csv")
    seen: list[ReadProgress] = []
    result = read_files([path], tmp_path, Defaults(store="s1"), progress=seen.append)
    assert len(result.articles) == ROWS and len(result.problems) == 1
    assert len(seen) >= 10, "progress moves within the one file"
    assert {p.file_number for p in seen} == {1}
    rows = [p.rows_done for p in seen]
    assert rows == sorted(rows) and rows[0] < ROWS / 10
    assert (seen[-1].rows_done, seen[-1].rows_total, seen[-1].articles) == (
        ROWS + 1,
        ROWS + 1,
        ROWS,
    )

    log = io.StringIO()
    report = ImportProgress(log, tty=False)
    for step in seen:
        report.reading(step)
    lines = log.getvalue().splitlines()
    assert 5 <= len(lines) <= 11, lines  # periodic lines, not one per report
    assert "\r" not in log.getvalue()
    assert lines[-1].startswith("100% reading 1/1 files, 2001/2001 rows")
    assert lines[-1].endswith(f"{ROWS} articles, 1 problems")

    terminal = io.StringIO()
    drawn = ImportProgress(terminal, tty=True)
    for step in seen:
        drawn.reading(step)
    drawn.end()
    assert terminal.getvalue().count("\r") == len(seen) and terminal.getvalue().endswith("\n")


async def test_indexing_reports_chunks_embedded_batch_by_batch(tmp_path):
    path = big_csv(tmp_path / "faq.csv")
    articles = read_files([path], tmp_path, Defaults(store="s1")).articles
    index = KnowledgeIndex(tmp_path / "kb.lance", HashingEmbedder())
    calls: list[tuple[int, int]] = []
    embedded = await index.apply(articles, progress=lambda done, total: calls.append((done, total)))
    assert embedded >= ROWS
    assert len(calls) >= 5
    assert all(total == embedded for _, total in calls)
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[0] < embedded and done[-1] == embedded

    log = io.StringIO()
    report = ImportProgress(log, tty=False)
    for step in calls:
        report.indexing(*step)
    assert log.getvalue().splitlines()[-1] == (
        f"100% embedding and indexing: {embedded}/{embedded} chunks"
    )
