"""A passphrase-wrapped secret: a standard armored age file at a fixed scrypt cost.

That ``age -d`` opens it with the passphrase is tested with the real command in
``test_age_cli.py`` (passphrase mode's recovery).
"""

from __future__ import annotations

import base64

import pyrage
import pytest

from django_snapshots.encryption import AgeEncryption
from django_snapshots.encryption.agewrap import WORK_FACTOR, wrap_for_passphrase


def _scrypt_stanza(armored: str) -> list[str]:
    """Return the arguments of the scrypt stanza of an armored age file."""
    lines = armored.strip().splitlines()
    assert lines[0] == "-----BEGIN AGE ENCRYPTED FILE-----"
    assert lines[-1] == "-----END AGE ENCRYPTED FILE-----"
    assert all(len(line) == 64 for line in lines[1:-2]) and len(lines[-2]) <= 64
    header = base64.b64decode("".join(lines[1:-1])).split(b"\n")
    assert header[0] == b"age-encryption.org/v1"
    return header[1].decode().split()


def test_pyrage_opens_it_with_the_passphrase_only() -> None:
    """The wrapped secret decrypts with the passphrase; another passphrase fails."""
    wrapped = wrap_for_passphrase(b"AGE-SECRET-KEY-1EXAMPLE", "correct horse")
    assert (
        pyrage.passphrase.decrypt(wrapped.encode(), "correct horse") == b"AGE-SECRET-KEY-1EXAMPLE"
    )
    with pytest.raises(pyrage.DecryptError):
        pyrage.passphrase.decrypt(wrapped.encode(), "wrong horse")


def test_the_work_factor_is_fixed_and_every_wrap_is_fresh() -> None:
    """One scrypt stanza at 2^17 with a random salt: two wraps never share bytes."""
    first, second = (wrap_for_passphrase(b"same", "p") for _ in range(2))
    stanza = _scrypt_stanza(first)
    assert stanza[:2] == ["->", "scrypt"] and stanza[3] == str(WORK_FACTOR) == "17"
    assert stanza[2] != _scrypt_stanza(second)[2]
    assert first != second


def test_passphrase_mode_wraps_each_snapshot_identity_at_that_cost() -> None:
    """The identity in a passphrase-mode header is wrapped at the fixed work factor."""
    header = AgeEncryption(passphrase="tests-only passphrase").begin_backup("nightly").header
    assert _scrypt_stanza(header["identity"])[3] == str(WORK_FACTOR)


def test_a_secret_over_one_chunk_is_refused() -> None:
    """Only secrets that fit one age chunk are wrapped (an identity is 74 bytes)."""
    with pytest.raises(ValueError, match="64 KiB"):
        wrap_for_passphrase(b"x" * (64 * 1024 + 1), "p")
    assert pyrage.passphrase.decrypt(wrap_for_passphrase(b"x" * 65536, "p").encode(), "p")
