"""Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


class SignatureError(Exception):
    pass


def sign(app_secret: str, body: bytes) -> str:
    return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(app_secret: str, header: str | None, body: bytes) -> None:
    if not header or not header.startswith(PREFIX):
        raise SignatureError("missing or malformed X-Hub-Signature-256")
    if not hmac.compare_digest(sign(app_secret, body), header.strip()):
        raise SignatureError("signature does not match")
