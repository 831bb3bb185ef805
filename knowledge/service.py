"""Knowledge as people manage it: imports, edits, proposals from edited drafts, and gaps.

Every change is a new article version in SQL (with an audit event) and then the same
change in the search index, so the next draft stands on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import select, update

from bot.domain.errors import InvalidInput, InvalidState, NotAuthorized, NotFound
from bot.domain.events import ConversationChanged, Event
from bot.domain.knowledge import ProposalStatus
from bot.domain.language import detect_language
from bot.domain.model import Store
from bot.domain.permissions import Action, Member
from bot.ports import Clock, KnowledgeHit, KnowledgeScope
from bot.services.actions import authorize_or_audit
from knowledge.articles import ArticleRecord, Status, question_slug
from knowledge.index import ChunkProgress, KnowledgeIndex
from knowledge.proposal_cards import suggestion
from storage import knowledge as rows
from storage.database import Database
from storage.orm import audit_events, knowledge_proposals, messages, stores
from storage.repository import load_member
from storage.uow import SqlUnitOfWork

GAP_SCAN = 300  # most recent unconfident drafts looked at per request
GAP_SIMILARITY = 0.5  # USE cosine above which two questions count as the same one
SYSTEM_ACTOR = "storedesk"


@dataclass
class ImportReport:
    created: list[ArticleRecord] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0


class KnowledgeBase:
    def __init__(
        self,
        db: Database,
        index: KnowledgeIndex,
        clock: Clock,
        uow_factory: Callable[[], SqlUnitOfWork] | None = None,
        listeners: Sequence[Callable[[Event], None]] = (),
    ) -> None:
        self._db = db
        self._index = index
        self._clock = clock
        self._uow_factory = uow_factory or (lambda: SqlUnitOfWork(db, clock))
        # Told of committed changes (wake the outbox worker, poke the console's feed).
        self._listeners = list(listeners)
        self._gap_vectors: dict[str, np.ndarray] = {}

    # --- reading ------------------------------------------------------------------------

    async def search(self, store_id: str, text: str, limit: int = 5) -> list[KnowledgeHit]:
        store = await self._store(store_id)
        language = store.languages[0] if store.languages else "en"
        scope = KnowledgeScope.for_store(
            store, detect_language(text, default=language), self._clock.now()
        )
        return await self._index.search(scope, text, limit)

    async def stores(self) -> list[Store]:
        async with self._db.read_sessions() as session:
            return list((await session.scalars(select(Store))).all())

    async def _store(self, store_id: str) -> Store:
        async with self._db.read_sessions() as session:
            store = await session.get(Store, store_id)
        if store is None:
            raise NotFound(f"store {store_id} does not exist")
        return store

    # --- importing ----------------------------------------------------------------------

    async def import_articles(
        self,
        articles: Sequence[ArticleRecord],
        actor: str = SYSTEM_ACTOR,
        progress: ChunkProgress | None = None,
    ) -> ImportReport:
        """Save new content as new versions (unchanged content is a no-op) and index it;
        `progress(done, total)` follows the chunks through embedding and indexing."""
        report = ImportReport()
        async with self._uow_factory() as uow:
            saved = await rows.save_articles(uow.session, articles, self._clock.now())
            report.created = [s.record for s in saved if s.created]
            report.unchanged = len(saved) - len(report.created)
            for record in report.created:
                await self._audit_change(uow, record, actor, "import")
            await uow.commit()
        active = [r for r in report.created if r.status == Status.ACTIVE]
        report.embedded = await self._index.apply(active, progress=progress) if active else 0
        return report

    # --- editing ------------------------------------------------------------------------

    async def edit(self, member: Member, article_id: str, changes: dict[str, Any]) -> ArticleRecord:
        """A new version of the article with `changes`; the old one stays readable."""
        async with self._db.read_sessions() as session:
            current = await rows.article_version(session, article_id)
        if current is None:
            raise NotFound(f"article {article_id} does not exist")
        await self._authorize(member, current)
        allowed = {"title", "body", "valid_from", "valid_until", "status", "campaign", "topic"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"cannot change {sorted(unknown)} here")
        edited = replace(current, **changes, author=member.id, approver=member.id, source="console")
        if not edited.title.strip() or not edited.body.strip():
            raise InvalidInput("title and body must not be empty")
        return await self._save_one(edited, member.id, "edit")

    async def create(self, member: Member, article: ArticleRecord) -> ArticleRecord:
        await self._authorize(member, article)
        async with self._db.read_sessions() as session:
            if await rows.article_version(session, article.id) is not None:
                raise InvalidState(f"article {article.id} already exists")
        return await self._save_one(article, member.id, "create")

    async def retire_expired(self) -> list[str]:
        """Articles past `valid_until` become retired versions, audited and out of the index.

        Search already skips them by date; this makes the record and the index say so too,
        without waiting for anyone to restart or edit. Run by the scheduler's leader."""
        async with self._db.read_sessions() as session:
            expired = await rows.expired_articles(session, self._clock.now())
        for record in expired:
            retired = replace(
                record, status=Status.RETIRED, author=SYSTEM_ACTOR, approver=SYSTEM_ACTOR
            )
            await self._save_one(retired, SYSTEM_ACTOR, "expired")
        return [record.id for record in expired]

    async def _save_one(self, article: ArticleRecord, actor: str, why: str) -> ArticleRecord:
        async with self._uow_factory() as uow:
            saved = (await rows.save_articles(uow.session, [article], self._clock.now()))[0]
            if saved.created:
                await self._audit_change(uow, saved.record, actor, why)
            await uow.commit()
        record = saved.record
        if saved.created and record.status == Status.ACTIVE:
            await self._index.apply([record])
        elif saved.created and record.status == Status.RETIRED:
            await self._index.apply([], removed=[record.id])
        return record

    async def _authorize(self, member: Member, article: ArticleRecord) -> None:
        """A change reaches every store in the article's scope: the member must manage all."""
        reached = [s.id for s in await self.stores() if reaches(article, s)]
        if not reached:
            reached = [article.store_id] if article.store_id else []
        if not reached or not all(member.can(Action.MANAGE_KNOWLEDGE, s) for s in reached):
            raise NotAuthorized(
                f"{member.id} may not change knowledge for stores {sorted(reached) or 'none'}"
            )

    async def _audit_change(
        self, uow: SqlUnitOfWork, record: ArticleRecord, actor: str, why: str
    ) -> None:
        await uow.audit(
            "knowledge_changed",
            actor=actor,
            store_id=record.store_id,
            payload={
                "article_id": record.id,
                "version": record.version,
                "status": record.status.value,
                "why": why,
            },
        )

    # --- proposals ----------------------------------------------------------------------

    async def proposal(self, proposal_id: str) -> dict[str, Any]:
        P = knowledge_proposals
        async with self._db.read_sessions() as session:
            row = (await session.execute(select(P).where(P.c.id == proposal_id))).first()
            if row is None:
                raise NotFound(f"proposal {proposal_id} does not exist")
            found = rows.proposal_dict(row)
            article = (
                await rows.article_version(session, found["article_id"])
                if found["article_id"]
                else None
            )
        found["suggestion"] = suggestion(found, article)
        return found

    async def accept(
        self,
        member: Member,
        proposal_id: str,
        *,
        title: str | None = None,
        body: str | None = None,
    ) -> ArticleRecord:
        """The suggested (or edited) text becomes the new active version.

        When the cited article reaches stores the member does not manage (a brand or global
        article), the new text becomes a store article of the same topic instead, which
        outranks the general one in this store only. Two leads deciding at once (or the
        console and a Slack card) are safe: the proposal is claimed before the article is
        written, so exactly one decision makes a version and the other is told so.
        """
        found = await self.proposal(proposal_id)
        store_id = found["store_id"]
        await self._authorize_decision(member, found)
        if found["status"] != ProposalStatus.OPEN.value:
            raise already_decided(found)
        new_title = (title or found["suggestion"]["title"]).strip()
        new_body = (body or found["suggestion"]["body"]).strip()
        if not new_title or not new_body:
            raise InvalidInput("title and body must not be empty")
        async with self._db.read_sessions() as session:
            base = (
                await rows.article_version(session, found["article_id"])
                if found["article_id"]
                else None
            )
        if base is not None:
            target = replace(base, title=new_title, body=new_body, source="proposal")
            try:
                await self._authorize(member, target)
            except NotAuthorized:
                target = replace(
                    target,
                    id=f"{store_id}/{target.topic}",
                    store_id=store_id,
                    campaign=None,
                    source="proposal",
                )
        else:
            topic = question_slug(new_title)
            target = ArticleRecord(
                id=f"{store_id}/{topic}",
                version=0,
                store_id=store_id,
                language=found["language"],
                title=new_title,
                body=new_body,
                source="proposal",
            )
        target = replace(
            target, status=Status.ACTIVE, author=found["created_by"], approver=member.id
        )
        now = self._clock.now()
        async with self._uow_factory() as uow:
            if not await self._claim(uow, proposal_id, ProposalStatus.ACCEPTED, member.id):
                raise already_decided(await self.proposal(proposal_id))
            saved = (await rows.save_articles(uow.session, [target], now))[0]
            await uow.session.execute(
                update(knowledge_proposals)
                .where(knowledge_proposals.c.id == proposal_id)
                .values(result_article_id=saved.record.id, result_version=saved.record.version)
            )
            await self._audit_change(uow, saved.record, member.id, "proposal")
            await uow.audit(
                "knowledge_proposal_accepted",
                actor=member.id,
                store_id=store_id,
                conversation_id=found["conversation_id"],
                payload={
                    "proposal_id": proposal_id,
                    "article_id": saved.record.id,
                    "version": saved.record.version,
                    "edited": body is not None or title is not None,
                },
            )
            self._cards_follow(uow, found)
            await uow.commit()
        try:
            # Index first: once the cards say "accepted", the next draft must stand on it.
            await self._index.apply([saved.record])
        finally:
            self._notify(uow.events)
        return saved.record

    async def reject(self, member: Member, proposal_id: str, note: str = "") -> None:
        found = await self.proposal(proposal_id)
        await self._authorize_decision(member, found)
        if found["status"] != ProposalStatus.OPEN.value:
            raise already_decided(found)
        async with self._uow_factory() as uow:
            if not await self._claim(
                uow, proposal_id, ProposalStatus.REJECTED, member.id, note=note
            ):
                raise already_decided(await self.proposal(proposal_id))
            await uow.audit(
                "knowledge_proposal_rejected",
                actor=member.id,
                store_id=found["store_id"],
                conversation_id=found["conversation_id"],
                payload={"proposal_id": proposal_id, "note": note},
            )
            self._cards_follow(uow, found)
            await uow.commit()
        self._notify(uow.events)

    async def member(self, member_id: str) -> Member:
        """Who is deciding, with their roles; someone outside the team has none, so they
        are refused (and the refusal audited) like anyone without the right."""
        async with self._db.read_sessions() as session:
            found = await load_member(session, member_id)
        return found or Member(id=member_id, name=member_id, roles={})

    async def decidable(self, member: Member, proposal_id: str) -> dict[str, Any]:
        """The open proposal `member` may decide, before a surface asks them for the text
        (an edit modal): refusals are audited and decided proposals say so, as on accept."""
        found = await self.proposal(proposal_id)
        await self._authorize_decision(member, found)
        if found["status"] != ProposalStatus.OPEN.value:
            raise already_decided(found)
        return found

    async def _authorize_decision(self, member: Member, found: dict[str, Any]) -> None:
        """Only the store's leads decide; a refusal is evidence, like any refused button."""
        if member.can(Action.MANAGE_KNOWLEDGE, found["store_id"]):
            return
        async with self._uow_factory() as uow:
            await authorize_or_audit(
                uow,
                member,
                Action.MANAGE_KNOWLEDGE,
                found["store_id"],
                found["conversation_id"] or None,
            )

    async def _claim(
        self,
        uow: SqlUnitOfWork,
        proposal_id: str,
        status: ProposalStatus,
        actor: str,
        *,
        note: str = "",
    ) -> bool:
        """Mark the proposal decided if it is still open; the row lock makes one winner."""
        changed = await uow.session.execute(
            update(knowledge_proposals)
            .where(
                knowledge_proposals.c.id == proposal_id,
                knowledge_proposals.c.status == ProposalStatus.OPEN.value,
            )
            .values(
                status=status.value,
                decided_by=actor,
                decided_at=self._clock.now(),
                decision_note=note or None,
            )
        )
        return bool(changed.rowcount == 1)  # type: ignore[attr-defined]

    @staticmethod
    def _cards_follow(uow: SqlUnitOfWork, found: dict[str, Any]) -> None:
        """The conversation's workspace threads show the card: they update with the decision."""
        if found["conversation_id"]:
            uow.record(ConversationChanged(found["store_id"], found["conversation_id"]))

    def _notify(self, events: Sequence[Event]) -> None:
        for event in events:
            for listener in self._listeners:
                listener(event)

    # --- gaps ---------------------------------------------------------------------------

    async def gaps(self, store_id: str, min_count: int = 2) -> list[dict[str, Any]]:
        """Questions drafting found no confident answer for, grouped when they mean the same.

        Read from the "drafted" audit events (evidence already records confidence), so no
        second write path can drift from what happened.
        """
        async with self._db.read_sessions() as session:
            events = (
                await session.execute(
                    select(audit_events.c.payload, audit_events.c.at)
                    .where(audit_events.c.kind == "drafted", audit_events.c.store_id == store_id)
                    .order_by(audit_events.c.seq.desc())
                    .limit(GAP_SCAN * 3)
                )
            ).all()
            unanswered = [e for e in events if not e.payload.get("confident", True)][:GAP_SCAN]
            ids = [e.payload["message_id"] for e in unanswered]
            texts = dict(
                (
                    await session.execute(
                        select(messages.c.id, messages.c.text).where(messages.c.id.in_(ids))
                    )
                ).all()
            )
        examples = [
            (texts[e.payload["message_id"]], e.at)
            for e in unanswered
            if e.payload["message_id"] in texts
        ]
        if not examples:
            return []
        vectors = await asyncio.to_thread(self._vectors, [t for t, _ in examples])
        clusters: list[dict[str, Any]] = []
        centers: list[np.ndarray] = []
        for (text, at), vector in zip(examples, vectors, strict=True):
            similar = [float(np.dot(c, vector)) for c in centers]
            best = int(np.argmax(similar)) if similar else -1
            if best >= 0 and similar[best] >= GAP_SIMILARITY:
                cluster = clusters[best]
                cluster["count"] += 1
                if len(cluster["examples"]) < 5 and text not in cluster["examples"]:
                    cluster["examples"].append(text)
                cluster["first_seen"] = at.isoformat()
            else:
                centers.append(vector)
                clusters.append(
                    {"question": text, "count": 1, "examples": [text],
                     "last_seen": at.isoformat(), "first_seen": at.isoformat()}
                )  # fmt: skip
        found = [c for c in clusters if c["count"] >= min_count]
        return sorted(found, key=lambda c: -c["count"])

    def _vectors(self, texts: list[str]) -> list[np.ndarray]:
        missing = sorted({t for t in texts if t not in self._gap_vectors})
        if missing:
            if len(self._gap_vectors) > 5000:
                self._gap_vectors.clear()
            for text, vector in zip(missing, self._index.embedder.embed(missing), strict=True):
                self._gap_vectors[text] = vector
        return [self._gap_vectors[t] for t in texts]


def already_decided(found: dict[str, Any]) -> InvalidState:
    who = f" by {found['decided_by']}" if found.get("decided_by") else ""
    return InvalidState(f"this proposal was already decided: {found['status']}{who}")


def reaches(article: ArticleRecord, store: Store) -> bool:
    """Whether the article's store, brand and region allow it in `store` at all."""
    return (
        article.store_id in (None, store.id)
        and article.brand in (None, store.brand)
        and article.region in (None, store.region)
    )


async def store_ids(db: Database) -> set[str]:
    async with db.read_sessions() as session:
        return set((await session.execute(select(stores.c.id))).scalars())
