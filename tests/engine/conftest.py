"""Fixtures of the engine tests: storages of both tiers and small fake artifacts."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage

from django_snapshots.artifacts.registry import ArtifactType, artifact_types
from django_snapshots.manifest import ArtifactRecord
from django_snapshots.storage.django_storage import DjangoStorageBackend
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage


class FakeExporter:
    """Write fixed bytes (sync) as an artifact of type ``fake``."""

    artifact_type: str
    filename: str
    metadata: dict[str, Any]

    def __init__(self, filename: str, content: bytes, artifact_type: str = "fake") -> None:
        """Export ``content`` as ``filename``."""
        self.artifact_type = artifact_type
        self.filename = filename
        self.metadata = {}
        self.content = content

    def generate(self, dest: Path) -> None:
        """Write the content to ``dest``."""
        dest.write_bytes(self.content)


class AsyncFakeExporter:
    """Write fixed bytes from a coroutine as an artifact of type ``afake``."""

    artifact_type: str
    filename: str
    metadata: dict[str, Any]

    def __init__(self, filename: str, content: bytes) -> None:
        """Export ``content`` as ``filename``."""
        self.artifact_type = "afake"
        self.filename = filename
        self.metadata = {"origin": "async"}
        self.content = content

    async def generate(self, dest: Path) -> None:
        """Write the content to ``dest`` after yielding to the loop once."""
        await asyncio.sleep(0)
        dest.write_bytes(self.content)


class CollectingImporter:
    """Copy the restored plain file into ``received`` under its record's file name."""

    def __init__(
        self, artifact_type: str, received: dict[str, bytes], record: ArtifactRecord
    ) -> None:
        """Record into ``received``."""
        self.artifact_type = artifact_type
        self.received = received
        self.record = record

    def restore(self, src: Path) -> None:
        """Keep the plain bytes."""
        self.received[self.record.filename] = src.read_bytes()


class AsyncCollectingImporter(CollectingImporter):
    """The async flavour of :class:`CollectingImporter`."""

    async def restore(self, src: Path) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        """Keep the plain bytes."""
        await asyncio.sleep(0)
        self.received[self.record.filename] = src.read_bytes()


@pytest.fixture(params=["local", "django"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> SnapshotStorage:
    """Return an empty storage of either tier."""
    location = tmp_path / "store"
    location.mkdir()  # an empty storage (reads of a missing location fail)
    if request.param == "local":
        return LocalFileSystemBackend(location)
    return DjangoStorageBackend(FileSystemStorage(location=str(location)))


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalFileSystemBackend:
    """Return an empty advanced-tier storage."""
    return LocalFileSystemBackend(tmp_path / "store")


@pytest.fixture
def no_registered_types() -> Iterator[None]:
    """Hide the registered artifact types for the test, restoring them afterwards."""
    from django_snapshots.artifacts import registry

    saved = artifact_types()
    registry._REGISTRY.clear()  # pyright: ignore[reportPrivateUsage]
    try:
        yield
    finally:
        registry._REGISTRY.clear()  # pyright: ignore[reportPrivateUsage]
        registry._REGISTRY.update(saved)  # pyright: ignore[reportPrivateUsage]


def restore_fakes(storage: SnapshotStorage, name: str) -> dict[str, bytes]:
    """Restore ``name``'s ``fake`` artifacts and return their plain bytes by stored name."""
    from django_snapshots import engine

    received: dict[str, bytes] = {}

    def factory(record: ArtifactRecord) -> CollectingImporter:
        return CollectingImporter("fake", received, record)

    engine.restore_snapshot(name, importers={"fake": factory}, storage=storage)
    return received


def files_in(root: Path) -> list[str]:
    """Return every file below ``root`` as sorted relative paths."""
    return sorted(
        str(Path(folder, name).relative_to(root))
        for folder, _, names in os.walk(root)
        for name in names
    )


__all__ = [
    "ArtifactType",
    "AsyncCollectingImporter",
    "AsyncFakeExporter",
    "CollectingImporter",
    "FakeExporter",
    "files_in",
    "restore_fakes",
]
