"""The behavioural test kits: contracts that third-party implementations run in pytest.

Subclass a contract in your own pytest test module, name the class ``Test...`` and
implement :meth:`SnapshotStorageContract.make_storage`; pytest then runs every
contract test against your backend::

    from pathlib import Path

    from django_snapshots.testing import AdvancedSnapshotStorageContract


    class TestMyBackend(AdvancedSnapshotStorageContract):
        def make_storage(self, tmp_path: Path) -> MyBackend:
            return MyBackend(bucket=..., prefix=str(tmp_path))

The contracts pin the behaviour the storage protocols document: byte-exact round
trips (empty and binary files too), prefix semantics of ``list``, deleting a missing
path, ``exists``, refusing escaping paths, a failed write keeping the old file,
streaming large content in bounded chunks (and, for the advanced tier, streaming
reads and writes, ``atomic_move``, ``recursive_list`` and ``sync``).

Running the tests needs pytest (for the ``tmp_path`` fixture); importing this module
does not: it imports nothing outside the standard library and django-snapshots.
"""

from __future__ import annotations

from django_snapshots.testing.encryption import SnapshotEncryptionContract
from django_snapshots.testing.storage import (
    AdvancedSnapshotStorageContract,
    SnapshotStorageContract,
)

__all__ = [
    "AdvancedSnapshotStorageContract",
    "SnapshotEncryptionContract",
    "SnapshotStorageContract",
]
