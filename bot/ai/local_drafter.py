"""The drafter that needs no API key: the best grounded article answer in the store's tone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from bot.domain.injection import injection_signals
from bot.domain.reminders import back_office_reminder
from bot.domain.shopping import render_recommendations
from bot.domain.templates import ScriptTemplate, draft_variables, fill
from bot.ports import DraftProposal, DraftRequest, KnowledgeHit

DEFAULT_MIN_SCORE = 0.25


class LocalDrafter:
    """Extractive: quotes the best knowledge article that clears `min_score`, never invents.

    0.25 comes from an en/zh FAQ check with the local USE embeddings: questions an article
    answers scored 0.31-0.69, unrelated ones (jokes, weather, small talk) 0.03-0.23.
    Questions next to a topic but not answered by it (order cancellation vs. returns) can
    still score 0.27-0.38; no similarity threshold separates those, so drafts stay reviewable.
    """

    def __init__(
        self,
        min_score: float = DEFAULT_MIN_SCORE,
        templates: Mapping[str, Sequence[ScriptTemplate]] | None = None,
    ) -> None:
        self.min_score = min_score
        self._templates = dict(templates or {})

    async def draft(self, request: DraftRequest) -> DraftProposal:
        """The answer, followed by the recommended in-stock items with their links."""
        return self._with_recommendations(request, self._answer(request))

    def _answer(self, request: DraftRequest) -> DraftProposal:
        """A script template for the intent when its variables are known, else knowledge;
        drafts about orders carry what to verify in the back office."""
        values = draft_variables(
            request.customer_name, request.store.name, request.facts, request.entities
        )
        looked_up = [fact.kind for fact in request.facts]
        reminder = back_office_reminder(request.intent, request.entities, looked_up)
        template_note = ""
        flags = _injected_facts(request)
        template = self._template(request)
        if template is not None:
            body, missing = fill(template.text, values)
            if body is not None:
                return DraftProposal(
                    text=self._wrap(request, body),
                    note=_join(f"script template for {template.intent}", reminder),
                    risk_flags=flags,
                )
            template_note = f"template for {template.intent} needs {_names(missing)}"
        proposal = self._from_knowledge(request, values)
        return DraftProposal(
            text=proposal.text,
            citations=proposal.citations,
            note=_join(proposal.note, template_note, reminder),
            risk_flags=flags,
        )

    def _with_recommendations(
        self, request: DraftRequest, proposal: DraftProposal
    ) -> DraftProposal:
        block = render_recommendations(request.recommendations, request.language)
        if not block:
            return proposal
        if proposal.text is None:  # no article answers, but the catalogue does
            return replace(proposal, text=self._wrap(request, block))
        signoff = request.store.signoff(request.language)
        body = proposal.text
        if signoff and body.endswith(signoff):
            body = body[: -len(signoff)].rstrip()
            return replace(proposal, text=f"{body}\n\n{block}\n\n{signoff}")
        return replace(proposal, text=f"{body}\n\n{block}")

    def _template(self, request: DraftRequest) -> ScriptTemplate | None:
        candidates = self._templates.get(request.store.id, ())
        fitting = [
            t for t in candidates if request.intent and t.fits(request.intent, request.language)
        ]
        # A template written for the language wins over one written for any language.
        return max(fitting, key=lambda t: bool(t.language), default=None)

    def _wrap(self, request: DraftRequest, body: str) -> str:
        parts = [
            request.store.greeting(request.language, request.customer_name),
            body.strip(),
            request.store.signoff(request.language),
        ]
        return "\n\n".join(part for part in parts if part)

    def _from_knowledge(self, request: DraftRequest, values: dict[str, str]) -> DraftProposal:
        passing = [hit for hit in request.hits if hit.score >= self.min_score]
        if not passing:
            best = max((hit.score for hit in request.hits), default=None)
            shown = "none" if best is None else f"{best:.2f}"
            return DraftProposal(
                text=None,
                note=f"no knowledge article answers this confidently (best score {shown})",
            )
        in_language = [hit for hit in passing if _same_language(hit.language, request.language)]
        chosen = _best(in_language or passing)
        note = (
            "" if in_language else f"best answer is in {chosen.language}; translate before sending"
        )
        body, missing = fill(chosen.text, values)
        if body is None:  # the article has blanks no lookup filled: no guessing
            return DraftProposal(
                text=None,
                note=f"article {chosen.article_id} needs {_names(missing)}; no draft",
            )
        return DraftProposal(
            text=self._wrap(request, body),
            citations=[
                {
                    "article_id": chosen.article_id,
                    "version": chosen.version,
                    "title": chosen.title,
                    "score": round(chosen.score, 4),
                }
            ],
            note=note,
        )


def _best(hits: list[KnowledgeHit]) -> KnowledgeHit:
    # `max` keeps the first of equal scores, i.e. the retriever's own order.
    return max(hits, key=lambda hit: hit.score)


def _same_language(a: str, b: str) -> bool:
    """`zh-CN` and `zh` count as the same language: tone and wording follow the primary tag."""
    return a.split("-")[0].split("_")[0].lower() == b.split("-")[0].split("_")[0].lower()


def _injected_facts(request: DraftRequest) -> tuple[str, ...]:
    """Back-office text (an order note) that reads like instructions: a lead must look."""
    texts = [" ".join([f.summary, *f.fields.values()]) for f in request.facts]
    return ("injection_in_data",) if any(injection_signals(t) for t in texts) else ()


def _names(missing: list[str]) -> str:
    return ", ".join("{" + name + "}" for name in missing)


def _join(*notes: str) -> str:
    return "; ".join(note for note in notes if note)
