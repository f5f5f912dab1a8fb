"""Verifying a snapshot: re-hash every artifact against its manifest record."""

from __future__ import annotations

from django_snapshots.engine.catalog import resolve, resolve_newest
from django_snapshots.engine.crypto import check_authenticity
from django_snapshots.engine.fetch import check_all
from django_snapshots.engine.types import ProgressCallback, VerificationReport
from django_snapshots.settings import get_settings, get_storage
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
    snapshot too, which is never silently replaced by an older readable one. With
    ``ENCRYPTION`` set, a manifest whose seal fails or is missing raises
    :class:`~django_snapshots.SnapshotEncryptionError`; encrypted artifacts are checked
    against the stored bytes' size and sha256, so no decryption key is needed.
    ``progress`` receives ``"verify"`` events.
    """
    store = storage if storage is not None else get_storage()
    location, snapshot = resolve_newest(store) if name is None else resolve(store, name)
    check_authenticity(get_settings().encryption_backend(), snapshot)
    return VerificationReport(snapshot.name, check_all(store, location, snapshot, progress))
