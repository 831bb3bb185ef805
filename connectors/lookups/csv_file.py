"""Orders from a CSV file: for demos and for shops whose back office is a spreadsheet export."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from bot.ports import LookupResult
from connectors.lookups.results import failed, found, normalize_order_number, not_found

SOURCE = "csv"


class CsvLookup:
    """Reads `path` (an `order_number` column, optionally `email`, and any draft variables
    as further columns), again whenever the file changes. Later rows win for an email."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._loaded_mtime: float | None = None
        self._rows: list[dict[str, str]] = []

    async def find_order(
        self, store_id: str, *, order_number: str | None = None, email: str | None = None
    ) -> LookupResult:
        query = order_number or email or ""
        try:
            rows = await asyncio.to_thread(self._current_rows)
        except (OSError, csv.Error, UnicodeDecodeError) as problem:
            return failed(query, SOURCE, f"cannot read {self._path.name}: {problem}")
        if order_number:
            wanted = normalize_order_number(order_number)
            match = next(
                (r for r in rows if normalize_order_number(r.get("order_number", "")) == wanted),
                None,
            )
        else:
            wanted = (email or "").strip().lower()
            match = next(
                (r for r in reversed(rows) if r.get("email", "").strip().lower() == wanted), None
            )
        if match is None:
            return not_found(query, SOURCE)
        fields = {k: v for k, v in match.items() if k and k != "order_number"}
        return found(query, SOURCE, {"order_id": match.get("order_number", ""), **fields})

    def _current_rows(self) -> list[dict[str, str]]:
        mtime = self._path.stat().st_mtime
        if mtime != self._loaded_mtime:
            with self._path.open(newline="", encoding="utf-8") as handle:
                rows = [dict(row) for row in csv.DictReader(handle)]
            if rows and "order_number" not in rows[0]:
                raise csv.Error("no order_number column")
            self._rows, self._loaded_mtime = rows, mtime
        return self._rows
