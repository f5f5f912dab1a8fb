"""Killed and concurrent backups: the old snapshot survives and nothing is left unseen."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from django_snapshots import engine
from django_snapshots.exceptions import SnapshotExistsError, SnapshotLockedError
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage
from tests.engine.conftest import FakeExporter, restore_fakes

ROOT = Path(__file__).resolve().parents[2]


def spawn_backup(store: Path, name: str, seconds: float, *flags: str) -> subprocess.Popen[str]:
    """Start a slow backup in a child process."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.engine.slow_backup", str(store), name, str(seconds), *flags],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.example.settings"},
    )


def start_backup(store: Path, name: str, seconds: float, *flags: str) -> subprocess.Popen[str]:
    """Start a slow backup in a child process and wait until its exporter runs."""
    child = spawn_backup(store, name, seconds, *flags)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    return child


@pytest.mark.parametrize("flags", [("overwrite",), ("overwrite", "archive")])
def test_killed_overwrite_keeps_old_snapshot_and_debris_is_visible(
    local_storage: LocalFileSystemBackend, flags: tuple[str, ...]
) -> None:
    """SIGKILL during an overwrite leaves the old snapshot restorable; delete clears the rest."""
    engine.create_snapshot("k", exporters=[FakeExporter("slow.bin", b"old")], storage=local_storage)
    child = start_backup(local_storage.location, "k", 5, *flags)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert restore_fakes(local_storage, "k") == {"slow.bin.zst": b"old"}
    listings = engine.list_snapshots(storage=local_storage)
    assert [(item.name, item.error) for item in listings] == [("k", None)]
    engine.delete_snapshot("k", storage=local_storage)
    assert local_storage.list("") == []


def test_killed_first_backup_is_listed_as_incomplete_and_deletable(
    local_storage: LocalFileSystemBackend,
) -> None:
    """A killed backup of a new name shows up as incomplete and delete_snapshot removes it."""
    child = start_backup(local_storage.location, "fresh", 5)
    child.send_signal(signal.SIGKILL)
    child.wait()
    (listing,) = engine.list_snapshots(storage=local_storage)
    assert listing.name == "fresh" and listing.incomplete and listing.snapshot is None
    assert "interrupted" in (listing.error or "")
    engine.delete_snapshot("fresh", storage=local_storage)
    assert local_storage.list("") == []


def test_backup_after_a_kill_recovers_the_name(local_storage: LocalFileSystemBackend) -> None:
    """The next backup of a killed backup's name takes the stale lock over and succeeds."""
    engine.create_snapshot("r", exporters=[FakeExporter("slow.bin", b"old")], storage=local_storage)
    child = start_backup(local_storage.location, "r", 5, "overwrite")
    child.send_signal(signal.SIGKILL)
    child.wait()
    engine.create_snapshot(
        "r", exporters=[FakeExporter("slow.bin", b"new")], overwrite=True, storage=local_storage
    )
    assert restore_fakes(local_storage, "r") == {"slow.bin.zst": b"new"}
    assert local_storage.list("") == ["r/manifest.json", "r/slow.bin.zst"]


def test_in_progress_backup_is_listed_and_protected(local_storage: LocalFileSystemBackend) -> None:
    """While a backup runs its name is listed as in progress and cannot be deleted."""
    child = start_backup(local_storage.location, "busy", 0.1, "hold")
    try:
        (listing,) = engine.list_snapshots(storage=local_storage)
        assert listing.incomplete and "in progress" in (listing.error or "")
        with pytest.raises(SnapshotLockedError, match="'busy' is locked"):
            engine.delete_snapshot("busy", storage=local_storage)
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write("go\n")
        child.stdin.close()
        assert child.stdout.read().strip() == "ok"
        child.wait()
    assert engine.get_snapshot("busy", storage=local_storage).name == "busy"


@pytest.mark.parametrize("flags", [(), ("overwrite",)])
def test_concurrent_processes_exactly_one_succeeds(
    local_storage: LocalFileSystemBackend, flags: tuple[str, ...]
) -> None:
    """Two processes backing up one name at once: one succeeds, the other is refused."""
    children = [spawn_backup(local_storage.location, "twin", 0.1, "hold", *flags) for _ in range(2)]
    # The winner holds its lock until told to finish, so the loser is refused while the
    # winner certainly runs, however slow the machine.
    deadline = time.monotonic() + 120
    while all(child.poll() is None for child in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    outputs: list[str] = []
    for child in children:
        assert child.stdin is not None and child.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            child.stdin.write("go\n")
            child.stdin.close()
        outputs.append(child.stdout.read().replace("started", "").strip())
        child.wait()
    assert sorted(output.split(":")[0] for output in outputs) == ["error", "ok"], outputs
    assert any("SnapshotLockedError" in output for output in outputs)
    assert local_storage.list("twin/.lock/") == []


def test_concurrent_threads_exactly_one_succeeds(storage: SnapshotStorage) -> None:
    """Threads racing to back up one new name: exactly one succeeds, on both tiers."""
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    class Slow(FakeExporter):
        def generate(self, dest: Path) -> None:
            threading.Event().wait(0.5)
            super().generate(dest)

    def run() -> None:
        barrier.wait()
        try:
            engine.create_snapshot("race", exporters=[Slow("a", b"x")], storage=storage)
        except (SnapshotLockedError, SnapshotExistsError) as error:
            outcomes.append(type(error).__name__)
        else:
            outcomes.append("ok")

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    assert len(outcomes) == 4
