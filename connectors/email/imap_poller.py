"""Watching one mailbox over IMAP: new mail in, each marked \\Seen only once it is stored.

imaplib is blocking, so every IMAP step runs in a worker thread with a socket timeout.
A server offering IDLE (RFC 2177) keeps one session open and tells us the moment a mail
arrives; others are polled every `poll_seconds`. Failures back off, so a dead server never
spins, and stopping never waits longer than one IMAP timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from connectors.email import EmailAccount

logger = logging.getLogger(__name__)

MAX_PER_POLL = 50
MAX_BACKOFF_SECONDS = 300.0
_UID = re.compile(rb"UID (\d+)")
_EXISTS = re.compile(rb"^\* \d+ EXISTS", re.IGNORECASE)


@dataclass(frozen=True)
class FetchedMail:
    uid: str
    raw: bytes


# Handles one mail; True when it was stored (or deliberately skipped) and may be marked seen.
MailHandler = Callable[[bytes], Awaitable[bool]]


class ImapSession:
    """One logged-in connection with the mailbox selected; every method blocks."""

    def __init__(self, account: EmailAccount) -> None:
        self._account = account
        a = account
        if a.imap_tls:
            context = ssl.create_default_context()
            self._client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                a.imap_host, a.imap_port, ssl_context=context, timeout=a.timeout_seconds
            )
        else:
            self._client = imaplib.IMAP4(a.imap_host, a.imap_port, timeout=a.timeout_seconds)
        self._client.login(a.username, a.password)
        # Servers may offer more once logged in, so ask again rather than trust the greeting.
        _status, data = self._client.capability()
        self.can_idle = a.idle and b"IDLE" in (data[0] or b"").upper().split()
        status, _ = self._client.select(a.mailbox)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select {a.mailbox}")
        self._client.response("EXISTS")  # the count at SELECT is not news
        self._idle_tag = 0
        self._state = "off"  # off | starting | idling | ending | end-asked
        self._lock = threading.Lock()

    def fetch_unseen(self) -> list[FetchedMail]:
        _status, data = self._client.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split()[:MAX_PER_POLL]
        fetched = []
        for uid in uids:
            _status, parts = self._client.uid("FETCH", uid, "(BODY.PEEK[])")
            for part in parts:
                if isinstance(part, tuple) and _UID.search(part[0]):
                    fetched.append(FetchedMail(uid.decode(), bytes(part[1])))
        return fetched

    def mark_seen(self, uids: list[str]) -> None:
        if uids:
            self._client.uid("STORE", ",".join(uids), "+FLAGS", "(\\Seen)")

    def idle(self, limit: float) -> bool:
        """Wait in IDLE until the server announces a mail (True) or someone calls `done`
        (False). `limit` only bounds a silent dead server; `done` ends the wait on time."""
        _status, pending = self._client.response("EXISTS")
        if pending != [None]:
            return True  # a mail arrived while we were busy: no need to wait
        self._idle_tag += 1
        tag = f"IDLE{self._idle_tag}".encode()
        with self._lock:
            if self._state == "end-asked":
                self._state = "off"
                return False
            self._state = "starting"
            self._client.send(tag + b" IDLE\r\n")
        sock = self._client.socket()
        try:
            if not self._client.readline().startswith(b"+"):
                raise imaplib.IMAP4.error("IDLE refused")
            with self._lock:
                ending = self._state == "end-asked"
                self._state = "idling"
            if ending:
                self.done()
            sock.settimeout(limit + self._account.timeout_seconds)
            news = False
            while line := self._client.readline():
                if line.startswith(tag + b" "):
                    return news
                if _EXISTS.match(line):
                    news = True
                    self.done()
                elif line.startswith(b"* BYE"):
                    break
            raise EOFError("the IMAP server closed the connection while idling")
        finally:
            with self._lock:
                self._state = "off"
            with contextlib.suppress(OSError):
                sock.settimeout(self._account.timeout_seconds)

    def done(self) -> None:
        """End IDLE (the server then answers the IDLE command). Callable from any thread,
        at any time: asked before IDLE is under way, it ends as soon as it starts."""
        with self._lock:
            if self._state == "idling":
                self._state = "ending"
                self._client.send(b"DONE\r\n")
            elif self._state in ("off", "starting"):
                self._state = "end-asked"

    def abort(self) -> None:
        """Wake a thread blocked in `idle` at once: the connection is unusable afterwards."""
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self._client.socket(), socket.SHUT_RDWR)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.logout()


def _forget(task: asyncio.Future[bool]) -> None:
    """The aborted wait's own error says only that we hung up on it."""
    if not task.cancelled():
        task.exception()


class MailboxPoller:
    def __init__(self, account: EmailAccount, handle: MailHandler) -> None:
        self._account = account
        self._handle = handle

    async def _take_new(self, session: ImapSession) -> tuple[int, int]:
        """Store what is unseen and mark it seen; returns (fetched, failed)."""
        mails = await asyncio.to_thread(session.fetch_unseen)
        done = [mail.uid for mail in mails if await self._handled(mail)]
        await asyncio.to_thread(session.mark_seen, done)
        return len(mails), len(mails) - len(done)

    async def _handled(self, mail: FetchedMail) -> bool:
        """A mail that cannot be stored stays unseen and is tried again later."""
        try:
            return await self._handle(mail.raw)
        except Exception:
            logger.exception("mailbox %s: mail uid %s not stored", self._account.id, mail.uid)
            return False

    async def _watch(self, session: ImapSession, stop: asyncio.Event) -> None:
        """Take what is new, then IDLE until the server announces more; until stopped.
        After a mail failed to store, IDLE lasts only `poll_seconds` so it is retried."""
        while not stop.is_set():
            fetched, failed = await self._take_new(session)
            if fetched == MAX_PER_POLL and failed < fetched:
                continue  # more may wait, and the server will not announce them again
            limit = self._account.poll_seconds if failed else self._account.idle_seconds
            await self._idle(session, stop, limit)

    async def _idle(self, session: ImapSession, stop: asyncio.Event, limit: float) -> None:
        """One IDLE in a worker thread, ended by news, by `limit` (politely, with DONE) or by
        stop (by hanging up, so stopping never waits for the server)."""
        waiting = asyncio.create_task(asyncio.to_thread(session.idle, limit))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait(
                {waiting, stopping}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
            if not waiting.done():
                if stop.is_set():
                    session.abort()
                else:  # RFC 2177: re-issue IDLE well within the server's 30-minute limit
                    await asyncio.to_thread(session.done)
                    await asyncio.wait({waiting}, timeout=self._account.timeout_seconds)
                    if not waiting.done():
                        session.abort()
            with contextlib.suppress(Exception):
                await waiting  # an aborted wait ends in an error nobody needs
            if not stop.is_set():
                waiting.result()  # a failed wait (server gone) is a failure to back off from
        finally:
            stopping.cancel()
            if not waiting.done():  # cancelled: never leave a thread blocked in IDLE
                session.abort()
                waiting.add_done_callback(_forget)

    async def _run_once(self, stop: asyncio.Event) -> None:
        session = await asyncio.to_thread(ImapSession, self._account)
        try:
            if session.can_idle:
                await self._watch(session, stop)
            else:
                await self._take_new(session)
        finally:
            await asyncio.to_thread(session.close)

    async def run(self, stop: asyncio.Event) -> None:
        delay = self._account.poll_seconds
        while not stop.is_set():
            try:
                await self._run_once(stop)
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
