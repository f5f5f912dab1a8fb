"""A backup running while snapshots are deleted and garbage collected loses nothing."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import InMemoryStorage

from django_snapshots import engine
from django_snapshots.manifest import Snapshot
from django_snapshots.pool.check import check_pool
from django_snapshots.pool.gc import collect_garbage
from django_snapshots.pool.layout import PoolPaths
from django_snapshots.pool.locks import PoolLock
from django_snapshots.pool.options import PoolOptions
from tests.pool.harness import Harness, make_tree, storage_files


class _BlockingStorage(InMemoryStorage):
    """A media storage whose file ``block.bin`` cannot be opened until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = threading.Event()
        self.release = threading.Event()

    def open(self, name: str, mode: str = "rb") -> File[Any]:
        """Open ``name``; for ``block.bin`` first wait until released."""
        if name == "block.bin":
            self.reached.set()
            assert self.release.wait(30)
        return super().open(name, mode)


def test_a_prune_during_a_backup_frees_nothing_the_backup_needs(
    local: Harness, tmp_path: Path
) -> None:
    """Deleting the parent while a backup reuses its content defers collection; all restores."""
    media = _BlockingStorage()
    shared = os.urandom(50_000)
    media.save("shared.bin", ContentFile(shared))
    media.save("only-old.bin", ContentFile(os.urandom(20_000)))
    local.backup("s1", source=media)
    media.delete("only-old.bin")
    media.save("block.bin", ContentFile(os.urandom(30_000)))
    results: list[Snapshot | BaseException] = []

    def run() -> None:
        try:
            results.append(local.backup("s2", source=media))
        except BaseException as error:  # noqa: BLE001 - checked by the test
            results.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    assert media.reached.wait(30)
    engine.delete_snapshot("s1", storage=local.storage, collect_garbage=False)
    report = collect_garbage(local.storage)
    assert report.skipped is not None and "backup of 's2'" in report.skipped
    media.release.set()
    worker.join(60)
    assert isinstance(results[0], Snapshot)
    report = collect_garbage(local.storage)
    assert report.skipped is None and report.blobs_removed == 1
    target = InMemoryStorage()
    local.restore("s2", target=target)
    assert storage_files(target) == storage_files(media)
    assert check_pool(local.storage).unreferenced_blobs == 0


def test_a_backup_waits_for_a_running_collection(local: Harness, tmp_path: Path) -> None:
    """A backup that finds garbage collection holding the pool waits, then completes."""
    local.options = PoolOptions(lock_wait=30)
    source = make_tree(tmp_path / "media", {"a.bin": b"a"})
    gc_lock = PoolLock(local.storage, PoolPaths("sha256"), "exclusive")
    local.backup("s0", source)
    gc_lock.acquire()
    timer = threading.Timer(0.5, gc_lock.release)
    timer.start()
    local.backup("s1", source)
    timer.join()
    local.restore("s1", tmp_path / "out")
    assert (tmp_path / "out" / "a.bin").read_bytes() == b"a"
