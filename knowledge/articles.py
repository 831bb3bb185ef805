"""Knowledge articles as the index sees them, and FAQ entries turned into articles."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SPACE = re.compile(r"\s+")
_MAX_SLUG_WORDS = 48


class Status(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PENDING_REVIEW = "pending_review"
    RETIRED = "retired"


@dataclass(frozen=True)
class QAPair:
    question: str
    answer: str


@dataclass(frozen=True)
class ArticleRecord:
    """One version of an article. A scope field left None means "all" (brand, store, ...).

    `topic` names the question an article answers: articles of one topic compete, and the
    most specific scope wins (see `knowledge.scope`). It defaults to the id's last segment.
    """

    id: str
    version: int
    store_id: str | None
    language: str | None
    title: str
    body: str
    brand: str | None = None
    region: str | None = None
    campaign: str | None = None
    topic: str = ""
    qa: tuple[QAPair, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    status: Status = Status.ACTIVE
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    author: str = ""
    approver: str = ""
    source: str = "config"

    def __post_init__(self) -> None:
        if not self.topic:
            object.__setattr__(self, "topic", self.id.rsplit("/", 1)[-1])
        for name in ("store_id", "language", "brand", "region", "campaign"):
            value = getattr(self, name)
            if value is not None and not str(value).strip():
                object.__setattr__(self, name, None)
        if self.language:
            object.__setattr__(self, "language", primary_language(self.language))

    @property
    def content_key(self) -> str:
        """Fingerprint of what an edit can change (not the version): equal means unchanged."""
        canonical = json.dumps(
            [
                self.store_id,
                self.language,
                self.brand,
                self.region,
                self.campaign,
                self.topic,
                self.title,
                self.body,
                [[p.question, p.answer] for p in self.qa],
                sorted(self.variables.items()),
                _iso(self.valid_from),
                _iso(self.valid_until),
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def content_hash(self) -> str:
        """Fingerprint of every field, so the index rewrites a row exactly when it changed."""
        return hashlib.sha256(f"{self.id}|{self.version}|{self.content_key}".encode()).hexdigest()

    def valid_at(self, at: datetime) -> bool:
        if self.valid_from is not None and at < self.valid_from:
            return False
        return self.valid_until is None or at < self.valid_until


def primary_language(tag: str) -> str:
    """`zh-CN`, `zh_Hans` and `ZH` all scope as `zh`: wording follows the primary tag."""
    return tag.split("-")[0].split("_")[0].strip().lower()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


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
        slug = path_slug(entry.id) if entry.id else question_slug(question)
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


def question_slug(question: str) -> str:
    """Readable ASCII words plus a short hash, so questions in any script get a stable id."""
    words = _ascii_slug(question)[:_MAX_SLUG_WORDS].strip("-")
    digest = _short_hash(question)
    return f"{words}-{digest}" if words else f"faq-{digest}"


def path_slug(text: str) -> str:
    """One path segment: ASCII words, or a short hash when the text has none."""
    return _ascii_slug(text) or f"faq-{_short_hash(text)}"


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", folded.lower()).strip("-")


def _short_hash(text: str) -> str:
    # Normalized first, so spacing or full-width/half-width edits keep the same id.
    normal = _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:10]
