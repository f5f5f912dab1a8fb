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

**Exclusive create.** A storage that offers
:class:`~django_snapshots.storage.protocols.ExclusiveCreateStorage` (S3 with
conditional writes, ``If-None-Match: *``) gets a lock that needs no listing to be
safe: every contender creates the same entry ``<name>/.lock/exclusive.lock``
exclusively, and the one whose create succeeds holds the lock. Its body names the
holder (host, pid, token) and the holder rewrites it to renew it. A stale entry is
taken over through a *takeover marker* ``takeover-<token>-<n>.lock``, also created
exclusively, so of several contenders only one deletes the stale entry (a marker
whose writer died goes stale after 30 s, and the next one takes number ``n + 1``).
After its create, a holder still lists the folder once and backs off if a live
entry of the list-based algorithm is there, so hosts using either path exclude
each other.
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
from typing import Final, cast

from django_snapshots.exceptions import SnapshotLockedError, SnapshotNotFoundError
from django_snapshots.layout.paths import LOCK_FOLDER, lock_folder
from django_snapshots.scratch import process_running
from django_snapshots.storage.protocols import (
    AdvancedSnapshotStorage,
    ExclusiveCreateStorage,
    SnapshotStorage,
)

__all__ = [
    "DEFAULT_STALE_AFTER",
    "EXCLUSIVE_ENTRY",
    "LOCK_FOLDER",
    "LockEntry",
    "SnapshotLock",
    "lock_entries",
]


DEFAULT_STALE_AFTER: Final = timedelta(minutes=10)
"""Age after which an entry whose holder cannot be checked is taken as abandoned."""

_STAMP: Final = "%Y%m%dT%H%M%S%fZ"
_ENTRY_RE: Final = re.compile(
    r"(?P<stamp>\d{8}T\d{12}Z)_(?P<host>[A-Za-z0-9.-]+)_(?P<pid>\d+)_(?P<token>[0-9a-f]{32})\.lock"
)
EXCLUSIVE_ENTRY: Final = "exclusive.lock"
"""The entry every contender creates exclusively on a storage that can (see the module)."""

_TAKEOVER_RE: Final = re.compile(r"takeover-(?P<token>[0-9a-f]{32})-(?P<number>\d+)\.lock")
_TAKEOVER_TIMEOUT: Final = timedelta(seconds=30)
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
    return lock_folder(name)


def _exclusive_entry(storage: SnapshotStorage, path: str) -> LockEntry | None:
    """Decode the exclusive entry at ``path`` (None if gone; unreadable ones are stale)."""
    try:
        with storage.read(path) as stream:
            raw = stream.read(64 * 1024)
    except SnapshotNotFoundError:
        return None
    try:
        body = cast("dict[str, object]", json.loads(raw))
        created = datetime.fromisoformat(str(body["created_at"]))
        return LockEntry(
            path, created, str(body["hostname"]), int(str(body["pid"])), str(body["token"])
        )
    except (KeyError, ValueError, TypeError):
        return LockEntry(path, datetime.min.replace(tzinfo=timezone.utc), "unknown", 0, "")


def _entries(storage: SnapshotStorage, name: str, *, exclusive: bool) -> list[LockEntry]:
    """Return the list-based entries of ``name``, and the exclusive one if ``exclusive``."""
    entries: list[LockEntry] = []
    folder = _folder(name)
    for path in storage.list(folder):
        rest = path[len(folder) :]
        if rest == EXCLUSIVE_ENTRY:
            found = _exclusive_entry(storage, path) if exclusive else None
            if found is not None:
                entries.append(found)
            continue
        match = _ENTRY_RE.fullmatch(rest)
        if match is None:
            continue
        stamp = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=timezone.utc)
        entries.append(LockEntry(path, stamp, match["host"], int(match["pid"]), match["token"]))
    return entries


def lock_entries(storage: SnapshotStorage, name: str) -> list[LockEntry]:
    """Return the lock entries stored for snapshot ``name`` (unparsable files skipped)."""
    return _entries(storage, name, exclusive=True)


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

    def _body(self, now: datetime) -> bytes:
        """Return the JSON body of an entry of this lock written at ``now``."""
        return json.dumps(
            {
                "hostname": _hostname(),
                "pid": os.getpid(),
                "token": self.token,
                "created_at": now.isoformat(),
            }
        ).encode()

    def _put(self, path: str, body: bytes) -> None:
        """Store ``body`` at ``path`` (atomically on the advanced tier)."""
        if isinstance(self.storage, AdvancedSnapshotStorage):
            self.storage.stream_write(path, iter([body]))
        else:
            self.storage.write(path, io.BytesIO(body))

    def _write_entry(self) -> str:
        """Write a fresh entry for this lock and return its path."""
        now = datetime.now(timezone.utc)
        hostname, pid = _hostname(), os.getpid()
        path = f"{_folder(self.name)}{now.strftime(_STAMP)}_{hostname}_{pid}_{self.token}.lock"
        self._put(path, self._body(now))
        return path

    def _exclusive_storage(self) -> ExclusiveCreateStorage | None:
        """Return the storage if it can create exclusively, else None."""
        storage = self.storage
        if isinstance(storage, ExclusiveCreateStorage) and storage.can_create_exclusive():
            return storage
        return None

    def acquire(self) -> None:
        """Take the lock or raise :class:`SnapshotLockedError` naming the holder."""
        if self.held:
            raise RuntimeError("lock already held")
        exclusive = self._exclusive_storage()
        if exclusive is not None:
            self._acquire_exclusive(exclusive)
            return
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
                self._hold(entry)
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
                    if self._entry.endswith(f"/{EXCLUSIVE_ENTRY}"):
                        if not self._still_mine(self._entry):
                            return  # taken over after this holder froze: stop renewing
                        self._put(self._entry, self._body(datetime.now(timezone.utc)))
                        continue
                    fresh = self._write_entry()
                    old, self._entry = self._entry, fresh
                    self.storage.delete(old)

    def _still_mine(self, path: str) -> bool:
        """Return True if the exclusive entry at ``path`` still names this lock."""
        current = _exclusive_entry(self.storage, path)
        return current is not None and current.token == self.token

    def release(self) -> None:
        """Give the lock up; releasing a lock not held does nothing."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        with self._guard:
            entry, self._entry = self._entry, None
        if entry is None:
            return
        if entry.endswith(f"/{EXCLUSIVE_ENTRY}") and not self._still_mine(entry):
            return
        self.storage.delete(entry)

    # -- the exclusive-create path -------------------------------------------------

    def _acquire_exclusive(self, storage: ExclusiveCreateStorage) -> None:
        """Take the lock by creating the exclusive entry (see the module docstring)."""
        path = f"{_folder(self.name)}{EXCLUSIVE_ENTRY}"
        holder: LockEntry | None = None
        for attempt in range(self.attempts):
            now = datetime.now(timezone.utc)
            if storage.create_exclusive(path, self._body(now)):
                holder = self._live_list_entry(now)
                if holder is None:
                    self._hold(path)
                    return
                self.storage.delete(path)  # a list-based contender is there: back off
            else:
                holder = _exclusive_entry(self.storage, path)
                if holder is not None and holder.token == self.token:
                    self._hold(path)  # our own create, retried after a lost answer
                    return
                if holder is not None and not holder.is_stale(now, self.stale_after):
                    break
                if holder is not None:
                    self._take_over(storage, holder, now)
            time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))  # noqa: S311
        described = holder.describe() if holder is not None else "contended"
        raise SnapshotLockedError(
            f"snapshot {self.name!r} is locked by another backup or delete ({described})"
        )

    def _hold(self, path: str) -> None:
        """Record ``path`` as this lock's entry and start renewing it."""
        self._entry = path
        self._start_renewing()

    def _live_list_entry(self, now: datetime) -> LockEntry | None:
        """Return a live list-based entry of another contender (deleting stale ones)."""
        for other in _entries(self.storage, self.name, exclusive=False):
            if other.is_stale(now, self.stale_after):
                self.storage.delete(other.path)
            elif other.token != self.token:
                return other
        return None

    def _take_over(self, storage: ExclusiveCreateStorage, stale: LockEntry, now: datetime) -> None:
        """Delete the ``stale`` exclusive entry if this contender wins its takeover marker."""
        folder = _folder(self.name)
        markers: dict[int, str] = {}
        for path in self.storage.list(f"{folder}takeover-{stale.token}-"):
            match = _TAKEOVER_RE.fullmatch(path[len(folder) :])
            if match is not None and match["token"] == stale.token:
                markers[int(match["number"])] = path
        number = max(markers, default=0)
        if number:
            marker = _exclusive_entry(self.storage, markers[number])
            if marker is not None and now - marker.created_at <= _TAKEOVER_TIMEOUT:
                return  # another contender is taking over right now
        mine = f"{folder}takeover-{stale.token}-{number + 1}.lock"
        if not storage.create_exclusive(mine, self._body(now)):
            return
        markers[number + 1] = mine
        try:
            current = _exclusive_entry(self.storage, stale.path)
            if current is not None and current.token == stale.token:
                if current.is_stale(datetime.now(timezone.utc), self.stale_after):
                    self.storage.delete(stale.path)
        finally:
            for path in markers.values():
                self.storage.delete(path)

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
