"""A digest's content: the numbers of a period beside the previous one, as short Markdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.services.metrics import MetricSet, StoreInfo
from bot.services.periods import Period
from bot.services.question_clusters import QuestionCluster
from bot.services.sales_report import SalesFunnel, funnel_markdown


@dataclass(frozen=True)
class DigestReport:
    title: str  # what the digest covers: a store's name or a client's
    period: Period
    stores: Sequence[StoreInfo]
    current: MetricSet
    previous: MetricSet
    by_store: dict[str, MetricSet]
    # (local day, median first response in seconds or None) for the days up to period end
    trend: Sequence[tuple[str, float | None]] = ()
    hot_questions: Sequence[QuestionCluster] = field(default_factory=list)
    knowledge_gaps: Sequence[QuestionCluster] = field(default_factory=list)
    sales: Mapping[str, SalesFunnel] = field(default_factory=dict)  # store id → funnel


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    return f"{hours // 24}d {hours % 24}h"


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{round(rate * 100)}%"


def _count_change(now: int, before: int) -> str:
    if now == before:
        return "same as before"
    sign = "+" if now > before else "−"
    return f"{sign}{abs(now - before)} vs previous"


def _duration_change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "no comparison"
    if round(now) == round(before):
        return "same as before"
    word = "slower" if now > before else "faster"
    return f"{duration_text(abs(now - before))} {word} than previous"


def _mix(counts: dict[str, int], limit: int = 5) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{name} {count}" for name, count in list(counts.items())[:limit])


def _quote(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_markdown(report: DigestReport) -> str:
    m, p = report.current, report.previous
    cadence = "Weekly" if report.period.cadence == "week" else "Daily"
    lines = [
        f"# {cadence} digest · {report.title} · {report.period.label}",
        "",
        f"- Conversations: **{m.conversations}** "
        f"({_count_change(m.conversations, p.conversations)}) · "
        f"messages in {m.messages_in} / out {m.messages_out}",
        f"- First response: median **{duration_text(m.first_response.median)}**, "
        f"p90 {duration_text(m.first_response.p90)} "
        f"({_duration_change(m.first_response.median, p.first_response.median)})",
        f"- Resolution: median **{duration_text(m.resolution.median)}**, "
        f"p90 {duration_text(m.resolution.p90)} ({m.resolution.count} resolved)",
        f"- Auto-replies {percent(m.auto_reply_rate)} · draft acceptance "
        f"{percent(m.draft_acceptance_rate)} · review pass {percent(m.review_pass_rate)} · "
        f"edits {percent(m.edit_rate)}",
        f"- Escalations {percent(m.escalation_rate)} · takeovers {percent(m.takeover_rate)} · "
        f"SLA breaches **{m.sla_breaches}** ({_count_change(m.sla_breaches, p.sla_breaches)})",
        f"- Intents: {_mix(m.intents)}",
        f"- Sentiment: {_mix(m.sentiments)}",
    ]
    if len(report.stores) > 1:
        lines += ["", "## By store"]
        names = {s.id: s.name for s in report.stores}
        for store in report.stores:
            s = report.by_store.get(store.id, MetricSet())
            lines.append(
                f"- {names[store.id]}: {s.conversations} conversations, first response "
                f"{duration_text(s.first_response.median)}, SLA breaches {s.sla_breaches}"
            )
    for heading, clusters in (
        ("Hot questions", report.hot_questions),
        ("Knowledge gaps (no confident answer)", report.knowledge_gaps),
    ):
        if clusters:
            lines += ["", f"## {heading}"]
            lines += [f"{n}. “{_quote(c.example)}” ×{c.count}" for n, c in enumerate(clusters, 1)]
    lines += funnel_markdown(report.sales, {s.id: s.name for s in report.stores})
    return "\n".join(lines) + "\n"
