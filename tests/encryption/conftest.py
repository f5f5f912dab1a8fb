"""Shared keys for the encryption tests: generated once per session (scrypt is slow)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

from django_snapshots.encryption import AgeEncryption, generate_identity, generate_signing_pair
from tests.servers import require_server


@dataclass(frozen=True)
class KeySet:
    """One repository's public-key mode keys."""

    identity: str
    recipient: str
    signing_key: str
    verify_key: str

    def full(self) -> AgeEncryption:
        """Return a backend that backs up, verifies and restores."""
        return AgeEncryption(
            recipients=[self.recipient], identities=[self.identity], signing_key=self.signing_key
        )

    def backup_host(self) -> AgeEncryption:
        """Return a backend holding only what a backup needs."""
        return AgeEncryption(recipients=[self.recipient], signing_key=self.signing_key)

    def restore_host(self) -> AgeEncryption:
        """Return a backend holding only what a restore needs."""
        return AgeEncryption(identities=[self.identity], verify_keys=[self.verify_key])


def make_keys() -> KeySet:
    """Return a fresh key set."""
    identity, recipient = generate_identity()
    signing_key, verify_key = generate_signing_pair()
    return KeySet(identity, recipient, signing_key, verify_key)


@pytest.fixture(scope="session")
def keys() -> KeySet:
    """Return the test session's key set."""
    return make_keys()


@pytest.fixture(scope="session")
def other_keys() -> KeySet:
    """Return a second, unrelated key set."""
    return make_keys()


PASSPHRASE = "tests-only: correct horse battery staple"
"""The passphrase of the passphrase-mode tests."""


@pytest.fixture(scope="session")
def passphrase_encryption() -> AgeEncryption:
    """Return one passphrase-mode backend for the session (its master key is derived once)."""
    return AgeEncryption(passphrase=PASSPHRASE)


@pytest.fixture
def age() -> str:
    """Return the path of the ``age`` command; skip (or fail) when it is not installed."""
    path = shutil.which("age")
    if path is None:
        require_server("the age command is not installed", FileNotFoundError("apt install age"))
        raise AssertionError("unreachable")
    return path
