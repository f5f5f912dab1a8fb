"""LocalFileSystemBackend: confinement, atomic writes, permissions, efficient listing."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from django_snapshots.exceptions import (
    SnapshotNotFoundError,
    SnapshotPathError,
    SnapshotStorageError,
)
from django_snapshots.storage import LocalFileSystemBackend
from django_snapshots.storage.protocols import AdvancedSnapshotStorage

BAD_PATHS = [
    "",
    "/etc/passwd",
    "..",
    "../outside",
    "a/../../outside",
    "a/..",
    "./a",
    "a//b",
    "a\\..\\b",
    "a\x00b",
    ".snapshots-tmp-forged",
]

Operation = Callable[[LocalFileSystemBackend, str], object]

OPERATIONS: dict[str, Operation] = {
    "read": lambda s, p: s.read(p),
    "write": lambda s, p: s.write(p, io.BytesIO(b"x")),
    "exists": lambda s, p: s.exists(p),
    "delete": lambda s, p: s.delete(p),
    "stream_read": lambda s, p: list(s.stream_read(p)),
    "stream_write": lambda s, p: s.stream_write(p, iter([b"x"])),
    "atomic_move from": lambda s, p: s.atomic_move(p, "inside"),
    "atomic_move to": lambda s, p: s.atomic_move("inside", p),
}

PREFIX_OPERATIONS: dict[str, Operation] = {
    "list": lambda s, p: s.list(p),
    "recursive_list": lambda s, p: s.recursive_list(p),
    "sync from": lambda s, p: s.sync(p, "copy/"),
    "sync to": lambda s, p: s.sync("src/", p),
}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Return a folder next to the storage location holding a secret file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret").write_bytes(b"secret")
    return folder


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileSystemBackend:
    """Return a backend with ``inside`` and ``src/one`` stored."""
    backend = LocalFileSystemBackend(tmp_path / "store")
    backend.write("inside", io.BytesIO(b"inside"))
    backend.write("src/one", io.BytesIO(b"one"))
    return backend


def _files_under(folder: Path) -> list[str]:
    """Return every file and link below ``folder``, relative, sorted."""
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() or path.is_symlink()
    )


def test_is_an_advanced_storage(tmp_path: Path) -> None:
    """The backend satisfies the advanced protocol at runtime."""
    assert isinstance(LocalFileSystemBackend(tmp_path), AdvancedSnapshotStorage)


def test_location_is_created_on_demand(tmp_path: Path) -> None:
    """Constructing creates nothing; the first write creates the location (mode 0700)."""
    location = tmp_path / "deep" / "store"
    backend = LocalFileSystemBackend(location)
    assert not location.exists()
    backend.write("x", io.BytesIO(b"1"))
    assert stat.S_IMODE(location.stat().st_mode) == 0o700
    assert backend.list("") == ["x"]


def test_reads_of_a_missing_location_say_so_and_create_nothing(tmp_path: Path) -> None:
    """read, stream_read, list, recursive_list, exists and atomic_move name a missing location."""
    location = tmp_path / "typo"
    backend = LocalFileSystemBackend(location)
    calls: list[Callable[[], object]] = [
        lambda: backend.read("x"),
        lambda: backend.stream_read("x"),
        lambda: backend.list(""),
        lambda: backend.recursive_list("snap/"),
        lambda: backend.exists("x"),
        lambda: backend.atomic_move("x", "y"),
        lambda: backend.sync("a/", "b/"),
    ]
    for call in calls:
        with pytest.raises(SnapshotStorageError) as caught:
            call()
        assert str(caught.value) == f"storage location {str(location)!r} does not exist"
    backend.delete("x")  # deleting what is not there stays a no-op
    assert not location.exists()


def test_a_file_as_location_is_not_a_folder(tmp_path: Path) -> None:
    """A location that is a file is reported as not a folder, in one line."""
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(SnapshotStorageError, match=r"'.*file' is not a folder"):
        LocalFileSystemBackend(tmp_path / "file").list("")


def test_location_that_cannot_be_created_is_named() -> None:
    """Writing below a location that cannot be created names the configured location."""
    backend = LocalFileSystemBackend("/proc/x")
    with pytest.raises(SnapshotStorageError) as caught:
        backend.write("snap/file", io.BytesIO(b"1"))
    message = str(caught.value)
    assert message.startswith("cannot create storage location '/proc/x': ")
    assert "\n" not in message


def test_relative_location_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative location is fixed at construction, unaffected by later chdir."""
    monkeypatch.chdir(tmp_path)
    backend = LocalFileSystemBackend("snapshots")
    monkeypatch.chdir("/")
    backend.write("f", io.BytesIO(b"1"))
    assert (tmp_path / "snapshots" / "f").read_bytes() == b"1"


@pytest.mark.parametrize("path", BAD_PATHS)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_unsafe_paths_are_refused(
    storage: LocalFileSystemBackend, tmp_path: Path, operation: str, path: str
) -> None:
    """Every path-taking method refuses empty, absolute, '..', backslash, NUL and temp names."""
    before = _files_under(tmp_path)
    with pytest.raises(SnapshotPathError):
        OPERATIONS[operation](storage, path)
    assert _files_under(tmp_path) == before


@pytest.mark.parametrize("prefix", ["/", "/etc", "../", "../x", "a/../", "a\\b", "a\x00", "./"])
@pytest.mark.parametrize("operation", sorted(PREFIX_OPERATIONS))
def test_unsafe_prefixes_are_refused(
    storage: LocalFileSystemBackend, tmp_path: Path, operation: str, prefix: str
) -> None:
    """list, recursive_list and both sides of sync refuse prefixes that leave the root."""
    before = _files_under(tmp_path)
    with pytest.raises(SnapshotPathError):
        PREFIX_OPERATIONS[operation](storage, prefix)
    assert _files_under(tmp_path) == before


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_symlinked_folder_leading_out_is_refused(
    storage: LocalFileSystemBackend, outside: Path, operation: str
) -> None:
    """A path through a symlinked folder pointing outside the location is refused."""
    (storage.location / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(SnapshotPathError):
        OPERATIONS[operation](storage, "link/secret")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    assert (outside / "secret").read_bytes() == b"secret"


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_symlinked_file_leading_out_is_refused(
    storage: LocalFileSystemBackend, outside: Path, operation: str
) -> None:
    """A symlinked file pointing outside the location can be neither read nor replaced."""
    (storage.location / "alias").symlink_to(outside / "secret")
    with pytest.raises(SnapshotPathError):
        OPERATIONS[operation](storage, "alias")
    assert (outside / "secret").read_bytes() == b"secret"


@pytest.mark.parametrize("operation", sorted(PREFIX_OPERATIONS))
def test_symlinked_prefix_leading_out_is_refused(
    storage: LocalFileSystemBackend, outside: Path, operation: str
) -> None:
    """Listing or syncing through a symlinked folder pointing outside is refused."""
    (storage.location / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(SnapshotPathError):
        PREFIX_OPERATIONS[operation](storage, "link/")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_listing_everything_skips_links_leading_out(
    storage: LocalFileSystemBackend, outside: Path
) -> None:
    """list("") neither enters a symlinked folder nor lists a file link leading out."""
    (storage.location / "link").symlink_to(outside, target_is_directory=True)
    (storage.location / "alias").symlink_to(outside / "secret")
    (storage.location / "inner-alias").symlink_to(storage.location / "inside")
    assert storage.list("") == ["inner-alias", "inside", "src/one"]


def test_sync_copying_everything_stays_inside(
    storage: LocalFileSystemBackend, outside: Path
) -> None:
    """sync("", "copy/") copies only files inside the location, never via outward links."""
    (storage.location / "link").symlink_to(outside, target_is_directory=True)
    storage.sync("", "copy/")
    assert storage.list("copy/") == ["copy/inside", "copy/src/one"]
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_location_may_itself_be_a_symlink(tmp_path: Path) -> None:
    """A location that is a symlink to a real folder works normally."""
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    backend = LocalFileSystemBackend(tmp_path / "alias")
    backend.write("a/b", io.BytesIO(b"1"))
    assert backend.list("") == ["a/b"]
    assert (real / "a" / "b").read_bytes() == b"1"


def test_symlink_inside_the_location_is_followed(storage: LocalFileSystemBackend) -> None:
    """A symlink whose target stays inside the location reads through to its target."""
    (storage.location / "alias").symlink_to(storage.location / "inside")
    with storage.read("alias") as stream:
        assert stream.read() == b"inside"


STORES: dict[str, Callable[[LocalFileSystemBackend], None]] = {
    "write": lambda s: s.write("new/file", io.BytesIO(b"data")),
    "stream_write": lambda s: s.stream_write("new/file", iter([b"da", b"ta"])),
    "sync": lambda s: s.sync("src/", "new/"),
}


@pytest.mark.parametrize("store", sorted(STORES))
def test_files_are_created_0600(storage: LocalFileSystemBackend, store: str) -> None:
    """Every way of creating a file leaves it readable by its owner only."""
    previous = os.umask(0o022)
    try:
        STORES[store](storage)
    finally:
        os.umask(previous)
    for path in storage.list("new/"):
        mode = (storage.location / path).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600, path


def test_atomic_move_keeps_mode_and_prunes_source_folder(storage: LocalFileSystemBackend) -> None:
    """atomic_move keeps the 0600 file and removes the emptied source folder."""
    storage.write("tmp/x/file", io.BytesIO(b"1"))
    storage.atomic_move("tmp/x/file", "final/file")
    assert stat.S_IMODE((storage.location / "final" / "file").stat().st_mode) == 0o600
    assert not (storage.location / "tmp").exists()


def test_atomic_move_onto_itself_is_a_no_op(storage: LocalFileSystemBackend) -> None:
    """Moving a file onto its own path keeps it."""
    storage.atomic_move("inside", "inside")
    assert storage.exists("inside")


def test_failing_rename_keeps_old_file_and_no_temp(
    storage: LocalFileSystemBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename fails, the old file is intact and the temp file removed."""

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        storage.write("inside", io.BytesIO(b"new content"))
    monkeypatch.undo()
    assert storage.read("inside").read() == b"inside"
    assert sorted(os.listdir(storage.location)) == ["inside", "src"]


def test_failing_fsync_keeps_old_file(
    storage: LocalFileSystemBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If flushing the new content fails, the old file is intact and no temp file remains."""

    def broken_fsync(fd: int) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="I/O error"):
        storage.stream_write("inside", iter([b"new"]))
    monkeypatch.undo()
    assert storage.read("inside").read() == b"inside"
    assert sorted(os.listdir(storage.location)) == ["inside", "src"]


def test_stale_temp_files_are_harmless(storage: LocalFileSystemBackend) -> None:
    """A temp file left by a crash is never listed and does not disturb writes or deletes."""
    (storage.location / "src" / ".snapshots-tmp-crashed").write_bytes(b"partial")
    assert storage.list("") == ["inside", "src/one"]
    storage.write("src/one", io.BytesIO(b"again"))
    storage.delete("src/one")
    assert storage.list("") == ["inside"]


def test_delete_prunes_empty_folders_but_not_the_location(storage: LocalFileSystemBackend) -> None:
    """Deleting the last file of a folder removes the empty folders up to the location."""
    storage.write("a/b/c/file", io.BytesIO(b"1"))
    storage.write("a/keep", io.BytesIO(b"1"))
    storage.delete("a/b/c/file")
    assert not (storage.location / "a" / "b").exists()
    assert (storage.location / "a" / "keep").exists()
    storage.delete("a/keep")
    storage.delete("inside")
    storage.delete("src/one")
    assert storage.location.is_dir()
    assert list(storage.location.iterdir()) == []


def test_folder_paths_are_not_files(storage: LocalFileSystemBackend) -> None:
    """A folder can be neither read, deleted nor overwritten as if it were a file."""
    with pytest.raises(SnapshotNotFoundError):
        storage.read("src")
    with pytest.raises(SnapshotPathError):
        storage.delete("src")
    with pytest.raises(SnapshotPathError):
        storage.write("src", io.BytesIO(b"x"))
    with pytest.raises(SnapshotPathError):
        storage.write("inside/below", io.BytesIO(b"x"))
    assert storage.list("") == ["inside", "src/one"]


def test_stream_read_yields_bounded_chunks(storage: LocalFileSystemBackend) -> None:
    """stream_read yields chunks of at most 1 MiB."""
    storage.stream_write("big", iter([b"x" * (3 * 1024 * 1024 + 5)]))
    sizes = [len(chunk) for chunk in storage.stream_read("big")]
    assert sizes == [1024 * 1024] * 3 + [5]


def test_stream_read_of_missing_path_raises_immediately(storage: LocalFileSystemBackend) -> None:
    """stream_read raises SnapshotNotFoundError at the call, not at the first chunk."""
    with pytest.raises(SnapshotNotFoundError, match="missing"):
        storage.stream_read("missing")


def test_sync_takes_folders_with_or_without_slash(storage: LocalFileSystemBackend) -> None:
    """sync("src", "dst") copies folder src only, not the sibling "srcx"."""
    storage.write("srcx/no", io.BytesIO(b"x"))
    storage.sync("src", "dst")
    assert storage.list("dst") == ["dst/one"]
    storage.sync("src/", "")
    assert storage.read("one").read() == b"one"


def test_sync_into_its_own_subfolder_terminates(storage: LocalFileSystemBackend) -> None:
    """Syncing a folder into a folder below itself copies the original files once."""
    storage.sync("src/", "src/copy/")
    assert storage.list("src/") == ["src/copy/one", "src/one"]


def test_recursive_list_takes_folders(storage: LocalFileSystemBackend) -> None:
    """recursive_list("src") lists folder src only, not the sibling "srcx"."""
    storage.write("srcx/no", io.BytesIO(b"x"))
    assert storage.recursive_list("src") == ["src/one"]
    assert storage.recursive_list("src/") == ["src/one"]


def _count_scandir(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the folders os.scandir is called on."""
    visited: list[str] = []
    real = os.scandir

    def counting(path: str | os.PathLike[str]) -> Iterator[os.DirEntry[str]]:
        visited.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", counting)
    return visited


def test_list_under_a_folder_does_not_visit_siblings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """list("snap-1/") scans only snap-1 and its sub-folders, never the other snapshots."""
    backend = LocalFileSystemBackend(tmp_path)
    for index in range(20):
        backend.write(f"snap-{index}/db/default.sql.gz", io.BytesIO(b"x"))
        backend.write(f"snap-{index}/manifest.json", io.BytesIO(b"x"))
    visited = _count_scandir(monkeypatch)
    assert backend.list("snap-1/") == ["snap-1/db/default.sql.gz", "snap-1/manifest.json"]
    assert sorted(visited) == [str(tmp_path / "snap-1"), str(tmp_path / "snap-1" / "db")]


def test_list_under_a_partial_name_visits_only_matching_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """list("snap-1") scans the root and only folders whose names start with snap-1."""
    backend = LocalFileSystemBackend(tmp_path)
    for index in range(12):
        backend.write(f"snap-{index}/manifest.json", io.BytesIO(b"x"))
    visited = _count_scandir(monkeypatch)
    assert backend.list("snap-1") == [
        "snap-1/manifest.json",
        "snap-10/manifest.json",
        "snap-11/manifest.json",
    ]
    expected = [str(tmp_path)] + [str(tmp_path / f"snap-{i}") for i in (1, 10, 11)]
    assert sorted(visited) == sorted(expected)
