"""The line a draft about an order carries for the person approving it: what to check first.

Drafts are approved in the team thread, not in the back office; a draft that states an order's
status, a parcel's whereabouts or a return's progress is only as right as the data behind it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

_CHECKS = {
    "order": "the order exists under this customer and its status and items",
    "logistics": "the carrier, tracking number and latest scan",
    "after_sales": "the return/refund case: received, approved and amount",
}
_INTENT_AREAS = {
    "order_status": ("order", "logistics"),
    "shipping": ("logistics",),
    "cancel": ("order",),
    "return_exchange": ("order", "after_sales"),
    "refund": ("order", "after_sales"),
    "warranty": ("order", "after_sales"),
    "complaint": ("order",),
}


def back_office_reminder(
    intent: str,
    entities: Mapping[str, Sequence[str]],
    looked_up: Sequence[str] = (),
) -> str:
    """Empty when the draft touches no order; otherwise one line naming what to verify."""
    areas: list[str] = list(_INTENT_AREAS.get(intent, ()))
    if entities.get("order_numbers"):
        areas.append("order")
    if entities.get("tracking_numbers"):
        areas.append("logistics")
    areas.extend(kind for kind in looked_up if kind in _CHECKS)
    unique = list(dict.fromkeys(areas))
    if not unique:
        return ""
    orders = ", ".join(entities.get("order_numbers", ())[:3])
    which = f" (order {orders})" if orders else ""
    return (
        "Verify in the back office before approving"
        + which
        + ": "
        + "; ".join(_CHECKS[area] for area in unique)
        + "."
    )
