"""Pool media round trips through the engine, on every storage kind: exact, incremental."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO, Any, cast

import pytest

from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.pool.filelist import FileListReader
from django_snapshots.pool.layout import PoolPaths
from django_snapshots.storage.local import LocalFileSystemBackend
from tests.pool.harness import Harness, make_tree, pool_files, tree_of

TREE: dict[str, bytes | str] = {
    "logo.svg": b"<svg/>" * 100,
    "uploads/2026/report.pdf": os.urandom(300_000),
    "uploads/2026/empty.txt": b"",
    "uploads/latest": "->2026/report.pdf",
    "uploads/café menu.txt": "crème brûlée".encode(),
    "cache/": "",
    "a-c/z.txt": b"sorts after a/ by name, before it by string",
    "a/b.txt": b"b",
}


def test_directory_snapshot_stores_a_file_list_and_content_in_the_pool(
    harness: Harness, tmp_path: Path
) -> None:
    """A directory-format media backup stores media.files.zst; content goes to .pool/."""
    source = make_tree(tmp_path / "media", TREE)
    snapshot = harness.backup("s1", source)
    (record,) = snapshot.artifacts
    assert record.filename == "media.files.zst"
    assert record.metadata["layout"] == "pool" and record.metadata["pool"] == "sha256"
    assert record.metadata["files"] == 6
    assert any(path.endswith(".pack") for path in pool_files(harness.storage))
    assert harness.storage.exists(PoolPaths("sha256").config)


def test_restore_is_exact_in_replace_mode(harness: Harness, tmp_path: Path) -> None:
    """Replace mode leaves exactly the snapshot: content, modes, links, empty dirs, mtimes."""
    source = make_tree(tmp_path / "media", TREE)
    (source / "logo.svg").chmod(0o600)
    harness.backup("s1", source)
    target = make_tree(tmp_path / "target", {"stale.txt": b"old", "logo.svg": b"old logo"})
    harness.restore("s1", target)
    assert tree_of(target) == tree_of(source)
    assert (
        os.stat(target / "uploads/2026/report.pdf").st_mtime_ns
        == os.stat(source / "uploads/2026/report.pdf").st_mtime_ns
    )
    assert not [p for p in tmp_path.iterdir() if ".snapshots-restore-" in p.name]


def test_restore_merges_in_merge_mode(harness: Harness, tmp_path: Path) -> None:
    """Merge mode replaces the snapshot's files and keeps every other file."""
    source = make_tree(tmp_path / "media", {"a.txt": b"new a", "sub/b.txt": b"new b"})
    harness.backup("s1", source)
    target = make_tree(tmp_path / "target", {"a.txt": b"old a", "keep.txt": b"k", "sub/c": b"c"})
    harness.restore("s1", target, mode="merge")
    assert tree_of(target, modes=False) == {
        "a.txt": b"new a",
        "keep.txt": b"k",
        "sub": "dir",
        "sub/b.txt": b"new b",
        "sub/c": b"c",
    }


def test_unchanged_backup_stores_no_content(harness: Harness, tmp_path: Path) -> None:
    """A second backup of an unchanged tree reuses every file and writes no pack."""
    source = make_tree(tmp_path / "media", TREE)
    harness.backup("s1", source)
    before = set(pool_files(harness.storage))
    harness.backup("s2", source)
    assert harness.last_metadata["reused_files"] == 6
    assert harness.last_metadata["new_bytes"] == 0
    added = set(pool_files(harness.storage)) - before
    assert not [path for path in added if path.endswith(".pack")]


def test_changed_files_alone_are_stored_again(harness: Harness, tmp_path: Path) -> None:
    """After one file changes, only its new content is stored; both snapshots restore."""
    source = make_tree(tmp_path / "media", TREE)
    harness.backup("s1", source)
    first = tree_of(source)
    (source / "a/b.txt").write_bytes(b"changed b")
    os.utime(source / "a/b.txt", (1_700_000_500, 1_700_000_500))
    harness.backup("s2", source)
    assert harness.last_metadata["reused_files"] == 5
    assert harness.last_metadata["new_bytes"] == len(b"changed b")
    harness.restore("s1", tmp_path / "one")
    harness.restore("s2", tmp_path / "two")
    assert tree_of(tmp_path / "one") == first
    assert tree_of(tmp_path / "two") == tree_of(source)


def test_identical_files_are_stored_once(harness: Harness, tmp_path: Path) -> None:
    """Two files with the same content share one blob (and one content id)."""
    blob = os.urandom(100_000)
    source = make_tree(tmp_path / "media", {"x/one.bin": blob, "y/two.bin": blob})
    harness.backup("s1", source)
    assert harness.last_metadata["new_bytes"] == len(blob)


def test_large_files_are_cut_into_chunks(tmp_path: Path, local: Harness) -> None:
    """A file larger than the chunk size gets one content id per chunk, in order."""
    chunk = local.options.chunk_size if local.options else 0
    data = os.urandom(chunk * 2 + 123)
    source = make_tree(tmp_path / "media", {"big.bin": data})
    local.backup("s1", source)
    path = tmp_path / "list"
    restored = tmp_path / "out"
    local.restore("s1", restored)
    assert (restored / "big.bin").read_bytes() == data
    from django_snapshots.pool.roots import fetch_plain_artifact, find_previous

    found = find_previous(local.storage, "media", "media.files")
    assert found is not None
    fetch_plain_artifact(local.storage, *found, path)
    with path.open("rb") as stream:
        (entry,) = [e for e in FileListReader(stream) if e.kind == "file"]
    assert len(entry.ids) == 3


def test_a_hundred_thousand_tiny_files_would_not_become_as_many_objects(
    tmp_path: Path, local: Harness
) -> None:
    """2,000 tiny files are stored in one pack and one index file, not 2,000 objects."""
    source = make_tree(
        tmp_path / "media", {f"d{n % 20}/f{n}.txt": f"file {n}" for n in range(2000)}
    )
    local.backup("s1", source)
    files = pool_files(local.storage)
    assert len([p for p in files if p.endswith(".pack")]) == 1
    assert len([p for p in files if p.endswith(".idx")]) == 1
    local.restore("s1", tmp_path / "out")
    assert tree_of(tmp_path / "out") == tree_of(source)


def test_overwriting_a_pool_snapshot_replaces_its_media(harness: Harness, tmp_path: Path) -> None:
    """Overwriting a snapshot name replaces its file list; the new content restores."""
    source = make_tree(tmp_path / "media", {"a.txt": b"one"})
    harness.backup("same", source)
    (source / "a.txt").write_bytes(b"two")
    harness.backup("same", source, overwrite=True)
    harness.restore("same", tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"two"


def test_archive_snapshots_stay_self_contained(harness: Harness, tmp_path: Path) -> None:
    """An archive-format snapshot keeps the tar media and touches no pool."""
    source = make_tree(tmp_path / "media", TREE)
    snapshot = harness.backup("arch", source, fmt="archive")
    assert [record.filename for record in snapshot.artifacts] == ["media.tar.zst"]
    assert "layout" not in snapshot.artifacts[0].metadata
    assert harness.storage.list(".pool/") == []
    harness.restore("arch", tmp_path / "out")
    assert tree_of(tmp_path / "out") == tree_of(source)


def test_without_a_pool_the_directory_format_keeps_the_tar(tmp_path: Path, local: Harness) -> None:
    """A context whose pool is None (pool disabled) makes the exporter write the tar."""
    local.options = None
    source = make_tree(tmp_path / "media", TREE)
    snapshot = local.backup("plain", source)
    assert [record.filename for record in snapshot.artifacts] == ["media.tar.zst"]
    local.restore("plain", tmp_path / "out")
    assert tree_of(tmp_path / "out") == tree_of(source)


class _StreamOnly(io.RawIOBase):
    """A readable, non-seekable view of a stored file (as a network stream is)."""

    def __init__(self, inner: IO[bytes]) -> None:
        super().__init__()
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(memoryview(buffer)))
        memoryview(buffer)[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


class _RemoteLike(LocalFileSystemBackend):
    """A local backend whose reads cannot seek: restores must go through the pack cache."""

    def read(self, path: str) -> IO[bytes]:
        """Open ``path`` as a non-seekable stream."""
        return cast("IO[bytes]", _StreamOnly(super().read(path)))


def test_non_seekable_storages_restore_through_the_verified_cache(
    tmp_path: Path, cached_pip: None
) -> None:
    """Packs of a storage that cannot seek are downloaded, checked, then read."""
    harness = Harness(_RemoteLike(tmp_path / "store"))
    source = make_tree(tmp_path / "media", TREE)
    harness.backup("s1", source)
    harness.restore("s1", tmp_path / "out")
    assert tree_of(tmp_path / "out") == tree_of(source)
    (pack,) = [p for p in harness.storage.list(".pool/") if p.endswith(".pack")]
    with harness.storage.read(pack) as stream:
        data = bytearray(stream.read())
    data[-20] ^= 1
    harness.storage.write(pack, io.BytesIO(bytes(data)))
    target = make_tree(tmp_path / "target", {"keep.txt": b"k"})
    with pytest.raises(SnapshotIntegrityError, match="is corrupt"):
        harness.restore("s1", target)
    assert tree_of(target, modes=False) == {"keep.txt": b"k"}
