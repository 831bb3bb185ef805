"""The event subscription endpoint: Lark's security checks, then the payload to a handler.

Order of checks, each refusing before anything is stored:
1. the body, read whole and capped (413);
2. with an encrypt key, the `X-Lark-Signature` over timestamp + nonce + key + raw body,
   and a timestamp within the allowed skew (401). Only an encrypted `url_verification`
   may come unsigned (Lark's own check when the URL is saved);
3. JSON (400), the `encrypt` field decrypted (400), the verification token compared in
   constant time (403).
Then `url_verification` is answered with its challenge; any other event is deduplicated by
`header.event_id` (Lark retries until it gets a 200) and handed over.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.http import json_error, read_body_capped
from bot.workspaces.lark import crypto

ROUTE = "/lark/events"
BODY_LIMIT = 1024 * 1024
TIMESTAMP = "X-Lark-Request-Timestamp"
NONCE = "X-Lark-Request-Nonce"
SIGNATURE = "X-Lark-Signature"

EventHandler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any] | None]]
Claim = Callable[[str], Awaitable[bool]]


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class EventSecurity:
    verification_token: str
    encrypt_key: str | None
    max_skew_seconds: float = 300.0
    wall_clock: Callable[[], float] = time.time

    def open(self, headers: Any, body: bytes) -> dict[str, Any]:
        """The verified, decrypted payload, or `Refused` with the status to answer."""
        signed = self._check_signature(headers, body)
        outer = _json_object(body)
        encrypted = outer.get("encrypt")
        if encrypted is not None:
            if self.encrypt_key is None or not isinstance(encrypted, str):
                raise Refused(400, "encrypted body but no encrypt key is configured")
            try:
                payload = _json_object(crypto.decrypt(self.encrypt_key, encrypted))
            except crypto.DecryptError as problem:
                raise Refused(400, f"encrypt: {problem}") from None
        elif self.encrypt_key is not None:
            raise Refused(401, "an encrypt key is configured: bodies must be encrypted and signed")
        else:
            payload = outer
        token = _token_of(payload)
        if not hmac.compare_digest(token.encode(), self.verification_token.encode()):
            raise Refused(403, "verification token does not match")
        url_check = payload.get("type") == "url_verification"
        if not signed and self.encrypt_key is not None and not url_check:
            raise Refused(401, "missing signature")
        return payload

    def _check_signature(self, headers: Any, body: bytes) -> bool:
        if self.encrypt_key is None:
            return False
        timestamp, nonce, claimed = (headers.get(h) for h in (TIMESTAMP, NONCE, SIGNATURE))
        if not (timestamp or nonce or claimed):
            return False  # maybe the URL check; decided once the payload is known
        if not (timestamp and nonce and claimed):
            raise Refused(401, "incomplete signature headers")
        if not crypto.signature_matches(timestamp, nonce, self.encrypt_key, body, claimed):
            raise Refused(401, "signature does not match")
        try:
            age = abs(self.wall_clock() - float(timestamp))
        except ValueError:
            raise Refused(401, "timestamp is not a number") from None
        if age > self.max_skew_seconds:
            raise Refused(401, "stale timestamp")
        return True


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "malformed JSON") from None
    except RecursionError:
        raise Refused(400, "JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise Refused(400, "body must be a JSON object")
    return value


def _token_of(payload: dict[str, Any]) -> str:
    header = payload.get("header")
    token = header.get("token") if isinstance(header, dict) else payload.get("token")
    return token if isinstance(token, str) else ""


def event_handler(
    security: EventSecurity, claim: Claim, handle: EventHandler
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def receive(request: web.Request) -> web.StreamResponse:
        body = await read_body_capped(request, BODY_LIMIT)
        if body is None:
            return json_error(413, "body too large")
        try:
            payload = security.open(request.headers, body)
        except Refused as refusal:
            return json_error(refusal.status, str(refusal))
        if payload.get("type") == "url_verification":
            return web.json_response({"challenge": str(payload.get("challenge", ""))})
        header = payload.get("header")
        event = payload.get("event")
        if payload.get("schema") != "2.0" or not isinstance(header, dict):
            return json_error(400, "only schema 2.0 events are handled")
        event_id, event_type = header.get("event_id"), header.get("event_type")
        if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
            return json_error(400, "header.event_id and header.event_type are required")
        if not isinstance(event, dict):
            return json_error(400, "event must be an object")
        if not await claim(event_id):
            return web.json_response({})  # a retry of something already handled
        answer = await handle(event_type, event)
        return web.json_response(answer or {})

    return receive
