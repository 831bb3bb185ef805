"""`storedesk eval` scores drafting when the labelled set names the expected answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import main
from bot.ai.draft_evaluation import DraftRow, score_drafts
from bot.ai.evaluation import LabelledItem, read_labelled

DATA = Path(__file__).resolve().parents[1] / "data" / "drafting"
SET = DATA / "eval_drafts.jsonl"
KNOWLEDGE = DATA / "knowledge.json"

CONFIG = """\
[storage]
database_url = "sqlite+aiosqlite:///{db}"
data_dir = "{data}"

[[stores]]
id = "tailor"
name = "Tailor"
brand = "Tailor"
languages = ["en"]

[[stores.faq]]
id = "alterations"
question = "Do you alter trousers?"
answer = "Yes, we shorten trousers for free within 3 days of delivery."
"""


@pytest.fixture(autouse=True)
def shared_model(embedder, monkeypatch):
    monkeypatch.setattr("bot.cli_triage.LocalEmbedder", lambda: embedder)


def test_eval_reports_draft_hits_no_drafts_and_latency_on_the_shipped_set(capsys, tmp_path):
    args = ["eval", str(SET), "--knowledge", str(KNOWLEDGE), "--json"]
    code = main.cli(["--config", str(tmp_path / "none.toml"), *args])
    assert code == 0
    drafting = json.loads(capsys.readouterr().out)["drafting"]
    assert drafting["answerable"] == 11 and drafting["out_of_scope"] == 6
    # Floors below the measured figures (docs/ai.md): a regression guard, not a target.
    assert drafting["draft_hit_rate"] >= 0.8
    assert drafting["no_draft_rate"] >= 0.8
    assert {"p50", "p95", "max"} <= set(drafting["latency_ms"])


def test_eval_drafts_from_the_store_faq_and_prints_a_readable_report(capsys, tmp_path):
    config = tmp_path / "storedesk.toml"
    config.write_text(CONFIG.format(db=tmp_path / "s.db", data=tmp_path / "data"))
    labelled = tmp_path / "set.csv"
    labelled.write_text(
        "text,intent,expected_article,answer_contains\n"
        "Can you shorten my new trousers?,product_question,alterations,free|3 days\n"
        "What is the capital of Peru?,oos,,\n"
    )
    assert main.cli(["--config", str(config), "eval", str(labelled), "--store", "tailor"]) == 0
    out = capsys.readouterr().out
    assert "drafting: 1 answerable, 1 out of scope" in out
    assert "draft hit rate: 100.0%" in out
    assert "no draft on out-of-scope:" in out and "draft latency per message (ms)" in out


def test_a_broken_knowledge_file_is_named(capsys, tmp_path):
    broken = tmp_path / "kb.json"
    broken.write_text('[{"title": "no body"}]')
    labelled = tmp_path / "set.jsonl"
    labelled.write_text('{"text": "How do I return shoes?", "expected_article": "returns"}\n')
    code = main.cli(
        ["--config", str(tmp_path / "x.toml"), "eval", str(labelled), "--knowledge", str(broken)]
    )
    assert code == 2
    assert "kb.json" in capsys.readouterr().err


def test_drafting_scores_are_computed_as_defined(tmp_path):
    labelled = tmp_path / "set.jsonl"
    labelled.write_text(
        "\n".join(
            json.dumps(record)
            for record in [
                {"text": "a", "expected_article": "returns", "answer_contains": ["30 days"]},
                {"text": "b", "expected_article": "returns"},
                {"text": "c", "answer_contains": "PayPal|Visa"},
                {"text": "d", "intent": "oos"},
                {"text": "e", "intent": "out_of_scope"},
            ]
        )
    )
    a, b, c, d, e = read_labelled(labelled)
    assert c.answer_contains == ("PayPal", "Visa") and d.intent == "out_of_scope"
    report = score_drafts(
        [
            DraftRow(a, "Return within 30 DAYS.", ["shop/faq/returns"], 0.010),  # hit
            DraftRow(b, "Delivery takes 2 days.", ["shipping"], 0.020),  # wrong article
            DraftRow(c, "We take PayPal.", [], 0.030),  # misses "Visa"
            DraftRow(d, None, [], 0.040),  # no draft: right
            DraftRow(e, "Sure!", ["jokes"], 0.050),  # a draft for out-of-scope: wrong
        ]
    )
    assert report.answerable == 3 and report.draft_hit_rate == round(1 / 3, 4)
    assert report.citation_hit_rate == 0.5
    assert report.out_of_scope == 2 and report.no_draft_rate == 0.5
    assert report.latency_ms == {"p50": 30.0, "p95": 50.0, "max": 50.0}
    assert [m["text"] for m in report.misses] == ["b", "c", "e"]


def test_items_without_drafting_gold_are_not_scored_for_drafting():
    assert not LabelledItem("hello", "shipping").expects_draft
    assert LabelledItem("hello", expected_article="x").expects_draft
