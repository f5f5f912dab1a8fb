"""Safety snapshots, rollback and undo, end to end through ``manage.py`` subprocesses."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.management.conftest import MANAGE, ROOT, Project, assert_one_line_failure

FLAKY = "tests.management.flaky_settings"


def _rows(project: Project) -> list[tuple[object, ...]]:
    """Return every customer row of the example shop."""
    with sqlite3.connect(project.var / "db.sqlite3") as db:
        return db.execute("SELECT * FROM shop_customer ORDER BY id").fetchall()


def _media(project: Project) -> dict[str, bytes]:
    """Return every media file with its bytes."""
    root = project.var / "media"
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _site(project: Project) -> tuple[object, ...]:
    """Return everything a restore may change: rows, media, notes and the flaky file."""
    return (
        _rows(project),
        _media(project),
        (project.var / "notes.txt").read_text(),
        (project.var / "flaky.txt").read_text(),
    )


def _change(project: Project) -> None:
    """Change rows, media, notes and the flaky file after the backup."""
    with sqlite3.connect(project.var / "db.sqlite3") as db:
        db.execute("INSERT INTO shop_customer (name, email) VALUES ('Intruder', 'i@example.com')")
    (project.var / "media" / "logo.svg").write_text("changed")
    (project.var / "media" / "extra.txt").write_text("not in the snapshot")
    (project.var / "notes.txt").write_text("changed notes\n")
    (project.var / "flaky.txt").write_text("changed flaky\n")


def _names(project: Project) -> list[str]:
    """Return the names `snapshots list --format json` shows."""
    listed = project.snapshots("list", "--format", "json", check=True)
    return [item["name"] for item in json.loads(listed.stdout)]


@pytest.fixture
def flaky(tmp_path: Path) -> Project:
    """Return the example project with the flaky artifact, migrated and backed up as 'b'."""
    project = Project(tmp_path / "var", FLAKY)
    (project.var / "flaky.txt").write_text("first flaky\n")
    project.snapshots("backup", "--name", "b", check=True)
    return project


def test_restore_then_undo_puts_the_site_back(flaky: Project) -> None:
    """restore takes pre-restore-<time>; undo names the restore and puts everything back."""
    _change(flaky)
    before = _site(flaky)
    restored = flaky.snapshots("restore", "--name", "b", "--noinput", check=True)
    assert "A safety snapshot of all this is taken first" in restored.stdout
    (safety,) = [name for name in _names(flaky) if name.startswith("pre-restore-")]
    assert f"Safety snapshot {safety!r} holds what was there before." in restored.stdout
    assert _site(flaky) != before
    undone = flaky.snapshots("undo", "--noinput", check=True)
    assert "Undid the restore of snapshot 'b'" in undone.stdout and safety in undone.stdout
    assert _site(flaky) == before


def test_undo_asks_and_says_which_restore_it_undoes(flaky: Project) -> None:
    """Without --noinput on a non-terminal, undo shows the restore and refuses in one line."""
    flaky.snapshots("restore", "--name", "b", "--noinput", check=True)
    result = flaky.snapshots("undo")
    assert "Undoing the restore of snapshot 'b'" in result.stdout
    assert_one_line_failure(result, "pass --noinput")


def test_failing_importer_after_the_database_leaves_the_site_as_before(flaky: Project) -> None:
    """An importer failing after the database and media were restored puts them back."""
    _change(flaky)
    before = _site(flaky)
    (flaky.var / "flaky-mode").write_text("fail")
    result = flaky.snapshots("restore", "--name", "b", "--noinput")
    assert_one_line_failure(result, "everything it had restored was put back")
    assert "the flaky importer refused" in result.stderr
    assert _site(flaky) == before


def test_killed_between_importers_then_undo_restores_the_before_state(flaky: Project) -> None:
    """A restore SIGKILLed after the database import is taken back by snapshots undo."""
    _change(flaky)
    before = _site(flaky)
    (flaky.var / "flaky-mode").write_text("hang")
    env = {
        **os.environ,
        "SNAPSHOTS_EXAMPLE_VAR": str(flaky.var),
        "DJANGO_SETTINGS_MODULE": FLAKY,
    }
    process = subprocess.Popen(
        [sys.executable, str(MANAGE), "snapshots", "restore", "--name", "b", "--noinput"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker = flaky.var / "flaky-importing"
    deadline = time.monotonic() + 120
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the restore never reached the flaky importer"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert _rows(flaky) != before[0]  # the database had been restored when it was killed
    (flaky.var / "flaky-mode").unlink()
    flaky.snapshots("undo", "--noinput", check=True)
    assert _site(flaky) == before


def test_no_safety_snapshot_says_what_is_given_up(flaky: Project) -> None:
    """--no-safety-snapshot warns that undo and rollback are lost, and takes none."""
    result = flaky.snapshots("restore", "--name", "b", "--no-safety-snapshot", "--noinput")
    assert result.returncode == 0, result.stderr
    assert "No safety snapshot (--no-safety-snapshot)" in result.stdout
    assert "cannot take this restore back" in result.stdout
    assert _names(flaky) == ["b"]
    assert_one_line_failure(flaky.snapshots("undo", "--noinput"), "no safety snapshot")


def test_prune_keeps_young_safety_snapshots_without_counting_them(flaky: Project) -> None:
    """prune --keep 1 keeps the newest backup and the young safety snapshot beside it."""
    flaky.snapshots("backup", "--name", "c", "database", check=True)
    flaky.snapshots("restore", "--name", "b", "database", "--noinput", check=True)
    dry = flaky.snapshots("prune", "--keep", "1", "--dry-run", check=True)
    assert "SAFETY_KEEP=P7D" in dry.stdout
    flaky.snapshots("prune", "--keep", "1", "--force", check=True)
    names = _names(flaky)
    assert "c" in names and "b" not in names
    assert any(name.startswith("pre-restore-") for name in names)


def test_a_bare_restore_never_picks_a_safety_snapshot(flaky: Project) -> None:
    """After a restore, a bare restore still restores the newest backup, not the safety one."""
    flaky.snapshots("restore", "--name", "b", "database", "--noinput", check=True)
    again = flaky.snapshots("restore", "database", "--noinput", check=True)
    assert "Restoring snapshot 'b'" in again.stdout
