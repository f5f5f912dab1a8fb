"""Turning exporters into stored artifact files: export, compress, hash, store.

Every exporter writes a plain file into a private scratch folder (all of them
concurrently); each file is then compressed, hashed and handed to the snapshot's
:class:`~django_snapshots.layout.SnapshotWriter` in one pass. A *sequential* exporter
writes into a named pipe instead, and its output is compressed, hashed and stored
while it is produced.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Final

from django_snapshots.artifacts.protocols import AnyArtifactExporter
from django_snapshots.artifacts.registry import artifact_type
from django_snapshots.encryption import BackupSession
from django_snapshots.engine.types import ProgressCallback, byte_hook, report, run_artifact_method
from django_snapshots.layout import SnapshotWriter
from django_snapshots.manifest import ArtifactRecord
from django_snapshots.streams import (
    CODEC_SUFFIXES,
    Codec,
    ExportPipe,
    HashingReader,
    binary,
    compressing_reader,
)

__all__ = ["MAX_WORKERS", "PLAIN_SIZE_KEY", "Produced", "Producer", "Stored", "stored_name"]

MAX_WORKERS: Final = 4
"""Artifacts handled at once; compression and hashing release the GIL."""

PLAIN_SIZE_KEY: Final = "plain_size"
"""Artifact metadata: the bytes of the plain file the engine compressed (restores check
there is room for it in scratch)."""


@dataclass
class Produced:
    """One exporter's result: its manifest record, and the pip lines its type provides."""

    record: ArtifactRecord
    pip: list[str] | None = None


def stored_name(exporter: AnyArtifactExporter) -> tuple[str, Codec | None]:
    """Return the stored file name and the codec the engine applies (None: as is)."""
    if "compression" in exporter.metadata:
        return exporter.filename, None
    return exporter.filename + CODEC_SUFFIXES["zstd"], "zstd"


def _is_sequential(exporter: AnyArtifactExporter) -> bool:
    """Return True if ``exporter`` declares it writes ``dest`` front to back.

    An exporter with a true ``sequential`` attribute promises that ``generate`` only
    opens ``dest`` and writes it in order: no seek, stat, rename or replace. The
    engine then hands it a named pipe, so its output is compressed, hashed and stored
    while it is produced, never written to scratch.
    """
    return getattr(exporter, "sequential", False) is True and hasattr(os, "mkfifo")


@dataclass(frozen=True)
class Stored:
    """What one stored file holds: its plaintext hash and, if encrypted, the stored bytes'."""

    plain: HashingReader
    """Size and sha256 of the (compressed) plaintext: the manifest's ``size``/``checksum``."""
    encrypted: HashingReader | None
    """Size and sha256 of the bytes storage holds, when they are encrypted."""


@dataclass(frozen=True)
class Producer:
    """Turns exporters into stored files for one backup."""

    scratch: Path
    """The backup's private scratch folder for plain files."""
    writer: SnapshotWriter
    progress: ProgressCallback | None
    session: BackupSession | None = None
    """Encrypts every stored file when the snapshot is encrypted."""

    def store(self, source: IO[bytes], codec: Codec | None, stored: str) -> Stored:
        """Compress, hash, (encrypt, hash) and store ``source`` in one pass."""
        plain = HashingReader(
            compressing_reader(source, codec) if codec is not None else source,
            byte_hook(self.progress, "store", stored, None),
        )
        if self.session is None:
            self.writer.put(stored, binary(plain))
            return Stored(plain, None)
        encrypted = HashingReader(self.session.encrypting_reader(binary(plain), stored))
        self.writer.put(stored, binary(encrypted))
        return Stored(plain, encrypted)

    def through_pipe(
        self, exporter: AnyArtifactExporter, plain: Path, codec: Codec | None, stored: str
    ) -> tuple[Stored, int]:
        """Run a sequential exporter into a named pipe while its output is stored.

        Return the stored-file hasher and the plain size. Whatever fails first is raised
        once both sides have stopped.
        """
        failures: list[BaseException] = []
        with ExportPipe(plain) as pipe:

            def export() -> None:
                try:
                    run_artifact_method(exporter.generate, plain)
                except BaseException as error:  # noqa: BLE001 - re-raised in the calling thread
                    failures.append(error)
                finally:
                    pipe.close_writer()

            worker = threading.Thread(target=export, name=f"snapshot-export-{stored}", daemon=True)
            worker.start()
            counted = HashingReader(
                pipe.reader, byte_hook(self.progress, "export", stored, None), hashing=False
            )
            try:
                reader = self.store(binary(counted), codec, stored)
            except BaseException:
                pipe.drain()
                raise
            finally:
                worker.join()
            if failures:
                raise failures[0]
        report(self.progress, "export", stored, counted.size, counted.size)
        return reader, counted.size

    def produce(self, exporter: AnyArtifactExporter) -> Produced:
        """Run one exporter and store its file; return its manifest record."""
        stored, codec = stored_name(exporter)
        plain = self.scratch / exporter.filename
        declared = artifact_type(exporter.artifact_type)
        report(self.progress, "export", stored, 0, None)
        pip: list[str] | None = None
        if _is_sequential(exporter):
            reader, size = self.through_pipe(exporter, plain, codec, stored)
        else:
            run_artifact_method(exporter.generate, plain)
            size = plain.stat().st_size
            report(self.progress, "export", stored, size, size)
            with open(plain, "rb") as source:
                reader = self.store(source, codec, stored)
            if declared is not None and declared.pip_lines is not None:
                pip = declared.pip_lines(plain)
            plain.unlink()
        metadata = dict(exporter.metadata)
        if codec is not None:
            metadata["compression"] = codec
            metadata[PLAIN_SIZE_KEY] = size
        record = ArtifactRecord(
            type=exporter.artifact_type,
            filename=stored,
            size=reader.plain.size,
            checksum=reader.plain.checksum,
            created_at=datetime.now(timezone.utc),
            metadata=metadata,
        )
        if reader.encrypted is not None:
            record.stored_size = reader.encrypted.size
            record.stored_checksum = reader.encrypted.checksum
        return Produced(record, pip)

    def produce_all(self, exporters: Sequence[AnyArtifactExporter]) -> list[Produced]:
        """Run every exporter concurrently; re-raise the first failure after all stop."""
        workers = max(1, min(MAX_WORKERS, len(exporters)))
        with ThreadPoolExecutor(workers, thread_name_prefix="snapshot-backup") as pool:
            futures = [pool.submit(self.produce, exporter) for exporter in exporters]
            return [future.result() for future in futures]
