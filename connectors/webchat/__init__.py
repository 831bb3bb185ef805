"""The web chat a store can put on its site: customers write, replies show up live."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebchatAccount:
    id: str
    store_id: str
    store_name: str
