"""What is wrong with a storage beyond its snapshots: debris a killed writer left behind.

``snapshots check`` prints these findings; nothing here changes the storage.
"""

from __future__ import annotations

from datetime import datetime, timezone

from django_snapshots.engine.pools import pool_findings
from django_snapshots.locking import DEFAULT_STALE_AFTER, lock_entries
from django_snapshots.naming import ARCHIVE_SUFFIX, is_valid_name
from django_snapshots.settings import get_storage
from django_snapshots.storage.protocols import MultipartUploadStorage, SnapshotStorage

__all__ = ["storage_findings"]


def _snapshot_of(path: str) -> str | None:
    """Return the snapshot name a storage path belongs to, or None."""
    head, slash, _ = path.partition("/")
    name = head if slash else head.removesuffix(ARCHIVE_SUFFIX)
    return name if is_valid_name(name) else None


def _unfinished_uploads(storage: SnapshotStorage, paths: list[str]) -> list[str]:
    """Describe the unfinished uploads of ``paths`` that no running backup owns."""
    now = datetime.now(timezone.utc)
    running: dict[str, bool] = {}
    found: list[str] = []
    for path in paths:
        name = _snapshot_of(path)
        if name is None:
            found.append(f"unfinished upload of {path!r}, outside any snapshot")
            continue
        if name not in running:
            running[name] = any(
                not entry.is_stale(now, DEFAULT_STALE_AFTER)
                for entry in lock_entries(storage, name)
            )
        if not running[name]:
            found.append(
                f"unfinished upload of {path!r} (snapshot {name!r}): the next backup or "
                "delete of that name aborts it"
            )
    return found


def storage_findings(*, storage: SnapshotStorage | None = None) -> list[str]:
    """Return one line per piece of debris in storage (empty when it is clean).

    Unfinished multipart uploads (on storages that can list them) are reported unless
    a live backup of their snapshot holds its lock; so are the media pool's unreferenced,
    missing and orphan content.
    """
    store = storage if storage is not None else get_storage()
    findings: list[str] = []
    if isinstance(store, MultipartUploadStorage):
        findings.extend(_unfinished_uploads(store, store.incomplete_uploads("")))
    findings.extend(pool_findings(store))
    return findings
