"""Real mail servers on 127.0.0.1 for the email tests: SMTP (aiosmtpd) and a small IMAP4rev1.

The IMAP server speaks the part of RFC 3501 a polling client needs (CAPABILITY, LOGIN,
SELECT, UID SEARCH, UID FETCH with literals, UID STORE flags, NOOP, LOGOUT) and, unless
`offers_idle` is off, RFC 2177 IDLE (`+ idling`, `* N EXISTS` as mail arrives, `DONE`),
over a real socket, so the stdlib `imaplib` client runs unmodified against it.
"""

from __future__ import annotations

import asyncio
import re
import socket
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER = "support@northwind.example"
PASSWORD = "mail-password"
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\([^)]*\))|(\S+)')


def _tokens(line: str) -> list[str]:
    """IMAP command words: quoted strings unescaped, parenthesised lists kept whole."""
    found = []
    for match in _TOKEN.finditer(line):
        quoted, group, plain = match.groups()
        found.append(re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else group or plain)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- SMTP -------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpServer:
    received: list[ReceivedMail] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    answer: str = "250 Message accepted for delivery"
    port: int = 0
    _controller: Controller | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.answer.startswith("250"):
            return self.answer
        content = envelope.original_content or b""
        self.received.append(
            ReceivedMail(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        )
        return self.answer

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USER
            and auth_data.password.decode() == PASSWORD
        )
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok)

    def start(self) -> None:
        self.port = free_port()
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            auth_require_tls=False,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()


# --- IMAP -------------------------------------------------------------------------------


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class ImapServer:
    mails: list[StoredMail] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    offers_idle: bool = True
    port: int = 0
    _server: asyncio.Server | None = None
    _next_uid: int = 1
    _arrivals: set[asyncio.Event] = field(default_factory=set)  # one per session

    def deliver(self, raw: bytes) -> int:
        uid = self._next_uid
        self._next_uid += 1
        self.mails.append(StoredMail(uid, raw))
        for arrival in self._arrivals:
            arrival.set()
        return uid

    async def _idle(
        self, tag: str, told: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> int:
        """RFC 2177: announce each new mail with EXISTS until the client says DONE; returns
        the count the client now knows."""
        arrival = asyncio.Event()
        self._arrivals.add(arrival)
        writer.write(b"+ idling\r\n")
        done = asyncio.ensure_future(asyncio.wait_for(reader.readline(), timeout=60))
        try:
            while True:
                if len(self.mails) != told:
                    told = len(self.mails)
                    writer.write(f"* {told} EXISTS\r\n".encode())
                await writer.drain()
                arrived = asyncio.ensure_future(arrival.wait())
                await asyncio.wait({done, arrived}, return_when=asyncio.FIRST_COMPLETED)
                arrived.cancel()
                arrival.clear()
                if done.done():
                    break
            line = done.result().decode().strip().upper()
            self.commands.append(line or "(closed)")
            if line != "DONE":
                raise ConnectionError("IDLE ended without DONE")
            writer.write(f"{tag} OK IDLE terminated\r\n".encode())
            return told
        finally:
            done.cancel()
            self._arrivals.discard(arrival)

    def seen(self, uid: int) -> bool:
        return any(m.uid == uid and "\\Seen" in m.flags for m in self.mails)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _uids(self, spec: str) -> list[StoredMail]:
        wanted: list[StoredMail] = []
        top = max((m.uid for m in self.mails), default=0)
        for part in spec.split(","):
            low, _, high = part.partition(":")
            start = int(low)
            end = (top if high == "*" else int(high)) if high else start
            wanted += [m for m in self.mails if start <= m.uid <= end and m not in wanted]
        return wanted

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        say("* OK Storedesk test IMAP4rev1 server ready")
        logged_in = False
        told = 0  # the message count this client was last told
        try:
            while line := (await asyncio.wait_for(reader.readline(), timeout=10)).decode():
                tokens = _tokens(line.strip())
                if len(tokens) < 2:
                    say("* BAD empty command")
                    continue
                tag, command, args = tokens[0], tokens[1].upper(), tokens[2:]
                if command == "UID" and args:
                    command, args = "UID " + args[0].upper(), args[1:]
                self.commands.append(" ".join([command, *args]) if command != "LOGIN" else "LOGIN")
                if command == "CAPABILITY":
                    say("* CAPABILITY IMAP4rev1 AUTH=PLAIN" + (" IDLE" if self.offers_idle else ""))
                    say(f"{tag} OK CAPABILITY completed")
                elif command == "LOGIN":
                    logged_in = args[:2] == [USER, PASSWORD]
                    say(
                        f"{tag} OK LOGIN completed"
                        if logged_in
                        else f"{tag} NO [AUTHENTICATIONFAILED] bad credentials"
                    )
                elif not logged_in and command not in ("NOOP", "LOGOUT"):
                    say(f"{tag} NO not authenticated")
                elif command == "SELECT":
                    told = len(self.mails)
                    say(f"* {told} EXISTS")
                    say("* 0 RECENT")
                    say("* OK [UIDVALIDITY 1] UIDs valid")
                    say(f"* OK [UIDNEXT {self._next_uid}] next uid")
                    say("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
                    say(f"{tag} OK [READ-WRITE] SELECT completed")
                elif command == "UID SEARCH":
                    unseen = "UNSEEN" in [a.upper() for a in args]
                    uids = [str(m.uid) for m in self.mails if not unseen or "\\Seen" not in m.flags]
                    say("* SEARCH" + "".join(f" {u}" for u in uids))
                    say(f"{tag} OK SEARCH completed")
                elif command == "UID FETCH":
                    peek = "PEEK" in args[1].upper()
                    for mail in self._uids(args[0]):
                        seq = self.mails.index(mail) + 1
                        writer.write(
                            f"* {seq} FETCH (UID {mail.uid} BODY[] {{{len(mail.raw)}}}\r\n".encode()
                        )
                        writer.write(mail.raw + b")\r\n")
                        if not peek:
                            mail.flags.add("\\Seen")
                    say(f"{tag} OK FETCH completed")
                elif command == "UID STORE":
                    flags = set(args[2].strip("()").split())
                    for mail in self._uids(args[0]):
                        if args[1].upper().startswith("+"):
                            mail.flags |= flags
                        elif args[1].upper().startswith("-"):
                            mail.flags -= flags
                        else:
                            mail.flags = set(flags)
                        seq = self.mails.index(mail) + 1
                        say(
                            f"* {seq} FETCH (UID {mail.uid} FLAGS ({' '.join(sorted(mail.flags))}))"
                        )
                    say(f"{tag} OK STORE completed")
                elif command == "IDLE" and self.offers_idle:
                    told = await self._idle(tag, told, reader, writer)
                elif command == "NOOP":
                    say(f"{tag} OK NOOP completed")
                elif command == "LOGOUT":
                    say("* BYE logging out")
                    say(f"{tag} OK LOGOUT completed")
                    break
                else:
                    say(f"{tag} BAD unsupported command {command}")
                await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
