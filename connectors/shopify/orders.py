"""A Shopify order (REST Admin API or webhook shape) as the draft variables lookups share."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def _refunded(order: dict[str, Any]) -> str:
    total = Decimal(0)
    for refund in order.get("refunds") or []:
        for transaction in refund.get("transactions") or []:
            if transaction.get("kind") == "refund" and transaction.get("status") == "success":
                try:
                    total += Decimal(str(transaction.get("amount", "0")))
                except InvalidOperation:
                    continue
    return f"{total:.2f}" if total else ""


def _status(order: dict[str, Any], fulfillment: dict[str, Any] | None) -> str:
    if order.get("cancelled_at"):
        return "cancelled"
    if fulfillment is not None:
        shipment = fulfillment.get("shipment_status")
        return str(shipment).replace("_", " ") if shipment else "shipped"
    if order.get("financial_status") == "refunded":
        return "refunded"
    return "not shipped yet"


def order_fields(order: dict[str, Any]) -> dict[str, str]:
    fulfillments = [
        f for f in order.get("fulfillments") or [] if f.get("status") not in ("cancelled", "error")
    ]
    latest = max(fulfillments, key=lambda f: str(f.get("created_at", "")), default=None)
    fields: dict[str, Any] = {
        "order_id": order.get("name") or order.get("order_number"),
        "status": _status(order, latest),
        "financial_status": order.get("financial_status"),
        "fulfillment_status": order.get("fulfillment_status") or "unfulfilled",
        "refunded_amount": _refunded(order),
        "currency": order.get("currency"),
        "email": order.get("email") or (order.get("customer") or {}).get("email"),
        "ordered_at": order.get("created_at"),
    }
    if latest is not None:
        fields.update(
            carrier=latest.get("tracking_company"),
            tracking_number=latest.get("tracking_number"),
            tracking_url=latest.get("tracking_url"),
            shipped_at=latest.get("created_at"),
        )
    return {key: str(value) for key, value in fields.items() if value not in (None, "")}
