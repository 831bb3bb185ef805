"""PNG charts for digests, drawn with matplotlib's Agg canvas (no display, no pyplot state).

Every chart is CHART_WIDTH x CHART_HEIGHT pixels so chat clients lay them out alike.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.ports import DigestImage
from bot.services.digest_report import DigestReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CHART_WIDTH, CHART_HEIGHT, DPI = 800, 400, 100
_ACCENT, _MUTED = "#2f6fb3", "#9aa7b4"


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure  # lazy: the import costs ~0.5 s

    figure = Figure(figsize=(CHART_WIDTH / DPI, CHART_HEIGHT / DPI), dpi=DPI)
    return figure, figure.add_subplot(1, 1, 1)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=DPI)  # no bbox_inches: keep the exact size
    return buffer.getvalue()


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", color=_MUTED, fontsize=13)
    axes.set_axis_off()


def response_time_trend(trend: Sequence[tuple[str, float | None]], title: str) -> bytes:
    figure, axes = _figure()
    points = [(day, value / 60) for day, value in trend if value is not None]
    if not points:
        _empty(axes, "No first responses in these days")
    else:
        labels = [day for day, _ in trend]
        axes.plot(
            [labels.index(day) for day, _ in points],
            [minutes for _, minutes in points],
            marker="o",
            color=_ACCENT,
        )
        axes.set_xticks(range(len(labels)), [label[5:] for label in labels])
        axes.set_ylabel("median first response (min)")
        axes.set_ylim(bottom=0)
        axes.grid(axis="y", alpha=0.3)
    axes.set_title(title)
    return _png(figure)


def bars(counts: dict[str, int], title: str, ylabel: str) -> bytes:
    figure, axes = _figure()
    if not counts or not any(counts.values()):
        _empty(axes, "Nothing to show for this period")
    else:
        names = list(counts)
        axes.bar(range(len(names)), [counts[n] for n in names], color=_ACCENT)
        axes.set_xticks(range(len(names)), [n[:18] for n in names], rotation=20, ha="right")
        axes.set_ylabel(ylabel)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.grid(axis="y", alpha=0.3)
    axes.set_title(title)
    return _png(figure)


def digest_charts(report: DigestReport) -> list[DigestImage]:
    names = {s.id: s.name for s in report.stores}
    volume = {names[s]: m.conversations for s, m in report.by_store.items() if s in names}
    intents = dict(list(report.current.intents.items())[:8])
    return [
        DigestImage(
            "response-time.png",
            "First response trend",
            response_time_trend(report.trend, "Median first response, last days"),
        ),
        DigestImage(
            "volume-by-store.png",
            "Volume by store",
            bars(volume, f"Conversations by store · {report.period.label}", "conversations"),
        ),
        DigestImage(
            "intent-mix.png",
            "Intent mix",
            bars(intents, f"Customer messages by intent · {report.period.label}", "messages"),
        ),
    ]
