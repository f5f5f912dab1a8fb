"""Import paths that django-snapshots 0.1.0b1 users rely on keep working."""

from __future__ import annotations

import importlib

import pytest

import django_snapshots
from django_snapshots import artifacts, connectors, storage

OLD_PATHS = {
    "django_snapshots.backup.artifacts": artifacts,
    "django_snapshots.restore.artifacts": artifacts,
    "django_snapshots.connectors": connectors,
    "django_snapshots.storage": storage,
}


@pytest.mark.parametrize("path", sorted(OLD_PATHS))
def test_old_module_exports_the_same_objects(path: str) -> None:
    """Every name an old module exports is the same object as the canonical one."""
    module = importlib.import_module(path)
    names: list[str] = list(module.__all__)
    assert names
    canonical = OLD_PATHS[path]
    for name in names:
        assert getattr(module, name) is getattr(canonical, name)


@pytest.mark.parametrize(
    "name",
    [
        "DatabaseArtifactImporter",
        "MediaArtifactImporter",
        "EnvironmentArtifactImporter",
        "LocalFileSystemBackend",
        "DjangoStorageBackend",
        "SQLiteConnector",
        "PostgresConnector",
        "MySQLConnector",
        "DjangoDumpDataConnector",
    ],
)
def test_spec_names_are_importable_from_the_package(name: str) -> None:
    """The names SPEC section 3 and 4 promise at top level are there."""
    assert name in django_snapshots.__all__
    assert getattr(django_snapshots, name).__name__ == name
