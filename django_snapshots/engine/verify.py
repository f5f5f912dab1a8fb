"""Verifying a snapshot: re-hash every artifact against its manifest record."""

from __future__ import annotations

from django_snapshots.engine.catalog import resolve, resolve_newest
from django_snapshots.engine.fetch import check_all
from django_snapshots.engine.types import ProgressCallback, VerificationReport
from django_snapshots.settings import get_storage
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["verify_snapshot"]


def verify_snapshot(
    name: str | None = None,
    *,
    storage: SnapshotStorage | None = None,
    progress: ProgressCallback | None = None,
) -> VerificationReport:
    """Re-hash every artifact of snapshot ``name`` (default: the newest).

    Problems with artifacts are reported, not raised; a missing or unreadable
    manifest raises as :func:`~django_snapshots.get_snapshot` does — for the newest
    snapshot too, which is never silently replaced by an older readable one.
    ``progress`` receives ``"verify"`` events.
    """
    store = storage if storage is not None else get_storage()
    location, snapshot = resolve_newest(store) if name is None else resolve(store, name)
    return VerificationReport(snapshot.name, check_all(store, location, snapshot, progress))
