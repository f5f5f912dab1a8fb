"""Orchestration of backups, restores and verification: the typed Python API.

The command line is a thin layer over these functions. They only coordinate:
artifacts produce files (:mod:`~django_snapshots.engine.produce` runs them),
:mod:`django_snapshots.streams` compresses and hashes, :mod:`django_snapshots.layout`
lays the files out in storage, and :mod:`django_snapshots.locking` keeps two backups
of one name apart. One module per concern: :mod:`~.backup`, :mod:`~.restore`,
:mod:`~.verify`, :mod:`~.catalog` (list, find, newest, delete), :mod:`~.fetch` and
:mod:`~.types`.
"""

from __future__ import annotations

from django_snapshots.engine.backup import (
    check_exporters,
    create_snapshot,
    default_artifact_names,
    default_exporters,
)
from django_snapshots.engine.catalog import (
    collect_garbage,
    delete_snapshot,
    get_snapshot,
    list_snapshots,
    newest_listing,
)
from django_snapshots.engine.restore import (
    RestorePlan,
    check_database_aliases,
    execute_restore,
    prepare_restore,
    restore_snapshot,
)
from django_snapshots.engine.types import (
    ArtifactCheck,
    ProgressCallback,
    ProgressEvent,
    SnapshotListing,
    Stage,
    VerificationReport,
)
from django_snapshots.engine.verify import verify_snapshot

__all__ = [
    "ArtifactCheck",
    "ProgressCallback",
    "ProgressEvent",
    "RestorePlan",
    "SnapshotListing",
    "Stage",
    "VerificationReport",
    "check_database_aliases",
    "check_exporters",
    "collect_garbage",
    "create_snapshot",
    "default_artifact_names",
    "default_exporters",
    "delete_snapshot",
    "execute_restore",
    "get_snapshot",
    "list_snapshots",
    "newest_listing",
    "prepare_restore",
    "restore_snapshot",
    "verify_snapshot",
]
