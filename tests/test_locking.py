"""Tests of the in-storage snapshot lock: exclusion, staleness, renewal, both tiers."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage

from django_snapshots.exceptions import SnapshotLockedError
from django_snapshots.locking import SnapshotLock, lock_entries
from django_snapshots.storage.django_storage import DjangoStorageBackend
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage
from tests.s3server import S3Server


@pytest.fixture(params=["local", "django", "s3-conditional", "s3-list"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> SnapshotStorage:
    """Return an empty storage of either tier, or S3 with and without conditional writes."""
    if request.param == "local":
        return LocalFileSystemBackend(tmp_path / "store")
    if request.param.startswith("s3-"):
        server: S3Server = request.getfixturevalue("s3_server")
        conditional = request.param == "s3-conditional"
        return server.make_backend("lock", conditional_writes=None if conditional else False)
    (tmp_path / "store").mkdir()
    return DjangoStorageBackend(FileSystemStorage(location=str(tmp_path / "store")))


def test_second_holder_is_refused_until_release(storage: SnapshotStorage) -> None:
    """While one lock holds a name, another raises SnapshotLockedError naming the holder."""
    first = SnapshotLock(storage, "snap")
    first.acquire()
    try:
        with pytest.raises(SnapshotLockedError, match=r"'snap' is locked .* pid"):
            SnapshotLock(storage, "snap", attempts=2).acquire()
    finally:
        first.release()
    with SnapshotLock(storage, "snap") as second:
        assert second.held
    assert storage.list("snap/") == []


def test_different_names_do_not_conflict(storage: SnapshotStorage) -> None:
    """Locks on different names are independent."""
    with SnapshotLock(storage, "a"), SnapshotLock(storage, "b") as other:
        assert other.held


def test_entry_of_a_dead_process_is_stale(tmp_path: Path) -> None:
    """A lock left by a process that no longer runs on this host is taken over."""
    code = (
        "import sys; from django_snapshots.storage.local import LocalFileSystemBackend;"
        "from django_snapshots.locking import SnapshotLock;"
        "SnapshotLock(LocalFileSystemBackend(sys.argv[1]), 'snap').acquire()"
    )
    storage = LocalFileSystemBackend(tmp_path / "store")
    subprocess.run([sys.executable, "-c", code, str(storage.location)], check=True)
    assert len(lock_entries(storage, "snap")) == 1
    with SnapshotLock(storage, "snap"):
        assert len(lock_entries(storage, "snap")) == 1


def test_old_entry_is_stale_even_if_the_pid_runs(storage: SnapshotStorage) -> None:
    """An entry older than stale_after is taken over whatever its pid."""
    holder = SnapshotLock(storage, "snap", stale_after=timedelta(hours=1))
    holder.acquire()
    try:
        entry = lock_entries(storage, "snap")[0]
        assert not entry.is_stale(datetime.now(timezone.utc), timedelta(hours=1))
        assert entry.is_stale(datetime.now(timezone.utc) + timedelta(hours=2), timedelta(hours=1))
    finally:
        holder.release()


def test_holder_renews_its_entry(storage: SnapshotStorage) -> None:
    """A holder rewrites its entry so it never goes stale while the holder is alive."""
    lock = SnapshotLock(storage, "snap", stale_after=timedelta(seconds=0.4))
    with lock:
        first = lock_entries(storage, "snap")
        threading.Event().wait(0.5)
        later = lock_entries(storage, "snap")
        assert [entry.token for entry in later] == [lock.token]
        assert later[0].created_at > first[0].created_at


def test_unparsable_files_in_the_lock_folder_are_ignored(storage: SnapshotStorage) -> None:
    """Foreign files under .lock/ are neither taken as entries nor crash the lock."""
    storage.write("snap/.lock/README", io.BytesIO(b"x"))
    with SnapshotLock(storage, "snap") as lock:
        assert lock.held


def test_concurrent_threads_exactly_one_wins(storage: SnapshotStorage) -> None:
    """Of many threads racing for one name, exactly one holds the lock at the end of the race."""
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    locks = [SnapshotLock(storage, "snap") for _ in range(6)]

    def contend(lock: SnapshotLock) -> None:
        barrier.wait()
        try:
            lock.acquire()
        except SnapshotLockedError:
            outcomes.append("locked")
        else:
            outcomes.append("won")

    threads = [threading.Thread(target=contend, args=(lock,)) for lock in locks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for lock in locks:
        lock.release()
    assert sorted(outcomes) == ["locked"] * 5 + ["won"]
