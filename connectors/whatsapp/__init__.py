"""WhatsApp Cloud API: signed webhooks in, Graph API messages out, inside the 24-hour window."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WhatsAppAccount:
    id: str
    store_id: str
    app_secret: str  # signs every webhook POST (X-Hub-Signature-256)
    verify_token: str  # answers Meta's GET handshake
    access_token: str
    phone_number_id: str
    api_url: str
    template: str | None = None
    template_language: str = "en_US"
    timeout_seconds: float = 10.0
