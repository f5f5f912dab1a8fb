"""Orchestration of backups, restores and verification: the typed Python API.

The command line is a thin layer over these functions. They only coordinate:
artifacts produce files (:mod:`~django_snapshots.engine.produce` runs them),
:mod:`django_snapshots.streams` compresses and hashes, :mod:`django_snapshots.layout`
lays the files out in storage, and :mod:`django_snapshots.locking` keeps two backups
of one name apart. One module per concern: :mod:`~.backup`, :mod:`~.restore`,
:mod:`~.verify`, :mod:`~.catalog` (list, find, newest, delete), :mod:`~.fetch` and
:mod:`~.types`; around restores :mod:`~.safety` (safety snapshots), :mod:`~.imports`
(running importers), :mod:`~.space` (room in scratch) and :mod:`~.undo`; then
:mod:`~.prune` (retention applied to storage) and :mod:`~.status` (freshness).
"""

from __future__ import annotations

from django_snapshots.engine.backup import (
    check_exporters,
    create_snapshot,
    default_artifact_names,
    default_exporters,
    exporters_for,
)
from django_snapshots.engine.catalog import (
    collect_garbage,
    delete_snapshot,
    get_snapshot,
    list_snapshots,
    newest_listing,
)
from django_snapshots.engine.prune import prune_policy, prune_snapshots
from django_snapshots.engine.restore import (
    RestorePlan,
    check_database_aliases,
    execute_restore,
    prepare_restore,
    restore_snapshot,
)
from django_snapshots.engine.status import BackupState, BackupStatus, backup_status
from django_snapshots.engine.types import (
    ArtifactCheck,
    ProgressCallback,
    ProgressEvent,
    SnapshotListing,
    Stage,
    VerificationReport,
)
from django_snapshots.engine.undo import UndoPlan, execute_undo, prepare_undo, undo_last_restore
from django_snapshots.engine.verify import verify_snapshot

__all__ = [
    "ArtifactCheck",
    "BackupState",
    "BackupStatus",
    "ProgressCallback",
    "ProgressEvent",
    "RestorePlan",
    "SnapshotListing",
    "Stage",
    "UndoPlan",
    "VerificationReport",
    "backup_status",
    "check_database_aliases",
    "check_exporters",
    "collect_garbage",
    "create_snapshot",
    "default_artifact_names",
    "default_exporters",
    "delete_snapshot",
    "execute_restore",
    "execute_undo",
    "exporters_for",
    "get_snapshot",
    "list_snapshots",
    "newest_listing",
    "prepare_restore",
    "prepare_undo",
    "prune_policy",
    "prune_snapshots",
    "restore_snapshot",
    "undo_last_restore",
    "verify_snapshot",
]
