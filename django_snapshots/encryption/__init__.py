"""Encryption at rest and manifest authenticity.

``SNAPSHOTS["ENCRYPTION"]`` names a :class:`SnapshotEncryption` backend; the built-in
one is :class:`AgeEncryption` (the age file format, so ``age -d`` recovers any artifact
without this library). Modules:

- ``protocols``: :class:`SnapshotEncryption`, its session protocols, and the optional
  :class:`PoolEncryption` capability (an encrypted media pool).
- ``age``: :class:`AgeEncryption`, the built-in backend; ``sessions``: its sessions;
  ``poolcodec``: :class:`AgePoolCodec`, its media pool codec.
- ``sealing``: :func:`canonical_manifest_payload` and the MAC / signature seals.
- ``keys``: age and Ed25519 key text forms, key generation and derivation.
- ``pump``: turns pyrage's blocking encryption into a pulled stream; ``agedecrypt``:
  pushed age decryption; ``agewrap``: a passphrase-wrapped secret at a fixed cost.

See ``docs/encryption.md`` for the threat model, the formats and key management.
"""

from __future__ import annotations

from django_snapshots.encryption.age import AgeEncryption
from django_snapshots.encryption.keys import (
    generate_identity,
    generate_signing_pair,
    keygen_text,
)
from django_snapshots.encryption.poolcodec import AgePoolCodec
from django_snapshots.encryption.protocols import (
    BackupSession,
    ManifestVerifier,
    PoolEncryption,
    RestoreSession,
    SnapshotEncryption,
)
from django_snapshots.encryption.sealing import canonical_manifest_payload

__all__ = [
    "AgeEncryption",
    "AgePoolCodec",
    "BackupSession",
    "ManifestVerifier",
    "PoolEncryption",
    "RestoreSession",
    "SnapshotEncryption",
    "canonical_manifest_payload",
    "generate_identity",
    "generate_signing_pair",
    "keygen_text",
]
