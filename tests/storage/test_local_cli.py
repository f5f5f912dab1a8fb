"""The CLI on a local storage location that is mistyped or cannot be created (subprocesses)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.management.conftest import Project, assert_one_line_failure


def test_list_on_a_missing_location_names_it_and_creates_nothing(tmp_path: Path) -> None:
    """`snapshots list` on a location that does not exist fails in one line naming it."""
    project = Project(tmp_path / "var", migrate=False)
    shutil.rmtree(project.storage)
    for command in (("list",), ("restore", "--noinput"), ("verify",)):
        result = project.snapshots(*command)
        assert_one_line_failure(result, f"storage location '{project.storage}' does not exist")
    assert not project.storage.exists()


def test_backup_to_a_location_that_cannot_be_created_names_it(tmp_path: Path) -> None:
    """A backup whose location cannot be created fails in one line naming that location."""
    project = Project(tmp_path / "var", migrate=False)
    shutil.rmtree(project.storage)
    project.storage.write_text("a file where the folder should be")
    result = project.snapshots("backup", "environment")
    assert_one_line_failure(result, f"cannot create storage location '{project.storage}'")
