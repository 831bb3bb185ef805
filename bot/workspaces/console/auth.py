"""Console sessions: signed cookies, sign-in links and tokens, and CSRF tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

SESSION_COOKIE = "sd_session"


@dataclass(frozen=True)
class Session:
    member_id: str
    raw: str


class ConsoleAuth:
    def __init__(
        self,
        secret_key: bytes,
        member_tokens: Mapping[str, str],
        session_seconds: int,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._key = secret_key
        self._tokens = dict(member_tokens)
        self._session_seconds = session_seconds
        self._now = now

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    # Sign-in ------------------------------------------------------------------------------
    def sign_in_code(self, member_id: str) -> str:
        """The code in a demo sign-in link: proves the link was made by this server."""
        return self._mac("sign-in", member_id)

    def member_for_code(self, member_id: str, code: str) -> str | None:
        return member_id if hmac.compare_digest(self.sign_in_code(member_id), code) else None

    def member_for_token(self, token: str) -> str | None:
        found = None
        for member_id, expected in self._tokens.items():
            # Compare against every token so timing does not reveal which one matched.
            if expected and hmac.compare_digest(expected.encode(), token.encode()):
                found = member_id
        return found

    # Sessions ------------------------------------------------------------------------------
    def new_session(self, member_id: str) -> str:
        expires = int(self._now()) + self._session_seconds
        nonce = secrets.token_hex(8)
        payload = base64.urlsafe_b64encode(f"{member_id}|{expires}|{nonce}".encode()).decode()
        return f"{payload}.{self._mac('session', payload)}"

    def read_session(self, raw: str | None) -> Session | None:
        if not raw or "." not in raw or len(raw) > 1000:
            return None
        payload, mac = raw.rsplit(".", 1)
        if not hmac.compare_digest(self._mac("session", payload), mac):
            return None
        try:
            member_id, expires, _nonce = base64.urlsafe_b64decode(payload).decode().split("|")
            if int(expires) < self._now():
                return None
        except ValueError:
            return None
        return Session(member_id=member_id, raw=raw)

    def csrf_token(self, session: Session) -> str:
        return self._mac("csrf", session.raw)

    def csrf_ok(self, session: Session, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf_token(session), presented or "")
