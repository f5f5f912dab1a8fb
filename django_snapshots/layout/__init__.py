"""Where a snapshot's files live in storage, in the directory and archive formats.

Every storage path (:mod:`~django_snapshots.layout.paths`) and every decision about
which files belong to a snapshot, which to keep and which to remove lives in this
package; the engine never spells a path. :mod:`~django_snapshots.layout.reading`
finds and reads snapshots, :mod:`~django_snapshots.layout.writing` writes, publishes,
recovers and deletes them, :mod:`~django_snapshots.layout.archive` streams the tar.
"""

from __future__ import annotations

from django_snapshots.layout.archive import write_archive
from django_snapshots.layout.paths import (
    LOCK_FOLDER,
    STAGING_FOLDER,
    SnapshotFormat,
    archive_path,
    check_artifact_filename,
    lock_folder,
    manifest_path,
    staged_path,
)
from django_snapshots.layout.reading import (
    Location,
    NameState,
    holds_files,
    iter_archive_members,
    locate,
    open_artifact,
    read_manifest,
    salvage_created_at,
    scan,
)
from django_snapshots.layout.writing import (
    SnapshotWriter,
    delete_files,
    move,
    open_writer,
    publish_staged,
    put,
    recover,
)

__all__ = [
    "LOCK_FOLDER",
    "STAGING_FOLDER",
    "Location",
    "NameState",
    "SnapshotFormat",
    "SnapshotWriter",
    "archive_path",
    "check_artifact_filename",
    "delete_files",
    "holds_files",
    "iter_archive_members",
    "locate",
    "lock_folder",
    "manifest_path",
    "move",
    "open_artifact",
    "open_writer",
    "publish_staged",
    "put",
    "read_manifest",
    "recover",
    "salvage_created_at",
    "scan",
    "staged_path",
    "write_archive",
]
