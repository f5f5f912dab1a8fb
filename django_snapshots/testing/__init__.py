"""The behavioural test kits: contracts that third-party implementations run in pytest.

Subclass a contract in your own pytest test module, name the class ``Test...`` and
implement its factory methods; pytest then runs every contract test against your
implementation::

    from pathlib import Path

    from django_snapshots.testing import AdvancedSnapshotStorageContract


    class TestMyBackend(AdvancedSnapshotStorageContract):
        def make_storage(self, tmp_path: Path) -> MyBackend:
            return MyBackend(bucket=..., prefix=str(tmp_path))

The storage contracts pin the behaviour the storage protocols document: byte-exact
round trips (empty and binary files too), prefix semantics of ``list``, deleting a
missing path, ``exists``, refusing escaping paths, a failed write keeping the old file,
streaming large content in bounded chunks (and, for the advanced tier, streaming
reads and writes, ``atomic_move``, ``recursive_list`` and ``sync``).

:class:`DatabaseConnectorContract` pins what a database connector must do on real,
throw-away databases: round trips, a restore over a changed database bringing back
exactly the dumped rows, truncated, garbage and missing dumps refused with the data
left intact, and one-line :class:`~django_snapshots.SnapshotConnectorError` messages
naming the alias for a missing client program, an unreachable server and an unknown
alias (see ``docs/connectors.md``).

:class:`SnapshotEncryptionContract` pins what an encryption backend must do (round
trips, seals, refusal of damage and of other keys, bounded memory), and
:class:`PoolEncryptionContract`, which includes it, what a backend that also encrypts
the media pool must do: one pool name on every host of the same keys, keyed content
ids, codecs that refuse other keys and damage (see ``docs/encryption.md``).

Running the tests needs pytest (for the ``tmp_path`` fixture); importing this module
does not: it imports nothing outside the standard library, Django and django-snapshots.
"""

from __future__ import annotations

from django_snapshots.testing.connectors import (
    CHANGED_ROWS,
    ORIGINAL_ROWS,
    DatabaseConnectorContract,
    Row,
)
from django_snapshots.testing.encryption import SnapshotEncryptionContract
from django_snapshots.testing.pool_encryption import PoolEncryptionContract
from django_snapshots.testing.storage import (
    AdvancedSnapshotStorageContract,
    SnapshotStorageContract,
)

__all__ = [
    "CHANGED_ROWS",
    "ORIGINAL_ROWS",
    "AdvancedSnapshotStorageContract",
    "DatabaseConnectorContract",
    "PoolEncryptionContract",
    "Row",
    "SnapshotEncryptionContract",
    "SnapshotStorageContract",
]
