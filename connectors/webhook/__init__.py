"""Signed JSON webhooks for marketplaces and custom shops, both directions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebhookAccount:
    id: str
    store_id: str
    secret: str
    callback_url: str
