"""``AgeEncryption``: artifacts in the age format, manifests sealed by MAC or signature.

Two modes, chosen by the options (``SNAPSHOTS["ENCRYPTION"]["OPTIONS"]``):

passphrase mode (``passphrase``)
    Each snapshot gets a fresh X25519 identity, stored in its header encrypted with
    the passphrase (an age file with an scrypt recipient, work factor 2^17:
    :mod:`~django_snapshots.encryption.agewrap`); artifacts are encrypted to that
    identity's recipient. Manifests carry an HMAC keyed from the passphrase.
public-key mode (``recipients``, ``identities``/``identity_file``, ``signing_key``,
``verify_keys``)
    Artifacts are encrypted to the recipients directly, so ``age -d -i identity.txt``
    opens one. Manifests carry an Ed25519 signature by ``signing_key``; restore hosts
    accept those of ``verify_keys``. A backup host needs ``recipients`` and
    ``signing_key`` only, and can neither read nor restore what it wrote.

Both modes also implement :class:`~django_snapshots.encryption.PoolEncryption`: the
media pool is encrypted too (:meth:`AgeEncryption.pool_codec`).

Header layouts (the manifest's ``"encryption"`` value) are in ``docs/encryption.md``.
"""

from __future__ import annotations

import base64
import hmac
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal, cast

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured

from django_snapshots.encryption import keys
from django_snapshots.encryption.agewrap import wrap_for_passphrase
from django_snapshots.encryption.options import option_error, parse_public_key_options
from django_snapshots.encryption.poolcodec import AgePoolCodec, keyed_pool_ids
from django_snapshots.encryption.protocols import ManifestVerifier
from django_snapshots.encryption.sealing import Ed25519Signer, Ed25519Verifier, HmacSealer
from django_snapshots.encryption.sessions import AgeBackupSession, AgeRestoreSession, one_line
from django_snapshots.exceptions import SnapshotEncryptionError, SnapshotIntegrityError
from django_snapshots.pool.ids import HmacSha256Ids

__all__ = ["HEADER_VERSION", "PASSPHRASE_SCHEME", "PUBLIC_KEY_SCHEME", "AgeEncryption"]

PASSPHRASE_SCHEME: Final = "age-passphrase"
"""Header ``scheme`` of passphrase mode."""

PUBLIC_KEY_SCHEME: Final = "age-x25519"
"""Header ``scheme`` of public-key mode."""

HEADER_VERSION: Final = 1
"""Header ``version`` this release writes and reads."""

_REMEMBERED: Final = 16
"""Unwrapped per-snapshot identities kept, so restoring a snapshot again skips scrypt."""

_OPTIONS: Final = ("recipients", "identities", "identity_file", "signing_key", "verify_keys")


def _text(name: str, header: Mapping[str, Any], key: str) -> str:
    value = header.get(key)
    if not isinstance(value, str) or not value:
        raise SnapshotIntegrityError(f"snapshot {name!r}: encryption header has no valid {key!r}")
    return value


class AgeEncryption:
    """Encrypt artifacts with age and authenticate manifests (see the module docstring)."""

    def __init__(
        self,
        *,
        passphrase: str | None = None,
        recipients: Sequence[str] | None = None,
        identities: Sequence[str] | None = None,
        identity_file: str | Path | None = None,
        signing_key: str | None = None,
        verify_keys: Sequence[str] | None = None,
    ) -> None:
        """Check and load the options; a bad combination raises ``ImproperlyConfigured``."""
        given = {
            name: value
            for name, value in zip(
                _OPTIONS,
                (recipients, identities, identity_file, signing_key, verify_keys),
                strict=True,
            )
            if value is not None
        }
        self.mode: Literal["passphrase", "public-key"] = (
            "passphrase" if passphrase is not None else "public-key"
        )
        """Which mode the options select."""
        self.recipients: list[str] = []
        """The ``age1…`` recipients artifacts are encrypted to (public-key mode)."""
        self._passphrase = ""
        self._master: bytes | None = None
        self._unwrapped: dict[str, pyrage.x25519.Identity] = {}
        self._pool_identity: pyrage.x25519.Identity | None = None
        self._lock = threading.Lock()
        self._recipients: list[pyrage.x25519.Recipient] = []
        self._identities: list[pyrage.x25519.Identity] = []
        self._signer: Ed25519Signer | None = None
        self._signing_seed = b""
        self._verify_keys: list[Ed25519PublicKey] = []
        if passphrase is not None:
            if given:
                raise option_error(
                    "passphrase",
                    f"cannot be combined with {', '.join(map(repr, given))} "
                    "(choose passphrase mode or public-key mode)",
                )
            value = cast("object", passphrase)  # settings may hand over any type
            if not isinstance(value, str) or not value:
                raise option_error("passphrase", "must be a non-empty string")
            self._passphrase = passphrase
            return
        if not given:
            raise ImproperlyConfigured(
                "AgeEncryption needs options: 'passphrase', or public-key mode's "
                "'recipients' and 'signing_key' (backup) and 'identities' or "
                "'identity_file' and 'verify_keys' (restore)"
            )
        parsed = parse_public_key_options(
            recipients, identities, identity_file, signing_key, verify_keys
        )
        self.recipients = parsed.recipient_texts
        self._recipients = parsed.recipients
        self._identities = parsed.identities
        self._signer = parsed.signer
        self._signing_seed = parsed.signing_seed
        self._verify_keys = parsed.verify_keys

    @property
    def can_back_up(self) -> bool:
        """Return True if this host can encrypt and seal (passphrase, or recipients and key)."""
        return self.mode == "passphrase" or bool(self._recipients and self._signer)

    def _master_key(self) -> bytes:
        """Return the passphrase's master key, derived once (scrypt is slow on purpose)."""
        with self._lock:
            return self._master_key_unlocked()

    def _master_key_unlocked(self) -> bytes:
        """Return the master key; the caller holds ``self._lock``."""
        if self._master is None:
            self._master = keys.passphrase_master_key(self._passphrase)
        return self._master

    def _key_check(self) -> str:
        return base64.b64encode(keys.derive_key(self._master_key(), "key-check")[:16]).decode()

    def begin_backup(self, snapshot_name: str) -> AgeBackupSession:
        """Return the session that encrypts and seals snapshot ``snapshot_name``."""
        base: dict[str, Any] = {"version": HEADER_VERSION, "snapshot": snapshot_name}
        if self.mode == "passphrase":
            secret, recipient = keys.generate_identity()
            wrapped = wrap_for_passphrase(secret.encode(), self._passphrase)
            header = {
                "scheme": PASSPHRASE_SCHEME,
                **base,
                "kdf": keys.PASSPHRASE_KDF,
                "key_check": self._key_check(),
                "identity": wrapped,
            }
            master = self._master_key()
            return AgeBackupSession(
                snapshot_name,
                keys.parse_recipients([recipient]),
                header,
                keys.derive_key(master, "content-key"),
                HmacSealer(snapshot_name, keys.derive_key(master, "manifest-mac")),
            )
        if not self._recipients or self._signer is None:
            raise SnapshotEncryptionError(
                f"cannot back up snapshot {snapshot_name!r}: ENCRYPTION has no 'recipients' "
                "and 'signing_key' (this host is set up to restore only)"
            )
        content_key = keys.derive_key(self._signing_seed, "content-key")
        header = {
            "scheme": PUBLIC_KEY_SCHEME,
            **base,
            "recipients": keys.fingerprints(self.recipients),
            "content_key": pyrage.encrypt(content_key, self._recipients, armored=True).decode(),
        }
        return AgeBackupSession(snapshot_name, self._recipients, header, content_key, self._signer)

    def _checked_header(
        self, snapshot_name: str, header: Mapping[str, Any] | None
    ) -> Mapping[str, Any]:
        """Return ``header`` if it is this mode's header for ``snapshot_name``; else raise."""
        name = snapshot_name
        if header is None:
            raise SnapshotEncryptionError(
                f"snapshot {name!r} is not encrypted (its manifest has no 'encryption' "
                "header), but ENCRYPTION is configured; refusing it"
            )
        given = cast("object", header)  # read from a manifest: any JSON value
        if not isinstance(given, Mapping):
            raise SnapshotIntegrityError(f"snapshot {name!r}: encryption header is not an object")
        scheme = header.get("scheme")
        expected = PASSPHRASE_SCHEME if self.mode == "passphrase" else PUBLIC_KEY_SCHEME
        if scheme != expected:
            raise SnapshotEncryptionError(
                f"snapshot {name!r} is encrypted with {scheme!r}, but ENCRYPTION is set up "
                f"for {expected!r} ({self.mode} mode)"
            )
        if header.get("version") != HEADER_VERSION:
            raise SnapshotEncryptionError(
                f"snapshot {name!r}: encryption header version {header.get('version')!r} "
                f"is not supported (this release reads {HEADER_VERSION})"
            )
        if header.get("snapshot") != name:
            raise SnapshotEncryptionError(
                f"snapshot {name!r} carries the encryption header of snapshot "
                f"{header.get('snapshot')!r}; refusing it"
            )
        return header

    def begin_verify(
        self, snapshot_name: str, header: Mapping[str, Any] | None
    ) -> ManifestVerifier:
        """Return what checks the manifest seal of ``snapshot_name`` (no decryption key)."""
        checked = self._checked_header(snapshot_name, header)
        if self.mode == "passphrase":
            if _text(snapshot_name, checked, "kdf") != keys.PASSPHRASE_KDF:
                raise SnapshotEncryptionError(
                    f"snapshot {snapshot_name!r}: unknown key derivation {checked['kdf']!r}"
                )
            given = _text(snapshot_name, checked, "key_check")
            if not hmac.compare_digest(given.encode(), self._key_check().encode()):
                raise SnapshotEncryptionError(
                    f"snapshot {snapshot_name!r}: wrong passphrase (the configured "
                    "passphrase is not the one it was encrypted with)"
                )
            mac_key = keys.derive_key(self._master_key(), "manifest-mac")
            return HmacSealer(snapshot_name, mac_key)
        if not self._verify_keys:
            raise SnapshotEncryptionError(
                f"cannot verify snapshot {snapshot_name!r}: ENCRYPTION has no 'verify_keys'"
            )
        return Ed25519Verifier(snapshot_name, self._verify_keys)

    def begin_restore(
        self, snapshot_name: str, header: Mapping[str, Any] | None
    ) -> AgeRestoreSession:
        """Return the session that verifies and decrypts ``snapshot_name``; raise if unable."""
        verifier = self.begin_verify(snapshot_name, header)
        checked = self._checked_header(snapshot_name, header)
        if self.mode == "passphrase":
            wrapped = _text(snapshot_name, checked, "identity")

            def unwrap() -> list[pyrage.x25519.Identity]:
                return [self._unwrap(snapshot_name, wrapped)]

            content_key = keys.derive_key(self._master_key(), "content-key")
            return AgeRestoreSession(snapshot_name, unwrap, content_key, verifier)
        return self._begin_public_key_restore(snapshot_name, checked, verifier)

    def pool_ids(self, content_key: bytes, header: Mapping[str, Any]) -> HmacSha256Ids:
        """Return HMAC-SHA256 content ids under a key derived from ``content_key``.

        In public-key mode the key also covers the header's recipient fingerprints, so
        a change of recipients starts a new pool that every current recipient opens.
        """
        listed = header.get("recipients") if self.mode == "public-key" else None
        return keyed_pool_ids(content_key, listed)

    def pool_codec(self, *, writing: bool) -> AgePoolCodec | None:
        """Return the age codec of the media pool, or None if this host cannot use it.

        Passphrase mode: objects are encrypted to an identity derived from the
        passphrase (the same on every host and for every snapshot). Public-key mode:
        to the configured recipients, decrypted with the identities; a host without
        identities gets None (it could not read the pool's index), and so does one
        without recipients when ``writing``.
        """
        if self.mode == "passphrase":
            with self._lock:
                if self._pool_identity is None:
                    self._pool_identity = keys.derived_identity(
                        self._master_key_unlocked(), "pool-identity"
                    )
                identity = self._pool_identity
            return AgePoolCodec([identity.to_public()], [identity])
        if not self._identities or (writing and not self._recipients):
            return None
        return AgePoolCodec(self._recipients, self._identities)

    def _unwrap(self, snapshot_name: str, wrapped: str) -> pyrage.x25519.Identity:
        """Return the identity in the passphrase file ``wrapped`` (remembered: scrypt is slow)."""
        with self._lock:
            known = self._unwrapped.get(wrapped)
        if known is not None:
            return known
        try:
            secret = pyrage.passphrase.decrypt(wrapped.encode(), self._passphrase)
            identity = pyrage.x25519.Identity.from_str(secret.decode("ascii").strip())
        except (pyrage.DecryptError, pyrage.IdentityError, UnicodeDecodeError) as error:
            raise SnapshotEncryptionError(
                f"snapshot {snapshot_name!r}: its key does not open with the "
                f"passphrase ({one_line(error)})"
            ) from None
        with self._lock:
            while len(self._unwrapped) >= _REMEMBERED:
                del self._unwrapped[next(iter(self._unwrapped))]
            self._unwrapped[wrapped] = identity
        return identity

    def _begin_public_key_restore(
        self, name: str, header: Mapping[str, Any], verifier: ManifestVerifier
    ) -> AgeRestoreSession:
        """Open the header's content key with the identities (which proves they fit)."""
        fingerprints: object = header.get("recipients")
        listed = cast("list[object]", fingerprints) if isinstance(fingerprints, list) else ["?"]
        to = ", ".join(map(str, listed))
        if not self._identities:
            raise SnapshotEncryptionError(
                f"cannot restore snapshot {name!r}: this host has no age identity (set "
                f"'identities' or 'identity_file'); it is encrypted to recipients {to}"
            )
        wrapped = _text(name, header, "content_key")
        try:
            content_key = pyrage.decrypt(wrapped.encode(), self._identities)
        except pyrage.DecryptError as error:
            if "no matching keys" in one_line(error).lower():
                raise SnapshotEncryptionError(
                    f"cannot restore snapshot {name!r}: none of the configured identities "
                    f"opens it (it is encrypted to recipients {to})"
                ) from None
            raise SnapshotIntegrityError(
                f"snapshot {name!r}: encryption header is damaged ({one_line(error)})"
            ) from None
        identities = list(self._identities)
        return AgeRestoreSession(name, lambda: identities, content_key, verifier)
