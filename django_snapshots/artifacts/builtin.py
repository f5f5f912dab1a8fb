"""Registration of the built-in artifact types (database, media, environment)."""

from __future__ import annotations

from django_snapshots.artifacts.database import (
    DATABASE_ARTIFACT_TYPE,
    database_exporters,
    database_importer_factory,
)
from django_snapshots.artifacts.environment import (
    ENVIRONMENT_ARTIFACT_TYPE,
    EnvironmentArtifactExporter,
    environment_importer_factory,
)
from django_snapshots.artifacts.media import (
    MEDIA_ARTIFACT_TYPE,
    media_exporters,
    media_importer_factory,
)
from django_snapshots.artifacts.protocols import AnyArtifactExporter
from django_snapshots.artifacts.registry import ArtifactType, register_artifact_type

__all__ = ["builtin_artifact_types", "register_builtin_artifact_types"]


def _environment_exporters() -> list[AnyArtifactExporter]:
    return [EnvironmentArtifactExporter()]


def builtin_artifact_types() -> list[ArtifactType]:
    """Return the built-in artifact types with their default exporters and importers.

    ``database`` exports every ``DATABASES`` alias with its configured connector and
    restores each with the recorded one; ``media`` exports ``MEDIA_ROOT`` (nothing if
    unset) and restores it in replace mode; ``environment`` captures ``pip freeze`` and
    restores by reporting the difference.
    """
    return [
        ArtifactType(DATABASE_ARTIFACT_TYPE, database_exporters, database_importer_factory()),
        ArtifactType(MEDIA_ARTIFACT_TYPE, media_exporters, media_importer_factory()),
        ArtifactType(
            ENVIRONMENT_ARTIFACT_TYPE, _environment_exporters, environment_importer_factory()
        ),
    ]


def register_builtin_artifact_types() -> None:
    """Register the built-in artifact types in the artifact registry."""
    for artifact_type in builtin_artifact_types():
        register_artifact_type(artifact_type)
