"""DjangoStorageBackend: streaming, listdir mapping and safe replacement over Django storages."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO, Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, InMemoryStorage, storages
from pytest_django.fixtures import Settings

from django_snapshots.exceptions import SnapshotError, SnapshotNotFoundError, SnapshotPathError
from django_snapshots.storage import DjangoStorageBackend
from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage


class _FailingFinalSave(InMemoryStorage):
    """An in-memory storage whose saves fail for names that are not temporary files."""

    failing = False

    def save(self, name: str | None, content: IO[Any], max_length: int | None = None) -> str:
        if self.failing and not os.path.basename(name or "").startswith(".snapshots-tmp-"):
            raise OSError("backend unavailable")
        return super().save(name, content, max_length)


class _OverwritingFailingFinalSave(_FailingFinalSave):
    """Like :class:`_FailingFinalSave`, but overwrites on save (as S3 with file_overwrite)."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name


class _CountingListdir(InMemoryStorage):
    """An in-memory storage recording the folders listed."""

    def __init__(self) -> None:
        super().__init__()
        self.listed: list[str] = []

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        self.listed.append(path)
        folders: list[str]
        files: list[str]
        folders, files = super().listdir(path)
        return folders, files


def _backend(tmp_path: Path) -> DjangoStorageBackend:
    """Return a backend over a FileSystemStorage in ``tmp_path``."""
    return DjangoStorageBackend(FileSystemStorage(location=tmp_path))


def test_is_basic_tier_only(tmp_path: Path) -> None:
    """The backend is a SnapshotStorage but not an AdvancedSnapshotStorage."""
    backend = _backend(tmp_path)
    assert isinstance(backend, SnapshotStorage)
    assert not isinstance(backend, AdvancedSnapshotStorage)


def test_write_stores_from_the_current_position(tmp_path: Path) -> None:
    """write stores what is readable from the stream's position, without seeking back."""
    backend = _backend(tmp_path)
    source = io.BytesIO(b"headerBODY")
    source.read(6)
    backend.write("f", source)
    assert (tmp_path / "f").read_bytes() == b"BODY"


def test_filesystem_replacement_is_a_rename(tmp_path: Path) -> None:
    """Over FileSystemStorage the new file replaces the old by rename (new inode, no copy)."""
    backend = _backend(tmp_path)
    backend.write("a/f", io.BytesIO(b"old"))
    old_inode = (tmp_path / "a" / "f").stat().st_ino
    backend.write("a/f", io.BytesIO(b"new"))
    assert (tmp_path / "a" / "f").read_bytes() == b"new"
    assert (tmp_path / "a" / "f").stat().st_ino != old_inode
    assert sorted(os.listdir(tmp_path / "a")) == ["f"]


def test_filesystem_failing_rename_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the rename over FileSystemStorage fails, the old file stays and the temp is removed."""
    backend = _backend(tmp_path)
    backend.write("f", io.BytesIO(b"old"))

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename failed"):
        backend.write("f", io.BytesIO(b"new"))
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["f"]
    assert (tmp_path / "f").read_bytes() == b"old"


def test_failing_copy_over_an_overwriting_storage_keeps_old_file() -> None:
    """On a storage that overwrites on save, a failed final save leaves the old file."""
    storage = _OverwritingFailingFinalSave()
    backend = DjangoStorageBackend(storage)
    backend.write("f", io.BytesIO(b"old"))
    storage.failing = True
    with pytest.raises(OSError, match="backend unavailable"):
        backend.write("f", io.BytesIO(b"new"))
    assert backend.read("f").read() == b"old"
    assert backend.list("") == ["f"]
    assert storage.listdir("")[1] == ["f"]


def test_failing_copy_after_delete_keeps_new_content_at_named_temp() -> None:
    """When the old file had to be deleted first, a failed copy names the kept temp file."""
    storage = _FailingFinalSave()
    backend = DjangoStorageBackend(storage)
    backend.write("f", io.BytesIO(b"old"))
    storage.failing = True
    with pytest.raises(SnapshotError, match=r"kept at '\.snapshots-tmp-[0-9a-f]+'") as raised:
        backend.write("f", io.BytesIO(b"new"))
    temporary = str(raised.value).rsplit("'", 2)[-2]
    assert storage.open(temporary, "rb").read() == b"new"


def test_read_missing_or_folder_raises_not_found(tmp_path: Path) -> None:
    """read of a missing path or of a folder raises SnapshotNotFoundError."""
    backend = _backend(tmp_path)
    backend.write("dir/f", io.BytesIO(b"1"))
    with pytest.raises(SnapshotNotFoundError):
        backend.read("dir")
    with pytest.raises(SnapshotNotFoundError):
        backend.read("dir/missing")


def test_delete_does_not_remove_folders(tmp_path: Path) -> None:
    """delete of a folder path is a no-op (FileSystemStorage would rmdir an empty one)."""
    backend = _backend(tmp_path)
    (tmp_path / "empty").mkdir()
    backend.delete("empty")
    assert (tmp_path / "empty").is_dir()


def test_writing_over_a_folder_is_refused(tmp_path: Path) -> None:
    """Writing to a path that names a folder raises SnapshotPathError and leaves no temp."""
    backend = _backend(tmp_path)
    backend.write("dir/f", io.BytesIO(b"1"))
    with pytest.raises(SnapshotPathError, match="names a folder"):
        backend.write("dir", io.BytesIO(b"x"))
    assert sorted(os.listdir(tmp_path)) == ["dir"]
    assert backend.list("") == ["dir/f"]


def test_stale_temp_files_are_not_listed(tmp_path: Path) -> None:
    """A temporary file left by a crash is never listed."""
    backend = _backend(tmp_path)
    backend.write("snap/f", io.BytesIO(b"1"))
    (tmp_path / "snap" / ".snapshots-tmp-0123").write_bytes(b"partial")
    assert backend.list("") == ["snap/f"]


def test_list_recurses_only_into_matching_folders() -> None:
    """list("snap-1/") lists snap-1 and below, never sibling folders."""
    storage = _CountingListdir()
    backend = DjangoStorageBackend(storage)
    for index in range(5):
        backend.write(f"snap-{index}/db/default.sql.gz", io.BytesIO(b"x"))
    storage.listed.clear()
    assert backend.list("snap-1/") == ["snap-1/db/default.sql.gz"]
    assert sorted(storage.listed) == ["snap-1", "snap-1/db"]


def test_read_returns_a_stream(tmp_path: Path) -> None:
    """read returns an open binary stream the caller reads in chunks and closes."""
    backend = _backend(tmp_path)
    backend.write("f", io.BytesIO(b"abcdef"))
    stream: IO[bytes] = backend.read("f")
    with stream:
        assert stream.read(2) == b"ab"
        assert stream.read() == b"cdef"


def test_a_storages_alias_is_resolved(settings: Settings, tmp_path: Path) -> None:
    """storage="alias" wraps STORAGES[alias], the same object Django's storages handler gives."""
    settings.STORAGES = {
        **settings.STORAGES,
        "snapshots": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "aliased")},
        },
    }
    backend = DjangoStorageBackend(storage="snapshots")
    assert backend.storage is storages["snapshots"]
    assert backend.alias == "snapshots"
    assert repr(backend) == "DjangoStorageBackend('snapshots')"
    backend.write("snap/file", io.BytesIO(b"data"))
    assert (tmp_path / "aliased" / "snap" / "file").read_bytes() == b"data"


def test_an_unknown_alias_is_one_line_naming_it() -> None:
    """An alias missing from STORAGES raises ImproperlyConfigured naming it and the known ones."""
    with pytest.raises(ImproperlyConfigured) as caught:
        DjangoStorageBackend(storage="nope")
    message = str(caught.value)
    assert "'nope'" in message and "'default'" in message
    assert "\n" not in message
