"""The ``snapshots`` command run in-process through ``call_command``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.test import override_settings

from django_snapshots.engine import list_snapshots
from django_snapshots.management.cli import (
    complete_database_aliases,
    complete_snapshot_names,
    format_age,
    format_size,
)
from tests.management.conftest import call

pytestmark = pytest.mark.usefixtures("storage_dir")


def _names() -> list[str]:
    return [listing.name for listing in list_snapshots()]


def test_list_on_empty_storage() -> None:
    """list says so when storage is empty, and json gives an empty array."""
    assert call("list").strip() == "No snapshots found."
    assert json.loads(call("list", "--format", "json")) == []


def test_backup_chain_then_list_info_verify() -> None:
    """A chained backup is listed (table, json, yaml), described by info and verified intact."""
    out = call("backup", "--name", "first", "media", "environment")
    assert "Created snapshot 'first': 2 artifact(s)" in out
    table = call("list")
    assert "first" in table and "directory" in table
    [entry] = json.loads(call("list", "-f", "json"))
    assert entry["name"] == "first" and entry["format"] == "directory"
    assert entry["size"] == sum(a["size"] for a in entry["artifacts"])
    assert "name: first" in call("list", "--format", "yaml")

    info = call("info", "first")
    assert "media.files" in info and "sha256:" in info and "requirements.txt" in info
    detail = json.loads(call("info", "first", "--format", "json"))
    assert {a["type"] for a in detail["artifacts"]} == {"media", "environment"}
    assert "intact" in call("verify", "first")


def test_backup_archive_format() -> None:
    """--format archive writes the archive layout."""
    call("backup", "--name", "arc", "--format", "archive", "environment")
    [listing] = list_snapshots()
    assert listing.format == "archive"


def test_expected_failures_raise_command_error() -> None:
    """Expected failures surface as one-line CommandErrors in-process too."""
    with pytest.raises(CommandError, match="not found"):
        call("info", "missing")
    with pytest.raises(CommandError, match="invalid snapshot name"):
        call("backup", "--name", "-bad", "environment")
    with pytest.raises(CommandError, match="unknown database alias 'other'"):
        call("backup", "database", "--databases", "other")
    with pytest.raises(CommandError, match="no snapshots in storage"):
        call("verify")
    call("backup", "--name", "dup", "environment")
    with pytest.raises(CommandError, match="dup") as raised:
        call("backup", "--name", "dup", "environment")
    assert "\n" not in str(raised.value)
    with pytest.raises(CommandError, match="has no media artifact"):
        call("restore", "--noinput", "media")
    with pytest.raises(CommandError, match="either a snapshot name or --all"):
        call("delete")


def test_default_artifacts_drive_a_bare_backup(storage_dir: Path) -> None:
    """A bare backup runs exactly the DEFAULT_ARTIFACTS subcommands."""
    location = str(storage_dir)
    storage = {
        "BACKEND": "django_snapshots.storage.LocalFileSystemBackend",
        "OPTIONS": {"location": location},
    }
    with override_settings(SNAPSHOTS={"STORAGE": storage, "DEFAULT_ARTIFACTS": ["environment"]}):
        call("backup", "--name", "env-only")
        detail = json.loads(call("info", "env-only", "-f", "json"))
    assert [a["type"] for a in detail["artifacts"]] == ["environment"]
    with override_settings(SNAPSHOTS={"STORAGE": storage, "DEFAULT_ARTIFACTS": ["nothing"]}):
        with pytest.raises(CommandError, match="unknown backup subcommand"):
            call("backup", "--name", "never")


def test_restore_media_in_process() -> None:
    """restore --noinput media brings back a deleted media file."""
    from django.conf import settings as django_settings

    call("backup", "--name", "m", "media")
    logo = Path(django_settings.MEDIA_ROOT) / "logo.svg"
    original = logo.read_bytes()
    logo.unlink()
    out = call("restore", "--noinput", "media")
    assert "media root" in out and "(replaced)" in out
    assert logo.read_bytes() == original


def test_prune_uses_settings_policy_unless_flags_are_given(storage_dir: Path) -> None:
    """prune applies SNAPSHOTS['PRUNE']; any flag replaces that policy entirely."""
    for name in ("a", "b", "c"):
        call("backup", "--name", name, "environment")
    storage = {
        "BACKEND": "django_snapshots.storage.LocalFileSystemBackend",
        "OPTIONS": {"location": str(storage_dir)},
    }
    with override_settings(SNAPSHOTS={"STORAGE": storage, "PRUNE": {"KEEP": 2}}):
        dry = call("prune", "--dry-run")
        assert "Would delete 1 snapshot(s)." in dry and "keep=2" in dry
        # An explicit flag replaces (does not merge with) keep=2 from settings.
        assert "Would delete 0 snapshot(s)." in call("prune", "--dry-run", "--duration", "P1D")
        assert "Would delete 2 snapshot(s)." in call("prune", "--dry-run", "--max-size", "1")
        call("prune", "--force")
    assert sorted(_names()) == ["b", "c"]


def test_prune_without_policy_deletes_nothing() -> None:
    """prune with no rule in settings or flags explains and deletes nothing."""
    call("backup", "--name", "only", "environment")
    assert "No prune policy" in call("prune", "--force")
    assert _names() == ["only"]


def test_delete_with_force() -> None:
    """delete NAME --force and delete --all --force remove snapshots."""
    for name in ("x", "y", "z"):
        call("backup", "--name", name, "environment")
    call("delete", "x", "--force")
    assert sorted(_names()) == ["y", "z"]
    assert "Deleted 2 snapshot(s)." in call("delete", "--all", "--force")
    assert _names() == []


def test_completers_offer_snapshot_names_and_aliases() -> None:
    """Shell completion offers stored snapshot names and configured database aliases."""
    call("backup", "--name", "alpha", "environment")
    call("backup", "--name", "beta", "environment")
    assert complete_snapshot_names("al") == ["alpha"]
    assert sorted(complete_snapshot_names("")) == ["alpha", "beta"]
    assert complete_database_aliases("") == ["default"]


def test_format_helpers() -> None:
    """Sizes and ages are rendered in short human units."""
    from datetime import datetime, timezone

    now = datetime(2026, 1, 2, tzinfo=timezone.utc)
    assert format_size(512) == "512 B"
    assert format_size(3 * 1024 * 1024) == "3.0 MiB"
    assert format_age(now - timedelta(hours=5), now) == "5 h ago"
    assert format_age(now - timedelta(days=3), now) == "3 d ago"
