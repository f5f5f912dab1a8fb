"""ISO-8601 durations (``"P30D"``, ``"PT12H"``, ``"P1Y2M"``) for retention rules.

:func:`parse_duration` turns the text into an :class:`IsoDuration`, which keeps
years and months as calendar units: ``P1M`` before 31 March is 28 or 29 February,
not "30 days earlier".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

__all__ = ["IsoDuration", "format_duration", "parse_duration"]

_PATTERN: Final = re.compile(
    r"P(?!$)"
    r"(?:(?P<years>\d+)Y)?"
    r"(?:(?P<months>\d+)M)?"
    r"(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)"
    r"(?:(?P<hours>\d+)H)?"
    r"(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?"
    r")?"
)


@dataclass(frozen=True)
class IsoDuration:
    """A non-negative ISO-8601 duration; years and months are calendar units."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: float = 0.0

    def before(self, moment: datetime) -> datetime:
        """Return ``moment`` minus this duration (months clamp to the month's last day)."""
        total_months = moment.year * 12 + (moment.month - 1) - (self.years * 12 + self.months)
        year, month = divmod(total_months, 12)
        month += 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        shifted = moment.replace(year=year, month=month, day=day)
        return shifted - self.fixed_part()

    def fixed_part(self) -> timedelta:
        """Return the weeks, days, hours, minutes and seconds as a ``timedelta``."""
        return timedelta(
            weeks=self.weeks,
            days=self.days,
            hours=self.hours,
            minutes=self.minutes,
            seconds=self.seconds,
        )

    def __str__(self) -> str:
        """Return the ISO-8601 spelling, such as ``"P1Y2MT3H"``."""
        date = "".join(
            f"{value}{unit}"
            for value, unit in (
                (self.years, "Y"),
                (self.months, "M"),
                (self.weeks, "W"),
                (self.days, "D"),
            )
            if value
        )
        seconds = f"{self.seconds:g}" if self.seconds else ""
        time = "".join(
            f"{value}{unit}"
            for value, unit in ((self.hours, "H"), (self.minutes, "M"), (seconds, "S"))
            if value
        )
        text = "P" + date + (f"T{time}" if time else "")
        return text if text != "P" else "PT0S"


def parse_duration(text: str) -> IsoDuration:
    """Parse an ISO-8601 duration such as ``"P30D"``, ``"PT12H"`` or ``"P1Y2M"``.

    Raise ``ValueError`` (one line, quoting ``text``) on anything else, including
    negative or empty durations (``"P"``, ``"PT"``) and lower-case designators.
    """
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not an ISO-8601 duration (examples: 'P30D', 'PT12H', 'P1Y2M', 'P2W')"
        )
    parts = match.groupdict()
    whole = {key: int(value) for key, value in parts.items() if value and key != "seconds"}
    seconds = float(parts["seconds"].replace(",", ".")) if parts["seconds"] else 0.0
    return IsoDuration(seconds=seconds, **whole)


def format_duration(value: timedelta) -> str:
    """Return a non-negative ``timedelta`` as ISO-8601 text, such as ``"P1DT2H"``."""
    seconds_total = value.total_seconds()
    if seconds_total < 0:
        raise ValueError(f"a duration must not be negative, got {value}")
    minutes, seconds = divmod(seconds_total, 60)
    hours, minutes = divmod(int(minutes), 60)
    days, hours = divmod(hours, 24)
    return str(IsoDuration(days=days, hours=hours, minutes=minutes, seconds=seconds))
