"""Where a snapshot's files live in storage, in the directory and archive formats.

Layout of snapshot ``N`` (SPEC section 7, readable both ways with 0.1.0b1)::

    N/manifest.json             directory format: written last, so no manifest = incomplete
    N/<artifact files>
    N.tar                       archive format: uncompressed tar, manifest.json first

and, only while a backup runs or after one was killed (never read by 0.1.0b1, which
looks for exactly ``N/manifest.json``; removed by its delete, which clears ``N/``)::

    N/.lock/<entry>.lock        lock entries (:mod:`django_snapshots.locking`)
    N/.staging/<files>          an overwrite's new files, kept apart from the old ones
    N/.staging/manifest.json    written once every staged file is stored: the commit point

A staged snapshot is *published* by deleting the old manifest, moving each staged
file over the old one (``atomic_move`` on the advanced tier, copy then delete on the
basic tier) and moving the staged manifest last. Until the move is over, a committed
staging is itself a readable snapshot: each artifact is read from its staged copy
while that exists, else from its published place, so every crash point leaves either
the old snapshot or the new one readable. The next lock holder of ``N`` rolls a
committed staging forward and removes any uncommitted debris (:func:`recover`).
"""

from __future__ import annotations

import builtins
import contextlib
import tarfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from django_snapshots.exceptions import SnapshotIntegrityError, SnapshotNotFoundError
from django_snapshots.locking import LOCK_FOLDER
from django_snapshots.manifest import MANIFEST_FILENAME, Snapshot
from django_snapshots.naming import ARCHIVE_SUFFIX, is_valid_name, validate_name
from django_snapshots.settings import SnapshotFormat
from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage
from django_snapshots.streams import CHUNK_SIZE, IteratorReader, binary, iter_chunks

__all__ = [
    "STAGING_FOLDER",
    "Location",
    "NameState",
    "archive_path",
    "check_artifact_filename",
    "delete_files",
    "iter_archive_members",
    "locate",
    "manifest_path",
    "move",
    "open_artifact",
    "publish_staged",
    "put",
    "read_manifest",
    "recover",
    "scan",
    "staged_path",
    "write_archive",
]

STAGING_FOLDER: Final = ".staging"
"""Folder, inside a snapshot's own folder, where an overwrite stages its new files."""

MAX_MANIFEST_BYTES: Final = 64 * 1024 * 1024
"""A manifest larger than this is refused as corrupt rather than read into memory."""

_TAR_BLOCK: Final = 512
_TAR_RECORD: Final = 20 * _TAR_BLOCK


def manifest_path(name: str) -> str:
    """Return the storage path of a directory snapshot's manifest."""
    return f"{name}/{MANIFEST_FILENAME}"


def archive_path(name: str) -> str:
    """Return the storage path of an archive snapshot."""
    return f"{name}{ARCHIVE_SUFFIX}"


def staged_path(name: str, filename: str) -> str:
    """Return the storage path of ``filename`` staged for snapshot ``name``."""
    return f"{name}/{STAGING_FOLDER}/{filename}"


def check_artifact_filename(filename: str) -> str:
    """Return ``filename`` if it can name an artifact file; else raise integrity error.

    It must be one plain path component that starts with a letter or digit (so it
    never clashes with ``.lock``/``.staging``) and is not ``manifest.json``.
    """
    if not is_valid_name(filename.removesuffix(ARCHIVE_SUFFIX)) or filename == MANIFEST_FILENAME:
        raise SnapshotIntegrityError(
            f"artifact file name {filename!r} is not a plain name (letters, digits, "
            "'.', '_', '+', '-', starting with a letter or digit) or is reserved"
        )
    return filename


def put(storage: SnapshotStorage, path: str, stream: IO[bytes]) -> None:
    """Store everything readable from ``stream`` at ``path`` (atomically where possible)."""
    if isinstance(storage, AdvancedSnapshotStorage):
        storage.stream_write(path, iter_chunks(stream))
    else:
        storage.write(path, stream)


def move(storage: SnapshotStorage, src: str, dst: str) -> None:
    """Move a stored file: ``atomic_move`` if advanced, else copy then delete."""
    if isinstance(storage, AdvancedSnapshotStorage):
        storage.atomic_move(src, dst)
        return
    with storage.read(src) as stream:
        storage.write(dst, stream)
    storage.delete(src)


def _read_limited(stream: IO[bytes], what: str) -> bytes:
    data = stream.read(MAX_MANIFEST_BYTES + 1)
    if len(data) > MAX_MANIFEST_BYTES:
        raise SnapshotIntegrityError(f"{what} is larger than {MAX_MANIFEST_BYTES} bytes")
    return data


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
        return (
            staged_path(self.name, MANIFEST_FILENAME) if self.staged else manifest_path(self.name)
        )


def _parse_manifest(raw: bytes, location: Location) -> Snapshot:
    try:
        snapshot = Snapshot.from_json(raw)
    except SnapshotIntegrityError as error:
        raise type(error)(f"snapshot {location.name!r}: {error}") from None
    # Where a snapshot is stored is authoritative, never the name inside its manifest.
    snapshot.name = location.name
    return snapshot


def read_manifest(storage: SnapshotStorage, location: Location) -> Snapshot:
    """Read and parse the manifest at ``location``.

    An archive's manifest is its first member, so only the start of the tar is read.
    """
    if location.format == "directory":
        with storage.read(location.manifest) as stream:
            return _parse_manifest(_read_limited(stream, location.manifest), location)
    with storage.read(location.manifest) as stream:
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                member = tar.next()
                if member is None or member.name != MANIFEST_FILENAME or not member.isfile():
                    raise SnapshotIntegrityError(
                        f"archive {location.manifest!r} does not start with {MANIFEST_FILENAME!r}"
                    )
                extracted = tar.extractfile(member)
                assert extracted is not None  # a regular file always has content
                raw = _read_limited(extracted, location.manifest)
        except tarfile.TarError as error:
            raise SnapshotIntegrityError(
                f"archive {location.manifest!r} is not a readable tar: {error}"
            ) from None
    return _parse_manifest(raw, location)


def locate(storage: SnapshotStorage, name: str) -> list[Location]:
    """Return every complete copy of snapshot ``name`` in storage (usually one)."""
    validate_name(name)
    found: builtins.list[Location] = []
    if storage.exists(manifest_path(name)):
        found.append(Location(name, "directory"))
    elif storage.exists(staged_path(name, MANIFEST_FILENAME)):
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
    files: builtins.list[str] = field(default_factory=builtins.list[str])
    """Every stored path under ``<name>/``, lock entries included."""

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
        state.files.append(path)
        if rest == MANIFEST_FILENAME:
            state.manifest = True
        elif rest == f"{STAGING_FOLDER}/{MANIFEST_FILENAME}":
            state.staged_manifest = True
        elif rest.startswith(f"{LOCK_FOLDER}/"):
            state.locks = True
    return states


def open_artifact(storage: SnapshotStorage, location: Location, filename: str) -> IO[bytes]:
    """Open artifact ``filename`` of a directory snapshot for reading."""
    check_artifact_filename(filename)
    if location.staged:
        with contextlib.suppress(SnapshotNotFoundError):
            return storage.read(staged_path(location.name, filename))
    try:
        return storage.read(f"{location.name}/{filename}")
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
    remaining = {check_artifact_filename(filename) for filename in wanted}
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


def _tar_header(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")


def _tar_chunks(manifest: bytes, files: list[tuple[str, Path]]) -> Iterator[bytes]:
    """Yield an uncompressed PAX tar: ``manifest.json`` first, then ``files``."""
    now = time.time()
    written = 0

    def padding(size: int) -> bytes:
        return b"\0" * (-size % _TAR_BLOCK)

    header = _tar_header(MANIFEST_FILENAME, len(manifest), now)
    yield header + manifest + padding(len(manifest))
    written += len(header) + len(manifest) + len(padding(len(manifest)))
    for arcname, path in files:
        with open(path, "rb") as source:
            size = path.stat().st_size
            header = _tar_header(arcname, size, now)
            yield header
            copied = 0
            for chunk in iter_chunks(source, CHUNK_SIZE):
                copied += len(chunk)
                if copied > size:
                    raise SnapshotIntegrityError(f"{arcname!r} grew while it was archived")
                yield chunk
            if copied != size:
                raise SnapshotIntegrityError(f"{arcname!r} shrank while it was archived")
            yield padding(size)
            written += len(header) + size + len(padding(size))
    end = b"\0" * (2 * _TAR_BLOCK)
    written += len(end)
    yield end + b"\0" * (-written % _TAR_RECORD)


def write_archive(
    storage: SnapshotStorage, name: str, manifest: bytes, files: list[tuple[str, Path]]
) -> None:
    """Store archive ``<name>.tar`` holding ``manifest`` first, then each ``(arcname, file)``.

    The tar is generated while it is stored (never built on disk first). The
    advanced tier replaces an old archive atomically; the basic tier's ``write``
    contract keeps the old one if the write fails.
    """
    chunks = _tar_chunks(manifest, files)
    if isinstance(storage, AdvancedSnapshotStorage):
        storage.stream_write(archive_path(name), chunks)
    else:
        storage.write(archive_path(name), binary(IteratorReader(chunks)))


def delete_files(
    storage: SnapshotStorage, name: str, *, keep: Iterable[str] = (), archive: bool = True
) -> None:
    """Delete every file of snapshot ``name`` except the paths in ``keep``.

    ``archive=False`` keeps ``<name>.tar`` (only the directory format's files go).
    Manifests go first, so an interrupted delete never leaves something that looks
    complete.
    """
    kept = set(keep)
    storage.delete(manifest_path(name))
    storage.delete(staged_path(name, MANIFEST_FILENAME))
    if archive:
        storage.delete(archive_path(name))
    for path in storage.list(f"{name}/"):
        if path not in kept:
            storage.delete(path)


def publish_staged(storage: SnapshotStorage, name: str) -> None:
    """Roll a committed staging of ``name`` forward into ``name/`` (idempotent).

    Does nothing when no staged manifest exists. Call only while holding the lock.
    """
    staged_manifest = staged_path(name, MANIFEST_FILENAME)
    if not storage.exists(staged_manifest):
        return
    location = Location(name, "directory", staged=True)
    snapshot = read_manifest(storage, location)
    storage.delete(manifest_path(name))
    wanted = {MANIFEST_FILENAME}
    for record in snapshot.artifacts:
        filename = check_artifact_filename(record.filename)
        wanted.add(filename)
        source = staged_path(name, filename)
        if storage.exists(source):
            move(storage, source, f"{name}/{filename}")
    move(storage, staged_manifest, manifest_path(name))
    for path in storage.list(f"{name}/"):
        rest = path[len(name) + 1 :]
        if rest not in wanted and not rest.startswith(f"{LOCK_FOLDER}/"):
            storage.delete(path)


def recover(storage: SnapshotStorage, name: str) -> None:
    """Bring ``name`` to a clean state after a killed backup; call while holding the lock.

    A committed staging is published; uncommitted staged files are removed; so are
    the files of a directory snapshot whose manifest was never written.
    """
    try:
        publish_staged(storage, name)
    except SnapshotIntegrityError:
        # A staged manifest that cannot be read was never a valid commit.
        storage.delete(staged_path(name, MANIFEST_FILENAME))
    complete = storage.exists(manifest_path(name))
    for path in storage.list(f"{name}/"):
        rest = path[len(name) + 1 :]
        if rest.startswith(f"{LOCK_FOLDER}/") or rest == MANIFEST_FILENAME:
            continue
        if rest.startswith(f"{STAGING_FOLDER}/") or not complete:
            storage.delete(path)
