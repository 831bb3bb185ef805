"""Which articles a message may see, and which of two answers to one question wins.

Pure rules, shared by the index (as a LanceDB prefilter) and by tests and the console.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.ports import KnowledgeScope
from knowledge.articles import ArticleRecord, primary_language

ALL = ""  # how "no restriction" is stored in the index's scope columns
NEVER = 2**62  # valid_until of an article that never expires, in epoch microseconds

_T = TypeVar("_T")


def sql_literal(value: str) -> str:
    """A SQL string literal for LanceDB filters; quotes are doubled, so values stay values."""
    return "'" + value.replace("'", "''") + "'"


def epoch_us(at: datetime | None, default: int) -> int:
    if at is None:
        return default
    return int(at.astimezone(UTC).timestamp() * 1_000_000)


def in_scope(article: ArticleRecord, scope: KnowledgeScope) -> bool:
    """The same rule as `lance_filter`, for one article in memory."""
    wanted = {
        "store_id": scope.store_id,
        "brand": scope.brand,
        "region": scope.region,
        "language": primary_language(scope.language),
    }
    if any(getattr(article, name) not in (None, value) for name, value in wanted.items()):
        return False
    if scope.campaigns is not None and article.campaign not in (None, *scope.campaigns):
        return False
    return article.valid_at(scope.at)


def lance_filter(scope: KnowledgeScope, *, validity: bool = True) -> str:
    """The scope as a `where` clause: each field matches its value or "all", valid now.

    `validity=False` leaves out the time window (the caller then checks it on the rows,
    see `valid_row`): the range test is the one part the scalar indices cannot answer.
    """
    fields = {
        "store_id": scope.store_id,
        "brand": scope.brand,
        "region": scope.region,
        "language": primary_language(scope.language),
    }
    clauses = [
        f"{name} IN ({sql_literal(value)}, {sql_literal(ALL)})" for name, value in fields.items()
    ]
    if scope.campaigns is not None:
        names = ", ".join(sql_literal(c) for c in sorted({ALL, *scope.campaigns}))
        clauses.append(f"campaign IN ({names})")
    if validity:
        now = epoch_us(scope.at, 0)
        clauses.append(f"valid_from <= {now} AND valid_until > {now}")
    return " AND ".join(clauses)


def valid_row(row: Mapping[str, Any], now_us: int) -> bool:
    """The time window of `lance_filter` for one index row."""
    return int(row["valid_from"]) <= now_us < int(row["valid_until"])


def specificity(
    *,
    campaign: str | None,
    store_id: str | None,
    brand: str | None,
    region: str | None,
    language: str | None,
) -> tuple[int, ...]:
    """Larger wins: a running campaign over standing policy, then store > brand > region >
    language > global."""
    return tuple(int(bool(v)) for v in (campaign, store_id, brand, region, language))


def article_specificity(article: ArticleRecord) -> tuple[int, ...]:
    return specificity(
        campaign=article.campaign,
        store_id=article.store_id,
        brand=article.brand,
        region=article.region,
        language=article.language,
    )


def most_specific_per_topic(
    ranked: Sequence[_T],
    topic_of: Callable[[_T], str],
    specificity_of: Callable[[_T], tuple[int, ...]],
) -> list[tuple[_T, list[_T]]]:
    """Collapse candidates answering one topic into the most specific of them.

    The winner takes the place of the topic's best-ranked candidate, so a store's own
    answer is offered where the general one would have been. Returns (winner, group).
    """
    groups: dict[str, list[_T]] = {}
    for item in ranked:
        groups.setdefault(topic_of(item), []).append(item)
    resolved: list[tuple[_T, list[_T]]] = []
    for group in groups.values():
        # `max` keeps the first (best-ranked) of equally specific candidates.
        resolved.append((max(group, key=specificity_of), group))
    return resolved
