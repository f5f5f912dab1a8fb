"""Static typing cases: every built-in artifact and connector satisfies its protocol.

Negative cases carry both checkers' error codes; if one stops being an error, the
unused ignore fails mypy (``warn_unused_ignores``) and pyright
(``reportUnnecessaryTypeIgnoreComment``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typing_extensions import assert_type

from django_snapshots.artifacts import (
    AnyArtifactExporter,
    AnyArtifactImporter,
    ArtifactExporter,
    ArtifactImporter,
    AsyncArtifactExporter,
    AsyncArtifactImporter,
    DatabaseArtifactExporter,
    DatabaseArtifactImporter,
    DirectoryArtifactExporter,
    DirectoryArtifactImporter,
    EnvironmentArtifactExporter,
    EnvironmentArtifactImporter,
    EnvironmentDiff,
    MediaArtifactExporter,
    MediaArtifactImporter,
    PackageChange,
    database_exporters,
    database_importer_factory,
    diff_environment,
    environment_importer_factory,
    media_exporters,
    media_importer_factory,
)
from django_snapshots.artifacts.environment import EnvironmentReport
from django_snapshots.artifacts.registry import ArtifactType, ExportersFactory, ImporterFactory
from django_snapshots.connectors import (
    DatabaseConnector,
    DjangoDumpDataConnector,
    SQLiteConnector,
)
from django_snapshots.connectors.auto import connector_path, get_connector, load_connector
from django_snapshots.manifest import ArtifactRecord


def builtin_exporters_satisfy_the_protocols() -> None:
    """Each built-in exporter is an ArtifactExporter (and so an AnyArtifactExporter)."""
    database: ArtifactExporter = DatabaseArtifactExporter("default")
    media: ArtifactExporter = MediaArtifactExporter("/srv/media")
    environment: ArtifactExporter = EnvironmentArtifactExporter()
    directory: ArtifactExporter = DirectoryArtifactExporter("/srv/static", "static")
    any_exporter: AnyArtifactExporter = DatabaseArtifactExporter("default")
    assert_type(database.filename, str)
    assert_type(media.metadata, dict[str, Any])
    assert_type(environment.artifact_type, str)
    assert_type(directory.generate(Path("x")), None)
    assert_type(any_exporter.artifact_type, str)


def builtin_importers_satisfy_the_protocols() -> None:
    """Each built-in importer is an ArtifactImporter (and so an AnyArtifactImporter)."""
    database: ArtifactImporter = DatabaseArtifactImporter("default")
    media: ArtifactImporter = MediaArtifactImporter("/srv/media", mode="merge")
    environment: AnyArtifactImporter = EnvironmentArtifactImporter(current=[])
    directory: AnyArtifactImporter = DirectoryArtifactImporter("/srv/static", "static")
    assert_type(database.restore(Path("x")), None)
    assert_type(media.artifact_type, str)
    assert_type(environment.artifact_type, str)
    assert_type(directory.artifact_type, str)


def builtin_connectors_satisfy_the_protocol() -> None:
    """The SQLite and dumpdata connectors are DatabaseConnectors with typed results."""
    sqlite: DatabaseConnector = SQLiteConnector()
    dumpdata: DatabaseConnector = DjangoDumpDataConnector()
    assert_type(sqlite.dump("default", Path("x")), dict[str, Any])
    assert_type(dumpdata.restore("default", Path("x")), None)
    assert_type(get_connector("default"), DatabaseConnector)
    assert_type(get_connector("default", "a.B"), DatabaseConnector)
    assert_type(load_connector("a.B"), DatabaseConnector)
    assert_type(connector_path(sqlite), str)


def helpers_are_typed(record: ArtifactRecord) -> None:
    """The parameterised constructors and factories return precise types."""
    assert_type(database_exporters(["default"], "a.B"), list[DatabaseArtifactExporter])
    assert_type(media_exporters("/srv/media"), list[MediaArtifactExporter])
    assert_type(database_importer_factory(["default"])(record), DatabaseArtifactImporter | None)
    assert_type(media_importer_factory(mode="merge")(record), MediaArtifactImporter)
    environment = environment_importer_factory()(record)
    assert_type(environment.report, EnvironmentReport | None)
    assert_type(environment.diff, EnvironmentDiff | None)
    diff = diff_environment(["a==1"], ["a==2"])
    assert_type(diff.changed, list[PackageChange])
    assert_type(diff.lines(), list[str])


def factories_fit_the_registry() -> None:
    """The helpers plug into ArtifactType as exporter and importer factories."""
    exporters: ExportersFactory = media_exporters
    importer: ImporterFactory = database_importer_factory()
    environment: ImporterFactory = environment_importer_factory()
    ArtifactType("database", database_exporters, importer)
    ArtifactType("media", exporters, media_importer_factory())
    ArtifactType("environment", media_exporters, environment)


class BadMetadata:
    """An exporter whose metadata is a list, not a dict."""

    artifact_type: str = "bad"
    filename: str = "bad.bin"
    metadata: list[str] = []

    def generate(self, dest: Path) -> None:
        """Write nothing."""


class NoArtifactType:
    """An importer missing ``artifact_type``."""

    def restore(self, src: Path) -> None:
        """Restore nothing."""


class WrongReturnConnector:
    """A connector whose dump returns a string instead of metadata."""

    def dump(self, db_alias: str, dest: Path) -> str:
        """Return the wrong type."""
        return ""

    def restore(self, db_alias: str, src: Path) -> None:
        """Restore nothing."""


def wrong_artifacts_are_rejected() -> None:
    """Both checkers reject mismatched flavours, missing members and wrong types."""
    sync_as_async: AsyncArtifactExporter = EnvironmentArtifactExporter()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    sync_importer_as_async: AsyncArtifactImporter = MediaArtifactImporter()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    missing_type: ArtifactImporter = NoArtifactType()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    bad_metadata: ArtifactExporter = BadMetadata()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    wrong_return: DatabaseConnector = WrongReturnConnector()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    importer_as_exporter: ArtifactExporter = DatabaseArtifactImporter()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    MediaArtifactImporter(mode="overwrite")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    del sync_as_async, sync_importer_as_async, missing_type, bad_metadata, wrong_return
    del importer_as_exporter
