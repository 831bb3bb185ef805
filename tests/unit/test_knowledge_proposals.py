"""What an edited draft teaches: the changed passage, the diff, and the suggested version."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.knowledge import changed_passage, proposal_from_edit
from bot.domain.model import Draft, DraftStatus, Route
from knowledge.articles import ArticleRecord
from knowledge.chunking import chunk_article
from knowledge.proposal_cards import suggestion

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BODY = "Return unworn items within 30 days.\n\nRefunds take 5 days."


def draft(text: str, confident: bool = True) -> Draft:
    cites = [{"article_id": "nw/returns", "version": 3}] if confident else []
    return Draft("d1", "c1", "m1", text, "en", Route.DRAFT, DraftStatus.PENDING, NOW,
                 confident=confident, citations=cites)  # fmt: skip


def test_the_changed_passage_leaves_out_the_shared_greeting_and_signoff():
    before = f"Hi Jo,\n\n{BODY}\n\nNorthwind Support"
    after = before.replace("30 days", "60 days")
    assert changed_passage(before, after) == (
        "Return unworn items within 30 days.",
        "Return unworn items within 60 days.",
    )


def test_an_edit_proposes_a_new_version_of_the_cited_article_with_the_passage_swapped():
    before = f"Hi Jo,\n\n{BODY}\n\nNorthwind Support"
    proposal = proposal_from_edit(
        draft(before), "Can I return?", "nw", before.replace("30", "60"), "ana", NOW
    )
    assert proposal is not None
    assert (proposal.article_id, proposal.article_version) == ("nw/returns", 3)
    assert "-Return unworn items within 30 days." in proposal.diff
    article = ArticleRecord("nw/returns", 3, "nw", "en", "Returns", BODY)
    row = {"draft_text": proposal.draft_text, "sent_text": proposal.sent_text,
           "question": proposal.question}  # fmt: skip
    assert suggestion(row, article) == {"title": "Returns", "body": BODY.replace("30", "60")}


def test_a_reply_written_where_no_draft_was_confident_proposes_a_new_article():
    proposal = proposal_from_edit(
        draft("", confident=False), "Do you have a shop in Paris?", "nw",
        "Hi Jo,\n\nNo, we only sell online.", "ana", NOW,
    )  # fmt: skip
    assert proposal is not None and proposal.article_id is None
    row = {"draft_text": "", "sent_text": proposal.sent_text, "question": proposal.question}
    assert suggestion(row, None) == {
        "title": "Do you have a shop in Paris?",
        "body": "Hi Jo,\n\nNo, we only sell online.",
    }


def test_an_edit_of_spacing_only_teaches_nothing():
    assert (
        proposal_from_edit(draft("Hi  Jo,\n30 days."), "q", "nw", "Hi Jo, 30 days.", "a", NOW)
        is None
    )


def test_chunks_keep_their_heading_path_and_long_sections_split_at_paragraphs():
    body = "Intro line.\n\n# Washing\nWash cold.\n\n## Wool\n" + "\n\n".join(
        f"Paragraph {n} " + "x" * 300 for n in range(4)
    )
    chunks = chunk_article(ArticleRecord("a/care", 1, None, "en", "Care", body))
    assert [c.heading for c in chunks[:3]] == ["Care", "Care › Washing", "Care › Washing › Wool"]
    assert chunks[0].text == "Intro line."
    assert all(len(c.text) <= 800 for c in chunks)
    assert len(chunks) == 4  # the wool section: two paragraphs of ~310 characters per chunk
    assert chunks[3].search_text.startswith("Care › Washing › Wool\n")
