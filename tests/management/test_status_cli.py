"""snapshots status, check --deploy and the restore pre-flight refusals, as subprocesses."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.management.conftest import Project, assert_one_line_failure

FLAKY = "tests.management.flaky_settings"
PG_ALIAS = "tests.management.pg_alias_settings"


@pytest.fixture
def monitored(tmp_path: Path) -> Project:
    """Return a migrated example project whose MAX_AGE comes from the environment."""
    project = Project(tmp_path / "var", FLAKY)
    (project.var / "flaky.txt").write_text("flaky\n")
    return project


def _status(project: Project, max_age: str | None, *args: str) -> tuple[int, str, str]:
    """Run snapshots status with MAX_AGE (None: unset); return exit code, stdout, stderr."""
    previous = os.environ.pop("SNAPSHOTS_TEST_MAX_AGE", None)
    if max_age is not None:
        os.environ["SNAPSHOTS_TEST_MAX_AGE"] = max_age
    try:
        result = project.snapshots("status", *args)
    finally:
        os.environ.pop("SNAPSHOTS_TEST_MAX_AGE", None)
        if previous is not None:
            os.environ["SNAPSHOTS_TEST_MAX_AGE"] = previous
    return result.returncode, result.stdout, result.stderr


def test_status_is_0_for_a_fresh_snapshot(monitored: Project) -> None:
    """A readable newest snapshot younger than MAX_AGE exits 0 and says so."""
    monitored.snapshots("backup", "--name", "n", "database", check=True)
    code, out, _ = _status(monitored, "P1D")
    assert code == 0 and out.startswith("fresh:") and "'n'" in out
    assert _status(monitored, None)[0] == 0


def test_status_is_1_when_too_old_or_empty(monitored: Project) -> None:
    """A newest snapshot older than MAX_AGE, or no snapshot at all, exits 1 in one line."""
    code, out, err = _status(monitored, "P1D")
    assert code == 1 and "no snapshot in storage" in out
    assert len(err.strip().splitlines()) == 1
    monitored.snapshots("backup", "--name", "n", "database", check=True)
    code, out, _ = _status(monitored, "PT0S")
    assert code == 1 and out.startswith("stale:") and "MAX_AGE PT0S" in out


def test_status_is_2_for_an_unreadable_newest_snapshot(monitored: Project) -> None:
    """An unreadable newest snapshot exits 2, and the json names it and the reason."""
    monitored.snapshots("backup", "--name", "old", "database", check=True)
    monitored.snapshots("backup", "--name", "new", "database", check=True)
    manifest = monitored.storage / "new" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:40])
    code, out, _ = _status(monitored, "P1D", "--format", "json")
    assert code == 2
    data = json.loads(out)
    assert data["state"] == "unreadable" and data["newest"] == "new" and data["exit_code"] == 2
    assert data["error"] and data["max_age"] == "P1D"


def test_status_json_has_the_details(monitored: Project) -> None:
    """--format json gives the newest snapshot, its time, age and MAX_AGE."""
    monitored.snapshots("backup", "--name", "n", "database", check=True)
    code, out, _ = _status(monitored, "P2D", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["state"] == "fresh" and data["newest"] == "n"
    assert data["age_seconds"] >= 0 and data["created_at"] and data["error"] is None


def test_check_deploy_warns_when_backups_stopped(monitored: Project) -> None:
    """manage.py check --deploy shows snapshots.W001 when MAX_AGE is exceeded."""
    monitored.snapshots("backup", "--name", "n", "database", check=True)
    os.environ["SNAPSHOTS_TEST_MAX_AGE"] = "PT0S"
    try:
        deploy = monitored.manage("check", "--deploy")
        plain = monitored.manage("check")
    finally:
        os.environ.pop("SNAPSHOTS_TEST_MAX_AGE", None)
    assert "snapshots.W001" in deploy.stderr + deploy.stdout
    assert "'n'" in deploy.stderr + deploy.stdout
    assert "snapshots.W001" not in plain.stderr + plain.stdout


def test_restore_preflight_refuses_a_postgresql_dump_into_sqlite(monitored: Project) -> None:
    """A dump recorded as PostgreSQL is refused before anything changes, naming both engines."""
    monitored.snapshots("backup", "--name", "pg", "database", check=True)
    manifest = monitored.storage / "pg" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["artifacts"][0]["metadata"]["connector"] = "django_snapshots.connectors.PostgresConnector"
    manifest.write_text(json.dumps(data))
    result = monitored.snapshots("restore", "--name", "pg", "--noinput")
    assert_one_line_failure(result, "PostgreSQL dump (PostgresConnector)")
    assert "SQLite" in result.stderr and "'default'" in result.stderr
    assert not any(path.name.startswith("pre-restore-") for path in monitored.storage.iterdir())


def test_restore_preflight_refuses_an_unknown_alias(monitored: Project) -> None:
    """restore database --databases nope is one line naming the alias and the known ones."""
    monitored.snapshots("backup", "--name", "a", "database", check=True)
    result = monitored.snapshots("restore", "--name", "a", "database", "--databases", "nope")
    assert_one_line_failure(result, "unknown database alias 'nope' (configured: default)")


@contextlib.contextmanager
def _tiny_mount(where: Path) -> Generator[Path, None, None]:
    """Mount a 1 MiB tmpfs at ``where`` (root only; skip otherwise), unmount afterwards."""
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def tiny_tmp(tmp_path: Path) -> Iterator[Path]:
    """Return a 1 MiB tmpfs mounted for the test."""
    where = tmp_path / "tiny-tmp"
    where.mkdir()
    with _tiny_mount(where):
        yield where


def test_restore_preflight_refuses_without_scratch_space(
    monitored: Project, tiny_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restore whose plain files exceed the free scratch space is refused with the numbers.

    The archive format keeps media as a tar, which a restore unpacks in scratch (a pool
    restore streams packs into the media root instead).
    """
    (monitored.var / "media" / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    monitored.snapshots("backup", "--name", "big", "--format", "archive", "media", check=True)
    (monitored.var / "media" / "big.bin").unlink()
    monkeypatch.setenv("TMPDIR", str(tiny_tmp))
    result = monitored.snapshots("restore", "--name", "big", "--noinput")
    assert_one_line_failure(result, "not enough scratch space to restore snapshot 'big'")
    assert str(tiny_tmp) in result.stderr and "bytes) free" in result.stderr
    assert not (monitored.var / "media" / "big.bin").exists()


def test_restore_preflight_refuses_without_room_beside_the_media_root(
    monitored: Project,
) -> None:
    """A pool restore whose tree does not fit on MEDIA_ROOT's filesystem changes nothing."""
    media = monitored.var / "media"
    (media / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    monitored.snapshots("backup", "--name", "big", check=True)
    with _tiny_mount(media):
        (media / "kept.txt").write_text("kept\n")
        result = monitored.snapshots("restore", "--name", "big", "--noinput")
        assert_one_line_failure(result, "not enough space to restore snapshot 'big'")
        assert f"the media folder ({media})" in result.stderr
        needed = re.search(r"need \S+ \S+ \((\d+) bytes\) on one filesystem", result.stderr)
        assert needed is not None and int(needed.group(1)) >= 3 * 1024 * 1024, result.stderr
        assert "bytes) free" in result.stderr
        assert [path.name for path in media.iterdir()] == ["kept.txt"]
    assert not any(path.name.startswith("pre-restore-") for path in monitored.storage.iterdir())


def test_restore_preflight_refuses_an_older_pg_restore_naming_both_versions(
    monitored: Project,
) -> None:
    """A dump recorded as made by a newer pg_dump is refused, naming both versions."""
    if shutil.which("pg_restore") is None or shutil.which("psql") is None:
        pytest.skip("the PostgreSQL client tools are not installed")
    monitored.snapshots("backup", "--name", "pgdump", "database", check=True)
    manifest = monitored.storage / "pgdump" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["artifacts"][0]["metadata"].update(
        database="pg",
        connector="django_snapshots.connectors.PostgresConnector",
        format="custom",
        pg_dump_version="99.1",
    )
    manifest.write_text(json.dumps(data))
    result = monitored.snapshots(
        "restore", "--name", "pgdump", "--noinput", settings_module=PG_ALIAS
    )
    assert_one_line_failure(result, "cannot restore database alias 'pg'")
    assert "pg_dump 99.1" in result.stderr and "pg_restore " in result.stderr
