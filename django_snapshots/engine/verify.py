"""Verifying a snapshot: re-hash every artifact against its manifest record."""

from __future__ import annotations

from django_snapshots.engine.catalog import resolve, resolve_newest
from django_snapshots.engine.crypto import check_authenticity
from django_snapshots.engine.fetch import check_all
from django_snapshots.engine.pools import verify_pools
from django_snapshots.engine.types import ArtifactCheck, ProgressCallback, VerificationReport
from django_snapshots.settings import get_settings, get_storage
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["verify_snapshot"]


def verify_snapshot(
    name: str | None = None,
    *,
    storage: SnapshotStorage | None = None,
    progress: ProgressCallback | None = None,
    read_data: bool = False,
    read_data_subset: tuple[int, int] | None = None,
) -> VerificationReport:
    """Re-hash every artifact of snapshot ``name`` (default: the newest).

    Problems with artifacts are reported, not raised; a missing or unreadable
    manifest raises as :func:`~django_snapshots.get_snapshot` does — for the newest
    snapshot too, which is never silently replaced by an older readable one. With
    ``ENCRYPTION`` set, a manifest whose seal fails or is missing raises
    :class:`~django_snapshots.SnapshotEncryptionError`; encrypted artifacts are checked
    against the stored bytes' size and sha256, so no decryption key is needed.
    ``progress`` receives ``"verify"`` events. Pool content (media) is checked when this
    host can read the pool; an encrypted pool needs its key (else a note says so, and
    ``read_data`` fails).
    """
    store = storage if storage is not None else get_storage()
    location, snapshot = resolve_newest(store) if name is None else resolve(store, name)
    encryption = get_settings().encryption_backend()
    check_authenticity(encryption, snapshot)
    checks = check_all(store, location, snapshot, progress)
    for record in snapshot.artifacts:
        if record.metadata.get("layout") == "pool":
            problems, unreadable = verify_pools(
                store, snapshot, encryption, read_data=read_data, subset=read_data_subset
            )
            checks.extend(ArtifactCheck(record.filename, False, problem) for problem in problems)
            for pool in unreadable:
                # Without the key nothing of the pool can be checked: a note, unless the
                # caller asked for the content to be read.
                message = f"pool content not checked: this host holds no key to read pool {pool}"
                checks.append(ArtifactCheck(record.filename, not read_data, message))
            if not problems and not unreadable:
                what = "re-hashed" if read_data else "present with the right sizes"
                checks.append(ArtifactCheck(record.filename, True, f"pool content {what}"))
            break
    return VerificationReport(snapshot.name, checks)
