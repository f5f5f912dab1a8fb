"""Media in django-storages' S3Storage: the fast path against the ``Storage`` API.

Every test runs against the real SeaweedFS of the ``s3_server`` fixture. The generic
path is the same storage walked with ``fast=False``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InMemoryStorage, Storage, storages

from django_snapshots.artifacts import media_sources
from django_snapshots.artifacts.media_s3 import S3MediaAccess, s3_access
from django_snapshots.artifacts.media_sources import StorageMediaSource
from django_snapshots.artifacts.media_targets import StorageMediaTarget
from django_snapshots.exceptions import SnapshotError, SnapshotIntegrityError
from django_snapshots.pool import backup as pool_backup
from tests.pool.harness import Harness, make_storage, storage_files
from tests.pool.harness import cached_pip as cached_pip
from tests.s3server import S3Server

S3 = "storages.backends.s3.S3Storage"
FILES = {
    "a-c": b"dash sorts before slash in keys",
    "a/x.txt": b"x" * 10,
    "logo.svg": b"<svg/>",
    "uploads/2026/a.pdf": b"%PDF" + bytes(range(256)) * 40,
    "uploads/2026/empty.txt": b"",
    "uploads/menu.txt": "cr\u00e8me".encode(),
    "uploads/caf\u00e9 menu.txt": b"non-ASCII name",
    "zz/last.bin": b"z" * 5000,
}


def _incoming(files: dict[str, bytes]) -> Iterator[tuple[str, int, Any]]:
    for name in sorted(files, key=lambda n: tuple(n.split("/"))):
        data = files[name]
        yield name, len(data), (lambda data=data: iter([data]))


@pytest.fixture
def new_s3_storage(s3_server: S3Server) -> Callable[..., Storage]:
    """Return a maker of S3Storage instances, each below a fresh prefix."""

    def make(**extra: Any) -> Storage:
        options = s3_server.storages_options("media", **extra)
        return storages.create_storage({"BACKEND": S3, "OPTIONS": options})

    return make


def _fill(storage: Storage, files: dict[str, bytes]) -> Storage:
    for name, content in files.items():
        if content:
            storage.save(name, ContentFile(content))
        else:
            _put_raw(storage, name, b"")
    return storage


def _access(storage: Storage) -> S3MediaAccess:
    access = s3_access(storage)
    assert access is not None
    return access


def _put_raw(storage: Storage, key: str, data: bytes = b"raw") -> None:
    """Store an object at ``<location>/<key>`` bypassing every name check.

    A client of its own: SeaweedFS stalls the next request on a connection that sent an
    empty body for 60 s.
    """
    options: Any = storage
    client: Any = options._create_session().client(
        "s3", endpoint_url=options.endpoint_url, region_name=options.region_name
    )
    location = str(options.location)
    client.put_object(Bucket=options.bucket_name, Key=f"{location}/{key}", Body=data)


def _no_listing(self: object, name: str) -> tuple[list[str], list[str]]:
    return [], []


def _no_access(storage: Storage) -> None:
    return None


def _ns(moment: datetime) -> int:
    """Return ``moment`` in nanoseconds, naive as UTC (as the storage walk counts it)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return round(aware.timestamp() * 1_000_000) * 1000


def test_the_fast_path_is_taken_only_for_an_unmodified_s3_storage(
    new_s3_storage: Callable[..., Storage],
) -> None:
    """S3Storage is detected; a subclass overriding a method used, or any other storage, is not."""
    storage = new_s3_storage()
    access = _access(storage)
    assert access.fast_reads and access.fast_writes
    assert access.key("a/b.txt") == f"{getattr(storage, 'location', '')}/a/b.txt"
    custom: Any = type("Custom", (type(storage),), {"listdir": _no_listing})
    assert s3_access(custom(**{"bucket_name": access.bucket_name})) is None
    assert s3_access(InMemoryStorage()) is None
    assert s3_access(FileSystemStorage()) is None
    assert not _access(new_s3_storage(gzip=True)).fast_reads
    assert not _access(new_s3_storage(file_overwrite=False)).fast_writes
    assert StorageMediaSource(storage, fast=False).s3 is None


@pytest.mark.parametrize("use_tz", [True, False])
def test_fast_and_generic_paths_list_and_read_the_same(
    new_s3_storage: Callable[..., Storage], settings: Any, use_tz: bool
) -> None:
    """Same paths, sizes, mtimes (as get_modified_time gives them) and contents either way."""
    settings.USE_TZ = use_tz
    storage = _fill(new_s3_storage(), FILES)
    fast, generic = StorageMediaSource(storage), StorageMediaSource(storage, fast=False)
    assert fast.s3 is not None and generic.s3 is None
    fast_entries, generic_entries = list(fast.walk()), list(generic.walk())
    assert fast_entries == generic_entries
    assert [e.path for e in fast_entries] == sorted(FILES, key=lambda n: tuple(n.split("/")))
    for entry in fast_entries:
        assert entry.mtime_ns == _ns(storage.get_modified_time(entry.path))
        assert entry.size == storage.size(entry.path)
        with fast.open(entry.path) as one, generic.open(entry.path) as other:
            assert one.read() == other.read() == FILES[entry.path]
    assert list(fast.names()) == [e.path for e in fast_entries]


def test_names_that_cannot_be_restored_are_skipped_on_both_paths(
    new_s3_storage: Callable[..., Storage], caplog: pytest.LogCaptureFixture
) -> None:
    """A key whose name a tar member could not carry is skipped (with a warning)."""
    storage = _fill(new_s3_storage(), {"ok.txt": b"ok"})
    for key in ("c:drive", ".snapshots-tmp-1", "sub/d:x"):
        _put_raw(storage, key)
    with caplog.at_level(logging.WARNING):
        fast = [e.path for e in StorageMediaSource(storage).walk()]
    generic = [e.path for e in StorageMediaSource(storage, fast=False).walk()]
    assert fast == generic == ["ok.txt"]
    assert "'c:drive'" in caplog.text and "'d:x'" in caplog.text
    with pytest.raises(FileNotFoundError):
        StorageMediaSource(storage).open("missing.txt")


class _Pages:
    """A ``list_objects`` paginator over fixed keys (SeaweedFS normalises odd keys)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        prefix = kwargs["Prefix"]
        page: dict[str, list[dict[str, Any]]] = {"Contents": [], "CommonPrefixes": []}
        when = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
        for key in (k for k in self.keys if k.startswith(prefix)):
            rest = key[len(prefix) :]
            if "/" not in rest:
                page["Contents"].append({"Key": key, "Size": 1, "LastModified": when})
            elif (common := {"Prefix": prefix + rest.split("/")[0] + "/"}) not in page[
                "CommonPrefixes"
            ]:
                page["CommonPrefixes"].append(common)
        return [page]


class _FakeClient:
    def __init__(self, pages: _Pages) -> None:
        self.pages = pages

    def get_paginator(self, name: str) -> _Pages:
        return self.pages


def test_odd_listed_keys_map_to_names_the_walk_refuses(
    new_s3_storage: Callable[..., Storage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``..``, empty components and backslashes in listed keys never become paths."""
    storage = new_s3_storage()
    location = str(getattr(storage, "location", ""))
    odd = ["../escape", "d/../e", "a//b", "back\\slash", "/abs", "ok.txt"]
    source = StorageMediaSource(storage)
    assert source.s3 is not None
    keys = [f"{location}/{key}" for key in odd]
    fake = _FakeClient(_Pages(keys))
    monkeypatch.setattr(source.s3, "_client", fake)
    entries = list(source.walk())
    assert [e.path for e in entries] == ["ok.txt"]
    assert entries[0].mtime_ns == 1767323045 * 1_000_000_000  # whole seconds, as a HEAD


def test_an_unchanged_backup_reuses_every_file_through_the_fast_path(
    tmp_path: Any,
    cached_pip: None,
    new_s3_storage: Callable[..., Storage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A parent written through the Storage API is reused whole by a fast-path backup."""
    monkeypatch.setattr(pool_backup, "RACY_SECONDS", 0)
    harness = Harness(make_storage("local", tmp_path))
    source = _fill(new_s3_storage(), FILES)
    with monkeypatch.context() as generic:
        generic.setattr(media_sources, "s3_access", _no_access)
        harness.backup("s1", source=source)
    assert harness.last_metadata["reused_files"] == 0

    def no_request(*args: object) -> object:
        raise AssertionError("the fast path made a per-file request")

    for name in ("size", "get_modified_time", "open", "exists"):
        monkeypatch.setattr(source, name, no_request)
    monkeypatch.setattr(S3MediaAccess, "open", no_request)
    harness.backup("s2", source=source)
    assert harness.last_metadata["reused_files"] == len(FILES)


def test_a_replace_restore_deletes_only_extra_files_once_new_content_is_in_place(
    new_s3_storage: Callable[..., Storage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only files the snapshot lacks are deleted, after every snapshot file is written."""
    old = {
        "logo.svg": b"old",
        "stale.txt": b"s",
        "a/gone.bin": b"g",
        "zz/last.bin": FILES["zz/last.bin"],
    }
    target = _fill(new_s3_storage(), old)
    deleted: list[str] = []
    delete = target.delete

    def checked_delete(name: str) -> None:
        assert {k: v for k, v in storage_files(target).items() if k in FILES} == FILES
        deleted.append(name)
        delete(name)

    monkeypatch.setattr(target, "delete", checked_delete)
    stats = StorageMediaTarget(target).restore(lambda: _incoming(FILES))
    assert sorted(deleted) == ["a/gone.bin", "stale.txt"]
    assert (stats.written, stats.unchanged, stats.deleted) == (len(FILES) - 1, 1, 2)
    assert storage_files(target) == FILES


def test_an_empty_file_is_put_without_asking_to_continue(
    new_s3_storage: Callable[..., Storage],
) -> None:
    """The fast path's PUT of an empty file asks no 100-continue (SeaweedFS would stall)."""
    target = new_s3_storage()
    client = _access(target).client  # the same client the restore's fast path uses
    options: Any = target
    prefix = f"/{options.bucket_name}/{options.location}/"
    sent: dict[str, object] = {}

    def record(request: Any, **_: Any) -> None:
        url: str = request.url
        sent[unquote(urlsplit(url).path).removeprefix(prefix)] = request.headers.get("Expect")

    client.meta.events.register_last("before-send.s3.PutObject", record)
    StorageMediaTarget(target).restore(lambda: _incoming(FILES))
    assert sent == {name: None if not data else b"100-continue" for name, data in FILES.items()}
    assert storage_files(target) == FILES


def test_fast_writes_carry_the_parameters_save_would(
    new_s3_storage: Callable[..., Storage],
) -> None:
    """put_object sends the guessed content type and the storage's object parameters."""
    parameters = {"object_parameters": {"CacheControl": "max-age=60"}}
    fast, saved = new_s3_storage(**parameters), new_s3_storage(**parameters)
    StorageMediaTarget(fast).restore(lambda: _incoming({"logo.svg": b"<svg/>"}))
    StorageMediaTarget(saved, fast=False).restore(lambda: _incoming({"logo.svg": b"<svg/>"}))
    heads: list[tuple[str, str | None, int]] = []
    for storage in (fast, saved):
        access = _access(storage)
        head = access.client.head_object(Bucket=access.bucket_name, Key=access.key("logo.svg"))
        heads.append((head["ContentType"], head.get("CacheControl"), head["ContentLength"]))
    assert heads[0] == heads[1] == ("image/svg+xml", "max-age=60", 6)


@pytest.mark.parametrize("fast", [True, False])
def test_a_failed_concurrent_write_names_the_file_and_leaves_the_old_files(
    new_s3_storage: Callable[..., Storage], monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    """One write failing among several in flight: a one-line error, the old files back."""
    old = {"logo.svg": b"old", "stale.txt": b"s", "uploads/2026/a.pdf": b"old pdf"}
    target = _fill(new_s3_storage(), old)
    access = _access(target)
    failing = access.key("uploads/2026/empty.txt")
    original = access.client.put_object

    def put_object(**kwargs: Any) -> Any:
        if kwargs["Key"] == failing:
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "reduce\nrate"}}, "PutObject"
            )
        return original(**kwargs)

    monkeypatch.setattr(access.client, "put_object", put_object)
    if not fast:
        save = target.save

        def failing_save(name: str | None, content: Any, max_length: int | None = None) -> str:
            if name == "uploads/2026/empty.txt":
                raise OSError("disk full\nreally")
            return save(name, content, max_length)

        monkeypatch.setattr(target, "save", failing_save)
    with pytest.raises(SnapshotError) as caught:
        StorageMediaTarget(target, fast=fast).restore(lambda: _incoming(FILES))
    message = str(caught.value)
    assert "writing media file 'uploads/2026/empty.txt'" in message and "\n" not in message
    assert storage_files(target) == old


def test_a_failed_concurrent_read_fails_the_backup_naming_the_file(
    tmp_path: Any,
    cached_pip: None,
    new_s3_storage: Callable[..., Storage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read failing during a backup is one line naming the file; no snapshot is left."""
    harness = Harness(make_storage("local", tmp_path))
    source = _fill(new_s3_storage(), FILES)
    opener = S3MediaAccess.open

    def failing_open(self: S3MediaAccess, name: str) -> Any:
        if name == "uploads/2026/a.pdf":
            raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "GetObject")
        return opener(self, name)

    monkeypatch.setattr(S3MediaAccess, "open", failing_open)
    with pytest.raises(SnapshotError, match=r"opening media file 'uploads/2026/a\.pdf'") as caught:
        harness.backup("s1", source=source)
    assert "\n" not in str(caught.value)
    assert not [p for p in harness.storage.list("") if p.startswith("s1/")]


@pytest.mark.parametrize("name", ["../escape", "/abs", "a//b", "a/./b", ".snapshots-tmp-x"])
def test_unsafe_paths_are_refused_before_anything_is_written_to_s3(
    new_s3_storage: Callable[..., Storage], name: str
) -> None:
    """The fast path checks incoming paths as strictly as tar members, before any write."""
    target = _fill(new_s3_storage(), {"keep.txt": b"k"})
    with pytest.raises(SnapshotIntegrityError):
        StorageMediaTarget(target).restore(lambda: _incoming({"a.txt": b"a", name: b"x"}))
    assert storage_files(target) == {"keep.txt": b"k"}
