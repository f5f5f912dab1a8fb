"""The SNAPSHOTS setting: normalisation, caching, and one-line errors naming the key."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, InMemoryStorage
from django.test import override_settings

from django_snapshots.checks import check_settings
from django_snapshots.encryption import AgeEncryption
from django_snapshots.settings import (
    PruneConfig,
    SnapshotSettings,
    get_settings,
    get_storage,
    normalise_settings,
)
from django_snapshots.storage import DjangoStorageBackend, LocalFileSystemBackend

LOCAL = "django_snapshots.storage.LocalFileSystemBackend"


class FakeConnector:
    """A conforming connector used only to test settings resolution (never dumps)."""

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        return {"format": "fake"}

    def restore(self, db_alias: str, src: Path) -> None:
        return None


class RenamedConnector:
    """A connector whose dump parameters are misnamed."""

    def dump(self, alias: str, dest: Path) -> dict[str, Any]:
        return {}

    def restore(self, db_alias: str, src: Path) -> None:
        return None


class WrongWriteStorage:
    """A storage whose write takes (key, data)."""

    def read(self, path: str) -> IO[bytes]:
        return io.BytesIO()

    def write(self, key: str, data: IO[bytes]) -> None:
        return None

    def list(self, prefix: str) -> list[str]:
        return []

    def delete(self, path: str) -> None:
        return None

    def exists(self, path: str) -> bool:
        return False


class BadSyncStorage(LocalFileSystemBackend):
    """Claims the advanced tier, but sync takes one argument."""

    def sync(self, src_prefix: str) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return None


class PositionalPoolCodec(AgeEncryption):
    """Offers the encrypted pool, but pool_codec takes no keyword ``writing``."""

    def pool_codec(self) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return None


def test_default_storage_is_local_snapshots_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without STORAGE the backend is a LocalFileSystemBackend at ./snapshots."""
    monkeypatch.chdir(tmp_path)
    storage = normalise_settings({}).storage_backend()
    assert isinstance(storage, LocalFileSystemBackend)
    assert storage.location == tmp_path / "snapshots"
    assert normalise_settings(None).snapshot_format == "directory"


def test_example_project_storage_is_built_from_dict() -> None:
    """The example project's {"BACKEND", "OPTIONS"} STORAGE builds the configured backend."""
    from tests.example.settings import VAR_DIR

    storage = get_storage()
    assert isinstance(storage, LocalFileSystemBackend)
    assert storage.location == Path(os.path.abspath(VAR_DIR / "snapshots"))


def test_keys_are_case_insensitive() -> None:
    """Top-level, STORAGE and PRUNE keys may use any case."""
    settings = normalise_settings(
        {
            "Storage": {"backend": LOCAL, "Options": {"location": "/tmp/x"}},
            "snapshot_FORMAT": "archive",
            "prune": {"Keep": 3, "DURATION": "P30D"},
        }
    )
    assert settings.snapshot_format == "archive"
    assert settings.prune == PruneConfig(keep=3, duration="P30D")
    assert isinstance(settings.storage, LocalFileSystemBackend)


def test_get_settings_is_cached_and_reset_by_override_settings(tmp_path: Path) -> None:
    """get_settings returns one cached object until override_settings changes SNAPSHOTS."""
    first = get_settings()
    assert get_settings() is first
    options = {"location": str(tmp_path)}
    with override_settings(SNAPSHOTS={"STORAGE": {"BACKEND": LOCAL, "OPTIONS": options}}):
        inside = get_storage()
        assert isinstance(inside, LocalFileSystemBackend)
        assert inside.location == tmp_path
    after = get_storage()
    assert get_settings() is not first
    assert isinstance(after, LocalFileSystemBackend)
    assert after.location != tmp_path


def test_instances_and_dataclass_form_are_accepted(tmp_path: Path) -> None:
    """A SnapshotSettings value with a backend instance and connector instance is kept."""
    backend = DjangoStorageBackend(FileSystemStorage(location=tmp_path))
    connector = FakeConnector()
    settings = normalise_settings(
        SnapshotSettings(
            storage=backend,
            database_connectors={"default": connector},
            prune=PruneConfig(keep_daily=7, duration=timedelta(days=3)),
            default_artifacts=["database"],
        )
    )
    assert settings.storage is backend
    assert settings.connector_for("default") is connector
    assert settings.prune == PruneConfig(keep_daily=7, duration=timedelta(days=3))
    assert settings.default_artifacts == ["database"]


def test_dataclass_form_with_storage_dict_is_normalised(tmp_path: Path) -> None:
    """A SnapshotSettings whose storage is a dict is normalised to an instance."""
    given = SnapshotSettings(storage={"BACKEND": LOCAL, "OPTIONS": {"location": str(tmp_path)}})
    settings = normalise_settings(given)
    assert isinstance(settings.storage, LocalFileSystemBackend)
    assert isinstance(given.storage, dict)


def test_connectors_resolve_dotted_paths_to_instances() -> None:
    """A dotted connector path becomes an instance; "auto" stays "auto" (connector_for None)."""
    settings = normalise_settings({"DATABASE_CONNECTORS": {"default": f"{__name__}.FakeConnector"}})
    assert isinstance(settings.database_connectors["default"], FakeConnector)
    assert isinstance(settings.connector_for("default"), FakeConnector)
    auto = normalise_settings({"DATABASE_CONNECTORS": {"default": "auto"}})
    assert auto.database_connectors == {"default": "auto"}
    assert auto.connector_for("default") is None
    assert auto.connector_for("other") is None


def test_durations_in_iso_8601_are_accepted() -> None:
    """P30D, PT12H, P1Y2M and a timedelta are valid PRUNE durations."""
    for duration in ("P30D", "PT12H", "P1Y2M", "P2W", timedelta(hours=1)):
        prune = normalise_settings({"PRUNE": {"DURATION": duration}}).prune
        assert prune is not None and prune.duration == duration


def test_name_templates_and_callables_are_accepted() -> None:
    """Templates using {hostname} and {timestamp_utc}, and one-argument callables, are kept."""
    named = normalise_settings({"SNAPSHOT_NAME": "{hostname}-{timestamp_utc}"})
    assert named.snapshot_name == "{hostname}-{timestamp_utc}"
    called = normalise_settings({"SNAPSHOT_NAME": _year_name})
    assert called.snapshot_name is _year_name


def _year_name(when: datetime) -> str:
    """Return a snapshot name from the year alone."""
    return f"n{when.year}"


def _two_arguments(first: datetime, second: str) -> str:
    """Return a name, but take one argument too many."""
    return "x"


BAD_SETTINGS: list[tuple[object, str]] = [
    (5, "SNAPSHOTS: must be a dict or a SnapshotSettings"),
    ({"UNKNOWN": 1}, "SNAPSHOTS: unknown key 'UNKNOWN'"),
    ({"storage": 1, "STORAGE": 2}, "is given twice"),
    ({"STORAGE": "some.dotted.Path"}, "SNAPSHOTS['STORAGE']: builtins.str does not conform"),
    ({"STORAGE": {"BACKEND": 5}}, "SNAPSHOTS['STORAGE']: 'BACKEND' must be a dotted path"),
    ({"STORAGE": {"OPTIONS": {}}}, "SNAPSHOTS['STORAGE']: 'BACKEND' must be"),
    (
        {"STORAGE": {"BACKEND": "nope.Nope"}},
        "SNAPSHOTS['STORAGE']: cannot import BACKEND 'nope.Nope'",
    ),
    ({"STORAGE": {"BACKEND": LOCAL, "EXTRA": 1}}, "SNAPSHOTS['STORAGE']: unknown key 'EXTRA'"),
    (
        {"STORAGE": {"BACKEND": LOCAL, "OPTIONS": []}},
        "SNAPSHOTS['STORAGE']: 'OPTIONS' must be a dict",
    ),
    ({"STORAGE": {"BACKEND": LOCAL, "OPTIONS": {"bogus": 1}}}, "SNAPSHOTS['STORAGE']: building"),
    (
        {"STORAGE": LocalFileSystemBackend},
        "SNAPSHOTS['STORAGE']: LocalFileSystemBackend is a class",
    ),
    ({"STORAGE": WrongWriteStorage()}, "write: parameter 1 is named 'key'"),
    ({"STORAGE": BadSyncStorage("/tmp/x")}, "conform to AdvancedSnapshotStorage: sync: takes 1"),
    (
        {"STORAGE": InMemoryStorage()},
        "wrap a Django storage in django_snapshots.DjangoStorageBackend",
    ),
    (
        {"STORAGE": {"BACKEND": "django.core.files.storage.InMemoryStorage"}},
        "SNAPSHOTS['STORAGE']: django.core.files.storage.memory.InMemoryStorage does not conform",
    ),
    ({"SNAPSHOT_FORMAT": "zip"}, "SNAPSHOTS['SNAPSHOT_FORMAT']: must be 'directory' or 'archive'"),
    (
        {"SNAPSHOT_NAME": "{date}"},
        "SNAPSHOTS['SNAPSHOT_NAME']: snapshot name template '{date}' uses unknown field {date}",
    ),
    ({"SNAPSHOT_NAME": "{timestamp_utc.year}"}, "SNAPSHOTS['SNAPSHOT_NAME']: snapshot name"),
    ({"SNAPSHOT_NAME": "{timestamp_utc!r}"}, "takes no format spec"),
    ({"SNAPSHOT_NAME": "{timestamp_utc"}, "SNAPSHOTS['SNAPSHOT_NAME']: malformed snapshot name"),
    (
        {"SNAPSHOT_NAME": "bad name {hostname}"},
        "SNAPSHOTS['SNAPSHOT_NAME']: 'bad name {hostname}' renders",
    ),
    ({"SNAPSHOT_NAME": "{timestamp_utc}.tar"}, "must not end in .tar"),
    ({"SNAPSHOT_NAME": 5}, "SNAPSHOTS['SNAPSHOT_NAME']: must be a template string or a callable"),
    ({"SNAPSHOT_NAME": _two_arguments}, "SNAPSHOTS['SNAPSHOT_NAME']: a callable must accept one"),
    ({"METADATA": [1]}, "SNAPSHOTS['METADATA']: must be a dict"),
    ({"METADATA": {"when": object()}}, "SNAPSHOTS['METADATA']: must be JSON-serialisable"),
    ({"METADATA": {1: "x"}}, "SNAPSHOTS['METADATA']: keys must be strings"),
    ({"ENCRYPTION": "fernet"}, "SNAPSHOTS['ENCRYPTION']: builtins.str does not conform"),
    (
        {"ENCRYPTION": {"BACKEND": "django_snapshots.encryption.AgeEncryption"}},
        "SNAPSHOTS['ENCRYPTION']: django_snapshots.encryption.AgeEncryption: ",
    ),
    ({"ENCRYPTION": {"BACKEND": "no.Such"}}, "SNAPSHOTS['ENCRYPTION']: cannot import BACKEND"),
    (
        {"ENCRYPTION": PositionalPoolCodec(passphrase="pool")},
        "does not conform to PoolEncryption: pool_codec",
    ),
    ({"DATABASE_CONNECTORS": []}, "SNAPSHOTS['DATABASE_CONNECTORS']: must be a dict"),
    ({"DATABASE_CONNECTORS": {"other": "auto"}}, "'other' is not a database alias in DATABASES"),
    (
        {"DATABASE_CONNECTORS": {"default": "nope.Connector"}},
        "SNAPSHOTS['DATABASE_CONNECTORS']['default']: cannot import 'nope.Connector'",
    ),
    (
        {"DATABASE_CONNECTORS": {"default": f"{__name__}.RenamedConnector"}},
        "SNAPSHOTS['DATABASE_CONNECTORS']['default']: tests.test_settings.RenamedConnector "
        "does not conform to DatabaseConnector: dump: parameter 1 is named 'alias'",
    ),
    ({"DATABASE_CONNECTORS": {"default": FakeConnector}}, "FakeConnector is a class"),
    ({"DATABASE_CONNECTORS": {"default": 3}}, "builtins.int does not conform to DatabaseConnector"),
    ({"PRUNE": 3}, "SNAPSHOTS['PRUNE']: must be a PruneConfig, a dict or None"),
    ({"PRUNE": {"KEEP": -1}}, "SNAPSHOTS['PRUNE']['KEEP']: must not be negative"),
    ({"PRUNE": {"KEEP": "3"}}, "SNAPSHOTS['PRUNE']['KEEP']: must be a non-negative integer"),
    ({"PRUNE": {"KEEP": True}}, "SNAPSHOTS['PRUNE']['KEEP']: must be a non-negative integer"),
    ({"PRUNE": {"MAX_SIZE": -5}}, "SNAPSHOTS['PRUNE']['MAX_SIZE']: must not be negative"),
    ({"PRUNE": PruneConfig(keep_weekly=-2)}, "SNAPSHOTS['PRUNE']['KEEP_WEEKLY']: must not be"),
    ({"PRUNE": {"DURATION": "30D"}}, "SNAPSHOTS['PRUNE']['DURATION']: '30D' is not an ISO-8601"),
    ({"PRUNE": {"DURATION": "p30d"}}, "SNAPSHOTS['PRUNE']['DURATION']: 'p30d' is not"),
    ({"PRUNE": {"DURATION": "P"}}, "SNAPSHOTS['PRUNE']['DURATION']: 'P' is not"),
    ({"PRUNE": {"DURATION": "PT"}}, "SNAPSHOTS['PRUNE']['DURATION']: 'PT' is not"),
    ({"PRUNE": {"DURATION": "P-1D"}}, "SNAPSHOTS['PRUNE']['DURATION']: 'P-1D' is not"),
    ({"PRUNE": {"DURATION": 30}}, "SNAPSHOTS['PRUNE']['DURATION']: must be an ISO-8601 duration"),
    ({"PRUNE": {"DURATION": timedelta(days=-1)}}, "SNAPSHOTS['PRUNE']['DURATION']: must not be"),
    ({"PRUNE": {"KEEP_YEARLY": 1}}, "SNAPSHOTS['PRUNE']: unknown key 'KEEP_YEARLY'"),
    ({"DEFAULT_ARTIFACTS": "media"}, "SNAPSHOTS['DEFAULT_ARTIFACTS']: must be a list"),
    ({"DEFAULT_ARTIFACTS": ["media", 1]}, "SNAPSHOTS['DEFAULT_ARTIFACTS']: must be a list"),
    ({"DEFAULT_ARTIFACTS": [""]}, "SNAPSHOTS['DEFAULT_ARTIFACTS']: must be a list"),
]


@pytest.mark.parametrize(
    ("value", "message"), BAD_SETTINGS, ids=[str(i) for i in range(len(BAD_SETTINGS))]
)
def test_bad_values_raise_one_line_naming_the_key(value: object, message: str) -> None:
    """Every invalid value raises ImproperlyConfigured in one line naming the key."""
    with pytest.raises(ImproperlyConfigured) as raised:
        normalise_settings(value)
    text = str(raised.value)
    assert "\n" not in text
    assert message in text


def test_bad_setting_is_reported_by_system_checks_not_by_startup() -> None:
    """A bad SNAPSHOTS never raises from AppConfig.ready(); each bad key is a check error."""
    bad = {"SNAPSHOT_FORMAT": "zip", "UNKNOWN": 1, "PRUNE": {"KEEP": -1}}
    with override_settings(SNAPSHOTS=bad):
        apps.get_app_config("snapshots").ready()
        errors = check_settings()
        with pytest.raises(ImproperlyConfigured, match="SNAPSHOT_FORMAT"):
            get_settings()
    assert sorted((error.id, str(error.msg).split(":")[0]) for error in errors) == [
        ("snapshots.E001", "SNAPSHOTS"),
        ("snapshots.E003", "SNAPSHOTS['SNAPSHOT_FORMAT']"),
        ("snapshots.E008", "SNAPSHOTS['PRUNE']['KEEP']"),
    ]
