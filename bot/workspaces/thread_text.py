"""Words a team thread uses on every chat surface (Telegram, Lark): statuses and events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.sla import reminder_sentence

STATUS_LABEL = {
    "open": "🟢 open",
    "waiting": "⏳ waiting for the customer",
    "review": "🟠 needs review",
    "escalated": "🚨 escalated",
    "taken_over": "👤 taken over",
    "resolved": "✅ resolved",
}
DELIVERY_LABEL = {"queued": "queued", "sent": "delivered ✓", "failed": "NOT delivered ✗"}


def event_line(event: Mapping[str, Any], actor: str) -> str | None:
    """The line a notable audit event shows in the thread; None for the rest."""
    kind, payload = event["kind"], event.get("payload") or {}
    action = str(payload.get("action", "do that")).replace("_", " ")
    lines = {
        "escalated": f"🚨 Escalated by {actor}: {payload.get('reason') or ''}".rstrip(": "),
        "taken_over": f"👤 Taken over by {actor}",
        "resolved": f"✅ Resolved by {actor}",
        "reopened": f"🔄 Reopened by {actor}",
        "released": f"🤖 Released by {actor}: drafting resumes",
        "auto_send_held": "⏳ Sends by itself after a short hold unless someone acts",
        "auto_send_cancelled": f"✋ Auto-send cancelled by {actor}: a person sends this one",
        "delivery_failed": f"❌ Delivery to the customer failed: {payload.get('error') or ''}",
        "denied": (f"⛔ {actor} was not allowed to {action}: {payload.get('reason') or ''}"),
        "sla_reminder": f"⏰ SLA reminder: {reminder_sentence(payload)}",
    }
    return lines.get(kind)
