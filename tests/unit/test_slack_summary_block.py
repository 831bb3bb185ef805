"""The Slack parent message carries the conversation summary, escaped, when there is one."""

from __future__ import annotations

from bot.workspaces.slack import blocks as sb
from tests.unit.test_slack_blocks import CONVERSATION, HOSTILE, _joined, _revalidate


def test_parent_message_shows_the_summary_escaped():
    summary = f"Customer, 4 messages; orders #1042.\nLatest: {HOSTILE}"
    _, blocks = sb.parent_message(
        {**CONVERSATION, "summary": summary}, store_name="Sunny Socks", history_count=0
    )
    _revalidate(blocks)
    text = _joined(blocks)
    assert "*Summary:* Customer, 4 messages; orders #1042." in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_parent_message_without_a_summary_has_no_summary_line():
    _, blocks = sb.parent_message(CONVERSATION, store_name="Sunny Socks", history_count=0)
    assert "Summary" not in _joined(blocks)


def test_a_long_summary_is_cut_to_fit_slack():
    _, blocks = sb.parent_message(
        {**CONVERSATION, "summary": "x" * 5000}, store_name="S", history_count=0
    )
    _revalidate(blocks)
    [line] = [t for t in _joined(blocks).splitlines() if t.startswith("*Summary:*")]
    assert len(line) <= sb.SUMMARY_LIMIT + len("*Summary:* ")
