"""Restoring a snapshot: plan and check everything first, then fetch, verify, import.

:func:`prepare_restore` decides everything before anything is touched — which
snapshot ("the newest" included), which artifacts with which importers, that every
requested artifact and alias exists, that the plain files fit in scratch, what the
restore will overwrite and how its safety snapshot saves that — so the command line
can show the plan and ask for confirmation. :func:`execute_restore` downloads and
checks every selected artifact against its size and sha256 (taking the safety
snapshot meanwhile) before any importer runs; :mod:`~.imports` runs the importers.

All or nothing: when an importer fails, what the others had restored is put back
from the safety snapshot. Each importer is atomic on its own (a database restore is
one transaction, a directory restore swaps by renames), but no commit point spans a
database and a directory, so staging every artifact and committing once is not
possible; the safety snapshot also serves ``snapshots undo``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

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
from django_snapshots.engine.catalog import delete_snapshot, resolve, resolve_newest
from django_snapshots.engine.crypto import open_restore_session, refuse_safety_without_keys
from django_snapshots.engine.fetch import fetch_all
from django_snapshots.engine.imports import ImportFailure, run_importers
from django_snapshots.engine.pools import bind_all, restore_pool_options
from django_snapshots.engine.safety import (
    SafetyCapture,
    plan_capture,
    put_back,
    take_safety_snapshot,
)
from django_snapshots.engine.space import check_restore_space
from django_snapshots.engine.types import ProgressCallback
from django_snapshots.exceptions import (
    SnapshotError,
    SnapshotNotFoundError,
    SnapshotRestoreError,
)
from django_snapshots.layout import Location
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.scratch import scratch_folder
from django_snapshots.settings import get_settings, get_storage
from django_snapshots.signals import post_restore, pre_restore, sent_around
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "RestorePlan",
    "carry_out",
    "check_database_aliases",
    "checked_plan",
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
    safety: SafetyCapture | None = None
    """What the safety snapshot taken first saves; None when it is skipped."""
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
    safety_snapshot: bool = True,
) -> RestorePlan:
    """Return the plan of restoring snapshot ``name`` (default: the newest); touch nothing.

    Every importer's pre-flight runs here (for a database: the recorded connector fits
    the alias's engine, its client tools are recent enough), and so does the check
    that the plain files fit in scratch. ``safety_snapshot=False`` skips the safety
    snapshot: the restore can then be neither undone nor rolled back when a later
    importer fails.

    Raise :class:`~django_snapshots.SnapshotNotFoundError` for a missing snapshot,
    artifact or alias, :class:`~django_snapshots.SnapshotIntegrityError` when the
    snapshot (the newest one, if none is named) cannot be read,
    :class:`~django_snapshots.SnapshotEncryptionError` when it cannot be decrypted or
    authenticated (no key, wrong key, a failing or missing seal), and
    :class:`~django_snapshots.SnapshotConfigurationError` when scratch is too small.
    """
    store = storage if storage is not None else get_storage()
    location, snapshot = resolve_newest(store) if name is None else resolve(store, name)
    selected = _select(snapshot, importers)
    return checked_plan(store, location, snapshot, selected, safety_snapshot=safety_snapshot)


def checked_plan(
    storage: SnapshotStorage,
    location: Location,
    snapshot: Snapshot,
    selected: list[tuple[ArtifactRecord, AnyArtifactImporter]],
    *,
    safety_snapshot: bool = True,
) -> RestorePlan:
    """Run every pre-flight check of restoring ``selected``; return the plan.

    The snapshot's seal is verified (and its decryption session opened) here, so every
    path to an import — restore and undo alike — refuses what cannot be authenticated.
    """
    encryption = get_settings().encryption_backend()
    session = open_restore_session(encryption, snapshot)
    bind_all(
        (importer for _, importer in selected),
        storage,
        snapshot.name,
        location.format,
        restore_pool_options(encryption, session, snapshot),
    )
    for _, importer in selected:
        if isinstance(importer, PreflightImporter):
            importer.preflight()
    check_restore_space(snapshot.name, selected)
    capture = plan_capture(selected) if safety_snapshot else None
    if capture is not None and capture.exporters:
        refuse_safety_without_keys(encryption, snapshot.name)
    return RestorePlan(storage, location, snapshot, selected, capture, session)


def execute_restore(plan: RestorePlan, *, progress: ProgressCallback | None = None) -> Snapshot:
    """Carry out ``plan``: fetch and check every artifact, take the safety snapshot, import.

    A size or checksum mismatch raises :class:`~django_snapshots.SnapshotIntegrityError`
    naming the file before any importer has run. Unless the plan skips it, a safety
    snapshot of everything the restore overwrites is taken first (while the artifacts
    download); if an importer then fails, what the others had restored is put back from
    it and :class:`~django_snapshots.SnapshotRestoreError` says so. Send
    :data:`~django_snapshots.signals.pre_restore` and ``post_restore`` (also on failure).
    """
    return carry_out(plan, progress=progress)


def carry_out(
    plan: RestorePlan, *, progress: ProgressCallback | None = None, undo: bool = False
) -> Snapshot:
    """Run ``plan`` as :func:`execute_restore` does; ``undo`` marks its safety snapshot."""
    snapshot = plan.snapshot
    records = [record for record, _ in plan.selected]
    outcome: dict[str, Any] = {"safety_snapshot": None, "rolled_back": False}
    with sent_around(
        pre_restore,
        post_restore,
        outcome,
        name=snapshot.name,
        snapshot=snapshot,
        artifacts=[record.filename for record in records],
        storage=plan.storage,
    ):
        with scratch_folder("restore") as scratch:
            plain, safety = _fetch_and_save(plan, Path(scratch), progress, undo)
            outcome["safety_snapshot"] = safety
            try:
                run_importers(plan.selected, plain, progress)
            except ImportFailure as failure:
                try:
                    _recover(plan, failure, safety, progress)
                except SnapshotRestoreError as error:
                    outcome["rolled_back"] = error.rolled_back
                    raise
    return snapshot


def _fetch_and_save(
    plan: RestorePlan, scratch: Path, progress: ProgressCallback | None, undo: bool
) -> tuple[dict[str, Path], Snapshot | None]:
    """Fetch every artifact while the safety snapshot is taken beside; return both.

    A failed fetch deletes the safety snapshot again: nothing was touched.
    """
    capture = plan.safety
    records = [record for record, _ in plan.selected]
    if capture is None or not capture.exporters:
        return fetch_all(
            plan.storage, plan.location, plan.snapshot, records, scratch, progress, plan.session
        ), None
    with ThreadPoolExecutor(1, thread_name_prefix="snapshot-safety") as side:
        taking = side.submit(
            take_safety_snapshot,
            plan.storage,
            capture,
            plan.snapshot.name,
            undo=undo,
            progress=progress,
        )
        try:
            plain = fetch_all(
                plan.storage, plan.location, plan.snapshot, records, scratch, progress, plan.session
            )
        except BaseException:
            with contextlib.suppress(Exception):
                delete_snapshot(taking.result().name, storage=plan.storage)
            raise
        try:
            return plain, taking.result()
        except (SnapshotError, OSError) as error:
            raise SnapshotRestoreError(
                f"could not take the safety snapshot before restoring {plan.snapshot.name!r}, "
                f"so nothing was restored: {_one_line(error)} (it can be skipped: "
                "--no-safety-snapshot)",
                rolled_back=False,
            ) from error


def _one_line(error: BaseException) -> str:
    """Return an error's message on one line (its class name if it has none)."""
    return " ".join(str(error).split()) or type(error).__name__


def _recover(
    plan: RestorePlan,
    failure: ImportFailure,
    safety: Snapshot | None,
    progress: ProgressCallback | None,
) -> NoReturn:
    """Put back what the failed restore had changed, then raise saying how it went."""
    name, why = plan.snapshot.name, _one_line(failure.error)
    if not failure.done:
        # The failing importer leaves its target as it was: nothing changed.
        raise failure.error
    if safety is None or plan.safety is None:
        restored = ", ".join(record.filename for record, _ in failure.done)
        raise SnapshotRestoreError(
            f"restore of snapshot {name!r} failed part-way ({why}); {restored} had been "
            "restored and cannot be put back: no safety snapshot was taken",
            rolled_back=False,
        ) from failure.error
    covered = {
        stored
        for record, _ in failure.done
        for stored in plan.safety.covers.get(record.filename, [])
    }
    lost = [
        record.filename for record, _ in failure.done if record.filename not in plan.safety.covers
    ]
    try:
        if covered:
            put_back(plan.storage, safety, covered, progress)
    except BaseException as error:  # noqa: BLE001 - reported in the error raised below
        cause = error.error if isinstance(error, ImportFailure) else error
        raise SnapshotRestoreError(
            f"restore of snapshot {name!r} failed ({why}), and putting back what it had "
            f"restored failed too ({_one_line(cause)}); safety snapshot {safety.name!r} "
            "holds the state from before: run 'manage.py snapshots undo'",
            rolled_back=False,
            safety_snapshot=safety.name,
        ) from failure.error
    if lost:
        raise SnapshotRestoreError(
            f"restore of snapshot {name!r} failed part-way ({why}); the rest was put back "
            f"from safety snapshot {safety.name!r}, but not {', '.join(lost)} (its artifact "
            "type is not registered, so what it overwrote is unknown)",
            rolled_back=False,
            safety_snapshot=safety.name,
        ) from failure.error
    raise SnapshotRestoreError(
        f"restore of snapshot {name!r} failed ({why}); everything it had restored was put "
        f"back from safety snapshot {safety.name!r}",
        rolled_back=True,
        safety_snapshot=safety.name,
    ) from failure.error


def restore_snapshot(
    name: str | None = None,
    *,
    importers: Mapping[str, ImporterFactory] | None = None,
    storage: SnapshotStorage | None = None,
    progress: ProgressCallback | None = None,
    safety_snapshot: bool = True,
) -> Snapshot:
    """Restore snapshot ``name`` (default: the newest) and return its manifest.

    A safety snapshot of what the restore overwrites is taken first unless
    ``safety_snapshot`` is false (see :func:`execute_restore`).

    ``importers`` maps artifact types to importer factories; None restores every
    artifact type the snapshot holds with the registered importers. Naming a type the
    snapshot has no artifact for raises :class:`~django_snapshots.SnapshotNotFoundError`.
    Every selected artifact is downloaded and checked against its size and sha256
    before any importer runs; a mismatch raises
    :class:`~django_snapshots.SnapshotIntegrityError` naming the file.
    """
    plan = prepare_restore(
        name, importers=importers, storage=storage, safety_snapshot=safety_snapshot
    )
    return execute_restore(plan, progress=progress)
