"""Finding and reading snapshots in storage: locations, manifests, artifact streams."""

from __future__ import annotations

import builtins
import contextlib
import re
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Final

from django_snapshots.exceptions import (
    SnapshotIntegrityError,
    SnapshotNameError,
    SnapshotNotFoundError,
)
from django_snapshots.layout.paths import (
    LOCK_FOLDER,
    STAGING_FOLDER,
    SnapshotFormat,
    archive_path,
    artifact_path,
    check_artifact_filename,
    folder_prefix,
    manifest_path,
    staged_manifest_path,
    staged_path,
)
from django_snapshots.manifest import MANIFEST_FILENAME, Snapshot
from django_snapshots.naming import ARCHIVE_SUFFIX, is_valid_name, validate_name
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "MAX_MANIFEST_BYTES",
    "Location",
    "NameState",
    "holds_files",
    "iter_archive_members",
    "locate",
    "open_artifact",
    "read_manifest",
    "recorded_filename",
    "salvage_created_at",
    "scan",
]

MAX_MANIFEST_BYTES: Final = 64 * 1024 * 1024
"""A manifest larger than this is refused as corrupt rather than read into memory."""

_CREATED_AT: Final = re.compile(rb'"created_at"\s*:\s*"([^"]{10,40})"')


@dataclass(frozen=True)
class Location:
    """Where a readable snapshot is stored."""

    name: str
    format: SnapshotFormat
    staged: bool = False
    """A committed staging not yet (fully) published: read staged copies first."""

    @property
    def manifest(self) -> str:
        """Return the storage path holding this snapshot's manifest."""
        if self.format == "archive":
            return archive_path(self.name)
        return staged_manifest_path(self.name) if self.staged else manifest_path(self.name)


def recorded_filename(filename: str, snapshot: str) -> str:
    """Return a manifest's artifact file name if it is a plain name; else raise integrity error."""
    try:
        return check_artifact_filename(filename)
    except SnapshotNameError as error:
        raise SnapshotIntegrityError(f"snapshot {snapshot!r}: {error}") from None


def _read_limited(stream: IO[bytes], what: str) -> bytes:
    data = stream.read(MAX_MANIFEST_BYTES + 1)
    if len(data) > MAX_MANIFEST_BYTES:
        raise SnapshotIntegrityError(f"{what} is larger than {MAX_MANIFEST_BYTES} bytes")
    return data


def _parse_manifest(raw: bytes, location: Location) -> Snapshot:
    try:
        snapshot = Snapshot.from_json(raw)
    except SnapshotIntegrityError as error:
        raise type(error)(f"snapshot {location.name!r}: {error}") from None
    # Where a snapshot is stored is authoritative, never the name inside its manifest.
    snapshot.name = location.name
    return snapshot


def _raw_manifest(storage: SnapshotStorage, location: Location) -> bytes:
    """Return the manifest bytes at ``location`` (only the start of an archive is read)."""
    with storage.read(location.manifest) as stream:
        if location.format == "directory":
            return _read_limited(stream, location.manifest)
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                member = tar.next()
                if member is None or member.name != MANIFEST_FILENAME or not member.isfile():
                    raise SnapshotIntegrityError(
                        f"archive {location.manifest!r} does not start with {MANIFEST_FILENAME!r}"
                    )
                extracted = tar.extractfile(member)
                assert extracted is not None  # a regular file always has content
                return _read_limited(extracted, location.manifest)
        except tarfile.TarError as error:
            raise SnapshotIntegrityError(
                f"archive {location.manifest!r} is not a readable tar: {error}"
            ) from None


def read_manifest(storage: SnapshotStorage, location: Location) -> Snapshot:
    """Read and parse the manifest at ``location``."""
    return _parse_manifest(_raw_manifest(storage, location), location)


def salvage_created_at(storage: SnapshotStorage, location: Location) -> datetime | None:
    """Return the creation time an unreadable manifest still shows, or None.

    A truncated or future-version manifest usually still holds its ``created_at``;
    knowing it lets "the newest snapshot" include snapshots that cannot be read.
    """
    try:
        raw = _raw_manifest(storage, location)
    except (SnapshotIntegrityError, SnapshotNotFoundError, OSError):
        return None
    match = _CREATED_AT.search(raw)
    if match is None:
        return None
    text = match.group(1).decode("ascii", "replace")
    with contextlib.suppress(ValueError):
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        return value if value.tzinfo is not None else None
    return None


def holds_files(storage: SnapshotStorage, name: str) -> bool:
    """Return True if anything of snapshot ``name`` is stored, complete or not."""
    return bool(storage.list(folder_prefix(name))) or storage.exists(archive_path(name))


def locate(storage: SnapshotStorage, name: str) -> list[Location]:
    """Return every complete copy of snapshot ``name`` in storage (usually one)."""
    validate_name(name)
    found: builtins.list[Location] = []
    if storage.exists(manifest_path(name)):
        found.append(Location(name, "directory"))
    elif storage.exists(staged_manifest_path(name)):
        found.append(Location(name, "directory", staged=True))
    if storage.exists(archive_path(name)):
        found.append(Location(name, "archive"))
    return found


@dataclass
class NameState:
    """Everything one listing of the storage shows about one snapshot name."""

    name: str
    manifest: bool = False
    staged_manifest: bool = False
    archive: bool = False
    locks: bool = False

    @property
    def locations(self) -> builtins.list[Location]:
        """Return the complete copies this state shows."""
        found: builtins.list[Location] = []
        if self.manifest:
            found.append(Location(self.name, "directory"))
        elif self.staged_manifest:
            found.append(Location(self.name, "directory", staged=True))
        if self.archive:
            found.append(Location(self.name, "archive"))
        return found


def scan(storage: SnapshotStorage) -> dict[str, NameState]:
    """Group every stored path by the snapshot name it belongs to (one ``list`` call)."""
    states: dict[str, NameState] = {}
    for path in storage.list(""):
        head, slash, rest = path.partition("/")
        if not slash:
            stem = head.removesuffix(ARCHIVE_SUFFIX)
            if head.endswith(ARCHIVE_SUFFIX) and is_valid_name(stem):
                states.setdefault(stem, NameState(stem)).archive = True
            continue
        if not is_valid_name(head):
            continue
        state = states.setdefault(head, NameState(head))
        if rest == MANIFEST_FILENAME:
            state.manifest = True
        elif rest == f"{STAGING_FOLDER}/{MANIFEST_FILENAME}":
            state.staged_manifest = True
        elif rest.startswith(f"{LOCK_FOLDER}/"):
            state.locks = True
    return states


def open_artifact(storage: SnapshotStorage, location: Location, filename: str) -> IO[bytes]:
    """Open artifact ``filename`` of a directory snapshot for reading."""
    recorded_filename(filename, location.name)
    if location.staged:
        with contextlib.suppress(SnapshotNotFoundError):
            return storage.read(staged_path(location.name, filename))
    try:
        return storage.read(artifact_path(location.name, filename))
    except SnapshotNotFoundError:
        raise SnapshotNotFoundError(
            f"snapshot {location.name!r} is missing its artifact file {filename!r}"
        ) from None


def iter_archive_members(
    storage: SnapshotStorage, name: str, wanted: Iterable[str]
) -> Iterator[tuple[str, IO[bytes]]]:
    """Yield ``(filename, stream)`` for each wanted artifact of archive ``name``, in order.

    Members are matched by exact name and must be regular files; the tar is read once,
    front to back. Each stream must be consumed before the next item is requested.
    Raise :class:`SnapshotNotFoundError` naming any wanted file the archive lacks.
    """
    remaining = {recorded_filename(filename, name) for filename in wanted}
    path = archive_path(name)
    with storage.read(path) as stream:
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    if not remaining:
                        break
                    if member.name not in remaining or not member.isfile():
                        continue
                    extracted = tar.extractfile(member)
                    assert extracted is not None  # a regular file always has content
                    remaining.discard(member.name)
                    yield member.name, extracted
        except tarfile.TarError as error:
            raise SnapshotIntegrityError(
                f"archive {path!r} is not a readable tar: {error}"
            ) from None
    if remaining:
        raise SnapshotNotFoundError(
            f"archive {path!r} is missing artifact file(s): {', '.join(sorted(remaining))}"
        )
