"""A customer's profile as the team sees it: pure summaries over what storage returns."""

from __future__ import annotations

from collections.abc import Sequence

_POINTS = {"negative": -1, "neutral": 0, "positive": 1}


def sentiment_trend(labels: Sequence[str]) -> str:
    """`improving`, `worsening`, `steady`, or `unknown`: later messages against earlier ones."""
    points = [_POINTS[label] for label in labels if label in _POINTS]
    if len(points) < 2:
        return "unknown"
    half = len(points) // 2
    earlier = sum(points[:half]) / half
    later = sum(points[half:]) / (len(points) - half)
    if later - earlier >= 0.5:
        return "improving"
    if earlier - later >= 0.5:
        return "worsening"
    return "steady"


def header_line(profile: dict[str, object]) -> str:
    """One line for a thread header: counts and trend, nothing the viewer may not see."""
    earlier = int(profile["earlier_conversations"])  # type: ignore[call-overload]
    open_issues = len(profile["open_issues"])  # type: ignore[arg-type]
    orders = len(profile["orders_seen"])  # type: ignore[arg-type]
    stores = len(profile["stores"])  # type: ignore[arg-type]
    parts = [
        "first contact"
        if earlier == 0
        else f"{earlier} earlier conversation{'s' if earlier != 1 else ''}"
        + (f" in {stores} stores" if stores > 1 else ""),
    ]
    if open_issues:
        parts.append(f"{open_issues} other open")
    if orders:
        parts.append(f"{orders} order{'s' if orders != 1 else ''} seen")
    trend = str(profile["sentiment_trend"])
    if trend != "unknown":
        parts.append(f"sentiment {trend}")
    pending = len(profile["pending_links"])  # type: ignore[arg-type]
    if pending:
        parts.append(f"{pending} link proposal{'s' if pending != 1 else ''} pending")
    return " · ".join(parts)
