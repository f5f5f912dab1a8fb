"""Scratch folders are private, removed after use, and swept once their process died."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from django_snapshots.scratch import (
    SCRATCH_PREFIX,
    process_running,
    scratch_folder,
    sweep_abandoned,
)


def _dead_pid() -> int:
    """Return the pid of a process that has already exited."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def _folder(root: Path, kind: str, pid: int, age: float = 3600.0) -> Path:
    """Create a scratch-named folder for ``pid``, last modified ``age`` seconds ago."""
    folder = root / f"{SCRATCH_PREFIX}{kind}-{pid}-abc123"
    folder.mkdir()
    (folder / "secret.cnf").write_text("password=x")
    stamp = folder.stat().st_mtime - age
    os.utime(folder, (stamp, stamp))
    return folder


def test_process_running_tells_live_from_dead() -> None:
    """The current process is running; an exited child is not."""
    assert process_running(os.getpid())
    assert not process_running(_dead_pid())


def test_scratch_folder_is_private_and_removed_after_use(tmp_path: Path) -> None:
    """The folder is 0700 while in use and gone afterwards."""
    with scratch_folder("backup", root=tmp_path) as folder:
        assert folder.name.startswith(f"{SCRATCH_PREFIX}backup-{os.getpid()}-")
        assert folder.stat().st_mode & 0o777 == 0o700
        (folder / "plain.sql").write_bytes(b"x")
    assert not folder.exists()


def test_scratch_folder_is_removed_after_an_error(tmp_path: Path) -> None:
    """An exception inside the block still removes the folder."""
    with pytest.raises(RuntimeError), scratch_folder("restore", root=tmp_path) as folder:
        raise RuntimeError("boom")
    assert not folder.exists()


def test_sweep_removes_only_abandoned_folders(tmp_path: Path) -> None:
    """A dead process's old folder goes; live, young and foreign folders stay."""
    abandoned = _folder(tmp_path, "backup", _dead_pid())
    live = _folder(tmp_path, "backup", os.getppid())
    young = _folder(tmp_path, "client", _dead_pid(), age=0)
    foreign = tmp_path / "django-snapshots-notes"
    foreign.mkdir()
    assert sweep_abandoned(tmp_path) == [abandoned]
    assert not abandoned.exists()
    assert live.exists() and young.exists() and foreign.exists()


def test_a_new_scratch_folder_sweeps_what_a_killed_run_left(tmp_path: Path) -> None:
    """Opening a scratch folder first removes a killed run's leftovers (credentials too)."""
    abandoned = _folder(tmp_path, "client", _dead_pid())
    with scratch_folder("backup", root=tmp_path):
        assert not abandoned.exists()


def test_kind_must_be_lowercase_letters(tmp_path: Path) -> None:
    """A kind that would break the naming scheme is refused."""
    with (
        pytest.raises(ValueError, match="lowercase letters"),
        scratch_folder("Bad-1", root=tmp_path),
    ):
        pass
