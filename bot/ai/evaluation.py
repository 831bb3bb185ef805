"""Scoring a labelled set against triage: accuracy, macro-F1, confusion, out-of-scope, risk.

Pure arithmetic over (gold, predicted) pairs so the numbers can be checked by hand in tests.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.domain.intents import OUT_OF_SCOPE, normalize_label

HIGH_RISK_GOLD = frozenset({"high", "true", "1", "yes"})


@dataclass(frozen=True)
class LabelledItem:
    text: str
    intent: str | None = None
    sentiment: str | None = None
    high_risk: bool | None = None
    # Drafting gold: the article a draft should cite and phrases its text should contain.
    expected_article: str | None = None
    answer_contains: tuple[str, ...] = ()

    @property
    def expects_draft(self) -> bool:
        return bool(self.expected_article or self.answer_contains)


@dataclass
class EvalRow:
    item: LabelledItem
    intent: str | None
    sentiment: str
    risk: str  # low / medium / high
    route_in_auto_mode: str
    seconds: float


@dataclass
class Report:
    count: int
    intent_accuracy: float | None
    macro_f1: float | None
    per_intent: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]
    oos_precision: float | None
    oos_recall: float | None
    sentiment_accuracy: float | None
    high_risk_recall: float | None
    high_risk_auto_sent: int
    latency_ms: dict[str, float]
    misses: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_labelled(path: Path) -> list[LabelledItem]:
    """JSONL (`text`, `intent`/`label`, `sentiment`, `risk`) or CSV with the same columns
    (`sentence` is accepted for `text`)."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            records: list[dict[str, Any]] = list(csv.DictReader(handle))
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
    return [_item(record) for record in records]


def _item(record: dict[str, Any]) -> LabelledItem:
    text = str(record.get("text") or record.get("sentence") or "")
    label = record.get("intent") or record.get("label")
    risk = record.get("risk", record.get("high_risk"))
    contains = record.get("answer_contains") or ()
    if isinstance(contains, str):  # CSV: phrases separated by "|"
        contains = [part for part in contains.split("|") if part.strip()]
    return LabelledItem(
        text=text,
        intent=normalize_label(str(label)) if label not in (None, "") else None,
        sentiment=str(record["sentiment"]).lower() if record.get("sentiment") else None,
        high_risk=None if risk in (None, "") else str(risk).lower() in HIGH_RISK_GOLD,
        expected_article=str(record.get("expected_article") or "").strip() or None,
        answer_contains=tuple(str(part).strip() for part in contains),
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def score(rows: Iterable[EvalRow]) -> Report:
    rows = list(rows)
    intent_rows = [r for r in rows if r.item.intent is not None]
    pairs = [(r.item.intent or "", r.intent or OUT_OF_SCOPE) for r in intent_rows]
    labels = sorted({g for g, _ in pairs} | {p for _, p in pairs})
    confusion: dict[str, dict[str, int]] = defaultdict(dict)
    for gold, counts in _group(pairs).items():
        confusion[gold] = dict(counts.most_common())
    per_intent: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    gold_labels = [label for label in labels if per_intent[label]["support"]]
    oos_tp = sum(1 for g, p in pairs if g == OUT_OF_SCOPE and p == OUT_OF_SCOPE)
    sentiment_rows = [r for r in rows if r.item.sentiment]
    risky = [r for r in rows if r.item.high_risk]
    latencies = [r.seconds * 1000 for r in rows] or [0.0]
    return Report(
        count=len(rows),
        intent_accuracy=_ratio(sum(1 for g, p in pairs if g == p), len(pairs)),
        macro_f1=_ratio(sum(per_intent[label]["f1"] for label in gold_labels), len(gold_labels)),
        per_intent=per_intent,
        confusion=dict(confusion),
        oos_precision=_ratio(oos_tp, sum(1 for _, p in pairs if p == OUT_OF_SCOPE)),
        oos_recall=_ratio(oos_tp, sum(1 for g, _ in pairs if g == OUT_OF_SCOPE)),
        sentiment_accuracy=_ratio(
            sum(1 for r in sentiment_rows if r.sentiment == r.item.sentiment), len(sentiment_rows)
        ),
        high_risk_recall=_ratio(sum(1 for r in risky if r.risk == "high"), len(risky)),
        high_risk_auto_sent=sum(1 for r in risky if r.route_in_auto_mode == "auto"),
        latency_ms={
            "p50": round(percentile(latencies, 0.5), 2),
            "p95": round(percentile(latencies, 0.95), 2),
            "max": round(max(latencies), 2),
        },
        misses=[
            {"text": r.item.text, "gold": r.item.intent, "predicted": r.intent}
            for r in intent_rows
            if r.item.intent != (r.intent or OUT_OF_SCOPE)
        ],
    )


def _group(pairs: Sequence[tuple[str, str]]) -> dict[str, Counter[str]]:
    grouped: dict[str, Counter[str]] = defaultdict(Counter)
    for gold, predicted in pairs:
        grouped[gold][predicted] += 1
    return grouped


def render(report: Report, *, show_misses: int = 10) -> str:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 100:.1f}%"

    lines = [
        f"items: {report.count}",
        f"intent accuracy: {pct(report.intent_accuracy)}   macro-F1: {pct(report.macro_f1)}",
        f"out-of-scope precision: {pct(report.oos_precision)}   recall: {pct(report.oos_recall)}",
        f"sentiment accuracy: {pct(report.sentiment_accuracy)}",
        f"high-risk recall: {pct(report.high_risk_recall)}   "
        f"high-risk auto-sent in auto mode: {report.high_risk_auto_sent}",
        "latency per message (ms): "
        + "  ".join(f"{k} {v:.1f}" for k, v in report.latency_ms.items()),
        "",
        f"{'intent':<22}{'prec':>7}{'recall':>8}{'f1':>7}{'n':>5}   confused with",
    ]
    for label, stats in sorted(report.per_intent.items()):
        confused = ", ".join(
            f"{p} {n}" for p, n in report.confusion.get(label, {}).items() if p != label
        )
        lines.append(
            f"{label:<22}{stats['precision']:>7.2f}{stats['recall']:>8.2f}{stats['f1']:>7.2f}"
            f"{int(stats['support']):>5}   {confused}"
        )
    if report.misses and show_misses:
        lines += ["", f"first {min(show_misses, len(report.misses))} misses:"]
        lines += [
            f"  {m['gold']} -> {m['predicted']}: {m['text'][:80]}"
            for m in report.misses[:show_misses]
        ]
    return "\n".join(lines)
