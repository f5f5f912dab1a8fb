"""Every storage path of a snapshot, and the rule for artifact file names.

Layout of snapshot ``N`` (SPEC section 7, readable both ways with 0.1.0b1)::

    N/manifest.json             directory format: written last, so no manifest = incomplete
    N/<artifact files>
    N.tar                       archive format: uncompressed tar, manifest.json first

and, only while a backup runs or after one was killed (never read by 0.1.0b1, which
looks for exactly ``N/manifest.json``; removed by its delete, which clears ``N/``)::

    N/.lock/<entry>.lock        lock entries (:mod:`django_snapshots.locking`)
    N/.staging/<files>          an overwrite's new files, kept apart from the old ones
    N/.staging/manifest.json    written once every staged file is stored: the commit point

Top-level paths that start with a dot (``.pool/``, for example) are never snapshots:
a snapshot name starts with a letter or digit.
"""

from __future__ import annotations

from typing import Final, Literal

from django_snapshots.exceptions import SnapshotNameError
from django_snapshots.manifest import MANIFEST_FILENAME
from django_snapshots.naming import ARCHIVE_SUFFIX, is_valid_name

__all__ = [
    "LOCK_FOLDER",
    "STAGING_FOLDER",
    "SnapshotFormat",
    "archive_path",
    "artifact_path",
    "check_artifact_filename",
    "folder_prefix",
    "lock_folder",
    "manifest_path",
    "staged_manifest_path",
    "staged_path",
]

SnapshotFormat = Literal["directory", "archive"]
"""How a snapshot is laid out in storage: a folder, or one ``<name>.tar``."""

STAGING_FOLDER: Final = ".staging"
"""Folder, inside a snapshot's own folder, where an overwrite stages its new files."""

LOCK_FOLDER: Final = ".lock"
"""Folder, inside a snapshot's own folder, that holds its lock entries."""


def folder_prefix(name: str) -> str:
    """Return the prefix of every path inside snapshot ``name``'s folder."""
    return f"{name}/"


def manifest_path(name: str) -> str:
    """Return the storage path of a directory snapshot's manifest."""
    return f"{name}/{MANIFEST_FILENAME}"


def archive_path(name: str) -> str:
    """Return the storage path of an archive snapshot."""
    return f"{name}{ARCHIVE_SUFFIX}"


def artifact_path(name: str, filename: str) -> str:
    """Return the storage path of artifact ``filename`` of directory snapshot ``name``."""
    return f"{name}/{filename}"


def staged_path(name: str, filename: str) -> str:
    """Return the storage path of ``filename`` staged for snapshot ``name``."""
    return f"{name}/{STAGING_FOLDER}/{filename}"


def staged_manifest_path(name: str) -> str:
    """Return the storage path of a staged manifest (the commit point of an overwrite)."""
    return staged_path(name, MANIFEST_FILENAME)


def lock_folder(name: str) -> str:
    """Return the prefix of snapshot ``name``'s lock entries."""
    return f"{name}/{LOCK_FOLDER}/"


def check_artifact_filename(filename: str) -> str:
    """Return ``filename`` if it can name an artifact file; else raise a name error.

    It must be one plain path component that starts with a letter or digit (so it
    never clashes with ``.lock``/``.staging``) and is not ``manifest.json``.
    """
    if not is_valid_name(filename.removesuffix(ARCHIVE_SUFFIX)) or filename == MANIFEST_FILENAME:
        raise SnapshotNameError(
            f"artifact file name {filename!r} is not a plain name (letters, digits, "
            "'.', '_', '+', '-', starting with a letter or digit) or is reserved"
        )
    return filename
