"""The sales funnel of a digest: asked → answered → recommended → ordered, and revenue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SalesFunnel:
    asked: int = 0  # conversations with a buying question
    answered: int = 0  # of those, with a reply sent after the question
    recommended: int = 0  # with at least one in-stock item proposed
    ordered: int = 0  # with an order attributed to them
    revenue: Mapping[str, str] = field(default_factory=dict)  # currency → total

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "revenue": dict(self.revenue)}


def funnel_markdown(funnels: Mapping[str, SalesFunnel], names: Mapping[str, str]) -> list[str]:
    """A short section, empty when no store had a buying question or an order."""
    shown: Sequence[tuple[str, SalesFunnel]] = [
        (store_id, f) for store_id, f in funnels.items() if f.asked or f.ordered
    ]
    if not shown:
        return []
    lines = ["", "## Sales"]
    for store_id, f in shown:
        revenue = ", ".join(f"{amount} {currency}" for currency, amount in f.revenue.items())
        lines.append(
            f"- {names.get(store_id, store_id)}: asked {f.asked} → answered {f.answered} → "
            f"recommended {f.recommended} → ordered {f.ordered} · revenue {revenue or '0'}"
        )
    return lines
