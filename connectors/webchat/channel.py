"""Sending to a web chat customer: the page reads sent replies, so delivery is immediate."""

from __future__ import annotations

from bot.ports import OutboundReply


class WebchatChannel:
    # Nothing leaves the process, so an interrupted send is simply done again.
    idempotent_resend = True

    async def send(self, reply: OutboundReply) -> None:
        # The reply is already stored; marking it sent (by the caller) is what shows it.
        return None
