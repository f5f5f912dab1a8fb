"""The media artifact: ``MEDIA_ROOT`` (or any directory, or a Django storage).

Two layouts, chosen when the engine binds the exporter (:mod:`.context`):

* **pool** (directory-format snapshots, the default): the artifact is a file list
  ``media.files`` and the content lives once in the snapshot storage's pool
  (:mod:`django_snapshots.pool`); unchanged files are not even read.
* **tar** (archive-format snapshots, no pool, or an exporter never bound): a
  self-contained ``media.tar``, as django-snapshots 0.1.0b1 wrote it (``media.tar.gz``).

The importer recognises either from the file it receives, and restores into a local
directory (staged beside it, then swapped in) or into a Django storage (written
through the storage API, undone on failure; see :mod:`.media_targets`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage

from django_snapshots.artifacts.context import ArtifactContext
from django_snapshots.artifacts.directory import DirectoryArtifactImporter, RestoreMode
from django_snapshots.artifacts.media_sources import (
    DirectoryMediaSource,
    StorageMediaSource,
    default_media_storage,
    write_source_tar,
)
from django_snapshots.artifacts.media_targets import StorageMediaTarget, files_of
from django_snapshots.exceptions import SnapshotConfigurationError, SnapshotError
from django_snapshots.manifest import ArtifactRecord
from django_snapshots.pool.backup import store_tree
from django_snapshots.pool.filelist import is_file_list
from django_snapshots.pool.options import PoolOptions
from django_snapshots.pool.restore import fetch_tree
from django_snapshots.safetar import extract_tree, write_tree
from django_snapshots.scratch import scratch_folder
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "MEDIA_ARTIFACT_TYPE",
    "MediaArtifactExporter",
    "MediaArtifactImporter",
    "configured_media_storage",
    "media_exporters",
    "media_importer_factory",
    "media_root",
    "refuse_storage_inside",
]

MEDIA_ARTIFACT_TYPE = "media"
"""The artifact type (and tar top-level directory) of media archives."""

POOL_FILENAME = "media.files"
"""The plain file name of a media file list (stored as ``media.files.zst``)."""

TAR_FILENAME = "media.tar"
"""The plain file name of a media tar (stored as ``media.tar.zst``)."""


def media_root(override: str | os.PathLike[str] | None = None) -> Path | None:
    """Return ``override`` or the ``MEDIA_ROOT`` setting as a path; None if neither is set.

    An empty ``override`` counts as not given, as in 0.1.0b1.
    """
    value = override or getattr(settings, "MEDIA_ROOT", "")
    return Path(value) if value else None


def refuse_storage_inside(storage: SnapshotStorage, directory: Path | None) -> None:
    """Refuse media in ``directory`` when the snapshot storage lives inside it.

    Backing it up would copy the snapshots into themselves, and a replace restore would
    delete them; raise :class:`~django_snapshots.SnapshotConfigurationError` instead.
    """
    location = getattr(storage, "location", None)
    if directory is None or not isinstance(storage, LocalFileSystemBackend):
        return
    if not isinstance(location, Path):
        return
    inside = location.resolve()
    root = directory.resolve()
    if inside == root or root in inside.parents:
        raise SnapshotConfigurationError(
            f"snapshot storage {str(location)!r} is inside the media directory {str(root)!r}; "
            "configure SNAPSHOTS['STORAGE'] outside it"
        )


def configured_media_storage() -> str | None:
    """Return ``SNAPSHOTS["MEDIA_STORAGE"]``, or its default: ``"default"`` when that
    storage is not on the local file system, else None (``MEDIA_ROOT``)."""
    from django_snapshots.settings import get_settings

    configured = get_settings().media_storage
    return configured if configured is not None else default_media_storage()


def _required_media_root(override: str | os.PathLike[str] | None) -> Path:
    root = media_root(override)
    if root is None:
        raise ImproperlyConfigured("MEDIA_ROOT is not set and no media root was given")
    return root


class MediaArtifactExporter:
    """Back up ``MEDIA_ROOT``, another directory, or a Django storage's files.

    ``full=True`` re-reads every file instead of trusting the parent snapshot's
    size and mtime (pool layout only).
    """

    artifact_type: str = MEDIA_ARTIFACT_TYPE
    """Always ``"media"`` (also readable on the class, as in 0.1.0b1)."""
    filename: str
    """``media.tar`` until the engine binds a pool, then ``media.files``."""
    metadata: dict[str, Any]
    """``{"directory": path}`` or ``{"storage": alias}``; pool counts after a pool backup."""
    directory: Path | None
    """The directory backed up, or None for a storage."""
    storage: Storage | str | None
    """The Django storage (or ``STORAGES`` alias) backed up, or None for a directory."""
    full: bool
    sequential: bool = True
    """``generate`` writes ``dest`` front to back, so the engine may pass a named pipe."""

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        storage: Storage | str | None = None,
        full: bool = False,
    ) -> None:
        """Back up ``storage`` if given, else ``directory`` (default ``MEDIA_ROOT``)."""
        self.filename = TAR_FILENAME
        self.storage = storage
        self.full = full
        self._context: ArtifactContext | None = None
        if storage is not None:
            self.directory = None
            self._source: DirectoryMediaSource | StorageMediaSource = StorageMediaSource(storage)
            self.metadata = {
                "storage": storage if isinstance(storage, str) else self._source.identity
            }
        else:
            self.directory = _required_media_root(directory)
            self._source = DirectoryMediaSource(self.directory)
            self.metadata = {"directory": str(self.directory)}

    @property
    def pool_options(self) -> PoolOptions | None:
        """Return the pool the engine bound, or None when the tar layout is used."""
        if self._context is None or self._context.snapshot_format != "directory":
            return None
        return self._context.pool

    @property
    def context(self) -> ArtifactContext | None:
        """Return the context this artifact was bound with, or None."""
        return self._context

    def bind(self, context: ArtifactContext) -> None:
        """Use the pool for a directory-format snapshot with a pool; the tar otherwise."""
        refuse_storage_inside(context.storage, self.directory)
        self._context = context
        options = self.pool_options
        if options is None:
            self.filename = TAR_FILENAME
            self.metadata.pop("layout", None)
            self.metadata.pop("pool", None)
        else:
            self.filename = POOL_FILENAME
            self.metadata.update({"layout": "pool", "pool": options.name})

    def generate(self, dest: Path) -> None:
        """Write the file list (pool) or the tar of the media to ``dest``."""
        options = self.pool_options
        if options is None or self._context is None:
            with dest.open("wb") as out:
                if isinstance(self._source, DirectoryMediaSource):
                    write_tree(self._source.directory, out, MEDIA_ARTIFACT_TYPE)
                else:
                    write_source_tar(self._source, out, MEDIA_ARTIFACT_TYPE)
            return
        context = self._context
        origin = {key: self.metadata.get(key) for key in ("directory", "storage")}

        def same_tree(record: ArtifactRecord) -> bool:
            meta = record.metadata
            same = all(meta.get(key) == value for key, value in origin.items())
            return same and meta.get("pool") == options.name

        with context.previous(same_tree) as parent_path, dest.open("wb") as out:
            parent = parent_path.open("rb") if parent_path is not None else None
            try:
                stats = store_tree(
                    self._source,
                    out,
                    storage=context.storage,
                    options=options,
                    snapshot_name=context.snapshot_name,
                    parent=parent,
                    full=self.full,
                )
            finally:
                if parent is not None:
                    parent.close()
        self.metadata.update(
            {
                "files": stats.files,
                "bytes": stats.bytes,
                "reused_files": stats.reused_files,
                "new_bytes": stats.new_bytes,
                "stored_bytes": stats.stored_bytes,
            }
        )


class MediaArtifactImporter:
    """Restore media (a tar or a pool file list) into a directory or a Django storage."""

    artifact_type: str = MEDIA_ARTIFACT_TYPE
    """Always ``"media"`` (also readable on the class, as in 0.1.0b1)."""
    concurrent: bool = True
    """It only touches files (never the database), so it may run beside other importers."""
    directory: Path | None
    """The directory restored into, or None for a storage."""
    storage: Storage | str | None
    mode: RestoreMode
    """``"replace"`` or ``"merge"``."""

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        mode: RestoreMode = "replace",
        *,
        storage: Storage | str | None = None,
    ) -> None:
        """Restore into ``storage`` if given, else ``directory`` (default ``MEDIA_ROOT``)."""
        self.mode = mode
        self.storage = storage
        self.directory = None if storage is not None else _required_media_root(directory)
        self._context: ArtifactContext | None = None

    @property
    def context(self) -> ArtifactContext | None:
        """Return the context this artifact was bound with, or None."""
        return self._context

    def bind(self, context: ArtifactContext) -> None:
        """Keep the context: a pool file list is restored from ``context.storage``."""
        refuse_storage_inside(context.storage, self.directory)
        self._context = context

    def restore(self, src: Path) -> None:
        """Restore from the verified tar or file list ``src``; all or nothing."""
        with src.open("rb") as head:
            pooled = is_file_list(head.read(512))
        if pooled:
            self._restore_pool(src)
        elif self.storage is not None:
            with scratch_folder("media") as scratch:
                extract_tree(src, scratch)
                self._into_storage(scratch)
        else:
            self._directory_importer().restore(src)

    def _directory_importer(self) -> DirectoryArtifactImporter:
        assert self.directory is not None
        return DirectoryArtifactImporter(self.directory, MEDIA_ARTIFACT_TYPE, self.mode)

    def _into_storage(self, staged: Path) -> None:
        assert self.storage is not None
        source = DirectoryMediaSource(staged)
        target = StorageMediaTarget(self.storage, self.mode)
        target.restore(
            lambda: files_of(
                source.open, ((e.path, e.size) for e in source.walk() if e.kind == "file")
            )
        )

    def _restore_pool(self, src: Path) -> None:
        context = self._context
        if context is None:
            raise SnapshotError(
                "this media artifact is a pool file list: restoring it needs the snapshot "
                "storage (the engine binds it with an ArtifactContext)"
            )
        options = context.pool if context.pool is not None else PoolOptions()
        staged = self.storage is None
        with fetch_tree(context.storage, options, src, prefetch_all=not staged) as tree:
            if self.storage is not None:
                StorageMediaTarget(self.storage, self.mode).restore(tree.files)
            else:
                self._directory_importer().restore_tree(tree.materialize)


def media_exporters(
    directory: str | os.PathLike[str] | None = None,
    *,
    storage: Storage | str | None = None,
    full: bool = False,
) -> list[MediaArtifactExporter]:
    """Return the media exporter for ``storage``, ``directory`` or ``MEDIA_ROOT``.

    None when no storage is given and neither a directory nor ``MEDIA_ROOT`` is set.
    """
    if storage is None and media_root(directory) is None:
        return []
    return [MediaArtifactExporter(directory, storage=storage, full=full)]


def media_importer_factory(
    directory: str | os.PathLike[str] | None = None,
    mode: RestoreMode = "replace",
    *,
    storage: Storage | str | None = None,
) -> Callable[[ArtifactRecord], MediaArtifactImporter]:
    """Return an importer factory restoring media into ``storage``, ``directory`` or ``MEDIA_ROOT``.

    The directory or storage recorded in the manifest is informative only: media is
    restored where this project keeps it.
    """

    def factory(record: ArtifactRecord) -> MediaArtifactImporter:
        return MediaArtifactImporter(directory, mode, storage=storage)

    return factory
