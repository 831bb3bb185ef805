"""HMAC signatures over "<timestamp>.<raw body>", checked in constant time."""

from __future__ import annotations

import hashlib
import hmac

MAX_SKEW_SECONDS = 300
PREFIX = "sha256="


class SignatureError(Exception):
    pass


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def verify(
    secret: str, timestamp_header: str | None, signature_header: str | None, body: bytes, now: float
) -> None:
    if not timestamp_header or not signature_header:
        raise SignatureError("missing X-Storedesk-Timestamp or X-Storedesk-Signature")
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        raise SignatureError("X-Storedesk-Timestamp is not unix seconds") from None
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        raise SignatureError("timestamp outside the 5-minute window")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature_header.strip()):
        raise SignatureError("signature does not match")
