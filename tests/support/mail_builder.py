"""Customer mails as real mail clients write them, for the email tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate


def customer_mail(
    message_id: str,
    body: str,
    *,
    subject: str = "Shipping question",
    sender: str = "Jo Customer <jo@example.com>",
    to: str = "support@northwind.example",
    in_reply_to: str | None = None,
    references: str | None = None,
    html: str | None = None,
    attachment: tuple[str, bytes, str] | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    if attachment is not None:
        name, data, content_type = attachment
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def html_only_mail(message_id: str, html: str, **kw: object) -> bytes:
    message = EmailMessage()
    message["From"] = str(kw.get("sender", "Jo Customer <jo@example.com>"))
    message["To"] = "support@northwind.example"
    message["Subject"] = str(kw.get("subject", "Question"))
    message["Message-ID"] = message_id
    message.set_content(html, subtype="html")
    return bytes(message)
