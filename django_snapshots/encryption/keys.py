"""Key material: age identities and recipients, Ed25519 signing keys, key derivation.

age keys are the standard ``AGE-SECRET-KEY-1…`` identities and ``age1…`` recipients
(X25519, Bech32), as ``age-keygen`` prints them. Signing keys are Ed25519 in this
text encoding (documented in ``docs/encryption.md``)::

    SNAPSHOTS-SIGNING-KEY-<base64url(seed || check)>     the secret (32-byte seed)
    snapshots-verify-key-<base64url(public || check)>    the public key (32 bytes)

where ``check`` is the first 4 bytes of ``sha256(prefix || key bytes)``, so a key
mangled while copying is refused instead of silently signing with another key. The
base64url alphabet (RFC 4648 section 5) is used without padding: each key is its
prefix followed by 48 characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Final

import pyrage
from bech32 import bech32_encode, convertbits
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pyrage import IdentityError, RecipientError

__all__ = [
    "PASSPHRASE_KDF",
    "SIGNING_KEY_PREFIX",
    "VERIFY_KEY_PREFIX",
    "derive_key",
    "derived_identity",
    "fingerprints",
    "generate_identity",
    "generate_signing_pair",
    "keygen_text",
    "parse_identities",
    "parse_identity_file",
    "parse_recipients",
    "parse_signing_key",
    "parse_verify_key",
    "passphrase_master_key",
    "recipient_fingerprint",
    "signing_seed",
    "verify_key_text",
]

SIGNING_KEY_PREFIX: Final = "SNAPSHOTS-SIGNING-KEY-"
"""Start of the text form of an Ed25519 signing (secret) key."""

VERIFY_KEY_PREFIX: Final = "snapshots-verify-key-"
"""Start of the text form of an Ed25519 verify (public) key."""

PASSPHRASE_KDF: Final = "scrypt-n17-r8-p1/django-snapshots/v1"
"""How a passphrase becomes the master key: scrypt, N=2^17, r=8, p=1 (128 MiB), 32 bytes.

The salt is this fixed string: the master key must be the same for every snapshot, so
content ids stay stable. Choose a long random passphrase (see the docs).
"""

_SCRYPT_SALT: Final = PASSPHRASE_KDF.encode()
_CHECK_SIZE: Final = 4


def _check(prefix: str, key: bytes) -> bytes:
    """Return the 4-byte checksum of a key's text form."""
    return hashlib.sha256(prefix.encode() + key).digest()[:_CHECK_SIZE]


def _encode(prefix: str, key: bytes) -> str:
    """Return the text form of a 32-byte key."""
    body = base64.urlsafe_b64encode(key + _check(prefix, key)).decode("ascii")
    return prefix + body.rstrip("=")


def _decode(prefix: str, text: str, what: str) -> bytes:
    """Return the 32 key bytes of ``text``; raise ``ValueError`` saying what is wrong."""
    if not text.startswith(prefix):
        raise ValueError(f"{what} must start with {prefix!r}")
    body = text[len(prefix) :]
    damaged = ValueError(
        f"{what} is damaged or incomplete (expected {prefix!r} and 48 base64url characters)"
    )
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:
        raise damaged from None
    key, check = raw[:-_CHECK_SIZE], raw[-_CHECK_SIZE:]
    if len(key) != 32 or not hmac.compare_digest(check, _check(prefix, key)):
        raise damaged
    return key


def generate_identity() -> tuple[str, str]:
    """Return a new age X25519 identity and its recipient: ``(AGE-SECRET-KEY-1…, age1…)``."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def generate_signing_pair() -> tuple[str, str]:
    """Return a new Ed25519 pair as text: ``(SNAPSHOTS-SIGNING-KEY-…, snapshots-verify-key-…)``."""
    key = Ed25519PrivateKey.generate()
    return _encode(SIGNING_KEY_PREFIX, key.private_bytes_raw()), verify_key_text(key)


def verify_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Return the text form of the public key of ``key``."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return _encode(VERIFY_KEY_PREFIX, public.public_bytes_raw())


def parse_signing_key(text: str) -> Ed25519PrivateKey:
    """Return the Ed25519 key of a ``SNAPSHOTS-SIGNING-KEY-…`` text; ``ValueError`` if bad."""
    return Ed25519PrivateKey.from_private_bytes(
        _decode(SIGNING_KEY_PREFIX, text.strip(), "a signing key")
    )


def parse_verify_key(text: str) -> Ed25519PublicKey:
    """Return the Ed25519 key of a ``snapshots-verify-key-…`` text; ``ValueError`` if bad."""
    return Ed25519PublicKey.from_public_bytes(
        _decode(VERIFY_KEY_PREFIX, text.strip(), "a verify key")
    )


def signing_seed(key: Ed25519PrivateKey) -> bytes:
    """Return the 32-byte seed of ``key``."""
    return key.private_bytes_raw()


def parse_recipients(texts: Iterable[str]) -> list[pyrage.x25519.Recipient]:
    """Return age X25519 recipients; ``ValueError`` names the first bad one by position."""
    recipients: list[pyrage.x25519.Recipient] = []
    for index, text in enumerate(texts):
        try:
            recipients.append(pyrage.x25519.Recipient.from_str(text.strip()))
        except RecipientError as error:
            raise ValueError(f"item {index} is not an age recipient (age1…): {error}") from None
    return recipients


def parse_identities(texts: Iterable[str]) -> list[pyrage.x25519.Identity]:
    """Return age X25519 identities; ``ValueError`` names the first bad one by position.

    The message never contains the (secret) text itself.
    """
    identities: list[pyrage.x25519.Identity] = []
    for index, text in enumerate(texts):
        try:
            identities.append(pyrage.x25519.Identity.from_str(text.strip()))
        except IdentityError as error:
            raise ValueError(
                f"item {index} is not an age identity (AGE-SECRET-KEY-1…): {error}"
            ) from None
    return identities


def parse_identity_file(text: str) -> list[str]:
    """Return the identity lines of an age identity file (blank and ``#`` lines skipped)."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def recipient_fingerprint(recipient: str) -> str:
    """Return a short public fingerprint of an ``age1…`` recipient, as stored in headers."""
    return "sha256:" + hashlib.sha256(recipient.strip().encode()).hexdigest()[:16]


def passphrase_master_key(passphrase: str) -> bytes:
    """Return the 32-byte master key :data:`PASSPHRASE_KDF` derives from ``passphrase``."""
    kdf = Scrypt(salt=_SCRYPT_SALT, length=32, n=2**17, r=8, p=1)
    return kdf.derive(passphrase.encode("utf-8"))


def derive_key(master: bytes, purpose: str) -> bytes:
    """Return a 32-byte key for ``purpose`` from ``master`` (HKDF-SHA256)."""
    info = f"django-snapshots/{purpose}/v1".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def derived_identity(master: bytes, purpose: str) -> pyrage.x25519.Identity:
    """Return the age X25519 identity whose secret is :func:`derive_key` of ``master``.

    The same master key and purpose always give the same identity, so what is encrypted
    to its recipient today opens with it on any later run and on any host that derives
    the same master key.
    """
    words = convertbits(derive_key(master, purpose), 8, 5)
    assert words is not None  # 32 whole bytes always convert
    return pyrage.x25519.Identity.from_str(bech32_encode("age-secret-key-", words).upper())


def keygen_text(*, signing: bool = False, now: datetime | None = None) -> str:
    """Return a new key file's text, like ``age-keygen`` prints (``signing``: a signing pair).

    Comment lines hold the creation time and the public half; the last line is the
    secret. An age identity file in this form is read by ``age -d -i FILE``.
    """
    created = (now or datetime.now(timezone.utc)).replace(microsecond=0).isoformat()
    secret, public = generate_signing_pair() if signing else generate_identity()
    kind = "verify key" if signing else "public key"
    return f"# created: {created}\n# {kind}: {public}\n{secret}\n"


def fingerprints(recipients: Sequence[str]) -> list[str]:
    """Return the fingerprint of each recipient, in order."""
    return [recipient_fingerprint(text) for text in recipients]
