"""Progress of `storedesk knowledge import`, row by row while reading and chunk by chunk
while embedding and indexing (the slow part).

On a terminal one line is redrawn in place; in a log or a pipe a line is written each time
a phase passes another tenth, so a 100,000-row file leaves about ten lines, not thousands
of carriage returns.
"""

from __future__ import annotations

import threading
from typing import TextIO

from knowledge.formats import ReadProgress

BAR_WIDTH = 30


class ImportProgress:
    def __init__(self, stream: TextIO, *, tty: bool | None = None, steps: int = 10) -> None:
        self._stream = stream
        self._tty = stream.isatty() if tty is None else tty
        self._steps = steps
        self._shown: dict[str, int] = {}  # phase -> the last step written (not on a tty)
        self._width = 0
        self._lock = threading.Lock()  # chunk progress arrives from the index's thread

    def reading(self, at: ReadProgress) -> None:
        where = f"{at.file_number}/{at.files_total} files"
        if at.rows_total > 1:
            where += f", {at.rows_done}/{at.rows_total} rows of {at.file}"
        self._show(
            "read", at.fraction, f"reading {where}: {at.articles} articles, {at.problems} problems"
        )

    def indexing(self, done: int, total: int) -> None:
        self._show(
            "index",
            done / total if total else 1.0,
            f"embedding and indexing: {done}/{total} chunks",
        )

    def end(self) -> None:
        """Leave the redrawn line, so what follows starts on its own line."""
        with self._lock:
            if self._tty and self._width:
                print(file=self._stream, flush=True)
            self._width = 0

    def _show(self, phase: str, fraction: float, text: str) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        with self._lock:
            if self._tty:
                filled = int(BAR_WIDTH * fraction)
                line = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {text}"
                self._width = max(self._width, len(line))
                print("\r" + line.ljust(self._width), end="", file=self._stream, flush=True)
                return
            step = int(fraction * self._steps)
            if step <= self._shown.get(phase, -1):
                return
            self._shown[phase] = step
            print(f"{int(fraction * 100):3d}% {text}", file=self._stream, flush=True)
