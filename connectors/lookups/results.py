"""Building LookupResults the same way in every adapter, with the one-line thread summary."""

from __future__ import annotations

from collections.abc import Mapping

from bot.ports import LookupResult

# Draft variables every adapter fills where its back office knows them.
FIELDS = (
    "order_id",
    "status",
    "financial_status",
    "fulfillment_status",
    "carrier",
    "tracking_number",
    "tracking_url",
    "shipped_at",
    "refunded_amount",
    "currency",
    "email",
)


def summary(fields: Mapping[str, str]) -> str:
    """ "order #1042: shipped 2026-11-21 via UPS, tracking 1Z…, refunded 10.00 EUR"."""
    order = fields.get("order_id", "?")
    status = fields.get("status") or fields.get("fulfillment_status") or "status unknown"
    parts = [f"order {order if order.startswith('#') else '#' + order}: {status}"]
    if fields.get("shipped_at"):
        parts[0] += f" {fields['shipped_at'][:10]}"
    if fields.get("carrier"):
        parts[0] += f" via {fields['carrier']}"
    if fields.get("tracking_number"):
        parts.append(f"tracking {fields['tracking_number']}")
    if fields.get("tracking_url"):
        parts.append(fields["tracking_url"])
    refunded = fields.get("refunded_amount", "")
    if refunded and refunded not in ("0", "0.0", "0.00"):
        parts.append(f"refunded {refunded} {fields.get('currency', '')}".rstrip())
    return ", ".join(parts)


def found(query: str, source: str, fields: Mapping[str, object]) -> LookupResult:
    kept = {key: str(value) for key, value in fields.items() if value not in (None, "")}
    return LookupResult("order", query, True, source, summary=summary(kept), fields=kept)


def not_found(query: str, source: str) -> LookupResult:
    return LookupResult("order", query, False, source, summary=f"no order found for {query}")


def failed(query: str, source: str, error: str) -> LookupResult:
    return LookupResult("order", query, False, source, error=error[:300])


def normalize_order_number(value: str) -> str:
    """`#1042`, ` 1042` and `1042` name the same order; letters compare case-blind."""
    return value.strip().lstrip("#").strip().upper()
