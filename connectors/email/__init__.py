"""Email: IMAP in (IDLE where offered), SMTP replies out, threaded by Message-ID."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmailAccount:
    id: str
    store_id: str
    address: str
    display_name: str
    username: str
    password: str
    imap_host: str
    imap_port: int
    imap_tls: bool
    mailbox: str
    smtp_host: str
    smtp_port: int
    smtp_security: str  # "starttls" | "tls" | "none"
    poll_seconds: float
    timeout_seconds: float
    idle: bool = True  # wait in IMAP IDLE when the server offers it
    idle_seconds: float = 1500.0  # re-issue IDLE this often (RFC 2177: under 30 minutes)
