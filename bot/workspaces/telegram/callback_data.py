"""Typed, small button payloads: `<action>:<id>`, always well within Telegram's 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

LIMIT_BYTES = 64


class Press(StrEnum):
    APPROVE = "a"  # id: draft
    EDIT = "e"  # id: draft; explains how to edit (reply to the card)
    SEND_EDIT = "s"  # id: draft; sends the member's reply the prompt answers
    ESCALATE = "x"  # id: conversation
    TAKE_OVER = "t"  # id: conversation
    CANCEL_AUTO = "c"  # id: draft; an `assist` store's held auto-send
    KB_ACCEPT = "ka"  # id: knowledge proposal; accept the suggested text
    KB_EDIT = "ke"  # id: knowledge proposal; explains how to edit (reply to the card)
    KB_ACCEPT_EDIT = "ks"  # id: knowledge proposal; accepts the member's reply as the text
    KB_REJECT = "kr"  # id: knowledge proposal


@dataclass(frozen=True)
class ButtonData:
    press: Press
    ref: str

    def encode(self) -> str:
        data = f"{self.press.value}:{self.ref}"
        if len(data.encode()) > LIMIT_BYTES:
            raise ValueError(f"callback data {data!r} is over {LIMIT_BYTES} bytes")
        return data

    @classmethod
    def parse(cls, data: str | None) -> ButtonData | None:
        """None for anything that is not ours (old buttons, other bots' payloads)."""
        if not data or ":" not in data:
            return None
        code, _, ref = data.partition(":")
        try:
            press = Press(code)
        except ValueError:
            return None
        if not ref or not ref.isalnum() or len(ref) > 40:
            return None
        return cls(press, ref)
