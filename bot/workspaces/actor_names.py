"""How a thread names who did something, the same on every team surface."""

from __future__ import annotations

from collections.abc import Mapping


def actor_display_name(
    actor: str | None, customer_name: str, member_names: Mapping[str, str], *, nobody: str
) -> str:
    """Audit actors are ids (`customer:…`, `storedesk…`, member ids); threads show names."""
    if actor is None:
        return nobody
    if actor.startswith("customer:"):
        return customer_name
    if actor.startswith("storedesk"):
        return "Storedesk"
    return member_names.get(actor, actor)
