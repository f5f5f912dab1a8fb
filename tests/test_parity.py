"""Code written against django-snapshots 0.1.0b1's public names keeps working unchanged.

Each test pins one parity point: the names 0.1.0b1 exported, the dict forms of its
settings dataclasses, the manifest's storage helpers, the settings object left in
``django.conf.settings``, the built-in classes' attributes, the command-line messages
scripts look for, and the snapshots 0.1.0b1 wrote. ``docs/migrating.md`` lists the
deliberate differences; the last test keeps that page in its shape.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import typing
from datetime import datetime, timedelta, timezone
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from pytest_django.fixtures import Settings

from django_snapshots.artifacts.database import DatabaseArtifactExporter, DatabaseArtifactImporter
from django_snapshots.artifacts.environment import (
    EnvironmentArtifactExporter,
    EnvironmentArtifactImporter,
)
from django_snapshots.artifacts.media import MediaArtifactExporter, MediaArtifactImporter
from django_snapshots.defines import InfoFormat, ListFormat, SnapshotFormat
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.retention import PruneConfig
from django_snapshots.settings import SnapshotSettings
from django_snapshots.storage import LocalFileSystemBackend

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "v0_1_0b1"
EXAMPLE_MEDIA = ROOT / "tests" / "example" / "media"
MIGRATING = ROOT / "docs" / "migrating.md"
LOCAL = "django_snapshots.storage.LocalFileSystemBackend"

OLD_NAMES: dict[str, list[str]] = {
    "django_snapshots": [
        "AdvancedSnapshotStorage",
        "AnyArtifactExporter",
        "AnyArtifactImporter",
        "ArtifactExporter",
        "ArtifactExporterBase",
        "ArtifactImporter",
        "ArtifactImporterBase",
        "ArtifactRecord",
        "AsyncArtifactExporter",
        "AsyncArtifactImporter",
        "DatabaseArtifactImporter",
        "DatabaseConnector",
        "DirectoryArtifactExporter",
        "DirectoryArtifactImporter",
        "DjangoDumpDataConnector",
        "DjangoStorageBackend",
        "EnvironmentArtifactImporter",
        "LocalFileSystemBackend",
        "MediaArtifactImporter",
        "MySQLConnector",
        "PostgresConnector",
        "PruneConfig",
        "SQLiteConnector",
        "Snapshot",
        "SnapshotConnectorError",
        "SnapshotEncryptionError",
        "SnapshotError",
        "SnapshotExistsError",
        "SnapshotIntegrityError",
        "SnapshotNotFoundError",
        "SnapshotSettings",
        "SnapshotStorage",
        "SnapshotStorageCapabilityError",
        "SnapshotVersionError",
        "__version__",
    ],
    "django_snapshots.storage": [
        "AdvancedSnapshotStorage",
        "DjangoStorageBackend",
        "LocalFileSystemBackend",
        "SnapshotStorage",
        "requires_advanced_storage",
    ],
    "django_snapshots.storage.protocols": [
        "AdvancedSnapshotStorage",
        "SnapshotStorage",
        "requires_advanced_storage",
    ],
    "django_snapshots.storage.local": ["LocalFileSystemBackend"],
    "django_snapshots.storage.django_storage": ["DjangoStorageBackend"],
    "django_snapshots.connectors": [
        "DatabaseConnector",
        "DjangoDumpDataConnector",
        "MySQLConnector",
        "PostgresConnector",
        "SQLiteConnector",
        "get_connector_class",
        "get_connector_for_alias",
    ],
    "django_snapshots.connectors.auto": ["get_connector_class", "get_connector_for_alias"],
    "django_snapshots.connectors.protocols": ["DatabaseConnector"],
    "django_snapshots.connectors.sqlite": ["SQLiteConnector"],
    "django_snapshots.connectors.postgres": ["PostgresConnector"],
    "django_snapshots.connectors.mysql": ["MySQLConnector"],
    "django_snapshots.connectors.dumpdata": ["DjangoDumpDataConnector"],
    "django_snapshots.settings": ["PruneConfig", "SnapshotFormat", "SnapshotSettings"],
    "django_snapshots.manifest": [
        "ArtifactRecord",
        "MANIFEST_VERSION",
        "SUPPORTED_VERSIONS",
        "Snapshot",
    ],
    "django_snapshots.exceptions": [
        "SnapshotConnectorError",
        "SnapshotEncryptionError",
        "SnapshotError",
        "SnapshotExistsError",
        "SnapshotIntegrityError",
        "SnapshotNotFoundError",
        "SnapshotStorageCapabilityError",
        "SnapshotVersionError",
    ],
    "django_snapshots.defines": ["InfoFormat", "ListFormat", "SnapshotFormat"],
    "django_snapshots.artifacts": [
        "AnyArtifactExporter",
        "AnyArtifactImporter",
        "ArtifactExporter",
        "ArtifactExporterBase",
        "ArtifactImporter",
        "ArtifactImporterBase",
        "AsyncArtifactExporter",
        "AsyncArtifactImporter",
        "DirectoryArtifactExporter",
        "DirectoryArtifactImporter",
    ],
    "django_snapshots.artifacts.protocols": [
        "AnyArtifactExporter",
        "AnyArtifactImporter",
        "ArtifactExporter",
        "ArtifactExporterBase",
        "ArtifactImporter",
        "ArtifactImporterBase",
        "AsyncArtifactExporter",
        "AsyncArtifactImporter",
    ],
    "django_snapshots.artifacts.directory": [
        "DirectoryArtifactExporter",
        "DirectoryArtifactImporter",
    ],
    "django_snapshots.backup.artifacts": [
        "DatabaseArtifactExporter",
        "EnvironmentArtifactExporter",
        "MediaArtifactExporter",
    ],
    "django_snapshots.backup.artifacts.database": ["DatabaseArtifactExporter"],
    "django_snapshots.backup.artifacts.environment": ["EnvironmentArtifactExporter"],
    "django_snapshots.backup.artifacts.media": ["MediaArtifactExporter"],
    "django_snapshots.restore.artifacts": [
        "DatabaseArtifactImporter",
        "EnvironmentArtifactImporter",
        "MediaArtifactImporter",
    ],
    "django_snapshots.restore.artifacts.database": ["DatabaseArtifactImporter"],
    "django_snapshots.restore.artifacts.environment": ["EnvironmentArtifactImporter"],
    "django_snapshots.restore.artifacts.media": ["MediaArtifactImporter"],
}
"""Every public name 0.1.0b1 let its users import, by module (its package metadata
dunders other than ``__version__`` excepted)."""

SETTINGS_KEYS = {
    "storage",
    "snapshot_format",
    "snapshot_name",
    "metadata",
    "encryption",
    "database_connectors",
    "prune",
}
"""The keys of 0.1.0b1's ``SnapshotSettings.to_dict()``."""


def _call(*args: str) -> str:
    """Run ``manage.py snapshots *args`` in-process and return its stdout."""
    out = StringIO()
    call_command("snapshots", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def store(settings: Settings, tmp_path: Path) -> Path:
    """Point SNAPSHOTS at an empty storage folder and MEDIA_ROOT at a copy; return the folder."""
    location = tmp_path / "snapshots"
    location.mkdir()
    media = tmp_path / "media"
    shutil.copytree(EXAMPLE_MEDIA, media)
    settings.MEDIA_ROOT = str(media)
    settings.SNAPSHOTS = {"STORAGE": {"BACKEND": LOCAL, "OPTIONS": {"location": str(location)}}}
    return location


def _untyped(value: object) -> Any:
    """Return ``value`` typed ``Any``, as untyped 0.1.0b1 code passes it."""
    return value


def _copy_fixtures(location: Path) -> None:
    """Copy both snapshots 0.1.0b1 wrote into the storage folder ``location``."""
    shutil.copytree(FIXTURES / "v010b1-directory-sqlite", location / "v010b1-directory-sqlite")
    shutil.copy(FIXTURES / "v010b1-archive-dumpdata.tar", location)


@pytest.mark.parametrize("module", sorted(OLD_NAMES))
def test_every_old_public_name_is_importable(module: str) -> None:
    """Each module 0.1.0b1 users import from still exports every name they used."""
    imported = importlib.import_module(module)
    missing = [name for name in OLD_NAMES[module] if not hasattr(imported, name)]
    assert missing == []


def test_settings_to_dict_has_the_old_keys_and_shapes(tmp_path: Path) -> None:
    """to_dict() uses 0.1.0b1's lower-case keys; storage is the instance, prune a dict."""
    backend = LocalFileSystemBackend(tmp_path)
    given = SnapshotSettings(
        storage=backend, snapshot_format="archive", prune=PruneConfig(keep=3, duration="P30D")
    )
    data = given.to_dict()
    assert SETTINGS_KEYS <= set(data)
    assert all(key == key.lower() for key in data)
    assert data["storage"] is backend
    assert data["snapshot_format"] == "archive"
    assert data["prune"]["keep"] == 3 and data["prune"]["duration"] == "P30D"
    assert data["prune"]["max_size"] is None


def test_settings_round_trip_through_a_dict(tmp_path: Path) -> None:
    """SnapshotSettings.from_dict(s.to_dict()) == s, with durations as ISO-8601 text."""
    original = SnapshotSettings.from_dict(
        {
            "STORAGE": {"BACKEND": LOCAL, "OPTIONS": {"location": str(tmp_path)}},
            "SNAPSHOT_NAME": "pre-{timestamp_utc}",
            "METADATA": {"env": "test"},
            "PRUNE": {"keep": 2, "duration": timedelta(days=3)},
            "MAX_AGE": timedelta(hours=36),
        }
    )
    data = original.to_dict()
    assert data["prune"]["duration"] == "P3D"
    assert data["max_age"] == "P1DT12H"
    assert json.dumps({key: data[key] for key in data if key != "storage"})
    again = SnapshotSettings.from_dict(data)
    assert again.to_dict() == data
    assert again.snapshot_name == original.snapshot_name
    assert again.metadata == original.metadata
    assert SnapshotSettings.coerce(data).to_dict() == data
    assert SnapshotSettings.coerce(original) is original


def test_settings_from_dict_raises_improperly_configured() -> None:
    """from_dict of a bad dict raises ImproperlyConfigured naming the key, as in 0.1.0b1."""
    with pytest.raises(ImproperlyConfigured, match="SNAPSHOT_FORMAT"):
        SnapshotSettings.from_dict({"snapshot_format": "zip"})


def test_prune_config_round_trips_with_the_old_keys() -> None:
    """PruneConfig.to_dict() has lower-case keys and ISO text; from_dict reads it back."""
    policy = PruneConfig(keep=5, duration=timedelta(weeks=2), max_size=10_000)
    data = policy.to_dict()
    assert {"keep": 5, "duration": "P14D", "max_size": 10_000}.items() <= data.items()
    assert all(key == key.lower() for key in data)
    assert PruneConfig.from_dict(data) == PruneConfig(keep=5, duration="P14D", max_size=10_000)
    assert PruneConfig.from_dict({"KEEP": 5}).keep == 5
    assert PruneConfig.coerce({"keep": 1}) == PruneConfig(keep=1)
    assert PruneConfig().to_dict()["duration"] is None


def test_prune_config_from_dict_refuses_unknown_keys() -> None:
    """An unknown PruneConfig key raises ImproperlyConfigured naming it, as in 0.1.0b1."""
    with pytest.raises(ImproperlyConfigured, match="'forever'"):
        PruneConfig.from_dict({"forever": True})


def test_prune_duration_accepts_a_relativedelta() -> None:
    """0.1.0b1's relativedelta durations become ISO-8601 text, in a dict or a PruneConfig."""
    assert PruneConfig(duration=_untyped(relativedelta(days=30))).duration == "P30D"
    six_hours = _untyped(relativedelta(months=1, hours=6))
    assert PruneConfig(duration=six_hours).to_dict()["duration"] == "P1MT6H"
    from_dict = SnapshotSettings.from_dict({"prune": {"duration": relativedelta(weeks=1)}})
    assert from_dict.prune == PruneConfig(duration="P7D")
    with pytest.raises(ImproperlyConfigured, match="DURATION"):
        SnapshotSettings.from_dict({"prune": {"duration": relativedelta(days=-1)}})


def test_render_name_formats_the_template() -> None:
    """SnapshotSettings.render_name(created_at) renders the name template, as in 0.1.0b1."""
    settings = SnapshotSettings(snapshot_name="pre-{timestamp_utc}")
    moment = datetime(2026, 3, 13, 12, 0, 0, tzinfo=timezone.utc)
    assert settings.render_name(moment) == "pre-2026-03-13T12-00-00-UTC"


def test_old_snapshot_format_enum_is_accepted() -> None:
    """SnapshotFormat.ARCHIVE from django_snapshots.defines is a valid snapshot_format."""
    settings = SnapshotSettings.from_dict({"snapshot_format": SnapshotFormat.ARCHIVE})
    assert settings.snapshot_format == "archive"
    assert type(settings.snapshot_format) is str
    assert SnapshotFormat("directory") is SnapshotFormat.DIRECTORY
    assert f"{SnapshotFormat.ARCHIVE}" == "archive"
    assert [item.value for item in ListFormat] == ["table", "json", "yaml"]
    assert [item.value for item in InfoFormat] == ["table", "json"]


class _TextExporter:
    """A one-file exporter (no database needed)."""

    artifact_type: str = "text"
    filename: str = "text.txt"
    metadata: dict[str, Any] = {}

    def generate(self, dest: Path) -> None:
        """Write a line of text."""
        dest.write_text("hello\n")


def test_old_snapshot_format_enum_chooses_the_layout(tmp_path: Path) -> None:
    """create_snapshot(snapshot_format=SnapshotFormat.ARCHIVE) stores one <name>.tar."""
    from django_snapshots import create_snapshot

    storage = LocalFileSystemBackend(tmp_path)
    create_snapshot(
        "as-tar",
        exporters=[_TextExporter()],
        storage=storage,
        snapshot_format=_untyped(SnapshotFormat.ARCHIVE),
    )
    assert (tmp_path / "as-tar.tar").is_file() and not (tmp_path / "as-tar").exists()
    assert Snapshot.from_storage(storage, "as-tar").format == "archive"


def test_default_storage_is_a_local_backend_at_snapshots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SnapshotSettings() and SnapshotSettings(storage=None) hold a LocalFileSystemBackend."""
    monkeypatch.chdir(tmp_path)
    for settings in (SnapshotSettings(), SnapshotSettings(storage=None)):
        assert isinstance(settings.storage, LocalFileSystemBackend)
        assert settings.storage.location == tmp_path / "snapshots"


def test_settings_snapshots_is_normalised_after_ready(tmp_path: Path) -> None:
    """After ready(), django.conf.settings.SNAPSHOTS is the normalised SnapshotSettings."""
    assert isinstance(django_settings.SNAPSHOTS, SnapshotSettings)
    given = {"STORAGE": {"BACKEND": LOCAL, "OPTIONS": {"location": str(tmp_path)}}}
    with override_settings(SNAPSHOTS=given):
        apps.get_app_config("snapshots").ready()
        normalised = django_settings.SNAPSHOTS
        assert isinstance(normalised, SnapshotSettings)
        assert isinstance(normalised.storage, LocalFileSystemBackend)
        assert normalised.storage.location == tmp_path
        expected = SnapshotSettings.from_dict(given).to_dict()
        assert {**normalised.to_dict(), "storage": None} == {**expected, "storage": None}


def test_manifest_to_storage_and_from_storage_round_trip(tmp_path: Path) -> None:
    """to_storage writes <name>/manifest.json; from_storage reads it back equal."""
    storage = LocalFileSystemBackend(tmp_path)
    record = ArtifactRecord(
        type="database",
        filename="default.sql.gz",
        size=12,
        checksum="sha256:" + "0" * 64,
        created_at=datetime(2026, 3, 13, 12, tzinfo=timezone.utc),
        metadata={"database": "default", "connector": "x.Y", "format": "sql"},
    )
    snapshot = Snapshot(
        name="by-hand",
        created_at=datetime(2026, 3, 13, 12, tzinfo=timezone.utc),
        django_version="5.2",
        python_version="3.11.7",
        hostname="host",
        artifacts=[record],
    )
    snapshot.to_storage(storage)
    assert (tmp_path / "by-hand" / "manifest.json").is_file()
    loaded = Snapshot.from_storage(storage, "by-hand")
    assert loaded == snapshot
    assert loaded.format == "directory"
    assert Snapshot.coerce(snapshot.to_dict()) == snapshot
    assert ArtifactRecord.coerce(record.to_dict()) == record


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [("v010b1-directory-sqlite", "directory"), ("v010b1-archive-dumpdata", "archive")],
)
def test_from_storage_reads_old_snapshots_in_either_format(
    tmp_path: Path, fixture: str, expected: str
) -> None:
    """from_storage reads 0.1.0b1's snapshots, says their format, and keeps every key."""
    _copy_fixtures(tmp_path)
    snapshot = Snapshot.from_storage(LocalFileSystemBackend(tmp_path), fixture)
    assert snapshot.format == expected
    assert [record.filename for record in snapshot.artifacts] == [
        "default.sql.gz",
        "media.tar.gz",
        "requirements.txt",
    ]
    if expected == "directory":
        written = json.loads((tmp_path / fixture / "manifest.json").read_text())
        assert snapshot.to_dict() == written


def _plain_class_attribute(cls: type, name: str) -> object:
    """Return ``cls.name``, asserting it is an annotated ``str`` (not a ClassVar)."""
    assert typing.get_type_hints(cls)[name] is str
    return getattr(cls, name)


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (DatabaseArtifactExporter, "database"),
        (DatabaseArtifactImporter, "database"),
        (EnvironmentArtifactExporter, "environment"),
        (EnvironmentArtifactImporter, "environment"),
    ],
)
def test_builtins_carry_artifact_type_as_a_plain_class_attribute(cls: type, expected: str) -> None:
    """The built-in exporters and importers have artifact_type on the class, typed str."""
    assert _plain_class_attribute(cls, "artifact_type") == expected


@pytest.mark.parametrize("cls", [MediaArtifactExporter, MediaArtifactImporter])
def test_media_classes_carry_artifact_type_as_a_class_attribute(cls: type) -> None:
    """MediaArtifactImporter.artifact_type reads "media" on the class, as in 0.1.0b1."""
    assert _plain_class_attribute(cls, "artifact_type") == "media"


def test_environment_importer_takes_check_only() -> None:
    """EnvironmentArtifactImporter(check_only=True) still constructs, as in 0.1.0b1."""
    assert EnvironmentArtifactImporter(check_only=True).check_only is True
    assert EnvironmentArtifactImporter().check_only is False


@pytest.mark.django_db
def test_list_on_empty_storage_says_no_snapshots_found(store: Path) -> None:
    """``snapshots list`` on an empty storage prints "No snapshots found."."""
    assert _call("list").strip() == "No snapshots found."


@pytest.mark.django_db
def test_prune_without_a_policy_says_so(store: Path) -> None:
    """``snapshots prune`` with no policy anywhere starts "No prune policy configured"."""
    assert _call("prune").startswith("No prune policy configured")


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", ["v010b1-directory-sqlite", "v010b1-archive-dumpdata"])
def test_info_of_an_old_snapshot_has_an_artifacts_section(store: Path, fixture: str) -> None:
    """``snapshots info`` of a 0.1.0b1 snapshot shows an "Artifacts" section listing each file."""
    _copy_fixtures(store)
    lines = _call("info", fixture).splitlines()
    heading = next(index for index, line in enumerate(lines) if line.startswith("Artifacts"))
    section = "\n".join(lines[heading:])
    for filename in ("default.sql.gz", "media.tar.gz", "requirements.txt"):
        assert filename in section


@pytest.mark.django_db
def test_old_snapshots_list_and_verify_from_the_command_line(store: Path) -> None:
    """``list --format json`` reads both 0.1.0b1 snapshots; ``verify`` finds them intact."""
    _copy_fixtures(store)
    listed = json.loads(_call("list", "--format", "json"))
    assert sorted(entry["name"] for entry in listed) == [
        "v010b1-archive-dumpdata",
        "v010b1-directory-sqlite",
    ]
    assert all("error" not in entry and len(entry["artifacts"]) == 3 for entry in listed)
    for name in ("v010b1-archive-dumpdata", "v010b1-directory-sqlite"):
        assert f"Snapshot {name!r} is intact." in _call("verify", name)


@pytest.mark.django_db
def test_old_media_archive_restores_from_the_command_line(store: Path, settings: Settings) -> None:
    """``restore media --noinput`` puts a 0.1.0b1 media.tar.gz back, replacing MEDIA_ROOT."""
    _copy_fixtures(store)
    media = Path(settings.MEDIA_ROOT)
    (media / "logo.svg").unlink()
    (media / "added-later.txt").write_text("not in the snapshot")
    _call("restore", "--name", "v010b1-archive-dumpdata", "media", "--noinput")
    restored = sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())
    original = sorted(
        p.relative_to(EXAMPLE_MEDIA).as_posix() for p in EXAMPLE_MEDIA.rglob("*") if p.is_file()
    )
    assert restored == original
    assert (media / "logo.svg").read_bytes() == (EXAMPLE_MEDIA / "logo.svg").read_bytes()


def _sections(text: str) -> dict[str, str]:
    """Return the body of every ``## `` section of a Markdown page, by heading."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[index].strip(): parts[index + 1] for index in range(1, len(parts), 2)}


def test_every_difference_in_migrating_md_says_why_and_what_to_change() -> None:
    """Each ``##`` heading of docs/migrating.md has "Why" and "What to change" text."""
    sections = _sections(MIGRATING.read_text(encoding="utf-8"))
    assert len(sections) >= 10
    for heading, body in sections.items():
        assert re.search(r"\*\*Why:\*\*\s*\S", body), heading
        assert re.search(r"\*\*What to change:\*\*\s*\S", body), heading


def test_migrating_md_is_linked_from_the_index() -> None:
    """docs/index.md links the migration guide."""
    assert "(migrating.md)" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
