"""The snapshots.W001 deploy check: backups that stopped are a warning, never a crash."""

from __future__ import annotations

import builtins
import shutil
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from django.core.checks import run_checks
from pytest_django.fixtures import Settings

from django_snapshots import engine

EXAMPLE_MEDIA = Path(__file__).resolve().parent / "example" / "media"


@pytest.fixture
def store(settings: Settings, tmp_path: Path) -> Path:
    """Point storage and media at fresh folders; return the storage folder."""
    media = tmp_path / "media"
    shutil.copytree(EXAMPLE_MEDIA, media)
    settings.MEDIA_ROOT = str(media)
    location = tmp_path / "snapshots"
    location.mkdir()
    return location


def _configure(settings: Settings, location: Path, **extra: Any) -> None:
    """Set SNAPSHOTS to local storage at ``location`` plus ``extra`` keys."""
    settings.SNAPSHOTS = {
        "STORAGE": {
            "BACKEND": "django_snapshots.storage.LocalFileSystemBackend",
            "OPTIONS": {"location": str(location)},
        },
        **extra,
    }


def _w001(*, deploy: bool = True) -> list[str]:
    """Return the messages of the snapshots.W001 warnings the checks raise."""
    found = run_checks(include_deployment_checks=deploy, tags=["snapshots"])
    return [message.msg for message in found if message.id == "snapshots.W001"]


def _backup(name: str) -> None:
    """Take a media snapshot called ``name``."""
    from django_snapshots.artifacts.media import media_exporters

    engine.create_snapshot(name, exporters=media_exporters())


def test_no_warning_without_max_age(settings: Settings, store: Path) -> None:
    """With MAX_AGE unset, even an empty storage raises no W001."""
    _configure(settings, store)
    assert _w001() == []


def test_no_warning_for_a_fresh_snapshot(settings: Settings, store: Path) -> None:
    """A newest snapshot younger than MAX_AGE raises no W001."""
    _configure(settings, store, MAX_AGE="P1D")
    _backup("fresh")
    assert _w001() == []


def test_warning_for_a_snapshot_older_than_max_age(settings: Settings, store: Path) -> None:
    """A newest snapshot older than MAX_AGE is W001 naming it, in check --deploy only."""
    _configure(settings, store, MAX_AGE=timedelta(0))
    _backup("old")
    (message,) = _w001()
    assert "'old'" in message and "MAX_AGE PT0S" in message
    assert _w001(deploy=False) == []


def test_warning_when_storage_holds_no_snapshot(settings: Settings, store: Path) -> None:
    """With MAX_AGE set, an empty storage is W001: no backup ever ran."""
    _configure(settings, store, MAX_AGE="P1D")
    assert _w001() == ["backups look stopped: no snapshot in storage"]


def test_warning_names_a_storage_location_that_does_not_exist(
    settings: Settings, store: Path
) -> None:
    """A mistyped storage location is W001 naming it, not an empty storage."""
    _configure(settings, store / "typo", MAX_AGE="P1D")
    (message,) = _w001()
    assert "cannot be read" in message and "typo" in message and "does not exist" in message
    assert not (store / "typo").exists()


def test_warning_for_an_unreadable_newest_snapshot(settings: Settings, store: Path) -> None:
    """An unreadable newest snapshot is W001 even when an older readable one is fresh."""
    _configure(settings, store, MAX_AGE="P1D")
    _backup("good")
    _backup("broken")
    manifest = store / "broken" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:40])
    (message,) = _w001()
    assert "newest snapshot 'broken' cannot be read" in message


class Unreachable:
    """A storage whose server cannot be reached: every call fails."""

    def read(self, path: str) -> IO[bytes]:
        """Fail."""
        raise ConnectionError("connection refused by 127.0.0.1:9")

    def write(self, path: str, content: IO[bytes]) -> None:
        """Fail."""
        raise ConnectionError("connection refused by 127.0.0.1:9")

    def list(self, prefix: str) -> builtins.list[str]:
        """Fail."""
        raise ConnectionError("connection refused by 127.0.0.1:9")

    def delete(self, path: str) -> None:
        """Fail."""
        raise ConnectionError("connection refused by 127.0.0.1:9")

    def exists(self, path: str) -> bool:
        """Fail."""
        raise ConnectionError("connection refused by 127.0.0.1:9")


def test_unreachable_storage_is_a_warning_not_a_crash(settings: Settings) -> None:
    """A storage that cannot be listed gives W001 naming the failure instead of an exception."""
    settings.SNAPSHOTS = {"STORAGE": Unreachable(), "MAX_AGE": "P1D"}
    (message,) = _w001()
    assert "storage cannot be read: connection refused by 127.0.0.1:9" in message
