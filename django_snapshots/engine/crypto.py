"""Where the engine meets ``SNAPSHOTS["ENCRYPTION"]``: sessions, seals, downgrade refusals.

A backup opens one :class:`~django_snapshots.encryption.BackupSession` per snapshot;
every artifact is encrypted between compression and the stored-bytes hash, and the
manifest is sealed last. A restore opens a
:class:`~django_snapshots.encryption.RestoreSession` and checks the seal before
anything is fetched. Without ``ENCRYPTION`` an encrypted snapshot is refused in one
line saying what is missing; with it, an unsealed (unencrypted) snapshot is refused too,
so nobody with write access to the storage can slip in a plaintext one.
"""

from __future__ import annotations

from django_snapshots.encryption import (
    BackupSession,
    RestoreSession,
    SnapshotEncryption,
    canonical_manifest_payload,
)
from django_snapshots.encryption.age import AgeEncryption
from django_snapshots.exceptions import SnapshotEncryptionError
from django_snapshots.manifest import Snapshot

__all__ = [
    "check_authenticity",
    "open_restore_session",
    "refuse_safety_without_keys",
    "seal_manifest",
]


def _payload(snapshot: Snapshot) -> bytes:
    """Return the bytes a seal covers: the whole manifest as this snapshot's name holds it."""
    return canonical_manifest_payload(snapshot.to_dict())


def seal_manifest(snapshot: Snapshot, session: BackupSession) -> None:
    """Mark ``snapshot`` encrypted, add the session's header, then seal the whole manifest."""
    snapshot.encrypted = True
    snapshot.extra.pop("authentication", None)
    snapshot.extra["encryption"] = session.header
    snapshot.extra["authentication"] = session.seal(_payload(snapshot))


def _is_encrypted(snapshot: Snapshot) -> bool:
    return snapshot.encrypted or any(record.encrypted for record in snapshot.artifacts)


def open_restore_session(
    encryption: SnapshotEncryption | None, snapshot: Snapshot
) -> RestoreSession | None:
    """Return the verified session that decrypts ``snapshot``, or None if it is plaintext.

    Raise :class:`~django_snapshots.SnapshotEncryptionError` naming the snapshot when it
    is encrypted but no ``ENCRYPTION`` is configured, and (from the backend) when the key
    is missing or wrong, or the seal fails or is absent.
    """
    if encryption is None:
        if _is_encrypted(snapshot):
            raise SnapshotEncryptionError(
                f"snapshot {snapshot.name!r} is encrypted: set SNAPSHOTS['ENCRYPTION'] "
                "with its key (passphrase or identities) to restore it"
            )
        return None
    session = encryption.begin_restore(snapshot.name, snapshot.encryption_header)
    session.verify(_payload(snapshot), snapshot.authentication)
    return session


def check_authenticity(encryption: SnapshotEncryption | None, snapshot: Snapshot) -> None:
    """Raise unless ``snapshot``'s seal verifies; do nothing without ``ENCRYPTION``."""
    if encryption is None:
        return
    verifier = encryption.begin_verify(snapshot.name, snapshot.encryption_header)
    verifier.verify(_payload(snapshot), snapshot.authentication)


def refuse_safety_without_keys(encryption: SnapshotEncryption | None, snapshot_name: str) -> None:
    """Refuse, before anything is fetched, a safety snapshot this host cannot encrypt.

    A restore-only host (identities and verify keys, no recipients or signing key) could
    only take a plaintext safety snapshot, which its own restores would then refuse.
    """
    if isinstance(encryption, AgeEncryption) and not encryption.can_back_up:
        raise SnapshotEncryptionError(
            f"cannot take the safety snapshot before restoring {snapshot_name!r}: this host "
            "is set up to restore only (ENCRYPTION has no 'recipients' and 'signing_key'); "
            "nothing was restored (--no-safety-snapshot restores without one)"
        )
