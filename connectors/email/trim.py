"""What the team needs from a reply mail: the new text, without quoted history or signature.

Mail clients quote differently; these are the markers of the common ones (Gmail, Apple Mail,
Outlook, Thunderbird, Foxmail/QQ in Chinese). The full original is kept elsewhere.
"""

from __future__ import annotations

import re

_QUOTE_HEADERS = [
    re.compile(r"^On .{0,300}wrote:\s*$", re.IGNORECASE),
    re.compile(r"^Am .{0,300}schrieb .{0,200}:\s*$"),
    re.compile(r"^Le .{0,300}a écrit\s?:\s*$"),
    re.compile(r"^在.{0,200}写道[:：]\s*$"),
    re.compile(r"^-{2,}\s*(Original Message|Forwarded message|原始邮件)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^(From|发件人)[:：] .+$"),
]
_SIGNATURE = re.compile(
    r"^(-- ?|Sent from my \w+.*|Get Outlook for \w+.*|发自我的\w+.*)$", re.IGNORECASE
)


def trim_reply(text: str) -> str:
    """The text above the first quote marker or signature; all of it if that leaves nothing."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">"):
            if all(not rest.strip() or rest.lstrip().startswith(">") for rest in lines[index:]):
                break
            continue
        if _SIGNATURE.match(line.rstrip()) or any(p.match(stripped) for p in _QUOTE_HEADERS):
            break
        kept.append(line)
    trimmed = "\n".join(kept).strip()
    return trimmed or text.strip()
