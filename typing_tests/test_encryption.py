"""Static typing cases for the encryption protocols, AgeEncryption and its helpers.

Type-checked only (mypy --strict and pyright strict); nothing runs at import time.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from typing_extensions import assert_type

import django_snapshots
from django_snapshots.encryption import (
    AgeEncryption,
    BackupSession,
    ManifestVerifier,
    RestoreSession,
    SnapshotEncryption,
    canonical_manifest_payload,
    generate_identity,
    generate_signing_pair,
    keygen_text,
)
from django_snapshots.encryption.sessions import AgeBackupSession, AgeRestoreSession
from django_snapshots.testing import PoolEncryptionContract, SnapshotEncryptionContract


def age_encryption_is_a_snapshot_encryption(backend: SnapshotEncryption) -> None:
    """AgeEncryption and its sessions satisfy the protocols; results are typed."""
    as_backend: SnapshotEncryption = AgeEncryption(passphrase="pw")
    age = AgeEncryption(recipients=["age1..."], signing_key="SNAPSHOTS-SIGNING-KEY-...")
    backup = age.begin_backup("nightly")
    assert_type(backup, AgeBackupSession)
    as_protocol: BackupSession = backup
    assert_type(backup.header, dict[str, Any])
    assert_type(backup.content_key, bytes)
    assert_type(backup.encrypting_reader(io.BytesIO(), "a.bin"), IO[bytes])
    assert_type(backup.seal(b"payload"), dict[str, Any])
    restore = age.begin_restore("nightly", backup.header)
    assert_type(restore, AgeRestoreSession)
    restore_protocol: RestoreSession = restore
    assert_type(restore.verify(b"payload", None), None)
    assert_type(restore.decrypting_writer(io.BytesIO(), "a.bin"), IO[bytes])
    assert_type(age.begin_verify("nightly", None), ManifestVerifier)
    assert_type(age.can_back_up, bool)
    assert_type(backend.begin_backup("nightly"), BackupSession)
    assert_type(backend.begin_restore("nightly", {}), RestoreSession)
    assert_type(canonical_manifest_payload({"name": "nightly"}), bytes)
    assert_type(generate_identity(), tuple[str, str])
    assert_type(generate_signing_pair(), tuple[str, str])
    assert_type(keygen_text(signing=True), str)
    top: SnapshotEncryption = django_snapshots.AgeEncryption(passphrase="pw")
    assert_type(django_snapshots.AgeEncryption, type[AgeEncryption])
    assert_type(django_snapshots.SnapshotEncryption, type[SnapshotEncryption])
    del as_backend, as_protocol, restore_protocol, top


class NoVerify:
    """A backend without ``begin_verify``."""

    def begin_backup(self, snapshot_name: str) -> BackupSession:
        raise NotImplementedError

    def begin_restore(self, snapshot_name: str, header: Mapping[str, Any] | None) -> RestoreSession:
        raise NotImplementedError


class WrongSessionType:
    """``begin_backup`` returns a plain dict instead of a session."""

    def begin_backup(self, snapshot_name: str) -> dict[str, Any]:
        return {}

    def begin_verify(
        self, snapshot_name: str, header: Mapping[str, Any] | None
    ) -> ManifestVerifier:
        raise NotImplementedError

    def begin_restore(self, snapshot_name: str, header: Mapping[str, Any] | None) -> RestoreSession:
        raise NotImplementedError


class TextReader:
    """``encrypting_reader`` returns a text stream."""

    header: dict[str, Any] = {}
    content_key: bytes = b""

    def encrypting_reader(self, source: IO[bytes], filename: str) -> IO[str]:
        return io.StringIO()

    def seal(self, payload: bytes) -> dict[str, Any]:
        return {}


class NoContentKey:
    """A restore session without ``content_key``."""

    def verify(self, payload: bytes, seal: Mapping[str, Any] | None) -> None: ...

    def decrypting_writer(self, sink: IO[bytes], filename: str) -> IO[bytes]:
        return sink


# Both checkers reject a missing method, a wrong return type, or a missing attribute.
no_verify: SnapshotEncryption = NoVerify()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
wrong_session: SnapshotEncryption = WrongSessionType()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
text_reader: BackupSession = TextReader()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
no_content_key: RestoreSession = NoContentKey()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]


def options_are_keyword_only() -> None:
    """AgeEncryption takes its options by keyword only, as SNAPSHOTS OPTIONS pass them."""
    AgeEncryption("pw")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def can_back_up_is_read_only(age: AgeEncryption) -> None:
    """Whether a host can back up follows from its keys; it cannot be set."""
    age.can_back_up = True  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]


class MyContract(SnapshotEncryptionContract):
    """A contract subclass returns its backend from make_encryption."""

    def make_encryption(self, tmp_path: Any) -> SnapshotEncryption:
        return AgeEncryption(passphrase="pw")


class MyPoolContract(PoolEncryptionContract):
    """A pool contract subclass may narrow its factories and decline a backup-only host."""

    def make_encryption(self, tmp_path: Any) -> AgeEncryption:
        return AgeEncryption(passphrase="pw")

    def make_restore_encryption(self, tmp_path: Any) -> AgeEncryption:
        return AgeEncryption(passphrase="pw")

    def make_backup_only_encryption(self, tmp_path: Any) -> SnapshotEncryption | None:
        return None
