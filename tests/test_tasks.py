"""The Django Tasks of django_snapshots.tasks, run by Django's ImmediateBackend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import django
import pytest
from pytest_django.fixtures import Settings

from django_snapshots import engine
from django_snapshots.tasks import create_snapshot_task, prune_task, verify_task

EXAMPLE_MEDIA = Path(__file__).resolve().parent / "example" / "media"
IMMEDIATE = (
    "django.tasks.backends.immediate.ImmediateBackend"
    if django.VERSION >= (6, 0)
    else "django_tasks.backends.immediate.ImmediateBackend"
)


@pytest.fixture
def store(settings: Settings, tmp_path: Path) -> Path:
    """Run tasks immediately, with fresh storage and media; return the storage folder."""
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}
    media = tmp_path / "media"
    shutil.copytree(EXAMPLE_MEDIA, media)
    settings.MEDIA_ROOT = str(media)
    location = tmp_path / "snapshots"
    location.mkdir()
    settings.SNAPSHOTS = {
        "STORAGE": {
            "BACKEND": "django_snapshots.storage.LocalFileSystemBackend",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


def _succeeded(result: Any) -> Any:
    """Assert a task result succeeded with JSON data; return that data."""
    assert result.status == "SUCCESSFUL", result.errors
    value = result.return_value
    assert json.loads(json.dumps(value)) == value
    return value


def test_create_snapshot_task_takes_the_named_artifacts(store: Path) -> None:
    """create_snapshot_task backs up the artifact types it names and returns the manifest."""
    value = _succeeded(create_snapshot_task.enqueue(name="nightly", artifacts=["media"]))
    assert value["name"] == "nightly" and value["size"] > 0
    assert [item["type"] for item in value["artifacts"]] == ["media"]
    assert engine.get_snapshot("nightly").name == "nightly"


def test_create_snapshot_task_fails_on_an_unknown_artifact_type(store: Path) -> None:
    """An unknown artifact type makes the task fail, naming it, and stores nothing."""
    result = create_snapshot_task.enqueue(name="bad", artifacts=["nonsense"])
    assert result.status == "FAILED"
    assert result.errors[0].exception_class_path.endswith("SnapshotConfigurationError")
    assert "'nonsense'" in result.errors[0].traceback
    assert engine.list_snapshots() == []


def test_prune_task_applies_the_rules_it_is_given(store: Path) -> None:
    """prune_task(keep=1) deletes all but the newest and returns the plan as JSON."""
    for name in ("a", "b", "c"):
        create_snapshot_task.enqueue(name=name, artifacts=["media"])
    dry = _succeeded(prune_task.enqueue(keep=1, dry_run=True))
    assert dry["dry_run"] is True and len(dry["pruned"]) == 2
    assert len(engine.list_snapshots()) == 3
    done = _succeeded(prune_task.enqueue(keep=1))
    assert sorted(done["pruned"]) == sorted(dry["pruned"])
    assert [item.name for item in engine.list_snapshots()] == done["kept"]


def test_verify_task_reports_an_intact_snapshot_and_fails_on_damage(store: Path) -> None:
    """verify_task returns every check when intact, and fails naming a damaged file."""
    create_snapshot_task.enqueue(name="v", artifacts=["media"])
    value = _succeeded(verify_task.enqueue("v"))
    assert value == {
        "name": "v",
        "ok": True,
        "checks": [
            {"filename": "media.files.zst", "ok": True, "message": "ok"},
            {
                "filename": "media.files.zst",
                "ok": True,
                "message": "pool content present with the right sizes",
            },
        ],
    }
    (store / "v" / "media.files.zst").write_bytes(b"damaged")
    result = verify_task.enqueue("v")
    assert result.status == "FAILED"
    assert result.errors[0].exception_class_path.endswith("SnapshotIntegrityError")
    assert "media.files.zst" in result.errors[0].traceback
