"""A Shopify order, fulfilment or refund (REST Admin API or webhook shape) as the draft
variables every lookup shares."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

# Orders learned from webhooks keep each refund as `refund:<id>`; not a draft variable.
REFUND_PREFIX = "refund:"


def _kept(fields: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in fields.items() if value not in (None, "")}


def refund_total(refund: dict[str, Any]) -> Decimal:
    """What a refund actually paid back: its successful refund transactions."""
    total = Decimal(0)
    for transaction in refund.get("transactions") or []:
        if transaction.get("kind") == "refund" and transaction.get("status") == "success":
            try:
                total += Decimal(str(transaction.get("amount", "0")))
            except InvalidOperation:
                continue
    return total


def fulfillment_fields(fulfillment: dict[str, Any]) -> dict[str, str]:
    if fulfillment.get("status") in ("cancelled", "error"):
        status = "shipment cancelled"
    else:
        shipment = fulfillment.get("shipment_status")
        status = str(shipment).replace("_", " ") if shipment else "shipped"
    return _kept(
        {
            "status": status,
            "carrier": fulfillment.get("tracking_company"),
            "tracking_number": fulfillment.get("tracking_number"),
            "tracking_url": fulfillment.get("tracking_url"),
            "shipped_at": fulfillment.get("created_at"),
        }
    )


def order_fields(order: dict[str, Any]) -> dict[str, str]:
    fulfillments = [
        f for f in order.get("fulfillments") or [] if f.get("status") not in ("cancelled", "error")
    ]
    latest = max(fulfillments, key=lambda f: str(f.get("created_at", "")), default=None)
    refunded = sum((refund_total(r) for r in order.get("refunds") or []), Decimal(0))
    if order.get("cancelled_at"):
        status = "cancelled"
    elif order.get("financial_status") == "refunded" and latest is None:
        status = "refunded"
    else:
        status = "not shipped yet"
    fields = _kept(
        {
            "order_id": order.get("name") or order.get("order_number"),
            "status": status,
            "financial_status": order.get("financial_status"),
            "fulfillment_status": order.get("fulfillment_status") or "unfulfilled",
            "refunded_amount": f"{refunded:.2f}" if refunded else "",
            "currency": order.get("currency"),
            "email": order.get("email") or (order.get("customer") or {}).get("email"),
            "ordered_at": order.get("created_at"),
        }
    )
    if latest is not None:
        shipped = fulfillment_fields(latest)
        if status == "cancelled":
            shipped.pop("status")
        fields.update(shipped)
    return fields
