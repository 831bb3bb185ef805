"""Report periods as local calendar days and ISO weeks, turned into UTC bounds.

A manager in Shanghai means Shanghai's yesterday, so every period is cut at local
midnight in a named timezone; DST days are 23 or 25 hours long and that is correct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import InvalidInput

CADENCES = ("day", "week")


@dataclass(frozen=True)
class Period:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    label: str  # "2026-11-22" or "2026-W47": part of a digest's run key
    cadence: str
    timezone: str
    first_day: date

    def previous(self) -> Period:
        step = 7 if self.cadence == "week" else 1
        return period_of(self.first_day - timedelta(days=step), self.cadence, self.timezone)

    def days(self) -> list[date]:
        count = 7 if self.cadence == "week" else 1
        return [self.first_day + timedelta(days=n) for n in range(count)]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def period_of(day: date, cadence: str, timezone: str) -> Period:
    """The day, or the ISO week (Monday first), that contains `day`."""
    zone = ZoneInfo(timezone)
    if cadence == "week":
        first = day - timedelta(days=day.weekday())
        year, week, _ = first.isocalendar()
        label, length = f"{year}-W{week:02d}", 7
    elif cadence == "day":
        first, label, length = day, day.isoformat(), 1
    else:
        raise InvalidInput(f"period: cadence must be one of {', '.join(CADENCES)}")
    end = _midnight(first + timedelta(days=length), zone)
    return Period(_midnight(first, zone), end, label, cadence, timezone, first)


def completed_before(moment: datetime, cadence: str, timezone: str) -> Period:
    """The last whole day or week that ended at or before `moment` (what a digest reports)."""
    local_day = moment.astimezone(ZoneInfo(timezone)).date()
    current = period_of(local_day, cadence, timezone)
    return current.previous()


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def named_period(name: str, now: datetime, timezone: str) -> Period:
    """`yesterday`, `today`, `last-week`, `this-week` or a date `YYYY-MM-DD`."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    if name == "yesterday":
        return period_of(today - timedelta(days=1), "day", timezone)
    if name == "today":
        return period_of(today, "day", timezone)
    if name == "last-week":
        return completed_before(now, "week", timezone)
    if name == "this-week":
        return period_of(today, "week", timezone)
    if _DAY.match(name):
        try:
            return period_of(date.fromisoformat(name), "day", timezone)
        except ValueError:
            pass
    raise InvalidInput(
        f"period: {name!r} is not yesterday, today, last-week, this-week or YYYY-MM-DD"
    )
