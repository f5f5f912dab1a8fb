"""Orchestration of backups, restores and verification: the typed Python API.

The command line is a thin layer over these functions. They only coordinate:
artifacts produce files, :mod:`django_snapshots.streams` compresses and hashes,
:mod:`django_snapshots.containers` lays the files out in storage, and
:mod:`django_snapshots.locking` keeps two backups of one name apart.

Backup: every exporter writes a plain file into a private scratch folder (all of them
concurrently); each file is then compressed, hashed and stored in one pass. A
*sequential* exporter writes into a named pipe instead, and its output is compressed,
hashed and stored while it is produced. In the directory format the compressed bytes go
straight to storage; in the archive format they go to scratch, because the manifest
(which holds their checksums) must be the archive's first member. The manifest is written last.

Restore: every selected artifact is downloaded, hashed and decompressed into scratch
in one pass; only when all of them match their manifest record does any importer run.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import json
import os
import platform
import socket
import tempfile
import threading
import zlib
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Final, Literal, cast

import django
import zstandard

from django_snapshots import containers
from django_snapshots.artifacts.environment import ENVIRONMENT_ARTIFACT_TYPE, pip_freeze
from django_snapshots.artifacts.protocols import AnyArtifactExporter, AnyArtifactImporter
from django_snapshots.artifacts.registry import ImporterFactory, artifact_types
from django_snapshots.containers import Location
from django_snapshots.exceptions import (
    SnapshotEncryptionError,
    SnapshotExistsError,
    SnapshotIntegrityError,
    SnapshotNotFoundError,
)
from django_snapshots.locking import DEFAULT_STALE_AFTER, SnapshotLock, lock_entries
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.naming import render_name, validate_name
from django_snapshots.scratch import scratch_folder
from django_snapshots.settings import SnapshotFormat, get_settings, get_storage
from django_snapshots.storage.protocols import SnapshotStorage
from django_snapshots.streams import (
    CODEC_SUFFIXES,
    Codec,
    ExportPipe,
    HashingReader,
    HashingWriter,
    binary,
    compressing_reader,
    decompressing_writer,
    detect_codec,
    iter_chunks,
)

__all__ = [
    "ArtifactCheck",
    "ProgressCallback",
    "ProgressEvent",
    "SnapshotListing",
    "VerificationReport",
    "create_snapshot",
    "delete_snapshot",
    "get_snapshot",
    "list_snapshots",
    "restore_snapshot",
    "verify_snapshot",
]

_MAX_PIP_BYTES: Final = 4 * 1024 * 1024
"""An environment artifact larger than this is not copied into the manifest."""

_MAX_WORKERS: Final = 4
"""Artifacts handled at once; compression and hashing release the GIL."""


@dataclass(frozen=True)
class ProgressEvent:
    """How far one artifact has got in one stage."""

    stage: Literal["export", "store", "fetch", "verify", "restore"]
    filename: str
    """The artifact's stored file name."""
    done: int
    """Bytes handled so far."""
    total: int | None
    """Bytes expected in all, where known."""


ProgressCallback = Callable[[ProgressEvent], None]
"""Receives progress; called from worker threads, so it must be thread-safe."""


@dataclass(frozen=True)
class SnapshotListing:
    """One snapshot found in storage; ``snapshot`` is None when it cannot be read."""

    name: str
    format: SnapshotFormat
    snapshot: Snapshot | None
    error: str | None
    """Why the snapshot could not be read (unknown version, corrupt manifest, incomplete)."""
    incomplete: bool = False
    """True for the leftovers of a backup that is running or was interrupted."""


@dataclass(frozen=True)
class ArtifactCheck:
    """The result of re-hashing one artifact."""

    filename: str
    ok: bool
    message: str
    """``"ok"``, or what is wrong (size or checksum mismatch, missing file)."""


@dataclass(frozen=True)
class VerificationReport:
    """The result of :func:`verify_snapshot`."""

    name: str
    checks: list[ArtifactCheck]

    @property
    def ok(self) -> bool:
        """Return True if every artifact matched its manifest record."""
        return all(check.ok for check in self.checks)


# -- shared helpers -----------------------------------------------------------------


def _hook(
    progress: ProgressCallback | None,
    stage: Literal["export", "store", "fetch", "verify", "restore"],
    filename: str,
    total: int | None,
) -> Callable[[int], None] | None:
    """Return a byte-count hook that reports ``stage`` of ``filename``, or None."""
    if progress is None:
        return None
    callback = progress

    def hook(done: int) -> None:
        callback(ProgressEvent(stage, filename, done, total))

    return hook


def _report(
    progress: ProgressCallback | None,
    stage: Literal["export", "store", "fetch", "verify", "restore"],
    filename: str,
    done: int,
    total: int | None,
) -> None:
    if progress is not None:
        progress(ProgressEvent(stage, filename, done, total))


def _run(function: Callable[[Path], object], argument: Path) -> None:
    """Call a sync or async artifact method; run a coroutine to completion here."""
    result = function(argument)
    if inspect.iscoroutine(result):
        asyncio.run(cast("Coroutine[Any, Any, None]", result))


# -- backup -------------------------------------------------------------------------


@dataclass
class _Produced:
    """One exporter's result: its manifest record and, for archives, its local file."""

    record: ArtifactRecord
    local: Path | None
    pip: list[str] | None = None
    """The freeze lines, when this is the environment artifact (saves a second pip run)."""


def _stored_name(exporter: AnyArtifactExporter) -> tuple[str, Codec | None]:
    """Return the stored file name and the codec the engine applies (None: as is)."""
    if "compression" in exporter.metadata:
        return exporter.filename, None
    return exporter.filename + CODEC_SUFFIXES["zstd"], "zstd"


def _default_exporters() -> list[AnyArtifactExporter]:
    """Return the exporters of ``DEFAULT_ARTIFACTS`` (or of every registered type)."""
    registered = artifact_types()
    wanted = get_settings().default_artifacts
    names = list(registered) if wanted is None else wanted
    exporters: list[AnyArtifactExporter] = []
    for name in names:
        if name not in registered:
            raise SnapshotNotFoundError(f"DEFAULT_ARTIFACTS names unknown artifact type {name!r}")
        exporters.extend(registered[name].exporters())
    return exporters


def _is_sequential(exporter: AnyArtifactExporter) -> bool:
    """Return True if ``exporter`` declares it writes ``dest`` front to back (see below).

    An exporter with a true ``sequential`` attribute promises that ``generate`` only
    opens ``dest`` and writes it in order: no seek, stat, rename or replace. The
    engine then hands it a named pipe, so its output is compressed, hashed and stored
    while it is produced, never written to scratch.
    """
    return getattr(exporter, "sequential", False) is True and hasattr(os, "mkfifo")


@dataclass(frozen=True)
class _Producer:
    """Turns exporters into stored files for one backup."""

    scratch: Path
    """The backup's private scratch folder (``plain/`` and ``stored/`` inside)."""
    storage: SnapshotStorage
    target: str | None
    """Storage folder of the files (directory format); None keeps them in scratch."""
    progress: ProgressCallback | None

    def store(
        self, source: IO[bytes], codec: Codec | None, stored: str
    ) -> tuple[HashingReader, Path | None]:
        """Compress, hash and store ``source`` in one pass; return the hasher and any local file."""
        reader = HashingReader(
            compressing_reader(source, codec) if codec is not None else source,
            _hook(self.progress, "store", stored, None),
        )
        if self.target is not None:
            containers.put(self.storage, f"{self.target}/{stored}", binary(reader))
            return reader, None
        local = self.scratch / "stored" / stored
        with open(local, "wb") as out:
            for chunk in iter_chunks(binary(reader)):
                out.write(chunk)
        return reader, local

    def through_pipe(
        self, exporter: AnyArtifactExporter, plain: Path, codec: Codec | None, stored: str
    ) -> tuple[HashingReader, Path | None, int]:
        """Run a sequential exporter into a named pipe while its output is stored.

        Return the stored-file hasher, any local file and the plain size. Whatever
        fails first is raised once both sides have stopped.
        """
        failures: list[BaseException] = []
        with ExportPipe(plain) as pipe:

            def export() -> None:
                try:
                    _run(exporter.generate, plain)
                except BaseException as error:  # noqa: BLE001 - re-raised in the calling thread
                    failures.append(error)
                finally:
                    pipe.close_writer()

            worker = threading.Thread(target=export, name=f"snapshot-export-{stored}", daemon=True)
            worker.start()
            counted = HashingReader(
                pipe.reader, _hook(self.progress, "export", stored, None), hashing=False
            )
            try:
                reader, local = self.store(binary(counted), codec, stored)
            except BaseException:
                pipe.drain()
                raise
            finally:
                worker.join()
            if failures:
                raise failures[0]
        _report(self.progress, "export", stored, counted.size, counted.size)
        return reader, local, counted.size

    def produce(self, exporter: AnyArtifactExporter) -> _Produced:
        """Run one exporter and store its file; return its manifest record."""
        stored, codec = _stored_name(exporter)
        plain = self.scratch / "plain" / exporter.filename
        _report(self.progress, "export", stored, 0, None)
        pip: list[str] | None = None
        if _is_sequential(exporter):
            reader, local, _ = self.through_pipe(exporter, plain, codec, stored)
        else:
            _run(exporter.generate, plain)
            size = plain.stat().st_size
            _report(self.progress, "export", stored, size, size)
            with open(plain, "rb") as source:
                reader, local = self.store(source, codec, stored)
            if exporter.artifact_type == ENVIRONMENT_ARTIFACT_TYPE and size < _MAX_PIP_BYTES:
                text = plain.read_text(errors="replace")
                pip = [line for line in text.splitlines() if line.strip()]
            plain.unlink()
        metadata = dict(exporter.metadata)
        if codec is not None:
            metadata["compression"] = codec
        record = ArtifactRecord(
            type=exporter.artifact_type,
            filename=stored,
            size=reader.size,
            checksum=reader.checksum,
            created_at=datetime.now(timezone.utc),
            metadata=metadata,
        )
        return _Produced(record, local, pip)

    def produce_all(self, exporters: Sequence[AnyArtifactExporter]) -> list[_Produced]:
        """Run every exporter concurrently; re-raise the first failure after all stop."""
        (self.scratch / "plain").mkdir()
        (self.scratch / "stored").mkdir()
        workers = max(1, min(_MAX_WORKERS, len(exporters)))
        with ThreadPoolExecutor(workers, thread_name_prefix="snapshot-backup") as pool:
            futures = [pool.submit(self.produce, exporter) for exporter in exporters]
            return [future.result() for future in futures]


def _manifest_pip(frozen: list[str] | None, produced: list[_Produced]) -> list[str]:
    """Return the manifest's pip lines: the environment artifact's, else ``frozen``."""
    for item in produced:
        if item.pip is not None:
            return item.pip
    return frozen if frozen is not None else pip_freeze()


def _check_exporters(exporters: Sequence[AnyArtifactExporter]) -> None:
    """Refuse unsafe or duplicate artifact file names before anything runs."""
    seen: set[str] = set()
    for exporter in exporters:
        containers.check_artifact_filename(exporter.filename)
        stored, _ = _stored_name(exporter)
        containers.check_artifact_filename(stored)
        if stored in seen or exporter.filename in seen:
            raise SnapshotIntegrityError(
                f"two artifacts would be stored as {stored!r}; artifact file names must be unique"
            )
        seen.update((stored, exporter.filename))


def create_snapshot(
    name: str | None = None,
    *,
    exporters: Sequence[AnyArtifactExporter] | None = None,
    overwrite: bool = False,
    snapshot_format: SnapshotFormat | None = None,
    storage: SnapshotStorage | None = None,
    progress: ProgressCallback | None = None,
) -> Snapshot:
    """Take a snapshot and return its manifest.

    ``name`` defaults to the ``SNAPSHOT_NAME`` template; ``exporters`` to those of
    ``DEFAULT_ARTIFACTS`` (or every registered artifact type). Raise
    :class:`~django_snapshots.SnapshotExistsError` if ``name`` exists and
    ``overwrite`` is false, and :class:`~django_snapshots.SnapshotLockedError` if
    another backup or delete of ``name`` is running. A failure at any point leaves
    the previous snapshot of that name as it was.
    """
    settings = get_settings()
    store = storage if storage is not None else get_storage()
    layout: SnapshotFormat = snapshot_format or settings.snapshot_format
    created_at = datetime.now(timezone.utc)
    snapshot_name = (
        validate_name(name) if name is not None else render_name(settings.snapshot_name, created_at)
    )
    chosen = list(exporters) if exporters is not None else _default_exporters()
    if not chosen:
        raise SnapshotNotFoundError("nothing to back up: no artifact exporters were given")
    _check_exporters(chosen)
    with SnapshotLock(store, snapshot_name):
        containers.recover(store, snapshot_name)
        previous = containers.locate(store, snapshot_name)
        if previous and not overwrite:
            raise SnapshotExistsError(
                f"snapshot {snapshot_name!r} already exists; pass overwrite to replace it"
            )
        staged = any(location.format == "directory" for location in previous)
        if layout == "directory":
            target = f"{snapshot_name}/{containers.STAGING_FOLDER}" if staged else snapshot_name
        else:
            target = None

        def take(scratch: Path) -> Snapshot:
            with ThreadPoolExecutor(1, thread_name_prefix="snapshot-pip") as side:
                # pip freeze takes a second or two: run it while the artifacts are made,
                # unless the environment artifact runs it anyway.
                exports_pip = any(e.artifact_type == ENVIRONMENT_ARTIFACT_TYPE for e in chosen)
                pip = side.submit(lambda: None if exports_pip else pip_freeze())
                produced = _Producer(scratch, store, target, progress).produce_all(chosen)
            snapshot = Snapshot(
                name=snapshot_name,
                created_at=created_at,
                django_version=django.get_version(),
                python_version=platform.python_version(),
                hostname=socket.gethostname(),
                encrypted=False,
                pip=_manifest_pip(pip.result(), produced),
                metadata=json.loads(json.dumps(settings.metadata)),
                artifacts=[item.record for item in produced],
            )
            manifest = snapshot.to_json()
            if target is not None:
                # Directory format: the manifest last; an overwrite then publishes.
                containers.put(store, f"{target}/manifest.json", _bytes_stream(manifest))
                containers.publish_staged(store, snapshot_name)
                if any(location.format == "archive" for location in previous):
                    store.delete(containers.archive_path(snapshot_name))
                return snapshot
            files = [(item.record.filename, cast("Path", item.local)) for item in produced]
            containers.write_archive(store, snapshot_name, manifest, files)
            if staged:
                mine = [entry.path for entry in lock_entries(store, snapshot_name)]
                containers.delete_files(store, snapshot_name, keep=mine, archive=False)
            return snapshot

        with scratch_folder("backup") as scratch:
            try:
                snapshot = take(Path(scratch))
            except BaseException:
                # Roll a committed overwrite forward, or remove what was written.
                with contextlib.suppress(Exception):
                    containers.recover(store, snapshot_name)
                raise
    return snapshot


def _bytes_stream(data: bytes) -> IO[bytes]:
    """Return a readable stream over ``data``."""
    return io.BytesIO(data)


# -- reading ------------------------------------------------------------------------


def _resolve(storage: SnapshotStorage, name: str) -> tuple[Location, Snapshot]:
    """Return where snapshot ``name`` is and its manifest (newest copy if two exist)."""
    locations = containers.locate(storage, name)
    if not locations:
        raise SnapshotNotFoundError(f"snapshot {name!r} not found")
    if len(locations) == 1:
        return locations[0], containers.read_manifest(storage, locations[0])
    readable: list[tuple[Location, Snapshot]] = []
    failure: Exception | None = None
    for location in locations:
        try:
            readable.append((location, containers.read_manifest(storage, location)))
        except SnapshotIntegrityError as error:
            failure = error
    if not readable:
        assert failure is not None
        raise failure
    return max(readable, key=lambda item: item[1].created_at)


def _listing(storage: SnapshotStorage, state: containers.NameState) -> SnapshotListing:
    """Build the listing of one name from what a storage scan showed."""
    best: SnapshotListing | None = None
    for location in state.locations:
        try:
            snapshot = containers.read_manifest(storage, location)
        except (SnapshotIntegrityError, SnapshotNotFoundError) as error:
            candidate = SnapshotListing(state.name, location.format, None, str(error))
        else:
            candidate = SnapshotListing(state.name, location.format, snapshot, None)
        if best is None or (
            candidate.snapshot is not None
            and (best.snapshot is None or candidate.snapshot.created_at > best.snapshot.created_at)
        ):
            best = candidate
    if best is not None:
        return best
    now = datetime.now(timezone.utc)
    live = [
        entry
        for entry in lock_entries(storage, state.name)
        if not entry.is_stale(now, DEFAULT_STALE_AFTER)
    ]
    if live:
        why = f"incomplete: a backup is in progress ({live[0].describe()})"
    else:
        why = "incomplete: an interrupted backup left files but no manifest"
    return SnapshotListing(state.name, "directory", None, why, incomplete=True)


def list_snapshots(*, storage: SnapshotStorage | None = None) -> list[SnapshotListing]:
    """Return every snapshot in storage, newest first, unreadable ones included.

    Unreadable snapshots (unknown manifest version, corrupt manifest) and the
    leftovers of running or interrupted backups come last, by name, with ``error``
    set; :func:`delete_snapshot` removes any of them.
    """
    store = storage if storage is not None else get_storage()
    listings = [_listing(store, state) for state in containers.scan(store).values()]
    readable = [item for item in listings if item.snapshot is not None]
    readable.sort(key=lambda item: cast("Snapshot", item.snapshot).created_at, reverse=True)
    broken = sorted(
        (item for item in listings if item.snapshot is None), key=lambda item: item.name
    )
    return readable + broken


def get_snapshot(name: str, *, storage: SnapshotStorage | None = None) -> Snapshot:
    """Return the manifest of snapshot ``name``.

    Raise :class:`~django_snapshots.SnapshotNotFoundError` if there is none and
    :class:`~django_snapshots.SnapshotIntegrityError` (or its
    :class:`~django_snapshots.SnapshotVersionError`) if it cannot be read.
    """
    store = storage if storage is not None else get_storage()
    return _resolve(store, name)[1]


def delete_snapshot(name: str, *, storage: SnapshotStorage | None = None) -> None:
    """Delete snapshot ``name`` and every file that belongs to it.

    Works on unreadable snapshots and on the leftovers of an interrupted backup too.
    Raise :class:`~django_snapshots.SnapshotNotFoundError` if nothing of that name is
    stored and :class:`~django_snapshots.SnapshotLockedError` while a backup of it runs.
    """
    store = storage if storage is not None else get_storage()
    validate_name(name)
    if not store.list(f"{name}/") and not store.exists(containers.archive_path(name)):
        raise SnapshotNotFoundError(f"snapshot {name!r} not found")
    with SnapshotLock(store, name) as lock:
        mine = [entry.path for entry in lock_entries(store, name) if entry.token == lock.token]
        containers.delete_files(store, name, keep=mine)


# -- restore and verify ---------------------------------------------------------------


def _plain_name(record: ArtifactRecord, codec: Codec) -> str:
    """Return the file name an importer receives: the stored name without its codec suffix."""
    suffix = CODEC_SUFFIXES[codec]
    if suffix and record.filename.endswith(suffix):
        return record.filename[: -len(suffix)]
    return record.filename


def _mismatch(record: ArtifactRecord, size: int, checksum: str) -> str | None:
    """Return what is wrong with a fetched artifact, or None if it matches its record."""
    if size != record.size:
        return f"size {size} bytes, manifest says {record.size}"
    if checksum != record.checksum:
        return f"checksum {checksum}, manifest says {record.checksum}"
    return None


class _Discard(io.RawIOBase):
    """A sink that drops what is written (hashing goes on after a decompression error)."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(memoryview(data).cast("B"))


def _fetch(
    name: str,
    record: ArtifactRecord,
    source: IO[bytes],
    scratch: Path,
    progress: ProgressCallback | None,
) -> Path:
    """Hash, size-check and decompress one stored artifact into scratch; return the plain file.

    The stored bytes are hashed as they arrive and decompressed on the fly; the
    plain file is only handed on once size and checksum match the record.
    """
    head = source.read(4)
    codec = detect_codec(record.metadata, head)
    # One folder per artifact: plain names of two records can never collide.
    folder = Path(tempfile.mkdtemp(dir=scratch))
    plain = folder / _plain_name(record, codec)
    failure: str | None = None
    broken: Exception | None = None
    with open(plain, "wb") as out:
        decompressor = decompressing_writer(out, codec)
        hasher = HashingWriter(decompressor, _hook(progress, "fetch", record.filename, record.size))
        for chunk in _prepend(head, iter_chunks(source)):
            if hasher.size + len(chunk) > record.size:
                failure = f"it holds more than the {record.size} bytes its manifest records"
                break
            try:
                hasher.write(chunk)
            except (zstandard.ZstdError, zlib.error) as error:
                # Keep hashing, so the message says whether the bytes differ from the record.
                broken = error
                hasher.sink = _Discard()
        if failure is None and broken is None:
            try:
                decompressor.close()
            except (zstandard.ZstdError, zlib.error) as error:
                broken = error
    if failure is None:
        failure = _mismatch(record, hasher.size, hasher.checksum)
    if failure is None and broken is not None:
        failure = f"it cannot be decompressed ({codec}): {broken}"
    if failure is not None:
        raise SnapshotIntegrityError(
            f"artifact {record.filename!r} of snapshot {name!r} is corrupt: {failure}"
        )
    return plain


def _prepend(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    """Yield ``head`` (if any) and then everything of ``rest``."""
    if head:
        yield head
    yield from rest


def _select(
    snapshot: Snapshot, importers: Mapping[str, ImporterFactory] | None
) -> list[tuple[ArtifactRecord, AnyArtifactImporter]]:
    """Pair each artifact to restore with its importer."""
    if importers is None:
        factories = {name: kind.importer for name, kind in artifact_types().items()}
    else:
        factories = dict(importers)
        held = {record.type for record in snapshot.artifacts}
        missing = sorted(set(factories) - held)
        if missing:
            raise SnapshotNotFoundError(
                f"snapshot {snapshot.name!r} has no {', '.join(missing)} artifact"
            )
    selected: list[tuple[ArtifactRecord, AnyArtifactImporter]] = []
    for record in snapshot.artifacts:
        factory = factories.get(record.type)
        importer = factory(record) if factory is not None else None
        if importer is not None:
            selected.append((record, importer))
    return selected


def _fetch_all(
    storage: SnapshotStorage,
    location: Location,
    snapshot: Snapshot,
    records: list[ArtifactRecord],
    scratch: Path,
    progress: ProgressCallback | None,
) -> dict[str, Path]:
    """Download and verify every record into scratch; return plain files by stored name."""
    for record in records:
        containers.check_artifact_filename(record.filename)
    if location.format == "archive":
        by_name = {record.filename: record for record in records}
        fetched: dict[str, Path] = {}
        for filename, stream in containers.iter_archive_members(storage, snapshot.name, by_name):
            fetched[filename] = _fetch(snapshot.name, by_name[filename], stream, scratch, progress)
        return fetched

    def one(record: ArtifactRecord) -> Path:
        with containers.open_artifact(storage, location, record.filename) as stream:
            return _fetch(snapshot.name, record, stream, scratch, progress)

    workers = max(1, min(_MAX_WORKERS, len(records)))
    with ThreadPoolExecutor(workers, thread_name_prefix="snapshot-restore") as pool:
        futures = {record.filename: pool.submit(one, record) for record in records}
        return {filename: future.result() for filename, future in futures.items()}


def _resolve_newest(storage: SnapshotStorage) -> tuple[Location, Snapshot]:
    for listing in list_snapshots(storage=storage):
        if listing.snapshot is not None:
            return _resolve(storage, listing.name)
    raise SnapshotNotFoundError("no snapshot to restore: the storage holds none")


def restore_snapshot(
    name: str | None = None,
    *,
    importers: Mapping[str, ImporterFactory] | None = None,
    storage: SnapshotStorage | None = None,
    progress: ProgressCallback | None = None,
) -> Snapshot:
    """Restore snapshot ``name`` (default: the newest) and return its manifest.

    ``importers`` maps artifact types to importer factories; None restores every
    artifact type the snapshot holds with the registered importers. Naming a type the
    snapshot has no artifact for raises :class:`~django_snapshots.SnapshotNotFoundError`.
    Every selected artifact is downloaded and checked against its size and sha256
    before any importer runs; a mismatch raises
    :class:`~django_snapshots.SnapshotIntegrityError` naming the file.
    """
    store = storage if storage is not None else get_storage()
    location, snapshot = _resolve_newest(store) if name is None else _resolve(store, name)
    if snapshot.encrypted:
        raise SnapshotEncryptionError(
            f"snapshot {snapshot.name!r} is encrypted, and this release cannot decrypt it"
        )
    selected = _select(snapshot, importers)
    with scratch_folder("restore") as scratch:
        plain = _fetch_all(
            store, location, snapshot, [record for record, _ in selected], Path(scratch), progress
        )

        def one(record: ArtifactRecord, importer: AnyArtifactImporter) -> None:
            _report(progress, "restore", record.filename, 0, record.size)
            _run(importer.restore, plain[record.filename])
            _report(progress, "restore", record.filename, record.size, record.size)

        # The environment importer only reports a difference (it changes nothing), so
        # it runs beside the others; those run one by one, in manifest order, and the
        # first failure stops the restore.
        reporting = [item for item in selected if item[0].type == ENVIRONMENT_ARTIFACT_TYPE]
        with ThreadPoolExecutor(1, thread_name_prefix="snapshot-report") as side:
            reports = [side.submit(one, record, importer) for record, importer in reporting]
            for record, importer in selected:
                if record.type != ENVIRONMENT_ARTIFACT_TYPE:
                    one(record, importer)
            for report in reports:
                report.result()
    return snapshot


def _hash_stream(
    record: ArtifactRecord, stream: IO[bytes], progress: ProgressCallback | None
) -> ArtifactCheck:
    reader = HashingReader(stream, _hook(progress, "verify", record.filename, record.size))
    for _ in iter_chunks(binary(reader)):
        if reader.size > record.size:
            break
    problem = _mismatch(record, reader.size, reader.checksum)
    return ArtifactCheck(record.filename, problem is None, problem or "ok")


def verify_snapshot(name: str, *, storage: SnapshotStorage | None = None) -> VerificationReport:
    """Re-hash every artifact of ``name`` against its manifest record.

    Problems with artifacts are reported, not raised; a missing or unreadable
    manifest raises as :func:`get_snapshot` does.
    """
    store = storage if storage is not None else get_storage()
    location, snapshot = _resolve(store, name)
    checks: dict[str, ArtifactCheck] = {}
    if location.format == "archive":
        by_name = {record.filename: record for record in snapshot.artifacts}
        try:
            for filename, stream in containers.iter_archive_members(store, name, by_name):
                checks[filename] = _hash_stream(by_name[filename], stream, None)
        except SnapshotNotFoundError:
            pass
        except SnapshotIntegrityError as error:
            for filename in by_name:
                checks.setdefault(filename, ArtifactCheck(filename, False, str(error)))
    else:
        for record in snapshot.artifacts:
            try:
                with containers.open_artifact(store, location, record.filename) as stream:
                    checks[record.filename] = _hash_stream(record, stream, None)
            except (SnapshotNotFoundError, SnapshotIntegrityError) as error:
                checks[record.filename] = ArtifactCheck(record.filename, False, str(error))
    return VerificationReport(
        name,
        [
            checks.get(record.filename)
            or ArtifactCheck(record.filename, False, "missing from the snapshot")
            for record in snapshot.artifacts
        ],
    )
