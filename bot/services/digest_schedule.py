"""Digest schedules as people say them in a command: `daily 09:00`, `weekly mon 08:30`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
USAGE = "digest daily HH:MM, or digest weekly <mon..sun> HH:MM"


@dataclass(frozen=True)
class DigestSchedule:
    cadence: str  # "day" | "week"
    cron: str
    said: str  # how to repeat it back: "daily at 09:00"


def parse_schedule(words: Sequence[str]) -> DigestSchedule:
    words = [w.lower() for w in words]
    if len(words) == 2 and words[0] == "daily":
        hour, minute = _time(words[1])
        return DigestSchedule("day", f"{minute} {hour} * * *", f"daily at {hour:02d}:{minute:02d}")
    if len(words) == 3 and words[0] == "weekly" and words[1][:3] in DAYS:
        hour, minute = _time(words[2])
        day = words[1][:3]
        return DigestSchedule(
            "week", f"{minute} {hour} * * {day}", f"every {day} at {hour:02d}:{minute:02d}"
        )
    raise InvalidInput(f"schedule: say {USAGE}")


def _time(word: str) -> tuple[int, int]:
    match = _TIME.match(word)
    if match is None:
        raise InvalidInput(f"time: {word!r} is not HH:MM (24-hour)")
    return int(match.group(1)), int(match.group(2))
