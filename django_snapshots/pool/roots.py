"""What the snapshots reference: their media file lists, read from storage.

Garbage collection, ``check`` and ``verify`` need every content id the remaining
snapshots reference. A media artifact whose metadata names a pool (``"pool": <name>``)
is a file list of that pool; :class:`ReferenceScan` fetches each one (verified against
its manifest record, through a :data:`ArtifactFetcher`, by default
:func:`fetch_plain_artifact`, which reads zstd, gzip and plain artifacts; the engine
passes its own once artifacts can be encrypted) and yields its content ids. A snapshot
whose manifest or file list cannot be read is recorded in ``unreadable``: garbage
collection then removes nothing, since it cannot know what that snapshot needs.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

import zstandard

from django_snapshots import layout
from django_snapshots.exceptions import (
    SnapshotEncryptionError,
    SnapshotError,
    SnapshotIntegrityError,
)
from django_snapshots.layout import Location
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.pool.filelist import FileListReader
from django_snapshots.scratch import scratch_folder
from django_snapshots.storage.protocols import SnapshotStorage
from django_snapshots.streams import (
    CODEC_SUFFIXES,
    HashingWriter,
    decompressing_writer,
    detect_codec,
    iter_chunks,
)

__all__ = [
    "ArtifactFetcher",
    "ReferenceScan",
    "fetch_plain_artifact",
    "find_previous",
    "open_previous",
    "plain_filename",
]

ArtifactFetcher = Callable[[SnapshotStorage, Location, Snapshot, ArtifactRecord, Path], None]
"""Write the plain content of a stored artifact to a path, verified against its record."""


def plain_filename(record: ArtifactRecord) -> str:
    """Return the file name an importer receives for ``record`` (without the codec suffix)."""
    compression = record.metadata.get("compression")
    suffixes = {str(codec): suffix for codec, suffix in CODEC_SUFFIXES.items()}
    suffix = suffixes.get(compression, "") if isinstance(compression, str) else ""
    if not suffix and record.filename.endswith(".gz"):
        suffix = ".gz"
    return (
        record.filename[: -len(suffix)]
        if suffix and record.filename.endswith(suffix)
        else record.filename
    )


@contextmanager
def _stored(
    storage: SnapshotStorage, location: Location, record: ArtifactRecord
) -> Generator[IO[bytes], None, None]:
    if location.format == "directory":
        with layout.open_artifact(storage, location, record.filename) as stream:
            yield stream
        return
    members = cast(
        "Generator[tuple[str, IO[bytes]], None, None]",
        layout.iter_archive_members(storage, location.name, [record.filename]),
    )
    try:
        _, stream = next(members)
        yield stream
    finally:
        members.close()


def fetch_plain_artifact(
    storage: SnapshotStorage,
    location: Location,
    snapshot: Snapshot,
    record: ArtifactRecord,
    dest: Path,
) -> None:
    """Write ``record``'s plain content to ``dest``, checking its stored size and sha256.

    Raise :class:`SnapshotIntegrityError` naming the file on any mismatch and
    :class:`SnapshotEncryptionError` for an encrypted snapshot.
    """
    if snapshot.encrypted:
        raise SnapshotEncryptionError(
            f"snapshot {snapshot.name!r} is encrypted: reading {record.filename!r} needs the key"
        )
    where = f"artifact {record.filename!r} of snapshot {snapshot.name!r}"
    with _stored(storage, location, record) as stream, dest.open("wb") as out:
        head = stream.read(4)
        codec = detect_codec(record.metadata, head)
        decompressor = decompressing_writer(out, codec)
        hasher = HashingWriter(decompressor)
        try:
            if head:
                hasher.write(head)
            for chunk in iter_chunks(stream):
                if hasher.size + len(chunk) > record.size:
                    raise SnapshotIntegrityError(f"{where} is larger than its record")
                hasher.write(chunk)
            decompressor.close()
        except (zstandard.ZstdError, zlib.error) as error:
            raise SnapshotIntegrityError(f"{where} cannot be decompressed: {error}") from None
    if (hasher.size, hasher.checksum) != (record.size, record.checksum):
        raise SnapshotIntegrityError(f"{where} does not match its size and checksum")


class ReferenceScan:
    """Every content id the readable snapshots reference in pool ``pool``.

    Iterate it for ``(snapshot name, content id)`` pairs; afterwards ``snapshots`` lists
    the snapshots that use the pool and ``unreadable`` those that could not be read
    (with why).
    """

    def __init__(
        self,
        storage: SnapshotStorage,
        pool: str,
        *,
        fetch: ArtifactFetcher = fetch_plain_artifact,
        only: Callable[[str], bool] | None = None,
    ) -> None:
        """Scan ``storage`` for pool ``pool``; ``only`` limits the snapshot names read."""
        self.storage: SnapshotStorage = storage
        self.pool: str = pool
        self.fetch: ArtifactFetcher = fetch
        self.only: Callable[[str], bool] | None = only
        self.snapshots: list[str] = []
        self.unreadable: list[str] = []
        """``"<name>: <why>"`` for each snapshot whose references are unknown."""

    def _locations(self) -> Iterator[tuple[str, Location]]:
        for name, state in sorted(layout.scan(self.storage).items()):
            if self.only is None or self.only(name):
                for location in state.locations:
                    yield name, location

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """Yield ``(snapshot name, content id)`` for every reference, snapshot by snapshot."""
        with scratch_folder("pool") as scratch:
            for name, location in self._locations():
                try:
                    snapshot = layout.read_manifest(self.storage, location)
                except SnapshotError as error:
                    self.unreadable.append(f"{name}: {error}")
                    continue
                records = [r for r in snapshot.artifacts if r.metadata.get("pool") == self.pool]
                if records and name not in self.snapshots:
                    self.snapshots.append(name)
                for record in records:
                    try:
                        yield from self._record(location, snapshot, record, scratch)
                    except SnapshotError as error:
                        self.unreadable.append(f"{name}: {error}")

    def _record(
        self, location: Location, snapshot: Snapshot, record: ArtifactRecord, scratch: Path
    ) -> Iterator[tuple[str, str]]:
        local = Path(tempfile.mkstemp(prefix="files-", dir=scratch)[1])
        try:
            self.fetch(self.storage, location, snapshot, record, local)
            with local.open("rb") as stream:
                reader = FileListReader(stream, f"media file list of snapshot {snapshot.name!r}")
                if reader.header.pool != self.pool:
                    raise SnapshotIntegrityError(
                        f"media file list of {snapshot.name!r} names pool {reader.header.pool!r}"
                    )
                for entry in reader:
                    for blob_id in entry.ids:
                        yield snapshot.name, blob_id
        finally:
            local.unlink(missing_ok=True)


def find_previous(
    storage: SnapshotStorage,
    artifact_type: str,
    filename: str,
    accept: Callable[[ArtifactRecord], bool] | None = None,
) -> tuple[Location, Snapshot, ArtifactRecord] | None:
    """Return the newest readable snapshot's artifact of ``artifact_type`` named ``filename``.

    ``filename`` is the plain name an exporter declares (``media.files``); ``accept``
    further filters the records.
    """
    best: tuple[Location, Snapshot, ArtifactRecord] | None = None
    for state in layout.scan(storage).values():
        for location in state.locations:
            try:
                snapshot = layout.read_manifest(storage, location)
            except SnapshotError:
                continue
            for record in snapshot.artifacts:
                if (
                    record.type == artifact_type
                    and plain_filename(record) == filename
                    and (accept is None or accept(record))
                ):
                    if best is None or snapshot.created_at > best[1].created_at:
                        best = (location, snapshot, record)
    return best


@contextmanager
def open_previous(
    storage: SnapshotStorage,
    artifact_type: str,
    filename: str,
    accept: Callable[[ArtifactRecord], bool] | None = None,
    *,
    fetch: ArtifactFetcher = fetch_plain_artifact,
) -> Generator[Path | None, None, None]:
    """Yield the plain file of the newest artifact :func:`find_previous` finds, or None.

    An artifact that cannot be fetched (corrupt, encrypted) yields None: the caller
    then works without a parent.
    """
    found = find_previous(storage, artifact_type, filename, accept)
    if found is None:
        yield None
        return
    with scratch_folder("parent") as scratch:
        local: Path | None = scratch / filename
        assert local is not None
        try:
            fetch(storage, *found, local)
        except SnapshotError:
            local = None
        yield local
