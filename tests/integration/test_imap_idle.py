"""The mailbox watcher against the real test IMAP server: IDLE is re-issued on time,
a mail that fails to store is retried while idling, and stop is honoured at once."""

from __future__ import annotations

import asyncio
import time

from connectors.email import EmailAccount
from connectors.email.imap_poller import MAX_PER_POLL, MailboxPoller
from tests.support.console_client import wait_until
from tests.support.mail_builder import customer_mail
from tests.support.mail_servers import PASSWORD, USER, ImapServer


def _account(server: ImapServer, **changes: float) -> EmailAccount:
    settings = {"poll_seconds": 600.0, "idle_seconds": 600.0} | changes
    return EmailAccount(
        "mail",
        "store",
        address=USER,
        display_name="Store",
        username=USER,
        password=PASSWORD,
        imap_host="127.0.0.1",
        imap_port=server.port,
        imap_tls=False,
        mailbox="INBOX",
        smtp_host="127.0.0.1",
        smtp_port=1,
        smtp_security="none",
        timeout_seconds=5,
        **settings,
    )


async def _watching(account: EmailAccount, handle) -> tuple[asyncio.Event, asyncio.Task]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(MailboxPoller(account, handle).run(stop))


async def test_idle_is_reissued_and_stop_ends_the_wait_at_once():
    server = ImapServer()
    await server.start()
    stored: list[bytes] = []

    async def store(raw: bytes) -> bool:
        stored.append(raw)
        return True

    stop, task = await _watching(_account(server, idle_seconds=0.3), store)
    try:
        await wait_until(lambda: server.commands.count("IDLE") >= 3, within=5)
        assert server.commands.count("DONE") >= 2  # ended politely, then idling again
        assert server.commands.count("SELECT INBOX") == 1
        uid = server.deliver(customer_mail("<i1@x>", "Hello"))
        await wait_until(lambda: server.seen(uid), within=3)
        assert len(stored) == 1
    finally:
        asked = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        assert time.monotonic() - asked < 2
        await server.stop()


async def test_a_mail_that_failed_to_store_is_retried_while_idling():
    server = ImapServer()
    await server.start()
    attempts: list[bytes] = []

    async def store_on_second_try(raw: bytes) -> bool:
        attempts.append(raw)
        if len(attempts) == 1:
            raise RuntimeError("database unavailable")
        return True

    uid = server.deliver(customer_mail("<f1@x>", "Hello"))
    stop, task = await _watching(_account(server, poll_seconds=0.2), store_on_second_try)
    try:
        await wait_until(lambda: server.seen(uid), within=5)
        assert len(attempts) == 2
        assert "IDLE" in server.commands
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        await server.stop()


async def test_more_unseen_mail_than_one_batch_is_all_taken_before_idling():
    server = ImapServer()
    await server.start()
    uids = [server.deliver(customer_mail(f"<b{n}@x>", "Hello")) for n in range(MAX_PER_POLL + 5)]

    async def store(raw: bytes) -> bool:
        return True

    stop, task = await _watching(_account(server), store)
    try:
        await wait_until(lambda: all(server.seen(uid) for uid in uids), within=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        await server.stop()
