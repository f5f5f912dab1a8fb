"""The age pool codec: every pack and index file of an encrypted media pool is an age file.

:class:`AgePoolCodec` is the :class:`~django_snapshots.pool.PoolCodec` that
:meth:`AgeEncryption.pool_codec <django_snapshots.encryption.AgeEncryption.pool_codec>`
hands out: each whole pool object is encrypted to a fixed set of age recipients as it
is uploaded (pyrage, through :mod:`~django_snapshots.encryption.pump`) and decrypted
with a set of identities as it is downloaded
(:mod:`~django_snapshots.encryption.agedecrypt`), with bounded memory. The stored objects
are standard binary age files. In passphrase mode the recipient is that of an identity
derived from the passphrase; in public-key mode they are the configured recipients.
:func:`keyed_pool_ids` names the pool's content (HMAC-SHA256 under a key derived from
the repository's content key).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import IO, Final, cast

import pyrage

from django_snapshots.encryption.agedecrypt import AgeDecryptError, AgeDecryptingWriter, X25519Key
from django_snapshots.encryption.keys import derive_key
from django_snapshots.encryption.pump import PumpReader
from django_snapshots.encryption.sessions import one_line
from django_snapshots.exceptions import SnapshotEncryptionError
from django_snapshots.pool.ids import HmacSha256Ids
from django_snapshots.streams import binary

__all__ = ["POOL_CODEC_NAME", "AgePoolCodec", "keyed_pool_ids"]

POOL_CODEC_NAME: Final = "age"
"""The codec name recorded in the pool's ``config.json`` and appended to its folder name."""


def keyed_pool_ids(content_key: bytes, recipients: object = None) -> HmacSha256Ids:
    """Return the pool's content ids: HMAC-SHA256 under a key derived from ``content_key``.

    ``recipients`` is a header's list of recipient fingerprints (public-key mode), or
    None: the derived key covers the set, so other recipients give another pool.
    """
    if recipients is None:
        return HmacSha256Ids(derive_key(content_key, "pool-ids"))
    items = cast("list[object]", recipients) if isinstance(recipients, list) else []
    listed = ",".join(sorted({str(item) for item in items}))
    return HmacSha256Ids(derive_key(content_key, f"pool-ids:{listed}"))


def _buffered(stream: IO[bytes]) -> io.BufferedIOBase:
    """Return ``stream`` typed as pyrage's stubs want it (pyrage only calls read/write)."""
    return cast("io.BufferedIOBase", stream)


class AgePoolCodec:
    """Encrypt whole pool objects to age recipients; decrypt them with age identities."""

    def __init__(
        self,
        recipients: Sequence[pyrage.x25519.Recipient],
        identities: Sequence[pyrage.x25519.Identity],
    ) -> None:
        """Encrypt to ``recipients`` and decrypt with ``identities`` (either may be empty)."""
        self.name: str = POOL_CODEC_NAME
        """Always ``"age"``, whatever the keys: hosts holding different halves agree on it."""
        self._recipients = list(recipients)
        self._identities = list(identities)
        self._keys = [X25519Key.from_identity(item) for item in self._identities]

    def __repr__(self) -> str:
        """Return ``AgePoolCodec(<n> recipients, <m> identities)`` without any key."""
        return (
            f"AgePoolCodec({len(self._recipients)} recipients, {len(self._identities)} identities)"
        )

    def encoding_reader(self, source: IO[bytes]) -> IO[bytes]:
        """Return a stream of ``source`` as an age file, encrypted as it is read."""
        recipients = self._recipients
        if not recipients:
            raise SnapshotEncryptionError(
                "cannot write to the encrypted media pool: this host has no age recipients"
            )

        def encrypt(reader: IO[bytes], writer: IO[bytes]) -> None:
            pyrage.encrypt_io(_buffered(reader), _buffered(writer), recipients)

        def failed(error: BaseException) -> BaseException:
            return SnapshotEncryptionError(
                f"encrypting a media pool object failed: {one_line(error)}"
            )

        return binary(PumpReader(encrypt, source, failed, name="age-encrypt pool"))

    def decoding_writer(self, sink: IO[bytes]) -> IO[bytes]:
        """Return a stream that decrypts the age file written to it into ``sink``.

        An object encrypted to other keys raises
        :class:`~django_snapshots.exceptions.SnapshotEncryptionError`; a damaged or
        truncated one raises ``ValueError``, which the pool reports as a corrupt object
        naming its path.
        """
        if not self._keys:
            raise SnapshotEncryptionError(
                "cannot read the encrypted media pool: this host has no age identity"
            )

        def failed(error: AgeDecryptError) -> BaseException:
            if error.no_matching_key:
                return SnapshotEncryptionError(
                    "the encrypted media pool does not open with this host's key "
                    "(configure the key that wrote it)"
                )
            return ValueError(f"age decryption failed: {error}")

        return binary(AgeDecryptingWriter(sink, self._keys, failed))
