"""Registration of the built-in artifact types (database, media, environment).

Each type declares what the engine and the CLI need to know about it: how a bare
backup makes its exporters, how a restore makes importers, how to describe what a
restore overwrites, and (environment) that restoring only reports and that its file
provides the manifest's ``pip`` lines.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from django_snapshots.artifacts.database import (
    DATABASE_ARTIFACT_TYPE,
    DatabaseArtifactExporter,
    DatabaseArtifactImporter,
    database_exporters,
    database_importer_factory,
)
from django_snapshots.artifacts.directory import DirectoryArtifactImporter
from django_snapshots.artifacts.environment import (
    ENVIRONMENT_ARTIFACT_TYPE,
    EnvironmentArtifactExporter,
    environment_importer_factory,
)
from django_snapshots.artifacts.media import (
    MEDIA_ARTIFACT_TYPE,
    MediaArtifactExporter,
    MediaArtifactImporter,
    configured_media_storage,
    media_exporters,
    media_importer_factory,
)
from django_snapshots.artifacts.protocols import AnyArtifactExporter, AnyArtifactImporter
from django_snapshots.artifacts.registry import ArtifactType, register_artifact_type
from django_snapshots.manifest import ArtifactRecord

__all__ = [
    "builtin_artifact_types",
    "capture_database",
    "capture_media",
    "describe_database",
    "describe_database_alias",
    "describe_environment",
    "describe_media",
    "put_back_media",
    "read_pip_lines",
    "register_builtin_artifact_types",
]

_MAX_PIP_BYTES = 4 * 1024 * 1024
"""An environment file larger than this is not copied into the manifest."""


def _environment_exporters() -> list[AnyArtifactExporter]:
    return [EnvironmentArtifactExporter()]


def describe_database_alias(alias: str) -> str:
    """Return which database restoring ``alias`` overwrites (engine and name)."""
    config = settings.DATABASES.get(alias)
    if config is None:
        return f"database {alias!r} (not configured here)"
    return f"database {alias!r} ({config['ENGINE'].rsplit('.', 1)[-1]} {config.get('NAME', '')})"


def describe_database(record: ArtifactRecord, importer: AnyArtifactImporter) -> str:
    """Describe the database a database record's restore overwrites."""
    return describe_database_alias(str(record.metadata.get("database", "?")))


def describe_media(record: ArtifactRecord, importer: AnyArtifactImporter) -> str:
    """Describe the media directory or storage a media restore replaces or merges into."""
    if isinstance(importer, MediaArtifactImporter) and importer.storage is not None:
        storage = importer.storage
        where = f"media storage {storage!r}" if isinstance(storage, str) else "media storage"
        mode = importer.mode
    elif isinstance(importer, (MediaArtifactImporter, DirectoryArtifactImporter)):
        where, mode = f"media root {importer.directory}", importer.mode
    else:
        return f"media ({type(importer).__name__})"
    if mode == "merge":
        return f"{where} (merged: files absent from the snapshot are kept)"
    return f"{where} (replaced)"


def _media_exporters() -> list[AnyArtifactExporter]:
    """Return the exporters of media as configured (``MEDIA_STORAGE``, else ``MEDIA_ROOT``)."""
    return list(media_exporters(storage=configured_media_storage()))


def _media_importer(record: ArtifactRecord) -> AnyArtifactImporter | None:
    """Return the importer of a media record into the configured place, replacing."""
    return media_importer_factory(storage=configured_media_storage())(record)


def describe_environment(record: ArtifactRecord, importer: AnyArtifactImporter) -> str:
    """Say that restoring the environment only reports."""
    return "environment: report only, nothing is changed"


def read_pip_lines(plain: Path) -> list[str] | None:
    """Return the ``pip freeze`` lines of an environment file (None if it is too large)."""
    if plain.stat().st_size >= _MAX_PIP_BYTES:
        return None
    text = plain.read_text(errors="replace")
    return [line for line in text.splitlines() if line.strip()]


def capture_database(
    record: ArtifactRecord, importer: AnyArtifactImporter
) -> list[AnyArtifactExporter]:
    """Return the exporter saving the alias a database restore overwrites."""
    if isinstance(importer, DatabaseArtifactImporter):
        return [DatabaseArtifactExporter(importer.db_alias)]
    return list(database_exporters([str(record.metadata.get("database", "default"))]))


def capture_media(
    record: ArtifactRecord, importer: AnyArtifactImporter
) -> list[AnyArtifactExporter]:
    """Return the exporter saving the very directory or storage a media restore replaces."""
    if isinstance(importer, MediaArtifactImporter):
        return [MediaArtifactExporter(importer.directory, storage=importer.storage)]
    return _media_exporters()


def put_back_media(record: ArtifactRecord) -> AnyArtifactImporter | None:
    """Return the importer putting saved media back where it was taken, replacing."""
    storage = record.metadata.get("storage")
    if isinstance(storage, str) and not storage.startswith("storage:"):
        return MediaArtifactImporter(storage=storage)
    directory = record.metadata.get("directory")
    if isinstance(directory, str) and directory:
        return MediaArtifactImporter(directory)
    return _media_importer(record)


def builtin_artifact_types() -> list[ArtifactType]:
    """Return the built-in artifact types with their default exporters and importers.

    ``database`` exports every ``DATABASES`` alias with its configured connector and
    restores each with the recorded one; ``media`` exports ``SNAPSHOTS["MEDIA_STORAGE"]``
    or ``MEDIA_ROOT`` (nothing if neither is set) and restores it in replace mode;
    ``environment`` captures ``pip freeze`` and restores by reporting the difference.
    """
    return [
        ArtifactType(
            DATABASE_ARTIFACT_TYPE,
            database_exporters,
            database_importer_factory(),
            describe=describe_database,
            capture=capture_database,
        ),
        ArtifactType(
            MEDIA_ARTIFACT_TYPE,
            _media_exporters,
            _media_importer,
            describe=describe_media,
            capture=capture_media,
            put_back=put_back_media,
        ),
        ArtifactType(
            ENVIRONMENT_ARTIFACT_TYPE,
            _environment_exporters,
            environment_importer_factory(),
            describe=describe_environment,
            report_only=True,
            pip_lines=read_pip_lines,
        ),
    ]


def register_builtin_artifact_types() -> None:
    """Register the built-in artifact types in the artifact registry."""
    for artifact_type in builtin_artifact_types():
        register_artifact_type(artifact_type)
