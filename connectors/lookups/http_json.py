"""Any back office with a JSON API: URL templates, an auth header, and a field mapping."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.ports import LookupResult
from connectors.lookups.results import failed, found, not_found

SOURCE = "http"


def dig(value: Any, path: str) -> Any:
    """`a.b.0.c` through dicts and lists; None when any step is missing. A list where an
    object is expected is read at its first element."""
    for step in [s for s in path.split(".") if s]:
        if isinstance(value, list):
            if step.isdigit():
                value = value[int(step)] if int(step) < len(value) else None
                continue
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


class HttpJsonLookup:
    """GET `order_url` (with `{order_number}`) or `email_url` (with `{email}`); a 404 or an
    empty result means no such order; the order object sits at `result_path`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        order_url: str | None,
        email_url: str | None,
        headers: Mapping[str, str],
        fields: Mapping[str, str],
        result_path: str = "",
        timeout: float = 5.0,
    ) -> None:
        self._session = session
        self._order_url = order_url
        self._email_url = email_url
        self._headers = dict(headers)
        self._fields = dict(fields) or {"order_id": "order_number", "status": "status"}
        self._result_path = result_path
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def find_order(
        self, store_id: str, *, order_number: str | None = None, email: str | None = None
    ) -> LookupResult:
        if order_number and self._order_url:
            query = order_number
            url = self._order_url.replace("{order_number}", quote(order_number.lstrip("#"), ""))
        elif email and self._email_url:
            query = email
            url = self._email_url.replace("{email}", quote(email, ""))
        else:
            return failed(order_number or email or "", SOURCE, "no URL configured for this query")
        url = url.replace("{store_id}", quote(store_id, ""))
        try:
            async with self._session.get(
                url, headers=self._headers, timeout=self._timeout
            ) as response:
                if response.status == 404:
                    return not_found(query, SOURCE)
                if response.status >= 300:
                    return failed(query, SOURCE, f"back office answered {response.status}")
                body = json.loads(await response.text())
        except (aiohttp.ClientError, ValueError) as problem:
            return failed(query, SOURCE, f"{type(problem).__name__}: {problem}")
        except TimeoutError:
            return failed(query, SOURCE, "back office timed out")
        order = dig(body, self._result_path) if self._result_path else body
        if isinstance(order, list):
            order = order[0] if order else None
        if not isinstance(order, dict):
            return not_found(query, SOURCE)
        return found(query, SOURCE, {name: dig(order, path) for name, path in self._fields.items()})
