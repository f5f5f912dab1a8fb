"""Unchanged files are not re-read: size, mtime and inode against the parent's entry."""

from __future__ import annotations

import os
from pathlib import Path

from tests.pool.harness import OLD, Harness, make_tree, tree_of


def _rewrite_in_place(path: Path, data: bytes) -> None:
    """Change a file's bytes keeping its size, mtime and inode (what a stat cannot see)."""
    info = path.stat()
    with path.open("r+b") as handle:
        handle.write(data)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_a_file_matching_its_parent_entry_is_not_read(local: Harness, tmp_path: Path) -> None:
    """Same size, mtime and inode: the parent's content ids are reused without reading."""
    source = make_tree(tmp_path / "media", {"a.txt": b"AAAA", "b.txt": b"BBBB"})
    local.backup("s1", source)
    _rewrite_in_place(source / "a.txt", b"XXXX")
    local.backup("s2", source)
    assert local.last_metadata["reused_files"] == 2
    local.restore("s2", tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"AAAA"


def test_full_re_reads_every_file(local: Harness, tmp_path: Path) -> None:
    """``full=True`` reads every file whatever the parent says."""
    source = make_tree(tmp_path / "media", {"a.txt": b"AAAA", "b.txt": b"BBBB"})
    local.backup("s1", source)
    _rewrite_in_place(source / "a.txt", b"XXXX")
    local.backup("s2", source, full=True)
    assert local.last_metadata["reused_files"] == 0
    local.restore("s2", tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"XXXX"


def test_a_replaced_file_with_the_same_size_and_mtime_is_read(
    local: Harness, tmp_path: Path
) -> None:
    """A new inode on a local disk means a new file: it is read even if size and mtime match."""
    source = make_tree(tmp_path / "media", {"a.txt": b"AAAA"})
    local.backup("s1", source)
    fresh = source / "a.new"
    fresh.write_bytes(b"ZZZZ")
    os.utime(fresh, (OLD, OLD))
    os.replace(fresh, source / "a.txt")
    local.backup("s2", source)
    assert local.last_metadata["reused_files"] == 0
    local.restore("s2", tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"ZZZZ"


def test_a_file_modified_just_before_a_backup_is_read_next_time(
    local: Harness, tmp_path: Path
) -> None:
    """A file whose mtime is within two seconds of the backup is marked racy and re-read."""
    source = make_tree(tmp_path / "media", {"old.txt": b"old"})
    (source / "new.txt").write_bytes(b"just written")
    local.backup("s1", source)
    local.backup("s2", source)
    assert local.last_metadata["reused_files"] == 1


def test_a_parent_of_another_tree_is_not_used(local: Harness, tmp_path: Path) -> None:
    """Entries of a snapshot of another directory are never reused, even if they match."""
    one = make_tree(tmp_path / "one", {"a.txt": b"AAAA"})
    two = make_tree(tmp_path / "two", {"a.txt": b"BBBB"})
    os.utime(two / "a.txt", ns=(0, os.stat(one / "a.txt").st_mtime_ns))
    local.backup("s1", one)
    local.backup("s2", two)
    assert local.last_metadata["reused_files"] == 0
    local.restore("s2", tmp_path / "out")
    assert tree_of(tmp_path / "out") == tree_of(two)


def test_the_parent_is_the_newest_snapshot_of_the_same_tree(local: Harness, tmp_path: Path) -> None:
    """With snapshots of two trees interleaved, each backup finds its own tree's parent."""
    one = make_tree(tmp_path / "one", {"a.txt": b"AAAA"})
    two = make_tree(tmp_path / "two", {"b.txt": b"BBBB"})
    local.backup("s1", one)
    local.backup("s2", two)
    local.backup("s3", one)
    assert local.last_metadata["reused_files"] == 1


def test_content_collected_since_the_parent_is_read_again(local: Harness, tmp_path: Path) -> None:
    """Parent ids no longer in the pool are not trusted: the file is read and stored again."""
    source = make_tree(tmp_path / "media", {"a.txt": b"AAAA"})
    local.backup("s1", source)
    files = local.storage.list(".pool/sha256/packs/") + local.storage.list(".pool/sha256/index/")
    for path in files:
        local.storage.delete(path)
    local.backup("s2", source)
    assert local.last_metadata["reused_files"] == 0
    assert local.last_metadata["new_bytes"] == 4
    local.restore("s2", tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"AAAA"


def test_mode_changes_are_recorded_without_reading(local: Harness, tmp_path: Path) -> None:
    """A chmod alone reuses the content but records the new mode."""
    source = make_tree(tmp_path / "media", {"a.txt": b"AAAA"})
    local.backup("s1", source)
    (source / "a.txt").chmod(0o600)
    local.backup("s2", source)
    assert local.last_metadata["reused_files"] == 1
    local.restore("s2", tmp_path / "out")
    assert ((tmp_path / "out" / "a.txt").stat().st_mode & 0o777) == 0o600
