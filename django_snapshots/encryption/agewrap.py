"""Wrap a small secret for a passphrase: an armored age file with a fixed scrypt cost.

Passphrase mode stores each snapshot's identity as an age file for the passphrase
(age's scrypt recipient), so ``age -d`` recovers it without this library. pyrage
chooses the scrypt work factor by timing the machine that encrypts (about a second):
on a fast backup host that is 2^19 or more, 512 MiB of memory and a second or two on
every backup and restore, and a slower restore host pays more. Nothing is gained by
it: the passphrase's master key (:data:`~django_snapshots.encryption.keys.PASSPHRASE_KDF`,
2^17) already bounds the cost of a guess. :func:`wrap_for_passphrase` writes the same
format with that work factor; pyrage and ``age`` read it as any other.
"""

from __future__ import annotations

import base64
import hmac
import os
import textwrap
from typing import Final

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from django_snapshots.encryption.agedecrypt import VERSION_LINE, hkdf_sha256

__all__ = ["WORK_FACTOR", "wrap_for_passphrase"]

WORK_FACTOR: Final = 17
"""log2 of the scrypt cost N of a wrapped secret (r=8, p=1: 128 MiB), as the master key's."""

_SCRYPT_LABEL: Final = b"age-encryption.org/v1/scrypt"
_MAX_PLAINTEXT: Final = 64 * 1024


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def wrap_for_passphrase(secret: bytes, passphrase: str) -> str:
    """Return ``secret`` (at most 64 KiB) encrypted for ``passphrase``, as armored age text."""
    if len(secret) > _MAX_PLAINTEXT:
        raise ValueError("a wrapped secret fits in one 64 KiB age chunk")
    file_key, salt, nonce = os.urandom(16), os.urandom(16), os.urandom(16)
    kdf = Scrypt(salt=_SCRYPT_LABEL + salt, length=32, n=2**WORK_FACTOR, r=8, p=1)
    wrapping = ChaCha20Poly1305(kdf.derive(passphrase.encode("utf-8")))
    body = wrapping.encrypt(bytes(12), file_key, None)
    header = VERSION_LINE + b"-> scrypt %s %d\n%s\n---" % (_b64(salt), WORK_FACTOR, _b64(body))
    mac = hmac.digest(hkdf_sha256(file_key, b"", b"header"), header, "sha256")
    payload = ChaCha20Poly1305(hkdf_sha256(file_key, nonce, b"payload"))
    # One chunk, the last: its nonce is the counter 0 followed by the last-chunk flag.
    chunk = payload.encrypt(bytes(11) + b"\x01", secret, None)
    binary = header + b" " + _b64(mac) + b"\n" + nonce + chunk
    lines = textwrap.wrap(base64.b64encode(binary).decode("ascii"), 64)
    return "\n".join(
        ["-----BEGIN AGE ENCRYPTED FILE-----", *lines, "-----END AGE ENCRYPTED FILE-----", ""]
    )
