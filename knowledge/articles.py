"""Knowledge articles as the index sees them, and FAQ entries turned into articles."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SPACE = re.compile(r"\s+")
_MAX_SLUG_WORDS = 48


@dataclass(frozen=True)
class ArticleRecord:
    id: str
    version: int
    store_id: str
    language: str
    title: str
    body: str

    @property
    def content_hash(self) -> str:
        """Fingerprint of every field, so the index rewrites a row exactly when it changed."""
        canonical = json.dumps(
            [self.id, self.version, self.store_id, self.language, self.title, self.body],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class FaqEntry(Protocol):
    """One question and answer from a store's FAQ (config, import file, …)."""

    @property
    def id(self) -> str | None: ...
    @property
    def question(self) -> str: ...
    @property
    def answer(self) -> str: ...
    @property
    def language(self) -> str: ...


def faq_articles(
    store_id: str, entries: Sequence[FaqEntry], *, version: int = 1
) -> list[ArticleRecord]:
    """Articles with ids `{store_id}/faq/{slug}`, stable across restarts and unique per store.

    The slug comes from the entry's own id when it has one; otherwise from the question,
    with a short hash of it so questions in any script (Chinese has no ASCII words) get one.
    A config FAQ carries no history, so all its articles share `version`; the content hash
    tells edits apart.
    """
    articles: list[ArticleRecord] = []
    seen: dict[str, str] = {}
    for entry in entries:
        question = entry.question.strip()
        answer = entry.answer.strip()
        if not question or not answer:
            raise ValueError(f"store {store_id}: a FAQ entry needs a question and an answer")
        slug = _slug_from_id(entry.id) if entry.id else _slug_from_question(question)
        if slug in seen:
            raise ValueError(
                f"store {store_id}: FAQ entries {seen[slug]!r} and {question!r} "
                f"share the article id {store_id}/faq/{slug}"
            )
        seen[slug] = question
        articles.append(
            ArticleRecord(
                id=f"{store_id}/faq/{slug}",
                version=version,
                store_id=store_id,
                language=entry.language,
                title=question,
                body=answer,
            )
        )
    return articles


def _slug_from_id(given: str) -> str:
    slug = _ascii_slug(given)
    return slug or f"faq-{_short_hash(given)}"


def _slug_from_question(question: str) -> str:
    words = _ascii_slug(question)[:_MAX_SLUG_WORDS].strip("-")
    digest = _short_hash(question)
    return f"{words}-{digest}" if words else f"faq-{digest}"


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", folded.lower()).strip("-")


def _short_hash(text: str) -> str:
    # Normalized first, so spacing or full-width/half-width edits keep the same id.
    normal = _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:10]
