"""The string enums of django-snapshots 0.1.0b1, kept at their old import path.

Each member is a ``str`` equal to its value, so ``SnapshotFormat.ARCHIVE`` works
wherever ``"archive"`` does (settings, ``create_snapshot(snapshot_format=...)``).
New code may pass the plain strings; their types are ``Literal`` aliases such as
:data:`django_snapshots.layout.SnapshotFormat`.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["InfoFormat", "ListFormat", "SnapshotFormat"]


class _StrEnum(str, Enum):
    """A ``str`` enum whose ``str()`` and format are its value (``enum.StrEnum`` on 3.11+)."""

    def __str__(self) -> str:
        """Return the value, such as ``"archive"``."""
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        """Format the value, so f-strings show ``archive``."""
        return format(str(self.value), format_spec)


class SnapshotFormat(_StrEnum):
    """How a snapshot is laid out in storage."""

    DIRECTORY = "directory"
    """A folder ``<name>/`` holding ``manifest.json`` and one file per artifact."""
    ARCHIVE = "archive"
    """One uncompressed ``<name>.tar`` whose first member is ``manifest.json``."""


class ListFormat(_StrEnum):
    """Output formats of ``snapshots list --format``."""

    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


class InfoFormat(_StrEnum):
    """Output formats of ``snapshots info --format``."""

    TABLE = "table"
    JSON = "json"
