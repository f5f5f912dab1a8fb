"""Retention settings: :class:`PruneConfig` and what marks a safety snapshot."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Final

from django.core.exceptions import ImproperlyConfigured

from django_snapshots.durations import IsoDuration, format_duration, parse_duration
from django_snapshots.manifest import Snapshot

__all__ = ["DEFAULT_SAFETY_KEEP", "SAFETY_KEY", "PruneConfig", "is_safety_snapshot"]

SAFETY_KEY: Final = "safety"
"""The manifest ``metadata`` key that marks a safety snapshot (its value is a dict)."""

DEFAULT_SAFETY_KEEP: Final = "P7D"
"""How long safety snapshots are kept unless ``SNAPSHOTS["SAFETY_KEEP"]`` says otherwise."""


def is_safety_snapshot(snapshot: Snapshot) -> bool:
    """Return True if ``snapshot`` is a safety snapshot taken before a restore."""
    return isinstance(snapshot.metadata.get(SAFETY_KEY), dict)


@dataclass
class PruneConfig:
    """Which snapshots ``prune`` keeps; a snapshot kept by any rule survives.

    The newest snapshot is always kept.
    """

    keep: int | None = None
    """Keep the newest ``keep`` snapshots."""
    duration: str | timedelta | None = None
    """Keep snapshots younger than this ISO-8601 duration (``"P30D"``) or timedelta."""
    max_size: int | None = None
    """Keep the newest snapshots whose total size fits in ``max_size`` bytes."""
    keep_daily: int | None = None
    """Keep the newest snapshot of each of the last ``keep_daily`` days that have one."""
    keep_weekly: int | None = None
    """Keep the newest snapshot of each of the last ``keep_weekly`` ISO weeks that have one."""
    keep_monthly: int | None = None
    """Keep the newest snapshot of each of the last ``keep_monthly`` months that have one."""

    def __post_init__(self) -> None:
        """Turn a ``dateutil`` ``relativedelta`` duration (0.1.0b1's type) into ISO-8601 text."""
        text = _relativedelta_text(self.duration)
        if text is not None:
            self.duration = text

    def duration_cutoff(self, now: datetime) -> datetime | None:
        """Return the oldest creation time the ``duration`` rule keeps, or None without one.

        Raise ``ValueError`` if ``duration`` is a string that is not an ISO-8601 duration.
        """
        if self.duration is None:
            return None
        if isinstance(self.duration, timedelta):
            return now - self.duration
        return parse_duration(self.duration).before(now)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PruneConfig:
        """Build a policy from a dict of its fields (keys case-insensitive).

        Raise ``ImproperlyConfigured`` naming an unknown key, as 0.1.0b1 does; the
        values are checked where ``SNAPSHOTS`` is validated.
        """
        names = [item.name for item in fields(cls)]
        given: dict[str, Any] = {}
        for key, value in data.items():
            if str(key).lower() not in names:
                known = ", ".join(names)
                raise ImproperlyConfigured(
                    f"SNAPSHOTS['PRUNE']: unknown key {key!r} (known keys: {known})"
                )
            given[str(key).lower()] = value
        return cls(**given)

    @classmethod
    def coerce(cls, data: PruneConfig | Mapping[str, Any]) -> PruneConfig:
        """Return ``data`` if it already is a :class:`PruneConfig`, else ``from_dict(data)``."""
        if isinstance(data, PruneConfig):
            return data
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as a dict with 0.1.0b1's lower-case keys; durations as ISO-8601.

        ``PruneConfig.from_dict(policy.to_dict())`` gives an equal policy.
        """
        result: dict[str, Any] = {item.name: getattr(self, item.name) for item in fields(self)}
        if isinstance(self.duration, timedelta):
            result["duration"] = format_duration(self.duration)
        return result


_RELATIVE_FIELDS = ("years", "months", "days", "hours", "minutes", "seconds", "microseconds")
_ABSOLUTE_FIELDS = ("year", "month", "day", "weekday", "hour", "minute", "second", "microsecond")


def _relativedelta_text(value: object) -> str | None:
    """Return the ISO-8601 text of a non-negative, purely relative ``relativedelta``.

    None for anything else (a ``relativedelta`` with absolute fields or negative parts
    is left as it is, for the settings checks to report). ``dateutil`` is not imported:
    a ``relativedelta`` can only exist if its module already is.
    """
    module = sys.modules.get("dateutil.relativedelta")
    kind: object = getattr(module, "relativedelta", None)
    if not isinstance(kind, type) or not isinstance(value, kind):
        return None
    parts: dict[str, float] = {name: getattr(value, name, 0) or 0 for name in _RELATIVE_FIELDS}
    absolute = any(getattr(value, name, None) is not None for name in _ABSOLUTE_FIELDS)
    leapdays: object = getattr(value, "leapdays", 0)
    if absolute or leapdays or any(part < 0 for part in parts.values()):
        return None
    return str(
        IsoDuration(
            years=int(parts["years"]),
            months=int(parts["months"]),
            days=int(parts["days"]),
            hours=int(parts["hours"]),
            minutes=int(parts["minutes"]),
            seconds=parts["seconds"] + parts["microseconds"] / 1_000_000,
        )
    )
