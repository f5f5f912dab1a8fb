"""Media kept in a Django storage: backed up (tar and pool) and restored through its API.

``MEDIA_STORAGES`` lists the kinds of media storage the parametrized tests run on. To
add one (the S3 server), append its kind and define a fixture ``media_storages_<kind>``
returning a callable that makes a new, empty Django ``Storage`` at each call.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InMemoryStorage, Storage

from django_snapshots.artifacts.media import MediaArtifactExporter, MediaArtifactImporter
from django_snapshots.artifacts.media_sources import StorageMediaSource, resolve_storage
from django_snapshots.artifacts.media_targets import StorageMediaTarget
from django_snapshots.exceptions import SnapshotError, SnapshotIntegrityError, SnapshotNotFoundError
from tests.pool.harness import OLD, Harness, make_storage, make_tree, storage_files
from tests.pool.harness import cached_pip as cached_pip

MEDIA_STORAGES = ["filesystem", "memory"]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "v0_1_0b1"
EXAMPLE_MEDIA = Path(__file__).resolve().parents[1] / "example" / "media"
FILES = {
    "logo.svg": b"<svg/>",
    "uploads/2026/a.pdf": b"%PDF" + bytes(range(256)) * 40,
    "uploads/2026/empty.txt": b"",
    "uploads/café.txt": "crème".encode(),
    "zz/last.bin": b"z" * 5000,
}


def make_media_storage(kind: str, tmp_path: Path) -> Storage:
    """Return an empty Django storage of a built-in ``kind`` for media."""
    if kind == "filesystem":
        folder = tmp_path / f"media-{len(list(tmp_path.glob('media-*')))}"
        folder.mkdir()
        return FileSystemStorage(location=str(folder))
    if kind == "memory":
        return InMemoryStorage()
    raise ValueError(kind)


@pytest.fixture(params=MEDIA_STORAGES)
def new_media_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Storage]:
    """Return a maker of empty media storages of each kind in turn."""
    kind = str(request.param)
    if kind in ("filesystem", "memory"):
        return lambda: make_media_storage(kind, tmp_path)
    maker: Callable[[], Storage] = request.getfixturevalue(f"media_storages_{kind}")
    return maker


_S = TypeVar("_S", bound=Storage)


def _fill(storage: _S, files: dict[str, bytes]) -> _S:
    for name, content in files.items():
        storage.save(name, ContentFile(content))
    return storage


@pytest.fixture
def harness(tmp_path: Path, cached_pip: None) -> Harness:
    """Return a harness over a local snapshot storage."""
    return Harness(make_storage("local", tmp_path))


@pytest.mark.parametrize("fmt", ["directory", "archive"])
@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_storage_media_round_trips(
    harness: Harness, new_media_storage: Callable[[], Storage], fmt: str, mode: str
) -> None:
    """A storage's files come back exactly (replace) or over the others (merge)."""
    source = _fill(new_media_storage(), FILES)
    harness.backup("s1", source=source, fmt="archive" if fmt == "archive" else "directory")
    target = _fill(new_media_storage(), {"stale.txt": b"s", "logo.svg": b"x"})
    harness.restore("s1", target=target, mode="merge" if mode == "merge" else "replace")
    expected = dict(FILES) if mode == "replace" else {"stale.txt": b"s", **FILES}
    assert storage_files(target) == expected


def test_storage_media_restores_into_a_directory_and_back(harness: Harness, tmp_path: Path) -> None:
    """Media backed up from a storage restores into a local directory, and vice versa."""
    harness.backup("s1", source=_fill(InMemoryStorage(), FILES))
    harness.restore("s1", tmp_path / "dir")
    restored = {
        p.relative_to(tmp_path / "dir").as_posix(): p.read_bytes()
        for p in (tmp_path / "dir").rglob("*")
        if p.is_file()
    }
    assert restored == FILES
    harness.backup("s2", tmp_path / "dir")
    target = InMemoryStorage()
    harness.restore("s2", target=target)
    assert storage_files(target) == FILES


def test_unchanged_storage_files_are_not_read_again(harness: Harness, tmp_path: Path) -> None:
    """A second backup of an unchanged storage reuses every entry by size and mtime."""
    source = _fill(make_media_storage("filesystem", tmp_path), FILES)
    for name in FILES:
        os.utime(source.path(name), (OLD, OLD))
    harness.backup("s1", source=source)
    harness.backup("s2", source=source)
    assert harness.last_metadata["reused_files"] == len(FILES)
    with source.open("logo.svg", "wb") as stream:
        stream.write(b"<svg>changed</svg>")
    harness.backup("s3", source=source)
    assert harness.last_metadata["reused_files"] == len(FILES) - 1


def test_a_storage_alias_is_resolved_and_an_unknown_one_named(
    harness: Harness, tmp_path: Path, settings: Any
) -> None:
    """``storage="alias"`` uses STORAGES[alias]; an unknown alias raises naming it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads")},
        },
    }
    _fill(resolve_storage("uploads")[0], FILES)
    snapshot = harness.backup("s1", source="uploads")
    assert snapshot.artifacts[0].metadata["storage"] == "uploads"
    with pytest.raises(SnapshotNotFoundError, match="'nowhere'"):
        MediaArtifactExporter(storage="nowhere")


def test_old_media_tar_gz_restores_into_a_storage(
    tmp_path: Path, new_media_storage: Callable[[], Storage]
) -> None:
    """0.1.0b1's media.tar.gz (gunzipped by the engine) restores into a Django storage."""
    plain = tmp_path / "media.tar"
    plain.write_bytes(
        gzip.decompress((FIXTURES / "v010b1-directory-sqlite" / "media.tar.gz").read_bytes())
    )
    target = _fill(new_media_storage(), {"stale.txt": b"s"})
    MediaArtifactImporter(storage=target).restore(plain)
    expected = {
        p.relative_to(EXAMPLE_MEDIA).as_posix(): p.read_bytes()
        for p in EXAMPLE_MEDIA.rglob("*")
        if p.is_file()
    }
    assert storage_files(target) == expected


class _FailingSave(InMemoryStorage):
    """An in-memory storage whose save number ``fail_at`` fails (and, if ``forever``, all after)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_at = -1
        self.forever = False
        self.saves = 0

    def save(self, name: str | None, content: IO[Any], max_length: int | None = None) -> str:
        """Save, unless this is the save chosen to fail."""
        self.saves += 1
        if self.saves == self.fail_at or (self.forever and self.saves > self.fail_at > 0):
            raise OSError("disk full")
        return super().save(name, content, max_length)


class _FailingDelete(InMemoryStorage):
    """An in-memory storage that cannot delete ``stuck.txt``."""

    def delete(self, name: str) -> None:
        """Delete, except ``stuck.txt``."""
        if name == "stuck.txt":
            raise OSError("permission denied")
        super().delete(name)


def _incoming(files: dict[str, bytes]) -> Iterator[tuple[str, int, Any]]:
    for name in sorted(files, key=lambda n: tuple(n.split("/"))):
        data = files[name]
        yield name, len(data), (lambda data=data: iter([data]))


@pytest.mark.parametrize("fail_at", [1, 2, 3, 5])
def test_a_failed_write_puts_the_old_files_back(fail_at: int) -> None:
    """Whichever write fails, the storage ends with exactly its old files."""
    old = {"logo.svg": b"old", "stale.txt": b"s", "uploads/café.txt": b"old caf"}
    target = _fill(_FailingSave(), old)
    target.saves, target.fail_at = 0, fail_at
    with pytest.raises((OSError, SnapshotError), match="disk full"):
        StorageMediaTarget(target).restore(lambda: _incoming(FILES))
    assert storage_files(target) == old


def test_a_failed_delete_puts_every_file_back() -> None:
    """A deletion failing in replace mode undoes the deletions and the writes before it."""
    target = _FailingDelete()
    old = {"aaa.txt": b"a", "stuck.txt": b"s", "logo.svg": b"old"}
    _fill(target, old)
    with pytest.raises(SnapshotError, match=r"deleting media file 'stuck\.txt' .*permission"):
        StorageMediaTarget(target).restore(lambda: _incoming(FILES))
    assert storage_files(target) == old


def test_an_undo_that_fails_names_where_the_old_files_are_kept() -> None:
    """If even the undo fails, the error says which folder keeps the old files."""
    target = _fill(_FailingSave(), {"logo.svg": b"old"})
    target.saves, target.fail_at, target.forever = 0, 3, True
    with pytest.raises(SnapshotError, match="previous files are kept in") as caught:
        StorageMediaTarget(target).restore(lambda: _incoming(FILES))
    kept = Path(str(caught.value).rsplit(" ", 1)[-1])
    try:
        assert any(p.read_bytes() == b"old" for p in kept.glob("old-*"))
    finally:
        shutil.rmtree(kept)


def test_files_already_right_are_not_written() -> None:
    """A file whose stored content equals the snapshot's is left alone."""
    target = _fill(InMemoryStorage(), FILES)
    stats = StorageMediaTarget(target).restore(lambda: _incoming(FILES))
    assert (stats.written, stats.unchanged, stats.deleted) == (0, len(FILES), 0)


@pytest.mark.parametrize("name", ["../escape", "/abs", "a//b", "a/./b", ".snapshots-tmp-x"])
def test_unsafe_paths_are_refused_before_anything_is_written(name: str) -> None:
    """Paths are checked as strictly as tar members before the first write."""
    target = _fill(InMemoryStorage(), {"keep.txt": b"k"})
    with pytest.raises(SnapshotIntegrityError):
        StorageMediaTarget(target).restore(lambda: _incoming({"a.txt": b"a", name: b"x"}))
    assert storage_files(target) == {"keep.txt": b"k"}


def test_the_storage_walk_is_canonical_and_skips_temporaries() -> None:
    """Files come depth first with names sorted; in-progress temporary names are skipped."""
    storage = _fill(InMemoryStorage(), {"b": b"", "a/x": b"", "a-c": b"", ".snapshots-tmp-1": b""})
    assert [e.path for e in StorageMediaSource(storage).walk()] == ["a/x", "a-c", "b"]


def test_storage_stream_reads_through_the_api() -> None:
    """The source opens files through the storage and reports their sizes."""
    storage = _fill(InMemoryStorage(), {"f.bin": b"12345"})
    source = StorageMediaSource(storage)
    (entry,) = source.walk()
    assert entry.size == 5 and entry.mtime_ns is not None and entry.inode is None
    with source.open("f.bin") as stream:
        assert stream.read() == b"12345"
    assert isinstance(io.BytesIO(), io.IOBase)


def test_a_directory_source_skips_names_that_cannot_be_restored(tmp_path: Path) -> None:
    """A file name with a backslash is skipped (with a warning), the rest backed up."""
    make_tree(tmp_path / "m", {"ok.txt": b"ok", "bad\\name.txt": b"x"})
    from django_snapshots.artifacts.media_sources import DirectoryMediaSource

    assert [e.path for e in DirectoryMediaSource(tmp_path / "m").walk()] == ["ok.txt"]


def test_the_default_media_storage_is_default_unless_it_is_on_disk(settings: Any) -> None:
    """MEDIA_STORAGE defaults to 'default' only when that storage is not a FileSystemStorage."""
    from django_snapshots.artifacts.media_sources import default_media_storage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    assert default_media_storage() is None
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    assert default_media_storage() == "default"


@pytest.mark.parametrize("into", ["directory", "storage"])
def test_a_0_1_0b1_snapshot_restores_its_media_through_the_engine(
    tmp_path: Path, cached_pip: None, into: str
) -> None:
    """The engine restores 0.1.0b1's media.tar.gz with a bound importer, anywhere."""
    store = tmp_path / "store"
    shutil.copytree(FIXTURES / "v010b1-directory-sqlite", store / "old")
    harness = Harness(make_storage("local", tmp_path))
    expected = {
        p.relative_to(EXAMPLE_MEDIA).as_posix(): p.read_bytes()
        for p in EXAMPLE_MEDIA.rglob("*")
        if p.is_file()
    }
    if into == "storage":
        target = _fill(InMemoryStorage(), {"stale.txt": b"s"})
        harness.restore("old", target=target)
        assert storage_files(target) == expected
    else:
        harness.restore("old", tmp_path / "media")
        restored = {
            p.relative_to(tmp_path / "media").as_posix(): p.read_bytes()
            for p in (tmp_path / "media").rglob("*")
            if p.is_file()
        }
        assert restored == expected
