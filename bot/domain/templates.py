"""Script templates: a store's wording for a known situation, with variables from lookups.

A template renders only when every variable it names has a value: a reply that would say
"your parcel is with {carrier}" without knowing the carrier is not drafted at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

_VARIABLE = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class Fact(Protocol):
    """What the back office said (the ports' `LookupResult` has this shape)."""

    @property
    def found(self) -> bool: ...
    @property
    def fields(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class ScriptTemplate:
    intent: str
    text: str
    language: str = ""  # "" fits every language

    def fits(self, intent: str, language: str) -> bool:
        primary = language.split("-")[0].lower()
        return self.intent == intent and self.language in ("", primary)


def variables_in(text: str) -> list[str]:
    return list(dict.fromkeys(_VARIABLE.findall(text)))


def fill(text: str, values: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """The text with every `{variable}` replaced, or None and the names that had no value."""
    missing = [name for name in variables_in(text) if not values.get(name)]
    if missing:
        return None, missing
    return _VARIABLE.sub(lambda m: values[m.group(1)], text), []


def draft_variables(
    customer_name: str,
    store_name: str,
    facts: Sequence[Fact],
    entities: Mapping[str, Sequence[str]],
) -> dict[str, str]:
    """What a template may name: the customer, the store, and what the back office found."""
    values = {"customer_name": customer_name, "store_name": store_name}
    orders = entities.get("order_numbers", ())
    if len(orders) == 1:
        values["order_id"] = orders[0]
    for fact in facts:
        if fact.found:
            values.update({k: str(v) for k, v in fact.fields.items() if v})
    return values
