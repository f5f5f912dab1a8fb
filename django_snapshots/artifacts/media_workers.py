"""Bounded, ordered concurrency for the per-file requests of media in a Django storage.

A storage reached over the network (S3, GCS, Azure...) answers one request at a time
per call; the media source and target therefore overlap the per-file calls (stats,
reads, writes, deletes) on a small thread pool. :func:`ordered_map` keeps what the
callers rely on: results come back in input order, at most ``window`` items are in
flight (so memory stays bounded however large the tree), and the first failure in
input order is raised once every call already started has finished, so nothing is
still running when the caller undoes what was done.

The assumption: a Django storage may be called from several threads at once for
*different* files. Django's ``FileSystemStorage`` and ``InMemoryStorage`` and
django-storages' backends (which keep one boto3 connection per thread) allow it. A
storage that does not can be used with ``workers=1``: everything then runs in the
calling thread, one file after the other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final, TypeVar

from django_snapshots.exceptions import SnapshotError

__all__ = ["DEFAULT_STORAGE_WORKERS", "media_file_error", "ordered_map"]

DEFAULT_STORAGE_WORKERS: Final = 8
"""Threads making per-file requests to a media storage at once."""

_T = TypeVar("_T")
_R = TypeVar("_R")


def ordered_map(
    func: Callable[[_T], _R], items: Iterable[_T], *, workers: int, window: int = 64
) -> Iterator[_R]:
    """Yield ``func(item)`` for every item, in order, ``workers`` calls at a time.

    ``items`` is consumed at most ``window`` items ahead of the results. The first
    exception (in input order) is raised after the calls already running have
    finished; calls not yet started are cancelled.
    """
    if workers <= 1:
        yield from map(func, items)
        return
    pending: deque[Future[_R]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="snapshot-media") as pool:
        try:
            for item in items:
                pending.append(pool.submit(func, item))
                while pending and (len(pending) >= window or pending[0].done()):
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def media_file_error(action: str, path: str, where: str, error: BaseException) -> SnapshotError:
    """Return a one-line :class:`SnapshotError` naming the file ``action`` failed on."""
    text = " ".join(str(error).split()) or type(error).__name__
    return SnapshotError(f"{action} media file {path!r} in storage {where!r} failed: {text}")
