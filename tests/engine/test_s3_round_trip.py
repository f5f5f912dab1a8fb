"""The engine on a real S3 server (SeaweedFS): round trips, debris of killed backups."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.test import override_settings

from django_snapshots import engine
from django_snapshots.engine.health import storage_findings
from django_snapshots.layout import SnapshotFormat
from django_snapshots.storage.django_storage import DjangoStorageBackend
from django_snapshots.storage.protocols import SnapshotStorage
from django_snapshots.storage.s3 import S3Backend
from tests.engine.test_builtin_round_trip import database_state, mutate, tree
from tests.engine.test_builtin_round_trip import project as project
from tests.s3server import S3Server
from tests.sqlite_state import preserved_database as preserved_database

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("preserved_database")


def _round_trip(storage: SnapshotStorage, media: Path, snapshot_format: SnapshotFormat) -> None:
    """Back up everything, change it, restore, and require it exactly as before."""
    before_db, before_media = database_state(), tree(media)
    engine.create_snapshot("s3", snapshot_format=snapshot_format, storage=storage)
    assert engine.verify_snapshot("s3", storage=storage).ok
    mutate(media)
    engine.restore_snapshot("s3", storage=storage)
    assert database_state() == before_db
    assert tree(media) == before_media
    for listing in engine.list_snapshots(storage=storage):  # with the restore's safety snapshot
        engine.delete_snapshot(listing.name, storage=storage)
    # Deleting the only snapshot frees all its media content; the pool keeps its config.
    assert [path for path in storage.list("") if "/packs/" in path or ".pool/" not in path] == []


@pytest.mark.parametrize("snapshot_format", ["directory", "archive"])
def test_builtin_round_trip_on_s3_backend(
    s3_server: S3Server, project: Path, snapshot_format: SnapshotFormat
) -> None:
    """database + media + environment round-trip through S3Backend in both formats."""
    _round_trip(s3_server.make_backend("engine"), project, snapshot_format)


def test_builtin_round_trip_on_django_s3_storage(s3_server: S3Server, project: Path) -> None:
    """The same round trip through DjangoStorageBackend over django-storages' S3Storage."""
    config = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_server.storages_options("django"),
    }
    with override_settings(STORAGES={**storages.backends, "snapshots": config}):
        _round_trip(DjangoStorageBackend(storage="snapshots"), project, "directory")


def test_a_killed_upload_is_reported_then_aborted_by_the_next_backup(s3_server: S3Server) -> None:
    """SIGKILL mid-upload leaves an invisible upload; check reports it; the next backup aborts."""
    options = s3_server.settings_options("debris")
    storage = S3Backend(**options)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.s3_backup_child", "killed"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SNAPSHOTS_TEST_S3": json.dumps(options)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 30
    while not storage.incomplete_uploads("killed") and time.monotonic() < deadline:
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert storage.incomplete_uploads("") == ["killed/big.bin"]
    assert storage.list("killed/") and not engine.list_snapshots(storage=storage)[0].snapshot
    time.sleep(0.1)
    findings = storage_findings(storage=storage)
    assert [line for line in findings if "'killed/big.bin'" in line] == findings != []
    from tests.engine.conftest import FakeExporter

    engine.create_snapshot("killed", exporters=[FakeExporter("a", b"1")], storage=storage)
    assert storage.incomplete_uploads("") == []
    assert storage_findings(storage=storage) == []
