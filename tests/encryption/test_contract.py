"""The shipped encryption contract, run over AgeEncryption reading an identity file.

Passphrase mode and public-key mode run it as part of the pool encryption contract
(``test_pool_contract.py``), which includes it.
"""

from __future__ import annotations

from pathlib import Path

from django_snapshots.encryption import AgeEncryption, generate_identity, generate_signing_pair
from django_snapshots.testing import SnapshotEncryptionContract

_IDENTITY, _RECIPIENT = generate_identity()
_SIGNING, _VERIFY = generate_signing_pair()


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
