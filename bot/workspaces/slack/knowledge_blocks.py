"""Block Kit for knowledge proposal cards and their modals: pure functions, no I/O.

The card sits in the thread of the conversation whose edit made it, next to the draft it
came from; once decided, the buttons give way to who decided what.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block

from bot.workspaces.slack.blocks import (
    INPUT_LIMIT,
    TEXT_LIMIT,
    Rendered,
    _body,
    _button,
    _context,
    _fallback,
    _inline,
    _section,
    _serialize,
    _truncate,
    modal,
    text_input,
)
from knowledge.proposal_cards import ProposalCard, decision_text, source_line, target_line

KB_ACCEPT = "sd_kb_accept"
KB_EDIT = "sd_kb_edit"
KB_REJECT = "sd_kb_reject"
KB_EDIT_SUBMIT = "sd_kb_edit_submit"
KB_REJECT_SUBMIT = "sd_kb_reject_submit"
KB_BODY_BLOCK = "sd_kb_body"
KB_BODY_ACTION = "sd_kb_body_value"
KB_NOTE_BLOCK = "sd_kb_note"
KB_NOTE_ACTION = "sd_kb_note_value"
KB_ACTIONS_BLOCK = "sd_kb_actions"
DIFF_LIMIT = 2500


def proposal_card(card: ProposalCard, *, interactive: bool, names: dict[str, str]) -> Rendered:
    """`names` maps member ids to display names (who edited, who decided)."""
    editor = names.get(card.created_by, card.created_by)
    blocks: list[Block] = [
        _section(
            f":books: *Knowledge update proposed* from {_inline(editor)}'s edit\n"
            f"*Source:* {_inline(source_line(card), 600)}"
        ),
        _section("*Draft → sent:*\n```" + _diff(card.diff) + "```"),
        _section(
            f"*Suggested {_inline(target_line(card))}:* {_inline(card.suggested_title, 300)}\n"
            + _body(card.suggested_body, TEXT_LIMIT - 500)
        ),
    ]
    fallback = f"Knowledge update proposed: {card.suggested_title}"
    if not card.open:
        outcome = decision_text(card, names)
        blocks.append(_section(_inline(outcome, TEXT_LIMIT)))
        fallback = outcome
    elif interactive:
        blocks.append(_context("Only a lead of this store can accept or reject it."))
        blocks.append(
            ActionsBlock(
                block_id=KB_ACTIONS_BLOCK,
                elements=[
                    _button(KB_ACCEPT, "Accept", card.id, style="primary"),
                    _button(KB_EDIT, "Edit & accept", card.id),
                    _button(KB_REJECT, "Reject", card.id, style="danger"),
                ],
            )
        )
    return _fallback(fallback), _serialize(blocks)


def edit_modal(proposal_id: str, title: str, body: str) -> dict[str, Any]:
    """Edit & accept: the suggested text, editable; submitting makes it the new version."""
    value = _truncate(body, INPUT_LIMIT)
    blocks: list[Block] = [
        _context(f"*Article:* {_inline(title, 300)}"),
        text_input(KB_BODY_BLOCK, KB_BODY_ACTION, "Article text", initial=value),
    ]
    return modal(KB_EDIT_SUBMIT, proposal_id, "Edit & accept", "Accept", blocks)


def reject_modal(proposal_id: str) -> dict[str, Any]:
    note = text_input(KB_NOTE_BLOCK, KB_NOTE_ACTION, "Why not? (optional)", optional=True)
    return modal(KB_REJECT_SUBMIT, proposal_id, "Reject proposal", "Reject", [note])


def _diff(diff: str) -> str:
    """A code block shows the diff as is; only the fence and entities need care."""
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++", "@@"))]
    text = "\n".join(lines).replace("```", "ˋˋˋ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _truncate(text, DIFF_LIMIT) or "(no change)"
