"""The encryption protocols: what an encryption backend and its sessions must do.

A backend (``SNAPSHOTS["ENCRYPTION"]``) is consulted once per snapshot and hands out a
*session* that holds that snapshot's keys::

    SnapshotEncryption
      begin_backup(name)           -> BackupSession    encrypt artifacts, seal the manifest
      begin_verify(name, header)   -> ManifestVerifier check the seal (no decryption key)
      begin_restore(name, header)  -> RestoreSession   check the seal, decrypt artifacts

The engine drives them in this order. At backup: ``begin_backup``; each artifact is
pulled through ``encrypting_reader`` between compression and hashing; the manifest
gets ``"encryption": session.header``, and finally
``"authentication": session.seal(canonical_manifest_payload(manifest))``. At restore:
``begin_restore(name, manifest.get("encryption"))``, then ``verify(payload, seal)``
before anything is decrypted, then each fetched artifact is pushed through
``decrypting_writer`` between hashing and decompression.

Streams are the ``IO[bytes]`` stages of :mod:`django_snapshots.streams`: bounded
memory whatever the artifact size. Every expected failure is a one-line
:class:`~django_snapshots.exceptions.SnapshotEncryptionError` (a key is missing or
wrong, the seal fails or is absent) or
:class:`~django_snapshots.exceptions.SnapshotIntegrityError` (the ciphertext is
damaged or truncated) naming the snapshot. Implementations conform structurally (no
inheritance needed); :func:`django_snapshots.check_conformance` compares signatures,
and :class:`django_snapshots.testing.SnapshotEncryptionContract` checks behaviour.

A backend may also implement :class:`PoolEncryption`, an optional capability the
engine discovers with ``isinstance``: then encrypted directory-format snapshots keep
their media in an encrypted, content-addressed pool (``docs/media.md``) instead of
one encrypted tar per snapshot; :class:`django_snapshots.testing.PoolEncryptionContract`
checks its behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from typing_extensions import Protocol, runtime_checkable

from django_snapshots.pool.codec import PoolCodec
from django_snapshots.pool.ids import ContentIds

__all__ = [
    "BackupSession",
    "ManifestVerifier",
    "PoolEncryption",
    "RestoreSession",
    "SnapshotEncryption",
]


@runtime_checkable
class ManifestVerifier(Protocol):
    """Checks a snapshot manifest's seal; needs no key that decrypts artifacts."""

    def verify(self, payload: bytes, seal: Mapping[str, Any] | None) -> None:
        """Return if ``seal`` authenticates ``payload``; raise otherwise.

        ``payload`` is :func:`~django_snapshots.encryption.canonical_manifest_payload`
        of the manifest as read; ``seal`` its ``"authentication"`` value, or None when
        the manifest has none. A missing, malformed or failing seal raises a one-line
        :class:`~django_snapshots.exceptions.SnapshotEncryptionError` naming the
        snapshot.
        """
        ...


@runtime_checkable
class BackupSession(Protocol):
    """One snapshot's encryption state while it is backed up."""

    header: dict[str, Any]
    """JSON-able facts a restore needs, stored in plaintext as the manifest's
    ``"encryption"`` key: the scheme, wrapped (never plain) keys, key fingerprints."""

    content_key: bytes
    """A secret of at least 32 bytes, the same for every snapshot of one repository
    and key set, from which keyed content ids are derived (HMAC)."""

    def encrypting_reader(self, source: IO[bytes], filename: str) -> IO[bytes]:
        """Return a readable stream of ``source`` encrypted, for the artifact ``filename``.

        ``source`` is read in bounded chunks as the result is read (possibly from
        another thread: do not read ``source`` yourself meanwhile). The result must be
        read to its end (``b""``), which raises if encryption or ``source`` failed;
        closing it early stops the work.
        """
        ...

    def seal(self, payload: bytes) -> dict[str, Any]:
        """Return the JSON-able seal (MAC or signature) authenticating ``payload``."""
        ...


@runtime_checkable
class RestoreSession(ManifestVerifier, Protocol):
    """One snapshot's decryption state while it is restored.

    Call :meth:`verify` before :meth:`decrypting_writer`; an implementation may refuse
    to decrypt until the manifest has been verified.
    """

    content_key: bytes
    """The same secret the backup session had (see :attr:`BackupSession.content_key`)."""

    def decrypting_writer(self, sink: IO[bytes], filename: str) -> IO[bytes]:
        """Return a writable stream that decrypts what is written into ``sink``.

        Write the stored bytes of artifact ``filename``, then close the stream: closing
        checks that the ciphertext ended where it should, and raises
        :class:`~django_snapshots.exceptions.SnapshotIntegrityError` if it is truncated
        or was changed (a write may raise it earlier), or
        :class:`~django_snapshots.exceptions.SnapshotEncryptionError` if it is not
        encrypted to this snapshot's key. ``sink`` stays open; do not use it until the
        stream is closed. What reached ``sink`` before a failure is untrusted.
        """
        ...


@runtime_checkable
class SnapshotEncryption(Protocol):
    """An encryption backend: encrypts artifacts and authenticates manifests."""

    def begin_backup(self, snapshot_name: str) -> BackupSession:
        """Return the session that encrypts and seals snapshot ``snapshot_name``.

        Raise :class:`~django_snapshots.exceptions.SnapshotEncryptionError` if this
        host cannot make encrypted snapshots (for example it holds no recipients or no
        signing key).
        """
        ...

    def begin_verify(
        self, snapshot_name: str, header: Mapping[str, Any] | None
    ) -> ManifestVerifier:
        """Return what checks the seal of snapshot ``snapshot_name``, whose header is given.

        ``header`` is the manifest's ``"encryption"`` value, or None if it has none:
        then (an unencrypted snapshot where encrypted ones are expected) raise
        :class:`~django_snapshots.exceptions.SnapshotEncryptionError`, as when the
        header belongs to another scheme or snapshot, or the needed key is absent.
        """
        ...

    def begin_restore(self, snapshot_name: str, header: Mapping[str, Any] | None) -> RestoreSession:
        """Return the session that verifies and decrypts snapshot ``snapshot_name``.

        Raise :class:`~django_snapshots.exceptions.SnapshotEncryptionError`, in one line
        saying what is missing, when this host lacks the secret (a backup host with
        only recipients, a wrong passphrase or identity), and in every case
        :meth:`begin_verify` raises.
        """
        ...


@runtime_checkable
class PoolEncryption(Protocol):
    """Optional capability of a :class:`SnapshotEncryption` backend: encrypt the media pool.

    The pool is shared by the snapshots of a repository, so its keys must be
    repository-wide and stable: a restore reads packs that earlier snapshots wrote,
    and garbage collection rewrites packs that later snapshots will read. The engine
    names the pool folder after ``pool_ids(...).fingerprint`` and ``pool_codec(...).name``:
    both must come out the same on every host holding the keys.
    """

    def pool_ids(self, content_key: bytes, header: Mapping[str, Any]) -> ContentIds:
        """Return the keyed content-id scheme of the pool a snapshot's media goes to.

        ``content_key`` is the snapshot session's (:attr:`BackupSession.content_key`,
        equal to :attr:`RestoreSession.content_key`) and ``header`` its (verified)
        ``"encryption"`` header, so a backup host and a restore host derive the same
        scheme. A change of keys that should start a new pool (new recipients, say)
        must change the fingerprint. Ids must reveal nothing of the content without
        the key.
        """
        ...

    def pool_codec(self, *, writing: bool) -> PoolCodec | None:
        """Return the codec that encrypts and decrypts whole pool objects, or None.

        With ``writing`` (a backup, a garbage collection) the codec must both encrypt
        and decrypt; without (a restore, ``check``, ``verify``) it must decrypt. Return
        None when this host cannot: a backup host holding only public recipients cannot
        read the pool's index, so it cannot deduplicate against it, and the engine keeps
        that snapshot's media as one encrypted artifact instead. Its ``name`` must not
        depend on which half of the keys a host holds. Decoding an object encrypted to
        other keys raises a one-line
        :class:`~django_snapshots.exceptions.SnapshotEncryptionError`.
        """
        ...
