"""Pool locks: shared holders exclude garbage collection, which excludes everyone."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from django_snapshots.exceptions import SnapshotError, SnapshotLockedError
from django_snapshots.locking import SnapshotLock
from django_snapshots.pool.layout import PoolPaths
from django_snapshots.pool.locks import PoolLock, pool_lock_entries
from django_snapshots.storage.protocols import SnapshotStorage

PATHS = PoolPaths("sha256")


def test_exclusive_is_refused_while_shared_is_held(storage: SnapshotStorage) -> None:
    """A live shared entry makes an exclusive lock fail at once (wait 0), naming it."""
    with PoolLock(storage, PATHS, "shared"):
        with pytest.raises(SnapshotLockedError, match="shared lock"):
            PoolLock(storage, PATHS, "exclusive").acquire()
    with PoolLock(storage, PATHS, "exclusive"):
        pass
    assert storage.list(PATHS.locks) == []


def test_shared_locks_coexist(local_store: SnapshotStorage) -> None:
    """Two shared holders do not exclude each other."""
    with PoolLock(local_store, PATHS, "shared"), PoolLock(local_store, PATHS, "shared"):
        assert len(pool_lock_entries(local_store, PATHS)) == 2


def test_shared_waits_for_exclusive_to_finish(local_store: SnapshotStorage) -> None:
    """A shared lock with a wait gets the pool once the exclusive holder releases it."""
    exclusive = PoolLock(local_store, PATHS, "exclusive")
    exclusive.acquire()
    releaser = threading.Timer(0.5, exclusive.release)
    releaser.start()
    started = time.monotonic()
    with PoolLock(local_store, PATHS, "shared", wait=20):
        waited = time.monotonic() - started
    releaser.join()
    assert waited > 0.0
    with pytest.raises(SnapshotLockedError):
        with PoolLock(local_store, PATHS, "exclusive"):
            PoolLock(local_store, PATHS, "shared", wait=0.2).acquire()


def test_a_backup_entry_lives_as_long_as_its_snapshot_lock(local_store: SnapshotStorage) -> None:
    """A backup entry stays after release and blocks collection until the snapshot lock goes."""
    with SnapshotLock(local_store, "snap"):
        with PoolLock(local_store, PATHS, "backup", snapshot="snap"):
            pass
        (entry,) = pool_lock_entries(local_store, PATHS)
        assert entry.kind == "backup" and entry.snapshot == "snap"
        with pytest.raises(SnapshotLockedError, match="backup of 'snap'"):
            PoolLock(local_store, PATHS, "exclusive").acquire()
    with PoolLock(local_store, PATHS, "exclusive"):
        assert [e.kind for e in pool_lock_entries(local_store, PATHS)] == ["exclusive"]


def test_a_backup_entry_needs_the_snapshot_lock(local_store: SnapshotStorage) -> None:
    """Without the snapshot lock held by this process, a backup entry is refused."""
    with pytest.raises(SnapshotError, match="needs the snapshot lock of 'snap'"):
        PoolLock(local_store, PATHS, "backup", snapshot="snap").acquire()
    with pytest.raises(ValueError, match="snapshot name"):
        PoolLock(local_store, PATHS, "shared", snapshot="snap")


def test_a_dead_process_entry_is_taken_over(local_store: SnapshotStorage) -> None:
    """An exclusive entry of a process that is gone (same host) does not block."""
    lock = PoolLock(local_store, PATHS, "exclusive")
    lock.acquire()
    (entry,) = pool_lock_entries(local_store, PATHS)
    lock.release()
    dead = entry.path.replace(f"_{entry.pid}_", "_999999999_")
    local_store.write(dead, io.BytesIO(b"{}"))
    with PoolLock(local_store, PATHS, "exclusive"):
        assert [e.pid for e in pool_lock_entries(local_store, PATHS)] != [999999999]


def test_only_one_of_racing_exclusive_locks_wins(local_store: SnapshotStorage) -> None:
    """Threads racing for the exclusive lock: never two holders at a time."""
    holders: list[int] = []
    peak: list[int] = []
    guard = threading.Lock()
    barrier = threading.Barrier(4)

    def contend() -> None:
        barrier.wait()
        try:
            with PoolLock(local_store, PATHS, "exclusive", wait=10):
                with guard:
                    holders.append(1)
                    peak.append(len(holders))
                time.sleep(0.05)
                with guard:
                    holders.pop()
        except SnapshotLockedError:
            pass

    threads = [threading.Thread(target=contend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak and max(peak) == 1


def test_unparsable_lock_names_are_ignored(local_store: SnapshotStorage, tmp_path: Path) -> None:
    """A file in the lock folder that is not an entry neither blocks nor breaks listing."""
    local_store.write(f"{PATHS.locks}README", io.BytesIO(b"x"))
    assert pool_lock_entries(local_store, PATHS) == []
    with PoolLock(local_store, PATHS, "exclusive"):
        pass
