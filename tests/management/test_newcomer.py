"""What a new user hits, run as a subprocess: each failure is one line and loses nothing."""

from __future__ import annotations

import sqlite3
import time

from tests.management.conftest import Project, assert_one_line_failure


def _rows(project: Project) -> list[tuple[object, ...]]:
    """Return every row of the example shop's customers, to prove the database is untouched."""
    with sqlite3.connect(project.var / "db.sqlite3") as db:
        return db.execute("SELECT * FROM shop_customer ORDER BY id").fetchall()


def _broken_newest(project: Project) -> None:
    """Take 'older' then 'newer', and truncate the newer snapshot's manifest."""
    project.snapshots("backup", "--name", "older", "database", check=True)
    time.sleep(1.1)
    project.snapshots("backup", "--name", "newer", "database", check=True)
    manifest = project.storage / "newer" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:150])


def test_bare_verify_fails_on_a_broken_newest_snapshot(project: Project) -> None:
    """A bare verify names the unreadable newest snapshot instead of checking an older one."""
    _broken_newest(project)
    assert_one_line_failure(project.snapshots("verify"), "newest snapshot 'newer' cannot be read")
    assert project.snapshots("verify", "older").returncode == 0


def test_bare_restore_and_check_refuse_a_broken_newest_snapshot(project: Project) -> None:
    """A bare restore or check refuses, names the snapshot and says how to pick another."""
    _broken_newest(project)
    before = _rows(project)
    result = project.snapshots("restore", "--noinput")
    assert_one_line_failure(result, "'newer'")
    assert "--name" in result.stderr
    assert_one_line_failure(project.snapshots("check"), "'newer'")
    assert _rows(project) == before
    project.snapshots("restore", "--name", "older", "--noinput", check=True)


def test_the_confirmation_flag_works_after_a_subcommand(project: Project) -> None:
    """restore --name X media --noinput restores instead of printing a help box."""
    project.snapshots("backup", "--name", "m", "media", check=True)
    (project.var / "media" / "extra.txt").write_text("not in the snapshot")
    result = project.snapshots("restore", "--name", "m", "media", "--noinput")
    assert result.returncode == 0, result.stderr
    assert not (project.var / "media" / "extra.txt").exists()


def test_misplaced_django_option_says_where_it_goes(project: Project) -> None:
    """--settings after a subcommand is one line saying it goes straight after 'snapshots'."""
    result = project.snapshots("backup", "--settings", "tests.example.settings")
    assert_one_line_failure(result, "straight after 'snapshots'")
    assert "--settings" in result.stderr
    assert not project.storage.exists() or not any(project.storage.iterdir())


def test_mistyped_subcommand_is_one_short_line(project: Project) -> None:
    """snapshots backpu prints the short 'No such command' line with a suggestion."""
    result = project.snapshots("backpu")
    assert_one_line_failure(result, "No such command 'backpu'")
    assert "backup" in result.stderr


def test_overwrite_message_names_the_cli_flag(project: Project) -> None:
    """Backing up an existing name says to pass --overwrite, the flag the CLI has."""
    project.snapshots("backup", "--name", "twice", "environment", check=True)
    result = project.snapshots("backup", "--name", "twice", "environment")
    assert_one_line_failure(result, "pass --overwrite to replace it")


def test_configuration_mistakes_are_system_checks(project: Project) -> None:
    """manage.py check lists every SNAPSHOTS mistake; snapshots commands refuse in one line."""
    bad = "tests.management.bad_settings"
    check = project.manage("check", settings_module=bad)
    assert check.returncode != 0
    assert "Traceback" not in check.stderr
    report = check.stdout + check.stderr
    for check_id, key in (
        ("snapshots.E001", "'KEEP'"),
        ("snapshots.E002", "SNAPSHOTS['STORAGE']"),
        ("snapshots.E003", "SNAPSHOTS['SNAPSHOT_FORMAT']"),
    ):
        assert check_id in report and key in report, report
    assert project.manage("help", settings_module=bad).returncode == 0
    listing = project.manage("snapshots", "list", settings_module=bad)
    assert_one_line_failure(listing, "SNAPSHOTS")
    assert "manage.py check" in listing.stderr
