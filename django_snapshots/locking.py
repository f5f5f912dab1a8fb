"""A per-name lock kept in the storage itself, so concurrent backups exclude each other.

Neither storage tier offers an exclusive create, so the lock is built from operations
both tiers have (write, list, delete) and needs only that a completed ``write`` is seen
by every later ``list`` (true of a local disk, and of S3 since 2020):

1. a contender writes its own entry ``<name>/.lock/<time>_<host>_<pid>_<token>.lock``
   (a path nobody else writes, so no write can clobber another);
2. it lists ``<name>/.lock/``; if any *live* entry of another contender is there, it
   deletes its own entry and backs off, else it holds the lock.

Of two contenders, the one that lists last sees the other's entry, so at most one
holds the lock; when both see each other both back off (with random jitter) and try
again a few times. Everything an entry says is in its file name, so a half-written
entry (the basic tier may expose one) is judged without being read.

An entry is *stale* when its process is gone (same host, pid not running) or when it
is older than ``stale_after``; a holder renews its entry every quarter of that time,
so only a crashed or frozen holder goes stale. Stale entries are deleted by the next
contender. Across hosts the guarantee needs clocks that agree within ``stale_after``.
The advanced tier adds atomic writes (an entry is never seen half-written) but the
algorithm is the same on both tiers.
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
from typing import Final

from django_snapshots.exceptions import SnapshotLockedError
from django_snapshots.scratch import process_running
from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage

__all__ = [
    "DEFAULT_STALE_AFTER",
    "LOCK_FOLDER",
    "LockEntry",
    "SnapshotLock",
    "lock_entries",
]

LOCK_FOLDER: Final = ".lock"
"""Folder, inside a snapshot's own folder, that holds its lock entries."""

DEFAULT_STALE_AFTER: Final = timedelta(minutes=10)
"""Age after which an entry whose holder cannot be checked is taken as abandoned."""

_STAMP: Final = "%Y%m%dT%H%M%S%fZ"
_ENTRY_RE: Final = re.compile(
    r"(?P<stamp>\d{8}T\d{12}Z)_(?P<host>[A-Za-z0-9.-]+)_(?P<pid>\d+)_(?P<token>[0-9a-f]{32})\.lock"
)
_ATTEMPTS: Final = 6
_ESTABLISHED: Final = timedelta(seconds=2)
"""A live entry older than this belongs to a running holder: give up at once."""


def _hostname() -> str:
    """Return this host's name, reduced to the characters an entry name allows."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"


@dataclass(frozen=True)
class LockEntry:
    """One contender's lock entry, decoded from its file name."""

    path: str
    """The entry's storage path."""
    created_at: datetime
    """When the entry was written (renewed entries are new files)."""
    hostname: str
    pid: int
    token: str
    """Identifies one :class:`SnapshotLock` object across renewals."""

    def is_stale(self, now: datetime, stale_after: timedelta) -> bool:
        """Return True if the holder is gone or the entry is older than ``stale_after``."""
        if now - self.created_at > stale_after:
            return True
        return self.hostname == _hostname() and not process_running(self.pid)

    def describe(self) -> str:
        """Return ``host pid N since <time>`` for messages."""
        return f"{self.hostname} pid {self.pid} since {self.created_at:%Y-%m-%d %H:%M:%S} UTC"


def _folder(name: str) -> str:
    return f"{name}/{LOCK_FOLDER}/"


def lock_entries(storage: SnapshotStorage, name: str) -> list[LockEntry]:
    """Return the lock entries stored for snapshot ``name`` (unparsable files skipped)."""
    entries: list[LockEntry] = []
    folder = _folder(name)
    for path in storage.list(folder):
        match = _ENTRY_RE.fullmatch(path[len(folder) :])
        if match is None:
            continue
        stamp = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=timezone.utc)
        entries.append(LockEntry(path, stamp, match["host"], int(match["pid"]), match["token"]))
    return entries


class SnapshotLock:
    """Exclusive right to write or delete snapshot ``name`` in ``storage``.

    Use as a context manager; entering raises :class:`SnapshotLockedError` when a live
    holder exists.
    """

    def __init__(
        self,
        storage: SnapshotStorage,
        name: str,
        *,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        attempts: int = _ATTEMPTS,
    ) -> None:
        """Prepare (but do not take) the lock on ``name``."""
        self.storage: SnapshotStorage = storage
        self.name: str = name
        self.stale_after: timedelta = stale_after
        """Age after which an entry is abandoned; the holder renews at a quarter of it."""
        self.attempts: int = attempts
        self.token: str = uuid.uuid4().hex
        self._entry: str | None = None
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def held(self) -> bool:
        """Return True while this object holds the lock."""
        return self._entry is not None

    def _write_entry(self) -> str:
        """Write a fresh entry for this lock and return its path."""
        now = datetime.now(timezone.utc)
        hostname, pid = _hostname(), os.getpid()
        path = f"{_folder(self.name)}{now.strftime(_STAMP)}_{hostname}_{pid}_{self.token}.lock"
        body = json.dumps(
            {"hostname": hostname, "pid": pid, "created_at": now.isoformat()}
        ).encode()
        if isinstance(self.storage, AdvancedSnapshotStorage):
            self.storage.stream_write(path, iter([body]))
        else:
            self.storage.write(path, io.BytesIO(body))
        return path

    def acquire(self) -> None:
        """Take the lock or raise :class:`SnapshotLockedError` naming the holder."""
        if self.held:
            raise RuntimeError("lock already held")
        for attempt in range(self.attempts):
            entry = self._write_entry()
            now = datetime.now(timezone.utc)
            live: list[LockEntry] = []
            for other in lock_entries(self.storage, self.name):
                if other.token == self.token:
                    if other.path != entry:
                        self.storage.delete(other.path)
                    continue
                if other.is_stale(now, self.stale_after):
                    self.storage.delete(other.path)
                else:
                    live.append(other)
            if not live:
                self._entry = entry
                self._start_renewing()
                return
            self.storage.delete(entry)
            oldest = min(live, key=lambda item: item.created_at)
            if attempt == self.attempts - 1 or now - oldest.created_at > _ESTABLISHED:
                raise SnapshotLockedError(
                    f"snapshot {self.name!r} is locked by another backup or delete "
                    f"({oldest.describe()})"
                )
            time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))  # noqa: S311

    def _start_renewing(self) -> None:
        self._stop.clear()
        interval = max(self.stale_after.total_seconds() / 4, 0.05)
        self._renewer = threading.Thread(
            target=self._renew_loop,
            args=(interval,),
            name=f"snapshot-lock-{self.name}",
            daemon=True,
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
        """Give the lock up; releasing a lock not held does nothing."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        with self._guard:
            entry, self._entry = self._entry, None
        if entry is not None:
            self.storage.delete(entry)

    def __enter__(self) -> SnapshotLock:
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
