"""The shipped encryption contract, run over AgeEncryption in each mode."""

from __future__ import annotations

from pathlib import Path

from django_snapshots.encryption import AgeEncryption, generate_identity, generate_signing_pair
from django_snapshots.testing import SnapshotEncryptionContract

_IDENTITY, _RECIPIENT = generate_identity()
_SIGNING, _VERIFY = generate_signing_pair()
_PASSPHRASE = AgeEncryption(passphrase="contract passphrase: one two three four")
_OTHER_PASSPHRASE = AgeEncryption(passphrase="contract passphrase: another one")


class TestAgePassphraseContract(SnapshotEncryptionContract):
    """AgeEncryption in passphrase mode honours the whole contract."""

    def make_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return the shared passphrase backend (its scrypt master key is derived once)."""
        return _PASSPHRASE

    def make_other_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a backend with another passphrase."""
        return _OTHER_PASSPHRASE


class TestAgePublicKeyContract(SnapshotEncryptionContract):
    """AgeEncryption in public-key mode, with inline identities, honours the contract."""

    def make_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a backend holding recipients, identities and the signing key."""
        return AgeEncryption(recipients=[_RECIPIENT], identities=[_IDENTITY], signing_key=_SIGNING)

    def make_other_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a restore host with an unrelated identity and verify key."""
        identity, _ = generate_identity()
        _, verify = generate_signing_pair()
        return AgeEncryption(identities=[identity], verify_keys=[verify])


class TestAgeIdentityFileContract(SnapshotEncryptionContract):
    """AgeEncryption reading its identity from an age identity file honours the contract."""

    def make_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a backend whose identity comes from a keygen-style file."""
        path = tmp_path / "identity.txt"
        path.write_text(f"# created: today\n# public key: {_RECIPIENT}\n\n{_IDENTITY}\n")
        return AgeEncryption(recipients=[_RECIPIENT], identity_file=str(path), signing_key=_SIGNING)

    def make_other_encryption(self, tmp_path: Path) -> AgeEncryption:
        """Return a restore host trusting the right signer but holding another identity."""
        identity, _ = generate_identity()
        return AgeEncryption(identities=[identity], verify_keys=[_VERIFY])
