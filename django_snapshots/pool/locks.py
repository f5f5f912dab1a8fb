"""Pool locks: backups and restores share the pool; garbage collection has it alone.

Entries live in ``.pool/<pool>/locks/`` and, as for the snapshot lock
(:mod:`django_snapshots.locking`), say everything in their file name:
``<kind>_<time>_<host>_<pid>_<token>[_<snapshot>].lock``. Three kinds:

``exclusive``
    held by garbage collection; conflicts with every other live entry.
``shared``
    held by a restore or a verification while it reads packs; conflicts with
    ``exclusive`` only.
``backup``
    written by a backup before it reads the index, and *left in place* when its media
    export ends: the backup still has to store its file list and manifest. It is live
    exactly as long as the snapshot lock of its snapshot name is live (the engine
    holds that lock from before the export until after the manifest is written), so
    it covers the whole backup. Conflicts with ``exclusive`` only.

Taking a lock: write the entry, list the folder; if a conflicting live entry exists,
delete the entry and back off (waiting up to ``wait`` seconds), else hold. Of two
contenders the later lister sees the other, so garbage collection never runs while a
backup, restore or verification is between its first read of the index and its end.
``exclusive`` and ``shared`` entries are renewed every quarter of ``stale_after``; an
entry whose process is gone (same host) or that is older than ``stale_after`` is stale
and deleted by the next contender. Dead ``backup`` entries are removed by garbage
collection and by the next backup of the same name.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Final, Literal, cast

from django_snapshots.exceptions import SnapshotError, SnapshotLockedError
from django_snapshots.locking import DEFAULT_STALE_AFTER, lock_entries
from django_snapshots.pool.layout import PoolPaths
from django_snapshots.pool.storeio import put
from django_snapshots.scratch import process_running
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["LockKind", "PoolLock", "PoolLockEntry", "pool_lock_entries"]

LockKind = Literal["exclusive", "shared", "backup"]
"""What a pool lock entry is held for."""

_STAMP: Final = "%Y%m%dT%H%M%S%fZ"
_ENTRY: Final = re.compile(
    r"(?P<kind>exclusive|shared|backup)_(?P<stamp>\d{8}T\d{12}Z)_(?P<host>[A-Za-z0-9.-]+)"
    r"_(?P<pid>\d+)_(?P<token>[0-9a-f]{32})(?:_(?P<name>[A-Za-z0-9][A-Za-z0-9._+-]*))?\.lock"
)


def _hostname() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"


@dataclass(frozen=True)
class PoolLockEntry:
    """One pool lock entry, decoded from its file name."""

    path: str
    kind: LockKind
    created_at: datetime
    hostname: str
    pid: int
    token: str
    snapshot: str | None
    """The snapshot name of a ``backup`` entry."""

    def is_live(self, storage: SnapshotStorage, now: datetime, stale_after: timedelta) -> bool:
        """Return True if the entry's holder may still be at work."""
        if self.kind == "backup":
            assert self.snapshot is not None
            if self.hostname == _hostname() and not process_running(self.pid):
                return False
            return any(
                not entry.is_stale(now, DEFAULT_STALE_AFTER)
                for entry in lock_entries(storage, self.snapshot)
            )
        if now - self.created_at > stale_after:
            return False
        return self.hostname != _hostname() or process_running(self.pid)

    def describe(self) -> str:
        """Return what holds the entry, for messages."""
        what = f"a backup of {self.snapshot!r}" if self.kind == "backup" else f"a {self.kind} lock"
        return (
            f"{what} ({self.hostname} pid {self.pid} since {self.created_at:%Y-%m-%d %H:%M:%S} UTC)"
        )


def pool_lock_entries(storage: SnapshotStorage, paths: PoolPaths) -> list[PoolLockEntry]:
    """Return the pool's lock entries (unparsable names skipped)."""
    found: list[PoolLockEntry] = []
    for path in storage.list(paths.locks):
        match = _ENTRY.fullmatch(path[len(paths.locks) :])
        if match is None:
            continue
        stamp = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=timezone.utc)
        kind = cast("LockKind", match["kind"])
        found.append(
            PoolLockEntry(
                path, kind, stamp, match["host"], int(match["pid"]), match["token"], match["name"]
            )
        )
    return found


class PoolLock:
    """A lock of kind ``kind`` on one pool; use as a context manager.

    Entering raises :class:`SnapshotLockedError` naming the holder when a conflicting
    live entry is still there after ``wait`` seconds. A ``backup`` lock needs
    ``snapshot``, whose snapshot lock this process must hold.
    """

    def __init__(
        self,
        storage: SnapshotStorage,
        paths: PoolPaths,
        kind: LockKind,
        *,
        snapshot: str | None = None,
        wait: float = 0.0,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
    ) -> None:
        """Prepare (but do not take) the lock."""
        if (kind == "backup") != (snapshot is not None):
            raise ValueError("a 'backup' pool lock needs the snapshot name, the others none")
        self.storage: SnapshotStorage = storage
        self.paths: PoolPaths = paths
        self.kind: LockKind = kind
        self.snapshot: str | None = snapshot
        self.wait: float = wait
        self.stale_after: timedelta = stale_after
        self.token: str = uuid.uuid4().hex
        self._entry: str | None = None
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _write_entry(self) -> str:
        now = datetime.now(timezone.utc)
        host, pid = _hostname(), os.getpid()
        suffix = f"_{self.snapshot}" if self.snapshot is not None else ""
        name = f"{self.kind}_{now.strftime(_STAMP)}_{host}_{pid}_{self.token}{suffix}.lock"
        path = f"{self.paths.locks}{name}"
        body = json.dumps({"kind": self.kind, "hostname": host, "pid": pid}).encode()
        put(self.storage, path, io.BytesIO(body))
        return path

    def _conflicts(self, other: PoolLockEntry) -> bool:
        return self.kind == "exclusive" or other.kind == "exclusive"

    def _check_snapshot_lock(self) -> None:
        assert self.snapshot is not None
        mine = [
            entry
            for entry in lock_entries(self.storage, self.snapshot)
            if entry.pid == os.getpid() and entry.hostname == _hostname()
        ]
        if not mine:
            raise SnapshotError(
                f"storing media of {self.snapshot!r} in the pool needs the snapshot lock of "
                f"{self.snapshot!r}, held by this process (the engine takes it)"
            )

    def acquire(self) -> None:
        """Take the lock, waiting up to ``wait`` seconds for conflicting holders."""
        if self._entry is not None:
            raise RuntimeError("pool lock already held")
        if self.kind == "backup":
            self._check_snapshot_lock()
        deadline = time.monotonic() + self.wait
        attempt = 0
        while True:
            entry = self._write_entry()
            now = datetime.now(timezone.utc)
            blocking: list[PoolLockEntry] = []
            for other in pool_lock_entries(self.storage, self.paths):
                if other.token == self.token:
                    if other.path != entry:
                        self.storage.delete(other.path)
                elif not other.is_live(self.storage, now, self.stale_after):
                    self.storage.delete(other.path)
                elif (
                    self.kind == "backup"
                    and other.kind == "backup"
                    and other.snapshot == self.snapshot
                ):
                    # We hold that name's snapshot lock: this marker is an earlier, finished run.
                    self.storage.delete(other.path)
                elif self._conflicts(other):
                    blocking.append(other)
            if not blocking:
                self._entry = entry
                if self.kind != "backup":
                    self._start_renewing()
                return
            self.storage.delete(entry)
            attempt += 1
            if time.monotonic() >= deadline:
                oldest = min(blocking, key=lambda item: item.created_at)
                raise SnapshotLockedError(
                    f"pool {self.paths.root!r} is in use by {oldest.describe()}"
                )
            pause = min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.5)  # noqa: S311
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    def _start_renewing(self) -> None:
        self._stop.clear()
        interval = max(self.stale_after.total_seconds() / 4, 0.05)
        self._renewer = threading.Thread(
            target=self._renew_loop, args=(interval,), name="snapshot-pool-lock", daemon=True
        )
        self._renewer.start()

    def _renew_loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            with self._guard:
                if self._entry is None:
                    return
                with contextlib.suppress(Exception):
                    fresh = self._write_entry()
                    old, self._entry = self._entry, fresh
                    self.storage.delete(old)

    def release(self) -> None:
        """Give the lock up; a ``backup`` entry stays until its snapshot lock is gone."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        with self._guard:
            entry, self._entry = self._entry, None
        if entry is not None and self.kind != "backup":
            self.storage.delete(entry)

    def __enter__(self) -> PoolLock:
        """Acquire the lock."""
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Release the lock."""
        self.release()
