"""Fetching stored artifacts: hash, size-check and decompress them, or only re-hash.

A restore downloads every selected artifact into scratch, hashing the stored bytes
as they arrive and decompressing on the fly; the plain file is handed on only once
size and checksum match the manifest record. ``verify`` re-hashes without keeping
anything. :func:`artifact_fetcher` takes the same path for the media pool, which reads
each snapshot's file list (possibly encrypted) to learn what content it references.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import zstandard

from django_snapshots import layout
from django_snapshots.encryption import RestoreSession, SnapshotEncryption
from django_snapshots.engine.crypto import check_authenticity, open_restore_session
from django_snapshots.engine.produce import MAX_WORKERS
from django_snapshots.engine.types import ArtifactCheck, ProgressCallback, byte_hook
from django_snapshots.exceptions import (
    SnapshotEncryptionError,
    SnapshotIntegrityError,
    SnapshotNotFoundError,
)
from django_snapshots.layout import Location
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.pool.roots import ArtifactFetcher
from django_snapshots.storage.protocols import SnapshotStorage
from django_snapshots.streams import (
    CODEC_SUFFIXES,
    Codec,
    HashingReader,
    HashingWriter,
    binary,
    decompressing_writer,
    detect_codec,
    iter_chunks,
)

__all__ = [
    "artifact_fetcher",
    "check_all",
    "fetch_all",
    "mismatch",
    "mismatch_of",
    "stored_mismatch",
]


def _plain_name(record: ArtifactRecord, codec: Codec) -> str:
    """Return the file name an importer receives: the stored name without its codec suffix."""
    suffix = CODEC_SUFFIXES[codec]
    if suffix and record.filename.endswith(suffix):
        return record.filename[: -len(suffix)]
    return record.filename


def mismatch_of(expected_size: int, expected: str, size: int, checksum: str) -> str | None:
    """Return how ``size``/``checksum`` differ from what the manifest records, or None."""
    if size != expected_size:
        return f"size {size} bytes, manifest says {expected_size}"
    if checksum != expected:
        return f"checksum {checksum}, manifest says {expected}"
    return None


def mismatch(record: ArtifactRecord, size: int, checksum: str) -> str | None:
    """Return what is wrong with a fetched plaintext, or None if it matches its record."""
    return mismatch_of(record.size, record.checksum, size, checksum)


def stored_mismatch(record: ArtifactRecord, size: int, checksum: str) -> str | None:
    """Return what is wrong with the bytes storage holds, or None (no key needed)."""
    if record.stored_size is not None and record.stored_checksum is not None:
        return mismatch_of(record.stored_size, record.stored_checksum, size, checksum)
    return mismatch(record, size, checksum)


_BROKEN = (zstandard.ZstdError, zlib.error, SnapshotIntegrityError, SnapshotEncryptionError)
"""What a damaged stored file raises while it is decrypted or decompressed."""


class _Discard(io.RawIOBase):
    """A sink that drops what is written (hashing goes on after a decompression error)."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(memoryview(data).cast("B"))


def _prepend(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    """Yield ``head`` (if any) and then everything of ``rest``."""
    if head:
        yield head
    yield from rest


def _fetch(
    name: str,
    record: ArtifactRecord,
    source: IO[bytes],
    scratch: Path,
    progress: ProgressCallback | None,
    session: RestoreSession | None,
) -> Path:
    """Hash, size-check, (decrypt) and decompress one stored artifact; return the plain file.

    Stored bytes are hashed as they arrive (against ``stored_size``/``stored_checksum``
    for an encrypted artifact, else ``size``/``checksum``), decrypted and decompressed on
    the fly; the plain file is only handed on once every size and checksum matches.
    """
    encrypted = record.encrypted
    if encrypted and session is None:
        raise SnapshotEncryptionError(
            f"artifact {record.filename!r} of snapshot {name!r} is encrypted and no key is set"
        )
    head = b"" if encrypted else source.read(4)
    codec = detect_codec(record.metadata, head)
    expected_size = record.stored_size if record.stored_size is not None else record.size
    expected_checksum = record.stored_checksum or record.checksum
    # One folder per artifact: plain names of two records can never collide.
    folder = Path(tempfile.mkdtemp(dir=scratch))
    plain = folder / _plain_name(record, codec)
    failure: str | None = None
    broken: Exception | None = None
    with open(plain, "wb") as out:
        decompressor = decompressing_writer(out, codec)
        inner: IO[bytes] = decompressor
        plain_hash: HashingWriter | None = None
        decryptor: IO[bytes] | None = None
        if encrypted:
            assert session is not None
            plain_hash = HashingWriter(decompressor)
            decryptor = session.decrypting_writer(binary(plain_hash), record.filename)
            inner = decryptor
        hasher = HashingWriter(inner, byte_hook(progress, "fetch", record.filename, expected_size))
        for chunk in _prepend(head, iter_chunks(source)):
            if hasher.size + len(chunk) > expected_size:
                failure = f"it holds more than the {expected_size} bytes its manifest records"
                break
            try:
                hasher.write(chunk)
            except _BROKEN as error:
                # Keep hashing, so the message says whether the bytes differ from the record.
                broken = error
                hasher.sink = _Discard()
        if failure is None and broken is None:
            try:
                for stage in (decryptor, decompressor):
                    if stage is not None:
                        stage.close()
            except _BROKEN as error:
                broken = error
    if failure is None:
        failure = mismatch_of(expected_size, expected_checksum, hasher.size, hasher.checksum)
    if failure is None and broken is not None:
        failure = f"it cannot be {'decrypted' if encrypted else 'decompressed'} ({codec}): {broken}"
    if failure is None and plain_hash is not None:
        failure = mismatch(record, plain_hash.size, plain_hash.checksum)
    if failure is not None:
        raise SnapshotIntegrityError(
            f"artifact {record.filename!r} of snapshot {name!r} is corrupt: {failure}"
        )
    return plain


def _each_stored(
    storage: SnapshotStorage,
    location: Location,
    records: list[ArtifactRecord],
    handle: Callable[[ArtifactRecord, IO[bytes]], Any],
) -> dict[str, Any]:
    """Call ``handle`` with every record's stored stream; return the results by file name.

    An archive is read once, front to back; a directory snapshot's files concurrently.
    """
    if location.format == "archive":
        by_name = {record.filename: record for record in records}
        return {
            filename: handle(by_name[filename], stream)
            for filename, stream in layout.iter_archive_members(storage, location.name, by_name)
        }

    def one(record: ArtifactRecord) -> Any:
        with layout.open_artifact(storage, location, record.filename) as stream:
            return handle(record, stream)

    workers = max(1, min(MAX_WORKERS, len(records)))
    with ThreadPoolExecutor(workers, thread_name_prefix="snapshot-fetch") as pool:
        futures = {record.filename: pool.submit(one, record) for record in records}
        return {filename: future.result() for filename, future in futures.items()}


def fetch_all(
    storage: SnapshotStorage,
    location: Location,
    snapshot: Snapshot,
    records: list[ArtifactRecord],
    scratch: Path,
    progress: ProgressCallback | None,
    session: RestoreSession | None = None,
) -> dict[str, Path]:
    """Download and verify every record into scratch; return plain files by stored name."""

    def handle(record: ArtifactRecord, stream: IO[bytes]) -> Path:
        return _fetch(snapshot.name, record, stream, scratch, progress, session)

    return _each_stored(storage, location, records, handle)


def artifact_fetcher(
    encryption: SnapshotEncryption | None, *, require_seal: bool = True
) -> ArtifactFetcher:
    """Return the pool's :data:`~django_snapshots.pool.ArtifactFetcher` for this host.

    It fetches one artifact as a restore does: an encrypted snapshot's seal is checked
    (:func:`~django_snapshots.engine.crypto.open_restore_session`) before its bytes are
    decrypted, decompressed and checked against the record. ``require_seal`` also
    refuses, while ``ENCRYPTION`` is set, a plaintext snapshot (use it where what is read
    is trusted, such as the parent a backup reuses content ids from); without it, a
    plaintext snapshot is read as is (garbage collection, ``check`` and ``verify``, for
    which a forged file list can only keep more content alive or report problems).
    """

    def fetch(
        storage: SnapshotStorage,
        location: Location,
        snapshot: Snapshot,
        record: ArtifactRecord,
        dest: Path,
    ) -> None:
        session: RestoreSession | None = None
        if snapshot.encrypted or record.encrypted:
            session = open_restore_session(encryption, snapshot)
        elif require_seal:
            check_authenticity(encryption, snapshot)
        folder = Path(tempfile.mkdtemp(prefix="fetch-", dir=dest.parent))
        try:
            fetched = fetch_all(storage, location, snapshot, [record], folder, None, session)
            os.replace(fetched[record.filename], dest)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return fetch


def _hash_stream(
    record: ArtifactRecord, stream: IO[bytes], progress: ProgressCallback | None
) -> ArtifactCheck:
    reader = HashingReader(stream, byte_hook(progress, "verify", record.filename, record.size))
    limit = record.stored_size if record.stored_size is not None else record.size
    for _ in iter_chunks(binary(reader)):
        if reader.size > limit:
            break
    problem = stored_mismatch(record, reader.size, reader.checksum)
    return ArtifactCheck(record.filename, problem is None, problem or "ok")


def check_all(
    storage: SnapshotStorage,
    location: Location,
    snapshot: Snapshot,
    progress: ProgressCallback | None,
) -> list[ArtifactCheck]:
    """Re-hash every artifact of ``snapshot``; report problems instead of raising them."""
    records = snapshot.artifacts
    checks: dict[str, ArtifactCheck] = {}
    if location.format == "archive":
        by_name = {record.filename: record for record in records}
        try:
            for filename, stream in layout.iter_archive_members(storage, location.name, by_name):
                checks[filename] = _hash_stream(by_name[filename], stream, progress)
        except SnapshotNotFoundError:
            pass
        except SnapshotIntegrityError as error:
            for record in records:
                checks.setdefault(
                    record.filename, ArtifactCheck(record.filename, False, str(error))
                )
    else:
        for record in records:
            try:
                with layout.open_artifact(storage, location, record.filename) as stream:
                    checks[record.filename] = _hash_stream(record, stream, progress)
            except (SnapshotNotFoundError, SnapshotIntegrityError) as error:
                checks[record.filename] = ArtifactCheck(record.filename, False, str(error))
    return [
        checks.get(record.filename)
        or ArtifactCheck(record.filename, False, "missing from the snapshot")
        for record in records
    ]
