"""What the team sees of a mail, and which mails are robots that must never be answered."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bot.ports import DeliveryError, OutboundReply
from connectors.email import EmailAccount
from connectors.email.parse import parse_mail
from connectors.email.sender import EmailSender, reply_subject
from connectors.email.trim import trim_reply
from tests.support.mail_builder import customer_mail, html_only_mail


def test_html_only_mail_is_shown_as_text_without_styles_or_scripts():
    html = (
        "<html><head><title>x</title><style>.a{}</style><script>alert(1)</script></head>"
        "<body><p>Where is&nbsp;my <b>order</b>?</p><p>Thanks,<br>Jo</p></body></html>"
    )
    mail = parse_mail("acc", html_only_mail("<h@x>", html))
    assert mail.team_text == "Where is my order?\n\nThanks,\nJo"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Is it shipped?\n\nOn Mon, 23 Nov 2026 at 10:00, Shop <s@x> wrote:\n> old",
            "Is it shipped?",
        ),
        ("Is it shipped?\n-----Original Message-----\nFrom: Shop\nold text", "Is it shipped?"),
        ("Is it shipped?\n\nFrom: Shop <s@x>\nSent: Monday\nold", "Is it shipped?"),
        ("发货了吗？\n\n在 2026年11月23日，店铺 写道：\n> 旧内容", "发货了吗？"),
        ("Is it shipped?\n\n-- \nJo Customer\n+49 151 000", "Is it shipped?"),
        ("Is it shipped?\n\nSent from my iPhone", "Is it shipped?"),
        ("> quoted first\nMy answer is below the quote", "My answer is below the quote"),
        ("> only a quote", "> only a quote"),  # nothing new: keep everything rather than nothing
    ],
)
def test_quoted_history_and_signatures_are_trimmed(body, expected):
    assert trim_reply(body) == expected


def _bounce() -> bytes:
    report = EmailMessage()
    report["From"] = "Mail Delivery System <mail@mx.example.com>"
    report["To"] = "support@northwind.example"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<bounce@mx>"
    report.set_content("This is the mail system.")
    report.add_attachment(
        "Final-Recipient: rfc822; jo@example.com\nAction: failed\n",
        subtype="delivery-status",
    )
    report.replace_header(
        "Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"'
    )
    return bytes(report)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            customer_mail("<1@x>", "OOO", headers={"Auto-Submitted": "auto-generated"}),
            "Auto-Submitted",
        ),
        (customer_mail("<2@x>", "news", headers={"Precedence": "bulk"}), "Precedence: bulk"),
        (customer_mail("<3@x>", "hi", headers={"X-Autorespond": "1"}), "X-Autorespond"),
        (customer_mail("<4@x>", "x", sender="noreply@shop.example"), "sent by"),
        (customer_mail("<5@x>", "x", headers={"Return-Path": "<>"}), "null return path"),
        (_bounce(), "multipart/report"),
    ],
)
def test_auto_replies_and_bounces_are_recognised(raw, reason):
    assert reason in parse_mail("acc", raw).automatic


def test_a_person_saying_auto_submitted_no_is_answered():
    mail = parse_mail("acc", customer_mail("<6@x>", "hi", headers={"Auto-Submitted": "no"}))
    assert mail.automatic == ""
    assert mail.sender == "jo@example.com" and mail.sender_name == "Jo Customer"


def test_thread_ids_and_a_stable_id_for_mail_without_one():
    raw = customer_mail("<7@x>", "hi", in_reply_to="<ours@shop>", references="<a@x> <ours@shop>")
    mail = parse_mail("acc", raw)
    assert (mail.message_id, mail.in_reply_to, mail.references) == (
        "<7@x>",
        "<ours@shop>",
        ["<a@x>", "<ours@shop>"],
    )
    anonymous = customer_mail("<8@x>", "hi").replace(b"Message-ID: <8@x>\n", b"")
    first, again = parse_mail("acc", anonymous), parse_mail("acc", anonymous)
    assert first.message_id == again.message_id
    assert first.message_id.startswith("<sha256-")


def test_reply_subjects_keep_one_re():
    assert reply_subject("Shipping question") == "Re: Shipping question"
    assert reply_subject("RE: Shipping question") == "RE: Shipping question"
    assert reply_subject("回复：发货") == "回复：发货"
    assert reply_subject("") == "Re: your message"


async def test_a_reply_to_an_automatic_sender_is_refused_before_any_smtp():
    account = EmailAccount(
        "m",
        "s",
        "support@shop.example",
        "Shop",
        "u",
        "p",
        "127.0.0.1",
        1,
        False,
        "INBOX",
        "127.0.0.1",
        9,
        "none",
        1.0,
        1.0,
    )

    async def no_thread(*_args: object) -> None:
        return None

    sender = EmailSender({"m": account}, no_thread)
    reply = OutboundReply("k", "m", "c", "msg", "MAILER-DAEMON@mx.example.com", "Hello")
    with pytest.raises(DeliveryError, match="automatic sender") as refused:
        await sender.send(reply)
    assert refused.value.permanent is True
