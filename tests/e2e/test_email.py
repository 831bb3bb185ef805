"""Email end to end against real servers on 127.0.0.1: IMAP polling in, SMTP replies out,
threaded the way mail clients expect, and no answers to robots."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from main import RunningApp
from storage.orm import email_messages, messages
from tests.support.console_client import ConsoleClient, wait_until
from tests.support.custom_app import start_custom_app, store_of
from tests.support.mail_builder import customer_mail
from tests.support.mail_servers import PASSWORD, USER, ImapServer, SmtpServer

FIRST_ID = "<CAF1234.first@mail.example.com>"
JPEG = b"\xff\xd8\xff\xe0 not really a photo"
# The test SMTP server takes AUTH on a plain 127.0.0.1 socket; aiosmtpd warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def offers_idle() -> bool:
    return True


@pytest.fixture
def email_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def imap(offers_idle) -> AsyncIterator[ImapServer]:
    server = ImapServer(offers_idle=offers_idle)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def mail_app(
    tmp_path, database_url, embedder, imap, smtp, monkeypatch, email_overrides
) -> AsyncIterator[RunningApp]:
    monkeypatch.setenv("TEST_MAIL_PASSWORD", PASSWORD)

    def with_email(config: dict[str, Any]) -> None:
        store_of(config)["channels"].append(
            {
                "id": "nw-mail",
                "kind": "email",
                "email": {
                    "address": USER,
                    "password_env": "TEST_MAIL_PASSWORD",
                    "imap_host": "127.0.0.1",
                    "imap_port": imap.port,
                    "imap_tls": False,
                    "smtp_host": "127.0.0.1",
                    "smtp_port": smtp.port,
                    "smtp_security": "none",
                    "poll_seconds": 0.1,
                    "timeout_seconds": 5,
                }
                | email_overrides,
            }
        )

    app = await start_custom_app(tmp_path, database_url, embedder, with_email)
    yield app
    await app.stop()


async def _conversations(app: RunningApp) -> list[dict[str, Any]]:
    async with ConsoleClient(app, "ana") as agent:
        return (await agent.get("/api/stores/northwind/conversations"))[1]["conversations"]


async def _detail(app: RunningApp, conversation_id: str) -> dict[str, Any]:
    async with ConsoleClient(app, "ana") as agent:
        return (await agent.get(f"/api/conversations/{conversation_id}"))[1]


async def test_mail_is_drafted_approved_and_answered_in_the_same_thread(mail_app, imap, smtp):
    raw = customer_mail(
        FIRST_ID,
        "Hello,\nhow long does shipping take to Germany?\n\n-- \nJo Customer\nSomewhere 1",
        references="<older@mail.example.com>",
        in_reply_to="<older@mail.example.com>",
    )
    uid = imap.deliver(raw)
    await wait_until(lambda: imap.seen(uid))
    conversation = (await _conversations(mail_app))[0]
    async with ConsoleClient(mail_app, "sam") as lead:
        detail = await lead.wait_for_draft(conversation["id"])
        assert detail["messages"][0]["text"] == "Hello,\nhow long does shipping take to Germany?"
        draft = detail["draft"]
        assert "2-4 business days" in draft["text"]
        status, _ = await lead.post(f"/api/drafts/{draft['id']}/approve")
        assert status == 200
    await wait_until(lambda: len(smtp.received) == 1)
    sent = smtp.received[0]
    assert sent.rcpt_tos == ["jo@example.com"]
    assert smtp.logins == [USER]
    reply = sent.message
    assert reply["Subject"] == "Re: Shipping question"
    assert reply["In-Reply-To"] == FIRST_ID
    assert reply["References"] == f"<older@mail.example.com> {FIRST_ID}"
    assert reply["Message-ID"].endswith("@northwind.example>")
    assert reply.get_content().replace("\r\n", "\n").strip() == draft["text"]
    assert "UID FETCH 1 (BODY.PEEK[])" in imap.commands  # seen only after it was stored

    # The same mail again (a second copy, or an IMAP server forgetting \Seen): stored once.
    imap.deliver(raw)
    await wait_until(lambda: all("\\Seen" in m.flags for m in imap.mails))
    detail = await _detail(mail_app, conversation["id"])
    assert [m["direction"] for m in detail["messages"]] == ["in", "out"]


@pytest.mark.parametrize("email_overrides", [{"poll_seconds": 600}])
async def test_idle_server_hands_over_new_mail_at_once(mail_app, imap):
    """Polling every ten minutes, yet the mail is stored within seconds: IDLE told us."""
    await wait_until(lambda: "IDLE" in imap.commands)
    arrived = time.monotonic()
    uid = imap.deliver(customer_mail("<idle-1@x>", "Do you ship to Norway?"))
    await wait_until(lambda: imap.seen(uid), within=5)
    assert time.monotonic() - arrived < 3
    assert "DONE" in imap.commands
    assert imap.commands.count("SELECT INBOX") == 1  # one session, kept open
    assert (await _conversations(mail_app))[0]["last_text"].endswith("Do you ship to Norway?")
    await wait_until(lambda: imap.commands.count("IDLE") == 2)  # back to waiting


@pytest.mark.parametrize("offers_idle", [False])
async def test_server_without_idle_is_polled(mail_app, imap):
    await wait_until(lambda: imap.commands.count("SELECT INBOX") >= 2)
    uid = imap.deliver(customer_mail("<poll-1@x>", "Do you ship to Norway?"))
    await wait_until(lambda: imap.seen(uid))
    assert "IDLE" not in imap.commands
    assert len(await _conversations(mail_app)) == 1


async def test_robots_are_never_answered(mail_app, imap):
    robots = [
        customer_mail("<a1@x>", "I am out of office", headers={"Auto-Submitted": "auto-replied"}),
        customer_mail("<a2@x>", "Away", headers={"Precedence": "auto_reply"}),
        customer_mail("<a3@x>", "Delivery failed", sender="MAILER-DAEMON@mx.example.com"),
        customer_mail("<a4@x>", "Vacation", headers={"X-Autoreply": "yes"}),
    ]
    uids = [imap.deliver(raw) for raw in robots]
    person = imap.deliver(customer_mail("<p1@x>", "Which payment methods do you accept?"))
    await wait_until(lambda: all(imap.seen(uid) for uid in [*uids, person]))
    conversations = await _conversations(mail_app)
    assert len(conversations) == 1
    detail = await _detail(mail_app, conversations[0]["id"])
    assert [m["text"] for m in detail["messages"]] == [
        "Shipping question\n\nWhich payment methods do you accept?"
    ]


async def test_html_mail_shown_as_text_quotes_trimmed_original_and_attachments_kept(mail_app, imap):
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>My parcel arrived "
        "<b>broken</b>.</p><div>Photo attached.</div><blockquote>On Monday you wrote: "
        "thanks for your order</blockquote></body></html>"
    )
    raw = customer_mail(
        "<html-1@mail.example.com>",
        "My parcel arrived broken.\nPhoto attached.\n\nOn Mon, 23 Nov 2026 Northwind wrote:\n"
        "> thanks for your order",
        html=html,
        attachment=("parcel.jpg", JPEG, "image/jpeg"),
        in_reply_to="<ours@northwind.example>",
    )
    uid = imap.deliver(raw)
    await wait_until(lambda: imap.seen(uid))
    conversation_id = (await _conversations(mail_app))[0]["id"]
    detail = await _detail(mail_app, conversation_id)
    assert detail["messages"][0]["text"] == "My parcel arrived broken.\nPhoto attached."
    shown = detail["messages"][0]["attachments"]  # what the console page lists under the text
    assert [(a["name"], a["content_type"], a["size"]) for a in shown] == [
        ("parcel.jpg", "image/jpeg", len(JPEG))
    ]
    async with mail_app.db.read_sessions() as session:
        attachments = await session.scalar(
            select(messages.c.attachments).where(messages.c.conversation_id == conversation_id)
        )
        kept = await session.scalar(select(email_messages.c.raw))
    assert attachments == [
        {
            "url": "email:nw-mail/<html-1@mail.example.com>#part=0",
            "name": "parcel.jpg",
            "content_type": "image/jpeg",
            "size": len(JPEG),
        }
    ]
    assert kept == raw


async def test_smtp_refusal_is_a_dead_letter_the_thread_shows(mail_app, imap, smtp):
    smtp.answer = "550 5.1.1 mailbox unavailable"
    uid = imap.deliver(customer_mail("<r1@x>", "How do I return an item?"))
    await wait_until(lambda: imap.seen(uid))
    conversation_id = (await _conversations(mail_app))[0]["id"]
    async with ConsoleClient(mail_app, "ana") as agent:
        detail = await agent.wait_for_draft(conversation_id)
        await agent.post(f"/api/drafts/{detail['draft']['id']}/approve")

    async def failed() -> bool:
        events = (await _detail(mail_app, conversation_id))["events"]
        return any(e["kind"] == "delivery_failed" for e in events)

    await wait_until(failed)
    events = (await _detail(mail_app, conversation_id))["events"]
    failure = next(e for e in events if e["kind"] == "delivery_failed")
    assert "550" in failure["payload"]["error"]
