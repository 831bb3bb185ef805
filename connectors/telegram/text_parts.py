"""Splitting a reply into messages Telegram accepts (at most 4096 characters each)."""

from __future__ import annotations

MESSAGE_LIMIT = 4096


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut at the last whitespace before the limit (a hard cut only inside a giant word).

    Joined back with the whitespace that was cut, the parts give the original text.
    """
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n"), window.rfind(" "))
        if cut <= 0:
            parts.append(window)
            rest = rest[limit:]
            continue
        parts.append(rest[:cut])
        rest = rest[cut + 1 :]
    if rest or not parts:
        parts.append(rest)
    return parts
