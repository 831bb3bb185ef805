"""Digests by mail: multipart/related HTML with the charts inline (cid:), and a text part.

The Message-ID is derived from the run key and the send is recorded as the part `mail`
once the SMTP server accepted it, so a run taken over after a crash does not mail again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from bot.digest_config import DigestEmailConfig
from bot.ports import DeliveryError, Digest, DigestProgress
from bot.services.digest_markup import email_html

MAIL_PART = "mail"


def digest_mail(
    config: DigestEmailConfig, recipients: Sequence[str], digest: Digest
) -> EmailMessage:
    domain = config.address.split("@", 1)[1]
    token = hashlib.sha256(digest.key.encode()).hexdigest()[:32]
    message = EmailMessage()
    message["From"] = formataddr((config.display_name, config.address))
    message["To"] = ", ".join(recipients)
    message["Subject"] = (digest.markdown.splitlines() or [digest.title])[0].lstrip("# ").strip()
    message["Message-ID"] = f"<digest-{token}@{domain}>"
    message["Date"] = formatdate(localtime=False)
    message.set_content(digest.markdown)
    cids = [f"chart{n}-{token[:12]}@{domain}" for n in range(len(digest.images))]
    charts = [(cid, image.title) for cid, image in zip(cids, digest.images, strict=True)]
    message.add_alternative(email_html(digest.markdown, charts), subtype="html")
    html_part = message.get_payload()[1]  # type: ignore[index]
    for cid, image in zip(cids, digest.images, strict=True):
        html_part.add_related(
            image.png,
            "image",
            "png",
            cid=f"<{cid}>",
            disposition="inline",
            filename=image.filename,
        )
    return message


class EmailDigestTarget:
    def __init__(
        self, config: DigestEmailConfig, recipients: Sequence[str], progress: DigestProgress
    ) -> None:
        self._config = config
        self._recipients = list(recipients)
        self._progress = progress

    async def deliver(self, digest: Digest) -> None:
        if MAIL_PART in await self._progress.delivered(digest.key):
            return
        config = self._config
        try:
            await aiosmtplib.send(
                digest_mail(config, self._recipients, digest),
                hostname=config.smtp_host,
                port=config.smtp_port,
                username=config.login(),
                password=config.resolve_password() or None,
                use_tls=config.smtp_security == "tls",
                start_tls=config.smtp_security == "starttls",
                timeout=config.timeout_seconds,
            )
        except aiosmtplib.SMTPResponseException as problem:
            raise DeliveryError(
                f"digest mail: SMTP server answered {problem.code}: {problem.message}",
                permanent=500 <= problem.code < 600,
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as problem:
            raise DeliveryError(f"digest mail: {type(problem).__name__}: {problem}") from None
        await self._progress.mark(digest.key, MAIL_PART)
