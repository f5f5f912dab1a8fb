"""Freshness of the backups: is the newest snapshot readable, and young enough?

``snapshots status`` (for monitoring probes) and the ``snapshots.W001`` system check
both ask :func:`backup_status`. "The newest" is :func:`~.catalog.newest_listing`'s:
an unreadable newest snapshot is a problem, never hidden by an older readable one,
and safety snapshots taken before restores are no backups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Literal

from django_snapshots.durations import format_duration, parse_duration
from django_snapshots.engine.catalog import list_snapshots, newest_listing
from django_snapshots.settings import get_settings, get_storage
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["EXIT_CODES", "BackupState", "BackupStatus", "backup_status"]

BackupState = Literal["fresh", "stale", "unreadable"]
"""``fresh``: readable and young enough; ``stale``: too old or none at all;
``unreadable``: the newest snapshot or the storage cannot be read."""

EXIT_CODES: Final[dict[BackupState, int]] = {"fresh": 0, "stale": 1, "unreadable": 2}
"""The exit status of ``snapshots status`` for each state."""


@dataclass(frozen=True)
class BackupStatus:
    """How fresh the newest snapshot is, as :func:`backup_status` found it."""

    state: BackupState
    message: str
    """One line saying what was found."""
    checked_at: datetime
    newest: str | None = None
    """The newest snapshot's name (None when storage holds none or cannot be read)."""
    created_at: datetime | None = None
    """When the newest snapshot was taken, where known."""
    max_age: str | None = None
    """``SNAPSHOTS["MAX_AGE"]`` as an ISO-8601 duration, or None when unset."""
    error: str | None = None
    """Why the newest snapshot or the storage cannot be read."""

    @property
    def exit_code(self) -> int:
        """Return the exit status of ``snapshots status``: 0 fresh, 1 stale, 2 unreadable."""
        return EXIT_CODES[self.state]

    @property
    def age_seconds(self) -> float | None:
        """Return the newest snapshot's age in seconds, where known."""
        if self.created_at is None:
            return None
        return (self.checked_at - self.created_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """Return the status as JSON-able data (times as ISO-8601 text)."""
        return {
            "state": self.state,
            "exit_code": self.exit_code,
            "message": self.message,
            "newest": self.newest,
            "created_at": None if self.created_at is None else self.created_at.isoformat(),
            "age_seconds": self.age_seconds,
            "max_age": self.max_age,
            "checked_at": self.checked_at.isoformat(),
            "error": self.error,
        }


def _iso(value: str | timedelta | None) -> str | None:
    """Return a duration setting as ISO-8601 text."""
    if isinstance(value, timedelta):
        return format_duration(value)
    return value


def _cutoff(value: str | timedelta, now: datetime) -> datetime:
    """Return the oldest creation time ``value`` still counts as fresh at ``now``."""
    if isinstance(value, timedelta):
        return now - value
    return parse_duration(value).before(now)


def backup_status(
    *, storage: SnapshotStorage | None = None, now: datetime | None = None
) -> BackupStatus:
    """Return how fresh the newest snapshot is; never raise for an unreachable storage.

    ``stale`` when ``SNAPSHOTS["MAX_AGE"]`` is set and the newest snapshot is older,
    or when storage holds no snapshot at all; ``unreadable`` when the newest snapshot
    or the storage cannot be read; ``fresh`` otherwise.
    """
    checked_at = now or datetime.now(timezone.utc)
    setting = get_settings().max_age
    max_age = _iso(setting)
    try:
        store = storage if storage is not None else get_storage()
        newest = newest_listing(list_snapshots(storage=store))
    except Exception as error:  # noqa: BLE001 - any failure to read storage is a status
        reason = " ".join(str(error).split()) or type(error).__name__
        return BackupStatus(
            "unreadable",
            f"the snapshot storage cannot be read: {reason}",
            checked_at,
            max_age=max_age,
            error=reason,
        )
    if newest is None:
        return BackupStatus("stale", "no snapshot in storage", checked_at, max_age=max_age)
    if newest.snapshot is None:
        return BackupStatus(
            "unreadable",
            f"the newest snapshot {newest.name!r} cannot be read ({newest.error})",
            checked_at,
            newest=newest.name,
            created_at=newest.created_at,
            max_age=max_age,
            error=newest.error,
        )
    created_at = newest.snapshot.created_at
    taken = created_at.isoformat(timespec="seconds")
    if setting is not None and created_at < _cutoff(setting, checked_at):
        return BackupStatus(
            "stale",
            f"the newest snapshot {newest.name!r} was taken {taken}, longer ago than "
            f"MAX_AGE {max_age}",
            checked_at,
            newest=newest.name,
            created_at=created_at,
            max_age=max_age,
        )
    within = f", within MAX_AGE {max_age}" if max_age is not None else ""
    return BackupStatus(
        "fresh",
        f"the newest snapshot {newest.name!r} was taken {taken}{within}",
        checked_at,
        newest=newest.name,
        created_at=created_at,
        max_age=max_age,
    )
