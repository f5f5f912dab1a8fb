"""Restoring a snapshot: plan and check everything first, then fetch, verify, import.

:func:`prepare_restore` decides everything before anything is touched — which
snapshot ("the newest" included), which artifacts with which importers, that every
requested artifact and alias exists, and what the restore will overwrite — so the
command line can show the plan and ask for confirmation. :func:`execute_restore`
downloads and checks every selected artifact against its size and sha256 before any
importer runs; importers then run one by one in manifest order, except those of
types that only report, which run beside them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings as django_settings

from django_snapshots.artifacts.protocols import AnyArtifactImporter, PreflightImporter
from django_snapshots.artifacts.registry import (
    ImporterFactory,
    SelectiveImporterFactory,
    artifact_type,
    artifact_types,
    describe_generically,
)
from django_snapshots.encryption import RestoreSession
from django_snapshots.engine.catalog import resolve, resolve_newest
from django_snapshots.engine.crypto import open_restore_session
from django_snapshots.engine.fetch import fetch_all
from django_snapshots.engine.pools import bind_all, restore_pool_options
from django_snapshots.engine.types import ProgressCallback, report, run_artifact_method
from django_snapshots.exceptions import SnapshotNotFoundError
from django_snapshots.layout import Location
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.scratch import scratch_folder
from django_snapshots.settings import get_settings, get_storage
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "RestorePlan",
    "check_database_aliases",
    "execute_restore",
    "prepare_restore",
    "restore_snapshot",
]


def check_database_aliases(aliases: Sequence[str]) -> list[str]:
    """Return ``aliases`` if each is in ``DATABASES``; else raise naming the first unknown."""
    known = list(django_settings.DATABASES)
    for alias in aliases:
        if alias not in known:
            raise SnapshotNotFoundError(
                f"unknown database alias {alias!r} (configured: {', '.join(known)})"
            )
    return list(aliases)


@dataclass(frozen=True)
class RestorePlan:
    """What a restore will do, decided and checked before anything is touched."""

    storage: SnapshotStorage
    location: Location
    snapshot: Snapshot
    selected: list[tuple[ArtifactRecord, AnyArtifactImporter]]
    """Each artifact to restore, with its importer, in manifest order."""
    session: RestoreSession | None = None
    """The verified decryption session of an encrypted snapshot."""

    @property
    def overwrites(self) -> list[str]:
        """Return one line per artifact saying what its restore overwrites."""
        lines: list[str] = []
        for record, importer in self.selected:
            declared = artifact_type(record.type)
            describe = declared.describe if declared is not None else describe_generically
            lines.append(describe(record, importer))
        return lines


def _select(
    snapshot: Snapshot, importers: Mapping[str, ImporterFactory] | None
) -> list[tuple[ArtifactRecord, AnyArtifactImporter]]:
    """Pair each artifact to restore with its importer; raise if a request cannot be met."""
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
        for kind, factory in factories.items():
            if isinstance(factory, SelectiveImporterFactory):
                records = [record for record in snapshot.artifacts if record.type == kind]
                absent = factory.missing(records)
                if absent:
                    raise SnapshotNotFoundError(f"snapshot {snapshot.name!r} has no {absent[0]}")
    selected: list[tuple[ArtifactRecord, AnyArtifactImporter]] = []
    for record in snapshot.artifacts:
        make = factories.get(record.type)
        importer = make(record) if make is not None else None
        if importer is not None:
            selected.append((record, importer))
    return selected


def prepare_restore(
    name: str | None = None,
    *,
    importers: Mapping[str, ImporterFactory] | None = None,
    storage: SnapshotStorage | None = None,
) -> RestorePlan:
    """Return the plan of restoring snapshot ``name`` (default: the newest); touch nothing.

    Every importer's pre-flight runs here (for a database: the recorded connector fits
    the alias's engine, its client tools are recent enough).

    Raise :class:`~django_snapshots.SnapshotNotFoundError` for a missing snapshot,
    artifact or alias, :class:`~django_snapshots.SnapshotIntegrityError` when the
    snapshot (the newest one, if none is named) cannot be read, and
    :class:`~django_snapshots.SnapshotEncryptionError` when it cannot be decrypted or
    authenticated (no key, wrong key, a failing or missing seal).
    """
    store = storage if storage is not None else get_storage()
    location, snapshot = resolve_newest(store) if name is None else resolve(store, name)
    encryption = get_settings().encryption_backend()
    session = open_restore_session(encryption, snapshot)
    selected = _select(snapshot, importers)
    bind_all(
        (importer for _, importer in selected),
        store,
        snapshot.name,
        location.format,
        restore_pool_options(encryption, session, snapshot),
    )
    for _, importer in selected:
        if isinstance(importer, PreflightImporter):
            importer.preflight()
    return RestorePlan(store, location, snapshot, selected, session)


def execute_restore(plan: RestorePlan, *, progress: ProgressCallback | None = None) -> Snapshot:
    """Carry out ``plan``: fetch and check every artifact, then run the importers.

    A size or checksum mismatch raises :class:`~django_snapshots.SnapshotIntegrityError`
    naming the file before any importer has run.
    """
    snapshot = plan.snapshot
    with scratch_folder("restore") as scratch:
        plain = fetch_all(
            plan.storage,
            plan.location,
            snapshot,
            [record for record, _ in plan.selected],
            Path(scratch),
            progress,
            plan.session,
        )

        def one(record: ArtifactRecord, importer: AnyArtifactImporter) -> None:
            report(progress, "restore", record.filename, 0, record.size)
            run_artifact_method(importer.restore, plain[record.filename])
            report(progress, "restore", record.filename, record.size, record.size)

        def reports_only(record: ArtifactRecord) -> bool:
            declared = artifact_type(record.type)
            return declared is not None and declared.report_only

        # Importers that only report change nothing, so they run beside the others;
        # those run one by one, in manifest order, and the first failure stops the restore.
        with ThreadPoolExecutor(1, thread_name_prefix="snapshot-report") as side:
            reporting = [
                side.submit(one, record, importer)
                for record, importer in plan.selected
                if reports_only(record)
            ]
            for record, importer in plan.selected:
                if not reports_only(record):
                    one(record, importer)
            for future in reporting:
                future.result()
    return snapshot


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
    plan = prepare_restore(name, importers=importers, storage=storage)
    return execute_restore(plan, progress=progress)
