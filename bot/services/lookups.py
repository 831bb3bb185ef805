"""Back-office facts for one message: bounded, read-only, and never in the conversation's way."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from bot.ports import Lookup, LookupResult

MAX_ORDERS_PER_MESSAGE = 3
DEFAULT_TIMEOUT_SECONDS = 8.0


async def look_up_orders(
    lookup: Lookup,
    store_id: str,
    entities: Mapping[str, Sequence[str]],
    *,
    customer_email: str | None = None,
    within_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> list[LookupResult]:
    """The orders a message names, else the newest order of the email it gives, else that
    of the address the customer writes from (email channels).

    Each lookup is bounded by `within_seconds`; a timeout or an adapter's error becomes a failed
    result that says why, so drafting always goes on.
    """
    orders = list(entities.get("order_numbers", ()))[:MAX_ORDERS_PER_MESSAGE]
    if orders:
        queries = [(number, {"order_number": number}) for number in orders]
    else:
        emails = list(entities.get("emails", ())) or ([customer_email] if customer_email else [])
        queries = [(email, {"email": email}) for email in emails[:MAX_ORDERS_PER_MESSAGE]]
    return list(
        await asyncio.gather(
            *(
                _bounded(lookup, store_id, query, kwargs, within_seconds)
                for query, kwargs in queries
            )
        )
    )


async def _bounded(
    lookup: Lookup, store_id: str, query: str, kwargs: dict[str, str], within_seconds: float
) -> LookupResult:
    try:
        async with asyncio.timeout(within_seconds):
            return await lookup.find_order(store_id, **kwargs)
    except TimeoutError:
        return LookupResult(
            "order", query, False, "unknown", error=f"timed out after {within_seconds}s"
        )
    except Exception as failure:  # any adapter bug must not stop drafting
        return LookupResult(
            "order", query, False, "unknown", error=f"{type(failure).__name__}: {failure}"
        )


def thread_line(results: Sequence[LookupResult]) -> str:
    """One line for the team thread: what each lookup found, or that it failed and why."""
    parts = []
    for result in results:
        if result.found:
            parts.append(result.summary or f"order {result.query}: found")
        elif result.error:
            parts.append(f"lookup of {result.query} failed ({result.error})")
        else:
            parts.append(result.summary or f"no order found for {result.query}")
    return "Back office: " + "; ".join(parts) if parts else ""


def evidence(result: LookupResult) -> dict[str, object]:
    return {
        "kind": result.kind,
        "query": result.query,
        "found": result.found,
        "source": result.source,
        "summary": result.summary,
        "fields": dict(result.fields),
        "error": result.error,
    }
