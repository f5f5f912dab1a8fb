"""The age sessions: stream artifacts through age, seal and verify manifests.

A :class:`AgeBackupSession` encrypts each artifact to a fixed list of age recipients
with pyrage (through :mod:`~django_snapshots.encryption.pump`); a
:class:`AgeRestoreSession` decrypts with a list of identities
(:mod:`~django_snapshots.encryption.agedecrypt`), and only after the manifest has been
verified. Both stream with bounded memory; the files they produce are standard age
files (binary, not armored), which ``age -d -i identity.txt`` opens.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any, Protocol, cast

import pyrage

from django_snapshots.encryption.agedecrypt import AgeDecryptError, AgeDecryptingWriter, X25519Key
from django_snapshots.encryption.protocols import ManifestVerifier
from django_snapshots.encryption.pump import PumpReader
from django_snapshots.exceptions import SnapshotEncryptionError, SnapshotIntegrityError
from django_snapshots.streams import binary

__all__ = ["AgeBackupSession", "AgeRestoreSession", "one_line"]


class _Sealer(Protocol):
    def seal(self, payload: bytes) -> dict[str, Any]: ...


def one_line(error: BaseException) -> str:
    """Return ``str(error)`` on one line (pyrage messages may span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def _buffered(stream: IO[bytes]) -> io.BufferedIOBase:
    """Return ``stream`` typed as pyrage's stubs want it (pyrage only calls read/write)."""
    return cast("io.BufferedIOBase", stream)


class AgeBackupSession:
    """Encrypt one snapshot's artifacts to age recipients, and seal its manifest."""

    def __init__(
        self,
        snapshot_name: str,
        recipients: Sequence[pyrage.x25519.Recipient],
        header: dict[str, Any],
        content_key: bytes,
        sealer: _Sealer,
    ) -> None:
        """Encrypt to ``recipients``; ``header`` and ``content_key`` are handed out as is."""
        self.snapshot_name: str = snapshot_name
        """The snapshot being backed up."""
        self.header: dict[str, Any] = header
        """The manifest's ``"encryption"`` value (no secret in the clear)."""
        self.content_key: bytes = content_key
        """The repository's content-id key."""
        self._recipients = list(recipients)
        self._sealer = sealer

    def encrypting_reader(self, source: IO[bytes], filename: str) -> IO[bytes]:
        """Return a readable stream of ``source`` as an age file, encrypted as it is read."""
        recipients = self._recipients

        def encrypt(reader: IO[bytes], writer: IO[bytes]) -> None:
            pyrage.encrypt_io(_buffered(reader), _buffered(writer), recipients)

        def failed(error: BaseException) -> BaseException:
            return SnapshotEncryptionError(
                f"snapshot {self.snapshot_name!r}: encrypting {filename!r} failed: "
                f"{one_line(error)}"
            )

        return binary(PumpReader(encrypt, source, failed, name=f"age-encrypt {filename}"))

    def seal(self, payload: bytes) -> dict[str, Any]:
        """Return the seal authenticating the canonical manifest ``payload``."""
        return self._sealer.seal(payload)


class AgeRestoreSession:
    """Verify one snapshot's manifest, then decrypt its artifacts with age identities."""

    def __init__(
        self,
        snapshot_name: str,
        identities: Callable[[], Sequence[pyrage.x25519.Identity]],
        content_key: bytes,
        verifier: ManifestVerifier,
    ) -> None:
        """Decrypt with what ``identities()`` returns (called once, after verification)."""
        self.snapshot_name: str = snapshot_name
        """The snapshot being restored."""
        self.content_key: bytes = content_key
        """The repository's content-id key (trust it only once :meth:`verify` passed)."""
        self._load_identities = identities
        self._keys: list[X25519Key] | None = None
        self._verifier = verifier
        self._verified = False

    def verify(self, payload: bytes, seal: Mapping[str, Any] | None) -> None:
        """Check the manifest seal; decryption is refused until this has passed."""
        self._verifier.verify(payload, seal)
        self._verified = True

    def decrypting_writer(self, sink: IO[bytes], filename: str) -> IO[bytes]:
        """Return a writable stream that decrypts the age file written to it into ``sink``."""
        if not self._verified:
            raise SnapshotEncryptionError(
                f"snapshot {self.snapshot_name!r}: refusing to decrypt {filename!r} "
                "before the manifest has been verified"
            )
        if self._keys is None:
            self._keys = [X25519Key.from_identity(item) for item in self._load_identities()]

        def failed(error: AgeDecryptError) -> BaseException:
            if error.no_matching_key:
                return SnapshotEncryptionError(
                    f"snapshot {self.snapshot_name!r}: {filename!r} is not encrypted to "
                    "this snapshot's key (an artifact of another snapshot?)"
                )
            return SnapshotIntegrityError(
                f"snapshot {self.snapshot_name!r}: {filename!r} is damaged, truncated "
                f"or was changed ({error})"
            )

        return binary(AgeDecryptingWriter(sink, self._keys, failed))
