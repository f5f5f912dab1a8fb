"""Runtime conformance: every built-in exporter, importer and connector matches its protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

from django_snapshots.artifacts import (
    ArtifactExporter,
    ArtifactImporter,
    DatabaseArtifactExporter,
    DatabaseArtifactImporter,
    DirectoryArtifactExporter,
    DirectoryArtifactImporter,
    EnvironmentArtifactExporter,
    EnvironmentArtifactImporter,
    MediaArtifactExporter,
    MediaArtifactImporter,
)
from django_snapshots.conformance import check_conformance
from django_snapshots.connectors import DatabaseConnector, DjangoDumpDataConnector, SQLiteConnector


def _objects(tmp_path: Path) -> list[tuple[object, type]]:
    return [
        (DatabaseArtifactExporter("default"), ArtifactExporter),
        (MediaArtifactExporter(tmp_path), ArtifactExporter),
        (EnvironmentArtifactExporter(), ArtifactExporter),
        (DirectoryArtifactExporter(tmp_path, "static"), ArtifactExporter),
        (DatabaseArtifactImporter("default"), ArtifactImporter),
        (MediaArtifactImporter(tmp_path), ArtifactImporter),
        (EnvironmentArtifactImporter(), ArtifactImporter),
        (DirectoryArtifactImporter(tmp_path, "static"), ArtifactImporter),
        (SQLiteConnector(), DatabaseConnector),
        (DjangoDumpDataConnector(), DatabaseConnector),
    ]


@pytest.mark.parametrize("index", range(10))
def test_builtin_conforms_by_signature(tmp_path: Path, index: int) -> None:
    """check_conformance (signatures and attribute types) finds no problem in a built-in."""
    obj, protocol = _objects(tmp_path)[index]
    assert check_conformance(obj, protocol) == []
    assert isinstance(obj, protocol)
