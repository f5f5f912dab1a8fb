"""The snapshot lock on S3: conditional writes where honoured, the list algorithm otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from django_snapshots.exceptions import SnapshotLockedError, SnapshotStorageCapabilityError
from django_snapshots.locking import EXCLUSIVE_ENTRY, SnapshotLock, lock_entries
from django_snapshots.storage.s3 import S3Backend
from tests.s3server import S3Server

ROOT = Path(__file__).resolve().parents[2]


def _strip_conditions(backend: S3Backend) -> None:
    """Make the client drop If-None-Match, as a server that ignores the header would."""

    def drop(params: dict[str, Any], **_: Any) -> None:
        params.pop("IfNoneMatch", None)

    backend.client.meta.events.register("provide-client-params.s3.PutObject", drop)


def test_seaweedfs_honours_conditional_writes(s3_server: S3Server) -> None:
    """Detection finds If-None-Match honoured, and create_exclusive refuses an existing path."""
    backend = s3_server.make_backend("cond")
    assert backend.can_create_exclusive()
    assert backend.create_exclusive("a/file", b"first") is True
    assert backend.create_exclusive("a/file", b"second") is False
    assert b"".join(backend.stream_read("a/file")) == b"first"
    assert backend.list("") == ["a/file"]  # the probe object is gone


def test_a_server_ignoring_the_condition_is_detected(s3_server: S3Server) -> None:
    """When If-None-Match has no effect, detection says no and create_exclusive refuses to run."""
    backend = s3_server.make_backend("ignored")
    _strip_conditions(backend)
    assert not backend.can_create_exclusive()
    with pytest.raises(SnapshotStorageCapabilityError, match="conditional writes"):
        backend.create_exclusive("a", b"x")
    with SnapshotLock(backend, "snap"):
        (entry,) = lock_entries(backend, "snap")
        assert not entry.path.endswith(EXCLUSIVE_ENTRY)
    assert backend.list("") == []


def test_conditional_lock_uses_the_exclusive_entry(s3_server: S3Server) -> None:
    """With conditional writes the lock is one exclusive entry naming its holder, removed after."""
    backend = s3_server.make_backend("excl")
    with SnapshotLock(backend, "snap") as lock:
        entries = lock_entries(backend, "snap")
        assert [entry.path for entry in entries] == [f"snap/.lock/{EXCLUSIVE_ENTRY}"]
        assert entries[0].token == lock.token and entries[0].pid == os.getpid()
        with pytest.raises(SnapshotLockedError, match=r"'snap' is locked .* pid"):
            SnapshotLock(backend, "snap").acquire()
    assert backend.list("") == []


def test_list_lock_is_used_when_conditional_writes_are_off(s3_server: S3Server) -> None:
    """conditional_writes=False keeps the list-based entries."""
    backend = s3_server.make_backend("listed", conditional_writes=False)
    with SnapshotLock(backend, "snap"):
        (entry,) = lock_entries(backend, "snap")
        assert not entry.path.endswith(EXCLUSIVE_ENTRY)


def test_both_algorithms_exclude_each_other(s3_server: S3Server) -> None:
    """A host on the list algorithm and one on conditional writes never both hold one name."""
    exclusive = s3_server.make_backend("mixed")
    options: dict[str, Any] = {
        **s3_server.settings_options("m"),
        "location": exclusive.location,
        "conditional_writes": False,
    }
    listed = S3Backend(**options)
    with SnapshotLock(exclusive, "snap"):
        with pytest.raises(SnapshotLockedError):
            SnapshotLock(listed, "snap").acquire()
    with SnapshotLock(listed, "snap"):
        with pytest.raises(SnapshotLockedError):
            SnapshotLock(exclusive, "snap").acquire()
    assert exclusive.list("") == []


def _plant_stale_entry(backend: S3Backend) -> None:
    """Store an exclusive entry of a holder gone an hour ago."""
    body = {
        "hostname": "elsewhere",
        "pid": 1,
        "token": "f" * 32,
        "created_at": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(),
    }
    assert backend.create_exclusive(f"snap/.lock/{EXCLUSIVE_ENTRY}", json.dumps(body).encode())


def test_stale_exclusive_entry_is_taken_over_once(s3_server: S3Server) -> None:
    """Of six threads finding a stale entry, exactly one takes the lock; no marker is left."""
    backend = s3_server.make_backend("stale")
    _plant_stale_entry(backend)
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    locks = [SnapshotLock(backend, "snap") for _ in range(6)]

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
    winners = [lock for lock in locks if lock.held]
    assert sorted(outcomes) == ["locked"] * 5 + ["won"]
    assert [entry.token for entry in lock_entries(backend, "snap")] == [winners[0].token]
    assert backend.list("snap/.lock/takeover") == []
    for lock in locks:
        lock.release()
    assert backend.list("") == []


def test_unreadable_exclusive_entry_is_stale(s3_server: S3Server) -> None:
    """An exclusive entry whose body is not a lock record is taken over."""
    backend = s3_server.make_backend("garbled")
    backend.stream_write(f"snap/.lock/{EXCLUSIVE_ENTRY}", iter([b"not json"]))
    with SnapshotLock(backend, "snap") as lock:
        assert lock_entries(backend, "snap")[0].token == lock.token


_CONTENDER = """
import json, sys, time
from django_snapshots.exceptions import SnapshotLockedError
from django_snapshots.locking import SnapshotLock
from django_snapshots.storage.s3 import S3Backend
backend = S3Backend(**json.loads(sys.argv[1]))
backend.list("")  # connect before the start signal
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
try:
    with SnapshotLock(backend, "snap"):
        print("held", flush=True)
        sys.stdin.readline()  # hold until the test has seen the others refused
except SnapshotLockedError as error:
    print("locked", error, flush=True)
"""


@pytest.mark.parametrize("conditional", [None, False], ids=["conditional", "list"])
def test_processes_racing_for_one_name(s3_server: S3Server, conditional: bool | None) -> None:
    """Of three processes starting a lock on one name at the same instant, exactly one holds it."""
    options = s3_server.settings_options("race", conditional_writes=conditional)
    start = time.time() + 4
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CONTENDER, json.dumps(options), str(start)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    deadline = time.monotonic() + 120
    while sum(child.poll() is None for child in children) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    outputs = [
        child.communicate("go\n", timeout=60)[0].split(" ", 1)[0].strip() for child in children
    ]
    assert sorted(outputs) == ["held", "locked", "locked"]
    assert S3Backend(**options).list("") == []
