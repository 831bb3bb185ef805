"""Polling one mailbox over IMAP: new mail in, each marked \\Seen only once it is stored.

imaplib is blocking, so each poll runs in a worker thread with a socket timeout; the loop
waits `poll_seconds` between polls (or until stopped) and backs off after failures, so a
dead server never spins and stopping never waits longer than one timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from connectors.email import EmailAccount

logger = logging.getLogger(__name__)

MAX_PER_POLL = 50
MAX_BACKOFF_SECONDS = 300.0
_UID = re.compile(rb"UID (\d+)")


@dataclass(frozen=True)
class FetchedMail:
    uid: str
    raw: bytes


# Handles one mail; True when it was stored (or deliberately skipped) and may be marked seen.
MailHandler = Callable[[bytes], Awaitable[bool]]


class ImapMailbox:
    """One IMAP session per poll: LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH BODY.PEEK[]."""

    def __init__(self, account: EmailAccount) -> None:
        self._account = account

    def _connect(self) -> imaplib.IMAP4:
        a = self._account
        if a.imap_tls:
            context = ssl.create_default_context()
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                a.imap_host, a.imap_port, ssl_context=context, timeout=a.timeout_seconds
            )
        else:
            client = imaplib.IMAP4(a.imap_host, a.imap_port, timeout=a.timeout_seconds)
        client.login(a.username, a.password)
        status, _ = client.select(a.mailbox)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select {a.mailbox}")
        return client

    def fetch_unseen(self) -> list[FetchedMail]:
        client = self._connect()
        try:
            _status, data = client.uid("SEARCH", None, "UNSEEN")
            uids = (data[0] or b"").split()[:MAX_PER_POLL]
            fetched = []
            for uid in uids:
                _status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
                for part in parts:
                    if isinstance(part, tuple) and _UID.search(part[0]):
                        fetched.append(FetchedMail(uid.decode(), bytes(part[1])))
            return fetched
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def mark_seen(self, uids: list[str]) -> None:
        if not uids:
            return
        client = self._connect()
        try:
            client.uid("STORE", ",".join(uids), "+FLAGS", "(\\Seen)")
        finally:
            with contextlib.suppress(Exception):
                client.logout()


class MailboxPoller:
    def __init__(self, account: EmailAccount, handle: MailHandler) -> None:
        self._account = account
        self._mailbox = ImapMailbox(account)
        self._handle = handle

    async def poll_once(self) -> int:
        """Handle what is new; returns how many mails were handled."""
        mails = await asyncio.to_thread(self._mailbox.fetch_unseen)
        done = [mail.uid for mail in mails if await self._handled(mail)]
        await asyncio.to_thread(self._mailbox.mark_seen, done)
        return len(done)

    async def _handled(self, mail: FetchedMail) -> bool:
        """A mail that cannot be stored stays unseen and is tried again next poll."""
        try:
            return await self._handle(mail.raw)
        except Exception:
            logger.exception("mailbox %s: mail uid %s not stored", self._account.id, mail.uid)
            return False

    async def run(self, stop: asyncio.Event) -> None:
        delay = self._account.poll_seconds
        while not stop.is_set():
            try:
                await self.poll_once()
                delay = self._account.poll_seconds
            except (OSError, imaplib.IMAP4.error, EOFError) as problem:
                delay = min(max(delay * 2, self._account.poll_seconds), MAX_BACKOFF_SECONDS)
                logger.warning(
                    "mailbox %s: %s: %s (next try in %.0fs)",
                    self._account.id,
                    type(problem).__name__,
                    problem,
                    delay,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
