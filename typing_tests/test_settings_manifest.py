"""Static typing cases for settings, durations and the manifest dataclasses.

Type-checked only; the functions are never called.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from typing_extensions import assert_type

from django_snapshots.connectors.protocols import DatabaseConnector
from django_snapshots.durations import IsoDuration, parse_duration
from django_snapshots.encryption import SnapshotEncryption
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.settings import (
    PruneConfig,
    SnapshotSettings,
    get_settings,
    get_storage,
    normalise_settings,
)
from django_snapshots.storage.protocols import SnapshotStorage


def settings_fields_are_typed() -> None:
    """Every settings field and accessor has a precise type."""
    settings = get_settings()
    assert_type(settings, SnapshotSettings)
    assert_type(normalise_settings({}), SnapshotSettings)
    assert_type(get_storage(), SnapshotStorage)
    assert_type(settings.storage_backend(), SnapshotStorage)
    assert_type(settings.storage, SnapshotStorage | dict[str, Any] | None)
    assert_type(settings.snapshot_format, Literal["directory", "archive"])
    assert_type(settings.snapshot_name, str | Callable[[datetime], str])
    assert_type(settings.metadata, dict[str, Any])
    assert_type(settings.encryption, SnapshotEncryption | dict[str, Any] | None)
    assert_type(settings.encryption_backend(), SnapshotEncryption | None)
    assert_type(settings.media_storage, str | None)
    assert_type(settings.safety_keep, str | timedelta)
    assert_type(settings.max_age, str | timedelta | None)
    assert_type(settings.database_connectors, dict[str, str | DatabaseConnector])
    assert_type(settings.connector_for("default"), DatabaseConnector | None)
    assert_type(settings.prune, PruneConfig | None)
    assert_type(settings.default_artifacts, list[str] | None)


def prune_fields_are_typed() -> None:
    """PruneConfig fields and the duration parser are typed."""
    prune = PruneConfig(keep=3, duration="P30D")
    assert_type(prune.keep, int | None)
    assert_type(prune.duration, str | timedelta | None)
    assert_type(prune.max_size, int | None)
    assert_type(prune.keep_daily, int | None)
    assert_type(prune.keep_weekly, int | None)
    assert_type(prune.keep_monthly, int | None)
    assert_type(prune.duration_cutoff(datetime.now()), datetime | None)
    duration = parse_duration("P1Y2M")
    assert_type(duration, IsoDuration)
    assert_type(duration.months, int)
    assert_type(duration.seconds, float)
    assert_type(duration.before(datetime.now()), datetime)


def manifest_fields_are_typed() -> None:
    """Snapshot and ArtifactRecord fields and parsers are typed."""
    snapshot = Snapshot.from_json(b"{}")
    assert_type(snapshot, Snapshot)
    assert_type(Snapshot.from_dict({}), Snapshot)
    assert_type(snapshot.name, str)
    assert_type(snapshot.version, str)
    assert_type(snapshot.created_at, datetime)
    assert_type(snapshot.django_version, str)
    assert_type(snapshot.python_version, str)
    assert_type(snapshot.hostname, str)
    assert_type(snapshot.encrypted, bool)
    assert_type(snapshot.pip, list[str])
    assert_type(snapshot.metadata, dict[str, Any])
    assert_type(snapshot.artifacts, list[ArtifactRecord])
    assert_type(snapshot.extra, dict[str, Any])
    assert_type(snapshot.size, int)
    assert_type(snapshot.to_json(), bytes)
    assert_type(snapshot.to_dict(), dict[str, Any])
    record = snapshot.artifact("default.sql.gz")
    assert_type(record, ArtifactRecord)
    assert_type(record.type, str)
    assert_type(record.filename, str)
    assert_type(record.size, int)
    assert_type(record.checksum, str)
    assert_type(record.created_at, datetime)
    assert_type(record.metadata, dict[str, Any])


def wrong_setting_types_are_rejected() -> None:
    """Both checkers reject a wrong snapshot_format literal and a str keep count."""
    SnapshotSettings(snapshot_format="zip")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    PruneConfig(keep="3")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
