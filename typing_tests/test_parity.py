"""Static typing cases for the names kept for django-snapshots 0.1.0b1 code.

Type-checked only; the functions are never called. Negative cases carry both
checkers' error codes, so a case that stops being an error fails both tools.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from typing_extensions import assert_type

from django_snapshots.artifacts.protocols import (
    ArtifactExporterBase,
    ArtifactImporter,
    ArtifactImporterBase,
)
from django_snapshots.backup.artifacts.database import DatabaseArtifactExporter
from django_snapshots.backup.artifacts.environment import EnvironmentArtifactExporter
from django_snapshots.backup.artifacts.media import MediaArtifactExporter
from django_snapshots.defines import InfoFormat, ListFormat, SnapshotFormat
from django_snapshots.manifest import SUPPORTED_VERSIONS, ArtifactRecord, Snapshot
from django_snapshots.restore.artifacts.database import DatabaseArtifactImporter
from django_snapshots.restore.artifacts.environment import EnvironmentArtifactImporter
from django_snapshots.restore.artifacts.media import MediaArtifactImporter
from django_snapshots.settings import PruneConfig, SnapshotSettings
from django_snapshots.storage.protocols import SnapshotStorage


def dict_forms_are_typed(storage: SnapshotStorage) -> None:
    """to_dict/from_dict/coerce, render_name and to_storage/from_storage are typed."""
    settings = SnapshotSettings()
    assert_type(settings.to_dict(), dict[str, Any])
    assert_type(SnapshotSettings.from_dict({"snapshot_format": "archive"}), SnapshotSettings)
    assert_type(SnapshotSettings.coerce({}), SnapshotSettings)
    assert_type(SnapshotSettings.coerce(settings), SnapshotSettings)
    assert_type(settings.render_name(datetime.now()), str)
    prune = PruneConfig.from_dict({"keep": 3, "duration": "P30D"})
    assert_type(prune, PruneConfig)
    assert_type(prune.to_dict(), dict[str, Any])
    assert_type(PruneConfig.coerce({"keep": 1}), PruneConfig)
    snapshot = Snapshot.from_storage(storage, "nightly")
    assert_type(snapshot, Snapshot)
    assert_type(snapshot.format, Literal["directory", "archive"])
    assert_type(snapshot.to_storage(storage), None)
    assert_type(Snapshot.coerce(snapshot), Snapshot)
    assert_type(ArtifactRecord.coerce({}), ArtifactRecord)
    assert_type(SUPPORTED_VERSIONS, frozenset[str])


def old_enums_are_str() -> None:
    """The 0.1.0b1 enums are str enums with the old member names."""
    archive: str = SnapshotFormat.ARCHIVE
    assert_type(SnapshotFormat.DIRECTORY, Literal[SnapshotFormat.DIRECTORY])
    assert_type(ListFormat.JSON.value, Literal["json"])
    assert_type(InfoFormat.TABLE.value, Literal["table"])
    del archive


def old_paths_hold_the_builtins() -> None:
    """The 0.1.0b1 module paths export the built-in classes, which keep class attributes."""
    assert_type(DatabaseArtifactExporter.artifact_type, str)
    assert_type(EnvironmentArtifactExporter.artifact_type, str)
    assert_type(DatabaseArtifactImporter.artifact_type, str)
    assert_type(EnvironmentArtifactImporter.artifact_type, str)
    exporter: ArtifactExporterBase = DatabaseArtifactExporter()
    media: ArtifactExporterBase = MediaArtifactExporter()
    environment: ArtifactImporter = EnvironmentArtifactImporter(check_only=True)
    assert_type(environment.artifact_type, str)
    importer: ArtifactImporterBase = MediaArtifactImporter()
    del exporter, media, importer


def snapshot_format_members_are_not_other_strings() -> None:
    """A SnapshotFormat member is not a ListFormat, for either checker."""
    wrong: ListFormat = SnapshotFormat.ARCHIVE  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    del wrong


def check_only_is_keyword_only() -> None:
    """check_only must be passed by keyword (the first positional is ``report``)."""
    EnvironmentArtifactImporter(True)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
