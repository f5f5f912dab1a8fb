"""Taking a snapshot: choose the exporters, hold the name's lock, produce, commit.

The directory format streams each compressed artifact straight to storage; the
archive format keeps them in scratch, because the manifest (which holds their
checksums) must be the archive's first member. The manifest is written last, so a
snapshot without one is incomplete; any failure leaves the previous snapshot of the
name as it was (:meth:`~django_snapshots.layout.SnapshotWriter.abort`).
"""

from __future__ import annotations

import contextlib
import json
import platform
import socket
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import django

from django_snapshots import layout
from django_snapshots.artifacts.environment import pip_freeze
from django_snapshots.artifacts.protocols import AnyArtifactExporter
from django_snapshots.artifacts.registry import artifact_type, artifact_types
from django_snapshots.encryption import BackupSession
from django_snapshots.engine.crypto import seal_manifest
from django_snapshots.engine.fetch import artifact_fetcher
from django_snapshots.engine.pools import bind_all, pool_options
from django_snapshots.engine.produce import Producer, stored_name
from django_snapshots.engine.types import ProgressCallback
from django_snapshots.exceptions import SnapshotConfigurationError, SnapshotExistsError
from django_snapshots.layout import SnapshotFormat
from django_snapshots.locking import SnapshotLock
from django_snapshots.manifest import Snapshot
from django_snapshots.naming import render_name, validate_name
from django_snapshots.scratch import scratch_folder
from django_snapshots.settings import get_settings, get_storage
from django_snapshots.signals import post_backup, pre_backup, sent_around
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "check_exporters",
    "create_snapshot",
    "default_artifact_names",
    "default_exporters",
    "exporters_for",
]


def default_artifact_names() -> list[str]:
    """Return the artifact types a bare backup takes: ``DEFAULT_ARTIFACTS``, else all.

    Raise :class:`~django_snapshots.SnapshotConfigurationError` naming any entry that
    is not a registered artifact type (which is also its backup subcommand's name).
    """
    registered = artifact_types()
    wanted = get_settings().default_artifacts
    if wanted is None:
        return list(registered)
    unknown = [name for name in wanted if name not in registered]
    if unknown:
        raise SnapshotConfigurationError(
            f"SNAPSHOTS['DEFAULT_ARTIFACTS'] names unknown backup subcommand(s) "
            f"{', '.join(map(repr, unknown))} (available: {', '.join(registered)})"
        )
    return list(wanted)


def default_exporters() -> list[AnyArtifactExporter]:
    """Return the exporters of the artifact types a bare backup takes."""
    return exporters_for(None)


def exporters_for(names: Sequence[str] | None) -> list[AnyArtifactExporter]:
    """Return the exporters of the artifact types ``names`` (None: a bare backup's).

    Raise :class:`~django_snapshots.SnapshotConfigurationError` naming an unknown type.
    """
    registered = artifact_types()
    chosen = default_artifact_names() if names is None else list(names)
    unknown = [name for name in chosen if name not in registered]
    if unknown:
        raise SnapshotConfigurationError(
            f"unknown artifact type(s) {', '.join(map(repr, unknown))} "
            f"(available: {', '.join(registered)})"
        )
    exporters: list[AnyArtifactExporter] = []
    for name in chosen:
        exporters.extend(registered[name].exporters())
    return exporters


def check_exporters(exporters: Sequence[AnyArtifactExporter]) -> None:
    """Refuse an empty selection and unsafe or duplicate artifact file names.

    Raise :class:`~django_snapshots.SnapshotConfigurationError` (nothing to back up,
    two artifacts stored under one name) or
    :class:`~django_snapshots.SnapshotNameError` (a file name that is not plain).
    """
    if not exporters:
        raise SnapshotConfigurationError("nothing to back up: no artifact exporters were given")
    seen: set[str] = set()
    for exporter in exporters:
        layout.check_artifact_filename(exporter.filename)
        stored, _ = stored_name(exporter)
        layout.check_artifact_filename(stored)
        if stored in seen or exporter.filename in seen:
            raise SnapshotConfigurationError(
                f"two artifacts would be stored as {stored!r}; artifact file names must be unique"
            )
        seen.update((stored, exporter.filename))


def _provides_pip(exporters: Sequence[AnyArtifactExporter]) -> bool:
    """Return True if an exporter's artifact type declares it provides the pip lines."""
    for exporter in exporters:
        declared = artifact_type(exporter.artifact_type)
        if declared is not None and declared.pip_lines is not None:
            return True
    return False


def create_snapshot(
    name: str | None = None,
    *,
    exporters: Sequence[AnyArtifactExporter] | None = None,
    overwrite: bool = False,
    snapshot_format: SnapshotFormat | None = None,
    storage: SnapshotStorage | None = None,
    progress: ProgressCallback | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Snapshot:
    """Take a snapshot and return its manifest.

    ``name`` defaults to the ``SNAPSHOT_NAME`` template; ``exporters`` to those of
    ``DEFAULT_ARTIFACTS`` (or every registered artifact type). ``metadata`` (JSON-able)
    is added to ``SNAPSHOTS["METADATA"]`` in the manifest. Raise
    :class:`~django_snapshots.SnapshotExistsError` if ``name`` exists and
    ``overwrite`` is false, and :class:`~django_snapshots.SnapshotLockedError` if
    another backup or delete of ``name`` is running. A failure at any point leaves
    the previous snapshot of that name as it was. Send
    :data:`~django_snapshots.signals.pre_backup` and ``post_backup`` (also on failure).
    """
    settings = get_settings()
    store = storage if storage is not None else get_storage()
    created_at = datetime.now(timezone.utc)
    snapshot_name = (
        validate_name(name) if name is not None else render_name(settings.snapshot_name, created_at)
    )
    chosen = list(exporters) if exporters is not None else default_exporters()
    chosen_format: SnapshotFormat = snapshot_format or settings.snapshot_format
    encryption = settings.encryption_backend()
    # The session comes first: its content key and header name the encrypted media pool.
    session = encryption.begin_backup(snapshot_name) if encryption is not None else None
    bind_all(
        chosen,
        store,
        snapshot_name,
        chosen_format,
        pool_options(encryption, session),
        fetch=artifact_fetcher(encryption),
    )
    artifacts = [exporter.filename for exporter in chosen]
    outcome: dict[str, Any] = {"snapshot": None}
    with sent_around(
        pre_backup, post_backup, outcome, name=snapshot_name, artifacts=artifacts, storage=store
    ):
        extra = json.loads(json.dumps(dict(metadata or {})))
        snapshot = _create(
            snapshot_name,
            chosen,
            overwrite,
            snapshot_format,
            store,
            progress,
            created_at,
            extra,
            session,
        )
        outcome["snapshot"] = snapshot
    return snapshot


def _create(
    snapshot_name: str,
    chosen: list[AnyArtifactExporter],
    overwrite: bool,
    snapshot_format: SnapshotFormat | None,
    store: SnapshotStorage,
    progress: ProgressCallback | None,
    created_at: datetime,
    extra: dict[str, Any],
    session: BackupSession | None,
) -> Snapshot:
    """Take the snapshot :func:`create_snapshot` describes, under the name's lock."""
    settings = get_settings()
    chosen_format: SnapshotFormat = snapshot_format or settings.snapshot_format
    check_exporters(chosen)
    with SnapshotLock(store, snapshot_name):
        layout.recover(store, snapshot_name)
        previous = layout.locate(store, snapshot_name)
        if previous and not overwrite:
            raise SnapshotExistsError(
                f"snapshot {snapshot_name!r} already exists; pass overwrite=True to replace it",
                name=snapshot_name,
            )
        with scratch_folder("backup") as scratch:
            (Path(scratch) / "plain").mkdir()
            (Path(scratch) / "stored").mkdir()
            writer = layout.open_writer(
                store, snapshot_name, chosen_format, previous, Path(scratch) / "stored"
            )
            try:
                with ThreadPoolExecutor(1, thread_name_prefix="snapshot-pip") as side:
                    # pip freeze takes a second or two: run it while the artifacts are made,
                    # unless an artifact provides the lines anyway.
                    provided = _provides_pip(chosen)
                    frozen = side.submit(lambda: None if provided else pip_freeze())
                    producer = Producer(Path(scratch) / "plain", writer, progress, session)
                    produced = producer.produce_all(chosen)
                pip = next((item.pip for item in produced if item.pip is not None), None)
                snapshot = Snapshot(
                    name=snapshot_name,
                    created_at=created_at,
                    django_version=django.get_version(),
                    python_version=platform.python_version(),
                    hostname=socket.gethostname(),
                    encrypted=False,
                    pip=pip if pip is not None else (frozen.result() or pip_freeze()),
                    metadata={**json.loads(json.dumps(settings.metadata)), **extra},
                    artifacts=[item.record for item in produced],
                )
                if session is not None:
                    seal_manifest(snapshot, session)
                writer.commit(
                    snapshot.to_json(), [record.filename for record in snapshot.artifacts]
                )
            except BaseException:
                # Roll a committed overwrite forward, or remove what was written.
                with contextlib.suppress(Exception):
                    writer.abort()
                raise
    return snapshot
