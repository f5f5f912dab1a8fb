"""Static typing cases for the top-level API: engine functions, results, errors, registry.

Everything is imported from ``django_snapshots`` itself, as users do. The functions
below are never called; only the checkers read them. Negative cases carry both
checkers' error codes, so a case that stops being an error fails the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typing_extensions import assert_type

import django_snapshots
from django_snapshots import (
    AnyArtifactImporter,
    ArtifactCheck,
    ArtifactExporterBase,
    ArtifactImporterBase,
    ArtifactRecord,
    ArtifactType,
    LocalFileSystemBackend,
    ProgressCallback,
    ProgressEvent,
    Snapshot,
    SnapshotConnectorError,
    SnapshotEncryptionError,
    SnapshotError,
    SnapshotExistsError,
    SnapshotIntegrityError,
    SnapshotListing,
    SnapshotLockedError,
    SnapshotNameError,
    SnapshotNotFoundError,
    SnapshotPathError,
    SnapshotStorageCapabilityError,
    SnapshotVersionError,
    VerificationReport,
    create_snapshot,
    delete_snapshot,
    get_snapshot,
    list_snapshots,
    register_artifact_type,
    restore_snapshot,
    verify_snapshot,
)


def engine_results_are_typed() -> None:
    """Every engine function returns the documented type."""
    storage = LocalFileSystemBackend("/srv/snapshots")
    assert_type(create_snapshot("nightly", overwrite=True, storage=storage), Snapshot)
    assert_type(restore_snapshot(storage=storage), Snapshot)
    assert_type(list_snapshots(storage=storage), list[SnapshotListing])
    assert_type(get_snapshot("nightly"), Snapshot)
    assert_type(delete_snapshot("nightly"), None)
    report = verify_snapshot("nightly")
    assert_type(report, VerificationReport)
    assert_type(report.ok, bool)
    assert_type(report.checks, list[ArtifactCheck])
    assert_type(report.checks[0].message, str)
    listing = list_snapshots()[0]
    assert_type(listing.snapshot, Snapshot | None)
    assert_type(listing.error, str | None)
    assert_type(django_snapshots.__version__, str)


def progress_callbacks_are_checked() -> None:
    """A callback taking a ProgressEvent fits; one taking something else does not."""

    def show(event: ProgressEvent) -> None:
        assert_type(event.done, int)
        assert_type(event.total, int | None)
        assert_type(event.filename, str)

    def wrong(event: str) -> None: ...

    good: ProgressCallback = show
    bad: ProgressCallback = wrong  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    create_snapshot(progress=good)
    create_snapshot(progress=bad)
    create_snapshot(format="archive")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    create_snapshot(snapshot_format="zip")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def errors_share_one_root() -> None:
    """Every error is a SnapshotError; a version error is an integrity error."""
    errors: list[SnapshotError] = [
        SnapshotConnectorError("x"),
        SnapshotEncryptionError("x"),
        SnapshotExistsError("x"),
        SnapshotLockedError("x"),
        SnapshotNameError("x"),
        SnapshotNotFoundError("x"),
        SnapshotPathError("x"),
        SnapshotStorageCapabilityError("x"),
    ]

    def widen(error: SnapshotIntegrityError) -> SnapshotError:
        return error

    def narrow(error: SnapshotVersionError) -> SnapshotError:
        return error

    assert_type(widen(SnapshotVersionError("x")), SnapshotError)
    narrow(SnapshotIntegrityError("x"))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    assert_type(errors, list[SnapshotError])


class NotesExporter:
    """A third-party exporter declaring its artifact with plain attributes."""

    def __init__(self) -> None:
        self.artifact_type: str = "notes"
        self.filename: str = "notes.txt"
        self.metadata: dict[str, Any] = {}

    def generate(self, dest: Path) -> None:
        dest.write_text("notes")


class NotesImporter:
    """A third-party importer."""

    def __init__(self) -> None:
        self.artifact_type: str = "notes"

    def restore(self, src: Path) -> None: ...


class Nameless:
    """Declares no ``artifact_type``."""

    filename: str = "x"
    metadata: dict[str, Any] = {}


def third_party_artifacts_register() -> None:
    """A third-party artifact type fits the protocols and the registry."""
    exporter_base: ArtifactExporterBase = NotesExporter()
    importer_base: ArtifactImporterBase = NotesImporter()
    missing: ArtifactExporterBase = Nameless()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

    def importer(record: ArtifactRecord) -> AnyArtifactImporter | None:
        return NotesImporter() if record.type == "notes" else None

    notes = ArtifactType(name="notes", exporters=lambda: [NotesExporter()], importer=importer)
    assert_type(register_artifact_type(notes), None)
    assert_type(exporter_base.filename, str)
    assert_type(importer_base.artifact_type, str)
    assert_type(missing.metadata, dict[str, Any])
