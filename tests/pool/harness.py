"""Helpers of the pool tests: storages of every kind, trees, and engine round trips.

``STORAGE_KINDS`` names the snapshot storages every round trip runs on; add a kind to
:func:`make_storage` (the S3 fixture, once it lands) and every parametrized test runs
on it too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, InMemoryStorage, Storage

from django_snapshots import engine
from django_snapshots.artifacts.context import ContextFormat, bind_artifact, make_context
from django_snapshots.artifacts.directory import RestoreMode
from django_snapshots.artifacts.environment import pip_freeze
from django_snapshots.artifacts.media import MediaArtifactExporter, MediaArtifactImporter
from django_snapshots.engine import backup as engine_backup
from django_snapshots.manifest import Snapshot
from django_snapshots.pool.gc import GarbageReport, collect_garbage
from django_snapshots.pool.options import PoolOptions
from django_snapshots.storage.django_storage import DjangoStorageBackend
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "OLD",
    "STORAGE_KINDS",
    "Harness",
    "cached_pip",
    "make_storage",
    "make_tree",
    "pool_bytes",
    "pool_files",
    "storage_files",
    "tree_of",
]

STORAGE_KINDS = ["local", "django-fs", "django-memory"]
"""Snapshot storages the round trips run on: both tiers, disk and memory."""

OLD = 1_700_000_000
"""An mtime (seconds) long before any backup: such files are not 'racy'."""

_PIP: list[str] = []


@pytest.fixture
def cached_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the engine reuse one real ``pip freeze`` result (it takes a second per backup)."""
    if not _PIP:
        _PIP.extend(pip_freeze())
    monkeypatch.setattr(engine_backup, "pip_freeze", lambda: list(_PIP))


def make_storage(kind: str, tmp_path: Path) -> SnapshotStorage:
    """Return an empty snapshot storage of ``kind`` (one of :data:`STORAGE_KINDS`)."""
    if kind == "local":
        (tmp_path / "store").mkdir(exist_ok=True)
        return LocalFileSystemBackend(tmp_path / "store")
    if kind == "django-fs":
        (tmp_path / "store").mkdir()
        return DjangoStorageBackend(FileSystemStorage(location=str(tmp_path / "store")))
    if kind == "django-memory":
        return DjangoStorageBackend(InMemoryStorage())
    raise ValueError(f"unknown storage kind {kind!r}")


def make_tree(root: Path, files: Mapping[str, bytes | str], *, mtime: float | None = OLD) -> Path:
    """Create ``files`` under ``root`` (str values ending in '/' make empty directories)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        if isinstance(content, str) and content.startswith("->"):
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(content[2:], path)
            continue
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    if mtime is not None:
        for path in [*root.rglob("*"), root]:
            if not path.is_symlink():
                os.utime(path, (mtime, mtime))
    return root


def tree_of(root: Path, *, modes: bool = True) -> dict[str, object]:
    """Return every entry below ``root``: file bytes, ``-> target`` or ``dir <mode>``."""
    found: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            found[name] = "-> " + os.readlink(path)
        elif stat.S_ISDIR(info.st_mode):
            found[name] = f"dir {stat.S_IMODE(info.st_mode):o}" if modes else "dir"
        else:
            mode = f" {stat.S_IMODE(info.st_mode):o}" if modes else ""
            found[name] = (path.read_bytes(), mode) if modes else path.read_bytes()
    return found


def storage_files(storage: Storage, prefix: str = "") -> dict[str, bytes]:
    """Return every file of a Django storage (recursively) with its content."""
    found: dict[str, bytes] = {}
    folders, files = storage.listdir(prefix)
    for name in files:
        with storage.open(f"{prefix}{name}", "rb") as stream:
            found[f"{prefix}{name}"] = stream.read()
    for folder in folders:
        found.update(storage_files(storage, f"{prefix}{folder}/"))
    return found


def pool_files(storage: SnapshotStorage) -> list[str]:
    """Return the stored paths of the pools' packs and index files."""
    return [p for p in storage.list(".pool/") if "/packs/" in p or "/index/" in p]


def pool_bytes(storage: SnapshotStorage) -> int:
    """Return the bytes of every pack and index file."""
    total = 0
    for path in pool_files(storage):
        with storage.read(path) as stream:
            total += len(stream.read())
    return total


@dataclass
class Harness:
    """Run media backups, restores and deletes through the engine, binding like it will."""

    storage: SnapshotStorage
    options: PoolOptions | None = field(default_factory=PoolOptions)
    last_metadata: dict[str, object] = field(default_factory=dict[str, object])

    def exporter(
        self,
        name: str,
        directory: Path | None = None,
        *,
        source: Storage | str | None = None,
        fmt: ContextFormat = "directory",
        full: bool = False,
    ) -> MediaArtifactExporter:
        """Return a media exporter bound as the engine binds it."""
        exporter = MediaArtifactExporter(directory, storage=source, full=full)
        bind_artifact(exporter, make_context(self.storage, name, fmt, exporter, pool=self.options))
        return exporter

    def backup(
        self,
        name: str,
        directory: Path | None = None,
        *,
        source: Storage | str | None = None,
        fmt: ContextFormat = "directory",
        full: bool = False,
        overwrite: bool = False,
    ) -> Snapshot:
        """Back up media into snapshot ``name``; keep the exporter's metadata."""
        exporter = self.exporter(name, directory, source=source, fmt=fmt, full=full)
        snapshot = engine.create_snapshot(
            name,
            exporters=[exporter],
            storage=self.storage,
            snapshot_format=fmt,
            overwrite=overwrite,
        )
        self.last_metadata = dict(exporter.metadata)
        return snapshot

    def restore(
        self,
        name: str,
        directory: Path | None = None,
        *,
        target: Storage | str | None = None,
        mode: RestoreMode = "replace",
    ) -> None:
        """Restore snapshot ``name``'s media into ``directory`` or the storage ``target``."""
        importer = MediaArtifactImporter(directory, mode, storage=target)
        fmt: ContextFormat = "directory"
        bind_artifact(importer, make_context(self.storage, name, fmt, importer, pool=self.options))
        # No safety snapshot: these tests count the snapshots and content they made.
        engine.restore_snapshot(
            name,
            importers={"media": lambda record: importer},
            storage=self.storage,
            safety_snapshot=False,
        )

    def delete(self, *names: str) -> GarbageReport:
        """Delete snapshots (as ``delete`` or ``prune`` does), then collect garbage."""
        for name in names:
            engine.delete_snapshot(name, storage=self.storage, collect_garbage=False)
        return collect_garbage(self.storage, self.options)
