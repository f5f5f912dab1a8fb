"""Every error django-snapshots raises on purpose.

All of them derive from one root, so ``except SnapshotError`` catches any expected
failure and lets genuine bugs through::

    SnapshotError
    ├── SnapshotConfigurationError      a setting or a choice of artifacts cannot work
    ├── SnapshotStorageCapabilityError  a backend lacks an advanced operation
    ├── SnapshotPathError               a storage path is empty, absolute or escapes the root
    ├── SnapshotStorageError            the storage itself failed: location or bucket missing,
    │                                   credentials refused, endpoint down
    ├── SnapshotNameError               a snapshot name breaks the naming rule
    ├── SnapshotExistsError             the snapshot already exists (and no overwrite)
    ├── SnapshotLockedError             another backup of the same name holds the lock
    ├── SnapshotNotFoundError           no snapshot, artifact or path of that name
    ├── SnapshotIntegrityError          a size, checksum or manifest field is wrong
    │   └── SnapshotVersionError        the manifest's format version is unknown
    ├── SnapshotEncryptionError         encryption or decryption failed
    ├── SnapshotConnectorError          a database dump or restore failed
    └── SnapshotRestoreError            a restore failed part-way, or could not start safely

Every message is one line that names what went wrong, so a command line can print
``str(error)`` and nothing else.
"""

from __future__ import annotations

__all__ = [
    "SnapshotConfigurationError",
    "SnapshotConnectorError",
    "SnapshotEncryptionError",
    "SnapshotError",
    "SnapshotExistsError",
    "SnapshotIntegrityError",
    "SnapshotLockedError",
    "SnapshotNameError",
    "SnapshotNotFoundError",
    "SnapshotPathError",
    "SnapshotRestoreError",
    "SnapshotStorageCapabilityError",
    "SnapshotStorageError",
    "SnapshotVersionError",
]


class SnapshotError(Exception):
    """Root of every expected django-snapshots failure."""


class SnapshotConfigurationError(SnapshotError):
    """A setting, or the artifacts chosen for a backup, cannot work as given."""


class SnapshotStorageCapabilityError(SnapshotError):
    """A storage backend lacks an operation of the advanced tier."""


class SnapshotPathError(SnapshotError):
    """A storage path is empty, absolute, or would leave the storage root."""


class SnapshotStorageError(SnapshotError):
    """The storage cannot be used: its location or bucket is missing or unreachable.

    The message names the storage (the local location, or the bucket and endpoint).
    """


class SnapshotNameError(SnapshotError):
    """A snapshot name does not match the naming rule."""


class SnapshotExistsError(SnapshotError):
    """A snapshot of that name already exists and overwriting was not asked for."""

    def __init__(self, message: str, *, name: str | None = None) -> None:
        """Record ``message`` and the ``name`` of the existing snapshot."""
        super().__init__(message)
        self.name: str | None = name
        """The snapshot that exists (None where the raiser did not say)."""


class SnapshotLockedError(SnapshotError):
    """Another backup of the same snapshot name is in progress."""


class SnapshotNotFoundError(SnapshotError):
    """No snapshot, artifact or stored path of that name exists."""


class SnapshotIntegrityError(SnapshotError):
    """Stored data does not match its manifest, or the manifest is malformed."""


class SnapshotVersionError(SnapshotIntegrityError):
    """The manifest declares a format version this release cannot read."""


class SnapshotEncryptionError(SnapshotError):
    """Encrypting or decrypting an artifact failed."""


class SnapshotConnectorError(SnapshotError):
    """A database connector failed to dump or restore."""


class SnapshotRestoreError(SnapshotError):
    """A restore failed part-way (or its safety snapshot could not be taken).

    ``rolled_back`` says whether what it had changed was put back.
    """

    def __init__(
        self, message: str, *, rolled_back: bool, safety_snapshot: str | None = None
    ) -> None:
        """Record ``message``, whether the restore was undone, and the safety snapshot."""
        super().__init__(message)
        self.rolled_back: bool = rolled_back
        """True when everything the restore had changed was put back."""
        self.safety_snapshot: str | None = safety_snapshot
        """The safety snapshot holding the state from before the restore, if one was taken."""
