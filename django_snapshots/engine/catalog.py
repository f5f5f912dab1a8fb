"""The catalogue of a storage: list, find, resolve "the newest", and delete snapshots.

"The newest snapshot" means the newest one whether or not it can be read: a bare
``restore``, ``verify`` or ``check`` must never fall back in silence to an older
snapshot because last night's is broken. An unreadable snapshot's age comes from
what its manifest still shows; one whose age cannot be told counts as the newest.
Safety snapshots (taken before a restore) are never "the newest": they hold only what
a restore overwrote, and putting one back is ``snapshots undo``'s job.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import cast

from django_snapshots import layout
from django_snapshots.engine.pools import collect_pool_garbage
from django_snapshots.engine.types import SnapshotListing
from django_snapshots.exceptions import SnapshotIntegrityError, SnapshotNotFoundError
from django_snapshots.layout import Location
from django_snapshots.locking import DEFAULT_STALE_AFTER, SnapshotLock, lock_entries
from django_snapshots.manifest import Snapshot
from django_snapshots.naming import validate_name
from django_snapshots.pool.gc import GarbageReport
from django_snapshots.retention import is_safety_snapshot
from django_snapshots.settings import get_storage
from django_snapshots.signals import post_delete, sent_around
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "collect_garbage",
    "delete_snapshot",
    "get_snapshot",
    "list_snapshots",
    "newest_listing",
    "resolve",
    "resolve_newest",
]


def resolve(storage: SnapshotStorage, name: str) -> tuple[Location, Snapshot]:
    """Return where snapshot ``name`` is and its manifest (newest copy if two exist)."""
    locations = layout.locate(storage, name)
    if not locations:
        raise SnapshotNotFoundError(f"snapshot {name!r} not found")
    if len(locations) == 1:
        return locations[0], layout.read_manifest(storage, locations[0])
    readable: list[tuple[Location, Snapshot]] = []
    failure: Exception | None = None
    for location in locations:
        try:
            readable.append((location, layout.read_manifest(storage, location)))
        except SnapshotIntegrityError as error:
            failure = error
    if not readable:
        assert failure is not None
        raise failure
    return max(readable, key=lambda item: item[1].created_at)


def _listing(storage: SnapshotStorage, state: layout.NameState) -> SnapshotListing:
    """Build the listing of one name from what a storage scan showed."""
    best: SnapshotListing | None = None
    for location in state.locations:
        try:
            snapshot = layout.read_manifest(storage, location)
        except (SnapshotIntegrityError, SnapshotNotFoundError) as error:
            salvaged = layout.salvage_created_at(storage, location)
            candidate = SnapshotListing(
                state.name, location.format, None, str(error), created_at=salvaged
            )
        else:
            candidate = SnapshotListing(
                state.name, location.format, snapshot, None, created_at=snapshot.created_at
            )
        if best is None or (
            candidate.snapshot is not None
            and (best.snapshot is None or candidate.snapshot.created_at > best.snapshot.created_at)
        ):
            best = candidate
    if best is not None:
        return best
    now = datetime.now(timezone.utc)
    live = [
        entry
        for entry in lock_entries(storage, state.name)
        if not entry.is_stale(now, DEFAULT_STALE_AFTER)
    ]
    if live:
        why = f"incomplete: a backup is in progress ({live[0].describe()})"
    else:
        why = "incomplete: an interrupted backup left files but no manifest"
    return SnapshotListing(state.name, "directory", None, why, incomplete=True)


def list_snapshots(*, storage: SnapshotStorage | None = None) -> list[SnapshotListing]:
    """Return every snapshot in storage, newest first, unreadable ones included.

    Unreadable snapshots (unknown manifest version, corrupt manifest) and the
    leftovers of running or interrupted backups come last, by name, with ``error``
    set; :func:`delete_snapshot` removes any of them.
    """
    store = storage if storage is not None else get_storage()
    listings = [_listing(store, state) for state in layout.scan(store).values()]
    readable = [item for item in listings if item.snapshot is not None]
    readable.sort(key=lambda item: cast("Snapshot", item.snapshot).created_at, reverse=True)
    broken = sorted(
        (item for item in listings if item.snapshot is None), key=lambda item: item.name
    )
    return readable + broken


def newest_listing(listings: list[SnapshotListing]) -> SnapshotListing | None:
    """Return the newest snapshot among ``listings``, readable or not (None if none).

    Leftovers of incomplete backups are not snapshots and never count, nor do safety
    snapshots. An unreadable snapshot whose creation time cannot be told counts as
    newer than every other.
    """
    candidates = [
        item
        for item in listings
        if not item.incomplete
        and not (item.snapshot is not None and is_safety_snapshot(item.snapshot))
    ]
    unknown = [item for item in candidates if item.created_at is None]
    if unknown:
        return unknown[0]
    return max(candidates, key=lambda item: cast("datetime", item.created_at), default=None)


def resolve_newest(storage: SnapshotStorage) -> tuple[Location, Snapshot]:
    """Return the location and manifest of the newest snapshot.

    Raise :class:`~django_snapshots.SnapshotNotFoundError` if the storage holds none,
    and :class:`~django_snapshots.SnapshotIntegrityError` naming the newest snapshot
    when it cannot be read (rather than falling back to an older one).
    """
    newest = newest_listing(list_snapshots(storage=storage))
    if newest is None:
        raise SnapshotNotFoundError("no snapshots in storage")
    if newest.snapshot is None:
        raise SnapshotIntegrityError(
            f"the newest snapshot {newest.name!r} cannot be read ({newest.error}); "
            "name another snapshot to use (--name NAME) or delete this one"
        )
    return resolve(storage, newest.name)


def get_snapshot(name: str | None = None, *, storage: SnapshotStorage | None = None) -> Snapshot:
    """Return the manifest of snapshot ``name`` (None: the newest).

    Raise :class:`~django_snapshots.SnapshotNotFoundError` if there is none and
    :class:`~django_snapshots.SnapshotIntegrityError` (or its
    :class:`~django_snapshots.SnapshotVersionError`) if it cannot be read.
    """
    store = storage if storage is not None else get_storage()
    return (resolve_newest(store) if name is None else resolve(store, name))[1]


def delete_snapshot(
    name: str, *, storage: SnapshotStorage | None = None, collect_garbage: bool = True
) -> None:
    """Delete snapshot ``name`` and every file that belongs to it.

    Works on unreadable snapshots and on the leftovers of an interrupted backup too.
    Then (unless ``collect_garbage`` is false: call :func:`collect_garbage` once after
    deleting several) the media content only this snapshot used is freed.
    Raise :class:`~django_snapshots.SnapshotNotFoundError` if nothing of that name is
    stored and :class:`~django_snapshots.SnapshotLockedError` while a backup of it runs.
    Send :data:`~django_snapshots.signals.post_delete` (also on failure).
    """
    store = storage if storage is not None else get_storage()
    with sent_around(None, post_delete, {}, name=name, storage=store):
        validate_name(name)
        if not layout.holds_files(store, name):
            raise SnapshotNotFoundError(f"snapshot {name!r} not found")
        with SnapshotLock(store, name):
            layout.delete_files(store, name)
    if collect_garbage:
        collect_pool_garbage(store)


def collect_garbage(*, storage: SnapshotStorage | None = None) -> list[GarbageReport]:
    """Free the media-pool content no remaining snapshot references; report per pool.

    Safe while backups run: content a running backup may reference is kept (the report
    says why nothing was freed) and freed by a later call.
    """
    return collect_pool_garbage(storage if storage is not None else get_storage())
