"""Knowledge update proposals: what a person's edit of a draft says the knowledge lacks."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.model import Draft, new_id


class ProposalStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(eq=False)
class KnowledgeProposal:
    """A suggested new article version (or a new article when `article_id` is None)."""

    id: str
    store_id: str
    conversation_id: str
    draft_id: str
    question: str
    language: str
    draft_text: str
    sent_text: str
    diff: str
    status: ProposalStatus
    created_by: str
    created_at: datetime
    article_id: str | None = None
    article_version: int | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    result_article_id: str | None = None
    result_version: int | None = None


def text_diff(before: str, after: str) -> str:
    """A unified line diff, the form people read in review tools."""
    return "\n".join(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), "draft", "sent", lineterm="", n=2
        )
    )


def changed_passage(before: str, after: str) -> tuple[str, str]:
    """The paragraphs that differ, without the greeting and sign-off both texts share.

    Drafts are greeting, article text and sign-off joined by blank lines; what remains after
    dropping equal leading and trailing paragraphs is the part of the answer that changed.
    """
    old, new = _paragraphs(before), _paragraphs(after)
    while old and new and old[0] == new[0]:
        old, new = old[1:], new[1:]
    while old and new and old[-1] == new[-1]:
        old, new = old[:-1], new[:-1]
    return "\n\n".join(old), "\n\n".join(new)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def _normal(text: str) -> str:
    return " ".join(text.split())


def proposal_from_edit(
    draft: Draft, question: str, store_id: str, sent_text: str, actor: str, at: datetime
) -> KnowledgeProposal | None:
    """None when the edit changed nothing but spacing: there is nothing to learn."""
    if _normal(draft.text) == _normal(sent_text):
        return None
    cited: dict[str, Any] = draft.citations[0] if draft.citations and draft.confident else {}
    return KnowledgeProposal(
        id=new_id(),
        store_id=store_id,
        conversation_id=draft.conversation_id,
        draft_id=draft.id,
        question=question,
        language=draft.language,
        draft_text=draft.text,
        sent_text=sent_text,
        diff=text_diff(draft.text, sent_text),
        status=ProposalStatus.OPEN,
        created_by=actor,
        created_at=at,
        article_id=cited.get("article_id"),
        article_version=cited.get("version"),
    )
