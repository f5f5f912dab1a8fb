"""The real ``manage.py snapshots`` run as a subprocess on the example project."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.management.conftest import Project, assert_one_line_failure

COUNT = (
    "from tests.example.shop.models import Customer, Order; "
    "print(Customer.objects.count(), Order.objects.count())"
)
EMPTY_DB = (
    "from tests.example.shop.models import Customer, Order; "
    "Order.objects.all().delete(); Customer.objects.all().delete()"
)


def _rows(project: Project) -> str:
    return project.manage("shell", "-v0", "-c", COUNT, check=True).stdout.strip()


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def _names(project: Project) -> list[str]:
    result = project.snapshots("list", "--format", "json", check=True)
    return [entry["name"] for entry in json.loads(result.stdout)]


def test_readme_first_command_sequence(project: Project) -> None:
    """A bare backup on a non-terminal needs no input, and list then shows the snapshot."""
    backup = project.snapshots("backup", check=True)
    assert "Created snapshot" in backup.stdout
    assert backup.stderr == ""  # no progress bars or prompts on a non-terminal
    listing = project.snapshots("list", check=True)
    assert listing.stdout.splitlines()[0].split()[:3] == ["NAME", "CREATED", "FORMAT"]
    assert len(_names(project)) == 1
    info = json.loads(
        project.snapshots("info", _names(project)[0], "--format", "json", check=True).stdout
    )
    assert sorted(a["type"] for a in info["artifacts"]) == [
        "database",
        "environment",
        "media",
        "notes",
    ]


@pytest.mark.parametrize("snapshot_format", ["directory", "archive"])
def test_backup_then_full_restore_round_trip(project: Project, snapshot_format: str) -> None:
    """A bare restore --noinput brings back rows, media (stray files removed) and plugin data."""
    before_rows, before_media = _rows(project), _tree(project.var / "media")
    project.snapshots("backup", "--name", "one", "--format", snapshot_format, check=True)
    assert project.snapshots("list", check=True).stdout.count(snapshot_format) == 1

    project.manage("shell", "-v0", "-c", EMPTY_DB, check=True)
    (project.var / "media" / "logo.svg").unlink()
    (project.var / "media" / "stray.txt").write_text("not in the snapshot")
    (project.var / "notes.txt").write_text("changed")
    assert _rows(project) == "0 0"

    restored = project.snapshots("restore", "--noinput", check=True)
    assert "'one'" in restored.stdout and "database 'default'" in restored.stdout
    assert _rows(project) == before_rows
    assert _tree(project.var / "media") == before_media
    assert (project.var / "notes.txt").read_text() == "first notes\n"


def test_chained_restore_only_media_with_merge_and_media_root(
    project: Project, tmp_path: Path
) -> None:
    """restore media --merge keeps extra files; --media-root restores elsewhere; DB untouched."""
    project.snapshots("backup", "--name", "m", "database", "media", check=True)
    project.manage("shell", "-v0", "-c", EMPTY_DB, check=True)
    (project.var / "media" / "logo.svg").unlink()
    (project.var / "media" / "extra.txt").write_text("mine")

    project.snapshots("restore", "--noinput", "media", "--merge", check=True)
    assert (project.var / "media" / "logo.svg").exists()
    assert (project.var / "media" / "extra.txt").exists()
    assert _rows(project) == "0 0"

    elsewhere = tmp_path / "elsewhere"
    project.snapshots(
        "restore", "--name", "m", "--noinput", "media", "--media-root", str(elsewhere), check=True
    )
    assert (elsewhere / "logo.svg").exists()


def test_restore_database_by_alias(project: Project) -> None:
    """restore database --databases default restores only the database."""
    before = _rows(project)
    project.snapshots("backup", "--name", "db", "database", check=True)
    project.manage("shell", "-v0", "-c", EMPTY_DB, check=True)
    project.snapshots("restore", "--noinput", "database", "--databases", "default", check=True)
    assert _rows(project) == before


def test_restore_refuses_without_confirmation_on_a_non_terminal(project: Project) -> None:
    """Without --noinput a non-terminal restore shows its plan, refuses, and changes nothing."""
    project.snapshots("backup", "--name", "keep", "database", check=True)
    project.manage("shell", "-v0", "-c", EMPTY_DB, check=True)
    result = project.snapshots("restore")
    assert_one_line_failure(result, "--noinput")
    assert "keep" in result.stdout and "database 'default'" in result.stdout
    assert _rows(project) == "0 0"


def test_overwrite_replaces_an_existing_snapshot(project: Project) -> None:
    """A second backup of one name fails with one line; --overwrite replaces it."""
    project.snapshots("backup", "--name", "same", "environment", check=True)
    assert_one_line_failure(project.snapshots("backup", "--name", "same", "environment"), "same")
    project.snapshots("backup", "--name", "same", "--overwrite", "database", check=True)
    info = json.loads(project.snapshots("info", "same", "-f", "json", check=True).stdout)
    assert [a["type"] for a in info["artifacts"]] == ["database"]


def test_expected_failures_are_one_line(project: Project) -> None:
    """Empty storage, unknown names and aliases, invalid names: one stderr line, non-zero exit."""
    assert project.snapshots("list", check=True).stdout.strip() == "No snapshots found."
    assert_one_line_failure(project.snapshots("restore", "--noinput"), "no snapshots")
    assert_one_line_failure(project.snapshots("verify"), "no snapshots")
    assert_one_line_failure(project.snapshots("check"), "no snapshots")
    assert_one_line_failure(project.snapshots("info", "nope"), "nope")
    assert_one_line_failure(project.snapshots("delete", "nope", "--force"), "nope")
    assert_one_line_failure(
        project.snapshots("backup", "--name", "bad name"), "invalid snapshot name"
    )
    assert_one_line_failure(project.snapshots("backup", "--name", "x.tar"), "invalid snapshot name")
    assert_one_line_failure(
        project.snapshots("backup", "database", "--databases", "nope"),
        "unknown database alias 'nope'",
    )
    assert_one_line_failure(
        project.snapshots("backup", "media", "--media-root", str(project.var / "missing")),
        "not a directory",
    )
    assert_one_line_failure(
        project.snapshots("backup", "database", "--connector", "no.such.Connector"),
        "no.such.Connector",
    )
    project.snapshots("backup", "--name", "dbonly", "database", check=True)
    assert_one_line_failure(project.snapshots("restore", "--name", "nope", "--noinput"), "nope")
    assert_one_line_failure(
        project.snapshots("restore", "--noinput", "database", "--databases", "nope"),
        "unknown database alias",
    )
    assert_one_line_failure(
        project.snapshots("restore", "--noinput", "media"), "has no media artifact"
    )
    assert_one_line_failure(
        project.snapshots("restore", "--noinput", "notes"), "has no notes artifact"
    )
    assert_one_line_failure(project.snapshots("prune", "--duration", "30 days"), "--duration")


def test_corrupted_artifact_fails_verify_and_restore(project: Project) -> None:
    """A flipped byte makes verify report the artifact and restore abort before touching data."""
    project.snapshots("backup", "--name", "c", "database", "media", check=True)
    dump = next((project.storage / "c").glob("default.sql*"))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))

    verify = project.snapshots("verify", "c")
    assert_one_line_failure(verify, "failed verification")
    assert f"FAIL  {dump.name}" in verify.stdout
    assert "ok    media" in verify.stdout

    project.manage("shell", "-v0", "-c", EMPTY_DB, check=True)
    (project.var / "media" / "logo.svg").unlink()
    assert_one_line_failure(project.snapshots("restore", "--noinput"), dump.name)
    assert _rows(project) == "0 0"
    assert not (project.var / "media" / "logo.svg").exists()


def test_delete_and_prune(project: Project) -> None:
    """delete and prune refuse on a non-terminal without --force, and act with it."""
    for name in ("a", "b", "c", "d"):
        project.snapshots("backup", "--name", name, "environment", check=True)
    assert_one_line_failure(project.snapshots("delete", "a"), "--force")
    project.snapshots("delete", "a", "--force", check=True)
    assert sorted(_names(project)) == ["b", "c", "d"]

    dry = project.snapshots("prune", "--keep", "1", "--dry-run", check=True)
    assert "Would delete 2 snapshot(s)." in dry.stdout
    assert "no retention rule keeps it" in dry.stdout
    assert sorted(_names(project)) == ["b", "c", "d"]
    assert_one_line_failure(project.snapshots("prune", "--keep", "1"), "--force")
    project.snapshots("prune", "--keep", "1", "--force", check=True)
    assert _names(project) == ["d"]

    project.snapshots("delete", "--all", "--force", check=True)
    assert _names(project) == []


def test_check_reports_environment_differences(project: Project) -> None:
    """check prints the pip difference; --strict exits 1 with one line on any difference."""
    project.snapshots("backup", "--name", "env", "environment", check=True)
    same = project.snapshots("check", "env", check=True)
    assert "matches" in same.stdout
    manifest = project.storage / "env" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["pip"].append("surely-not-installed-package==1.0")
    manifest.write_text(json.dumps(data))
    loose = project.snapshots("check", "env", check=True)
    assert "- surely-not-installed-package==1.0" in loose.stdout
    strict = project.snapshots("check", "env", "--strict")
    assert strict.returncode == 1
    assert_one_line_failure(strict, "differs")
    check_only = project.snapshots(
        "restore", "--name", "env", "environment", "--check-only", check=True
    )
    assert "surely-not-installed-package" in check_only.stdout


def test_unreadable_snapshot_is_listed_and_deletable(project: Project) -> None:
    """A manifest of an unknown version shows as unreadable in list and can still be deleted."""
    project.snapshots("backup", "--name", "future", "environment", check=True)
    manifest = project.storage / "future" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "version": "99"}))
    table = project.snapshots("list", check=True).stdout
    assert "future" in table and "unreadable" in table
    entry = json.loads(project.snapshots("list", "-f", "json", check=True).stdout)[0]
    assert entry["name"] == "future" and "99" in entry["error"]
    assert_one_line_failure(project.snapshots("info", "future"), "version")
    project.snapshots("delete", "future", "--force", check=True)
    assert _names(project) == []


def test_progress_only_when_asked_on_a_non_terminal(project: Project) -> None:
    """A non-terminal backup prints no progress unless --progress is given."""
    quiet = project.snapshots("backup", "--name", "q", "environment", check=True)
    assert quiet.stderr == ""
    loud = project.snapshots("backup", "--name", "l", "--progress", "environment", check=True)
    assert "requirements.txt" in loud.stderr


def test_restore_group_is_absent_without_the_restore_app(project: Project) -> None:
    """Leaving django_snapshots.restore out of INSTALLED_APPS removes the restore group."""
    settings_module = "tests.management.norestore_settings"
    top = project.snapshots("--help", settings_module=settings_module, check=True)
    commands = re.findall(r"^│ (\w+) ", top.stdout, re.MULTILINE)
    assert "backup" in commands and "restore" not in commands
    project.snapshots("backup", "--name", "p", "notes", settings_module=settings_module, check=True)
    result = project.snapshots("restore", "--noinput", settings_module=settings_module)
    assert result.returncode != 0
    assert "No such command 'restore'" in result.stderr


HELP_PATHS = [
    [],
    ["list"],
    ["info"],
    ["delete"],
    ["prune"],
    ["check"],
    ["verify"],
    ["backup"],
    ["backup", "database"],
    ["backup", "media"],
    ["backup", "environment"],
    ["backup", "notes"],
    ["restore"],
    ["restore", "database"],
    ["restore", "media"],
    ["restore", "environment"],
    ["restore", "notes"],
]


def test_help_works_at_every_level_with_empty_storage(tmp_path: Path) -> None:
    """--help succeeds for every command and subcommand even before any snapshot or migration."""
    project = Project(tmp_path / "var", migrate=False)
    for path in HELP_PATHS:
        result = project.snapshots(*path, "--help")
        assert result.returncode == 0, (path, result.stderr)
        assert "Usage:" in result.stdout, path
        assert "Traceback" not in result.stderr
    assert not project.storage.exists() or not any(project.storage.iterdir())


def test_shell_completion_of_names_aliases_and_subcommands(project: Project) -> None:
    """Shell completion offers snapshot names, database aliases and artifact subcommands."""
    project.snapshots("backup", "--name", "alpha", "environment", check=True)

    def complete(line: str) -> list[str]:
        result = project.manage("shellcompletion", "complete", line, check=True)
        return [item.split(",", 1)[1] for item in result.stdout.split()]

    assert complete("snapshots info ") == ["alpha"]
    assert complete("snapshots restore --name al") == ["alpha"]
    assert complete("snapshots backup database --databases ") == ["default"]
    assert complete("snapshots backup ") == ["database", "media", "environment", "notes"]


def test_terminal_prompts_and_progress(project: Project) -> None:
    """On a terminal, backup draws progress bars and restore asks before overwriting."""
    status, shown = project.snapshots_on_terminal(
        "backup", "--name", "t", "database", "environment"
    )
    assert status == 0, shown
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert re.search(r"export +requirements\.txt .* kB", plain), plain  # a bar with bytes

    project.manage("shell", "-v0", "-c", EMPTY_DB, check=True)
    status, shown = project.snapshots_on_terminal("restore", "database", answer="n\n")
    assert status != 0 and "Proceed with the restore? [y/N]" in shown and "cancelled" in shown
    assert _rows(project) == "0 0"

    status, shown = project.snapshots_on_terminal("restore", "database", answer="y\n")
    assert status == 0, shown
    assert "Restored snapshot 't'" in shown
    assert _rows(project) != "0 0"

    status, shown = project.snapshots_on_terminal("delete", "t", answer="y\n")
    assert status == 0 and "Delete snapshot 't'? [y/N]" in shown
