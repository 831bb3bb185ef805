"""The digest's small Markdown subset (headings, **bold**, `- ` items) as chat and mail markup.

Telegram gets its HTML parse mode (only `<b>`; `&`, `<`, `>` escaped), cut into messages
under its length limit on line boundaries so no tag is ever split. Mail gets a full HTML
body with the charts referenced by Content-ID.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

TELEGRAM_TEXT_LIMIT = 4096  # characters of one message (sendMessage `text`)
TELEGRAM_CAPTION_LIMIT = 1024

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_TAG = re.compile(r"</?b>")
_ENTITY_TAIL = re.compile(r"&[a-z#0-9]*$")


def _inline(text: str) -> str:
    return _BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def telegram_lines(markdown: str) -> list[str]:
    lines = []
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading:
            lines.append(f"<b>{html.escape(heading.group(2), quote=False)}</b>")
        elif line.startswith("- "):
            lines.append("• " + _inline(line[2:]))
        else:
            lines.append(_inline(line))
    return lines


def _cut_plain(line: str, limit: int) -> list[str]:
    """A line too long for one message loses its tags and is cut outside any entity."""
    plain, pieces = _TAG.sub("", line), []
    while len(plain) > limit:
        cut = limit - len(_ENTITY_TAIL.search(plain[:limit]).group(0))  # type: ignore[union-attr]
        pieces.append(plain[:cut])
        plain = plain[cut:]
    return [*pieces, plain]


def split_messages(lines: Sequence[str], limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Whole lines packed into messages of at most `limit` characters each."""
    messages: list[str] = []
    current = ""
    for line in lines:
        for piece in _cut_plain(line, limit) if len(line) > limit else [line]:
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current.strip():
        messages.append(current)
    return [m for m in messages if m.strip()]


def telegram_messages(markdown: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    return split_messages(telegram_lines(markdown), limit)


def caption(title: str) -> str:
    return html.escape(title, quote=False)[:TELEGRAM_CAPTION_LIMIT]


def email_html(markdown: str, charts: Sequence[tuple[str, str]]) -> str:
    """An HTML mail body; `charts` are (content id without brackets, title) pairs."""
    body: list[str] = []
    in_list = False
    for line in markdown.splitlines():
        item = line.startswith("- ") or re.match(r"^\d+\. ", line) is not None
        if in_list and not item:
            body.append("</ul>")
            in_list = False
        heading = _HEADING.match(line)
        if heading:
            level = min(len(heading.group(1)), 3)
            body.append(f"<h{level}>{html.escape(heading.group(2))}</h{level}>")
        elif item:
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{_inline(line[2:] if line.startswith('- ') else line)}</li>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_list:
        body.append("</ul>")
    for cid, title in charts:
        alt = html.escape(title)
        body.append(f'<p><img src="cid:{cid}" alt="{alt}"></p>')
    return (
        '<!doctype html><html><head><meta charset="utf-8"></head><body>'
        + "\n".join(body)
        + "</body></html>"
    )
