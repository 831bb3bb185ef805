"""Knowledge proposals as the team surfaces show them: one neutral card per proposal.

Slack renders it as Block Kit and Telegram as text with an inline keyboard; both read the
same card here, so the suggestion a lead sees in a thread is the one the console shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.knowledge import ProposalStatus, changed_passage
from knowledge.articles import ArticleRecord
from storage import knowledge as rows
from storage.orm import knowledge_articles, knowledge_proposals


@dataclass(frozen=True)
class ProposalCard:
    id: str
    store_id: str
    conversation_id: str
    created_at: str  # ISO time, where the card sits in the conversation's timeline
    created_by: str
    question: str
    diff: str
    article_id: str | None  # the article the edited draft cited; None: a new article
    article_version: int | None
    article_title: str | None
    suggested_title: str
    suggested_body: str
    next_version: int  # the version accepting as suggested would create
    status: str
    decided_by: str | None = None
    decision_note: str | None = None
    result_article_id: str | None = None
    result_version: int | None = None

    @property
    def open(self) -> bool:
        return self.status == ProposalStatus.OPEN.value


def source_line(card: ProposalCard) -> str:
    if card.article_id is None:
        return "no article matched: accepting creates a new one"
    title = card.article_title or card.article_id
    return f"{title} ({card.article_id} v{card.article_version})"


def target_line(card: ProposalCard) -> str:
    if card.article_id is None:
        return "a new article, version 1"
    return f"version {card.next_version} of {card.article_id}"


def decision_text(card: ProposalCard, names: Mapping[str, str]) -> str:
    who = names.get(card.decided_by or "", card.decided_by or "someone")
    if card.status == "accepted":
        return (
            f"✅ Accepted by {who}: {card.result_article_id} version {card.result_version} "
            "is now active"
        )
    note = f" ({card.decision_note})" if card.decision_note else ""
    return f"❌ Rejected by {who}{note}"


def suggestion(proposal: dict[str, Any], article: ArticleRecord | None) -> dict[str, str]:
    """The cited article with the edited passage swapped in, or the sent passage as a new
    article answering the customer's question."""
    old, new = changed_passage(proposal["draft_text"], proposal["sent_text"])
    if article is not None:
        body = article.body
        if old and old in body:
            body = body.replace(old, new)
        elif body.strip() in proposal["draft_text"] and new:
            body = new
        return {"title": article.title, "body": body}
    return {"title": proposal["question"].strip()[:200], "body": new or proposal["sent_text"]}


async def conversation_cards(session: AsyncSession, conversation_id: str) -> list[ProposalCard]:
    """Every proposal an edit in this conversation made, open or decided, oldest first."""
    P = knowledge_proposals
    found = (
        await session.execute(
            select(P).where(P.c.conversation_id == conversation_id).order_by(P.c.created_at)
        )
    ).all()
    return [await _card(session, rows.proposal_dict(row)) for row in found]


async def _card(session: AsyncSession, proposal: dict[str, Any]) -> ProposalCard:
    article_id = proposal["article_id"]
    article = await rows.article_version(session, article_id) if article_id else None
    latest = 0
    if article_id:
        T = knowledge_articles
        latest = int(
            (
                await session.execute(select(func.max(T.c.version)).where(T.c.id == article_id))
            ).scalar()
            or 0
        )
    suggested = suggestion(proposal, article)
    return ProposalCard(
        id=proposal["id"],
        store_id=proposal["store_id"],
        conversation_id=proposal["conversation_id"],
        created_at=proposal["created_at"],
        created_by=proposal["created_by"],
        question=proposal["question"],
        diff=proposal["diff"],
        article_id=article_id,
        article_version=proposal["article_version"],
        article_title=article.title if article is not None else None,
        suggested_title=suggested["title"],
        suggested_body=suggested["body"],
        next_version=latest + 1 if article is not None else 1,
        status=proposal["status"],
        decided_by=proposal["decided_by"],
        decision_note=proposal["decision_note"],
        result_article_id=proposal["result_article_id"],
        result_version=proposal["result_version"],
    )
