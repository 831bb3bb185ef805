"""The triage commands as a person runs them: import intents, triage stdin, evaluate a set."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import main
from bot.ai.evaluation import EvalRow, LabelledItem, score

DATA = Path(__file__).resolve().parents[1] / "data" / "triage"

CONFIG = """\
[storage]
database_url = "sqlite+aiosqlite:///{db}"
data_dir = "{data}"

[[stores]]
id = "tailor"
name = "Tailor"
brand = "Tailor"
languages = ["en"]
mode = "auto"

[stores.risk]
auto_intents = ["gift_wrap"]
intents = {{ book_fitting = "takeover" }}
"""


@pytest.fixture(autouse=True)
def shared_model(embedder, monkeypatch):
    """The same real model, loaded once per session instead of once per command."""
    monkeypatch.setattr("bot.cli_triage.LocalEmbedder", lambda: embedder)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "storedesk.toml"
    path.write_text(CONFIG.format(db=tmp_path / "s.db", data=tmp_path / "data"))
    return path


def run_triage(config: Path, lines: str, monkeypatch, capsys) -> list[dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main.cli(["triage", "--config", str(config), "--store", "tailor"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_imported_intents_drive_triage_and_the_store_policy_routes_them(
    config, monkeypatch, capsys
):
    code = main.cli(
        [
            "--config",
            str(config),
            "intents",
            "import",
            str(DATA / "store_intents.csv"),
            "--store",
            "tailor",
        ]
    )
    assert code == 0
    assert "imported 14 examples for 4 intents" in capsys.readouterr().out

    out = run_triage(
        config,
        'Could you gift-wrap the scarf?\n{"text": "I would like to book a fitting"}\n\n'
        "Who painted the Mona Lisa?\nI want a refund for order #5521, you scammers!!!\n",
        monkeypatch,
        capsys,
    )
    assert [r["intent"] for r in out] == [
        "gift_wrap",
        "book_fitting",
        "out_of_scope",
        out[3]["intent"],
    ]
    assert [r["route"] for r in out] == ["auto", "takeover", "draft", "review"]
    for record in out:
        assert set(record) >= {
            "language",
            "intent",
            "intent_score",
            "sentiment",
            "risk",
            "route",
            "entities",
        }
    assert out[3]["entities"]["order_numbers"] == ["5521"]
    assert out[3]["sentiment"] == "negative" and out[3]["risk"] == "high"


def test_reimporting_replaces_the_examples(config, tmp_path, monkeypatch, capsys):
    small = tmp_path / "small.csv"
    small.write_text("Do you do alterations?,alterations\nCan you shorten trousers?,alterations\n")
    for path in (DATA / "store_intents.csv", small):
        assert (
            main.cli(["intents", "import", str(path), "--config", str(config), "--store", "tailor"])
            == 0
        )
    assert "imported 2 examples for 1 intents" in capsys.readouterr().out
    out = run_triage(config, "Can you take in the waist of my trousers?\n", monkeypatch, capsys)
    assert out[0]["intent"] == "alterations"


def test_bad_intent_file_and_unknown_store_are_refused_clearly(config, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("sentence,label\nonly a sentence\n")
    assert (
        main.cli(["intents", "import", str(bad), "--config", str(config), "--store", "tailor"]) == 2
    )
    assert "row 1: expected `sentence,label`" in capsys.readouterr().err
    assert main.cli(["triage", "--config", str(config), "--store", "nope"]) == 2
    assert "no store 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["eval_en.jsonl", "eval_zh.jsonl"])
def test_eval_reports_the_numbers_on_the_shipped_sets(name, capsys, tmp_path):
    missing_config = str(tmp_path / "none.toml")
    assert main.cli(["--config", missing_config, "eval", str(DATA / name), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["count"] == sum(1 for _ in (DATA / name).open())
    # Floors below the measured figures (see docs/ai.md): a regression guard, not a target.
    assert report["intent_accuracy"] >= 0.7
    assert report["oos_recall"] >= 0.7
    assert report["high_risk_auto_sent"] == 0
    assert {"p50", "p95", "max"} <= set(report["latency_ms"])


def test_eval_measures_sentiment_on_chinese_product_reviews(capsys, tmp_path):
    reviews = str(DATA / "reviews_zh.jsonl")
    assert main.cli(["--config", str(tmp_path / "x.toml"), "eval", reviews, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["intent_accuracy"] is None  # the set has no intents, only sentiment
    assert report["sentiment_accuracy"] >= 0.8


def test_eval_prints_a_readable_table_from_csv(capsys, tmp_path):
    labelled = tmp_path / "set.csv"
    labelled.write_text("text,intent,risk\nI want my money back,refund,high\nhello there,oos,\n")
    assert main.cli(["--config", str(tmp_path / "x.toml"), "eval", str(labelled)]) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out and "out-of-scope precision" in out and "confused with" in out


def test_scores_are_computed_as_defined():
    def row(gold, predicted, high=None, route="draft", risk="low"):
        return EvalRow(LabelledItem("t", gold, None, high), predicted, "neutral", risk, route, 0.01)

    report = score(
        [
            row("a", "a"),
            row("a", "out_of_scope"),
            row("b", "b", high=True, risk="high", route="review"),
            row("out_of_scope", "out_of_scope"),
            row("out_of_scope", "a", high=True, route="auto"),
        ]
    )
    assert report.intent_accuracy == 0.6
    assert report.oos_precision == 0.5 and report.oos_recall == 0.5
    assert report.per_intent["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert report.macro_f1 == round((0.5 + 1.0 + 0.5) / 3, 4)
    assert report.confusion["a"] == {"a": 1, "out_of_scope": 1}
    assert report.high_risk_recall == 0.5 and report.high_risk_auto_sent == 1
