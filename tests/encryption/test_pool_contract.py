"""The shipped pool encryption contract (with the whole encryption contract), over AgeEncryption.

It covers passphrase mode and public-key mode; ``test_contract.py`` runs the encryption
contract alone over an identity-file backend.
"""

from __future__ import annotations

from pathlib import Path

from django_snapshots.encryption import AgeEncryption, generate_identity, generate_signing_pair
from django_snapshots.testing import PoolEncryptionContract

_IDENTITY, _RECIPIENT = generate_identity()
_SIGNING, _VERIFY = generate_signing_pair()
_OTHER_IDENTITY, _OTHER_RECIPIENT = generate_identity()
_OTHER_SIGNING, _ = generate_signing_pair()
_WORDS = "contract passphrase: one two three four"
_PASSPHRASE = AgeEncryption(passphrase=_WORDS)
_PASSPHRASE_ELSEWHERE = AgeEncryption(passphrase=_WORDS)
_OTHER_PASSPHRASE = AgeEncryption(passphrase="contract passphrase: another one")


class TestAgePassphrasePoolContract(PoolEncryptionContract):
    """AgeEncryption in passphrase mode honours both contracts."""

    def make_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return the shared passphrase backend (its scrypt master key is derived once)."""
        return _PASSPHRASE

    def make_other_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a backend with another passphrase."""
        return _OTHER_PASSPHRASE

    def make_restore_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return another host configured with the same passphrase."""
        return _PASSPHRASE_ELSEWHERE


class TestAgePublicKeyPoolContract(PoolEncryptionContract):
    """AgeEncryption in public-key mode honours both contracts, on every kind of host."""

    def make_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a backend holding recipients, identities and the signing key."""
        return AgeEncryption(recipients=[_RECIPIENT], identities=[_IDENTITY], signing_key=_SIGNING)

    def make_other_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a full backend of an unrelated identity and signing key."""
        return AgeEncryption(
            recipients=[_OTHER_RECIPIENT], identities=[_OTHER_IDENTITY], signing_key=_OTHER_SIGNING
        )

    def make_restore_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a restore host: the identity and the verify key."""
        return AgeEncryption(identities=[_IDENTITY], verify_keys=[_VERIFY])

    def make_backup_only_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a backup host: the recipient and the signing key, no identity."""
        return AgeEncryption(recipients=[_RECIPIENT], signing_key=_SIGNING)
