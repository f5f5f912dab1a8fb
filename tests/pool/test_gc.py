"""Garbage collection: what only deleted snapshots held is freed; nothing referenced is lost."""

from __future__ import annotations

import io
import os
from pathlib import Path

from django_snapshots import engine
from django_snapshots.locking import SnapshotLock
from django_snapshots.pool.check import check_pool
from django_snapshots.pool.gc import collect_garbage
from django_snapshots.pool.layout import PoolPaths
from django_snapshots.pool.locks import PoolLock
from django_snapshots.pool.options import PoolOptions
from tests.pool.harness import Harness, make_tree, pool_bytes, pool_files, tree_of

PATHS = PoolPaths("sha256")


def test_delete_frees_exactly_what_only_the_deleted_snapshot_held(
    harness: Harness, tmp_path: Path
) -> None:
    """After deleting s1, the pool holds s2's content only, and s2 still restores."""
    shared, gone, kept = os.urandom(200_000), os.urandom(150_000), os.urandom(100_000)
    source = make_tree(tmp_path / "media", {"shared.bin": shared, "x.bin": gone})
    harness.backup("s1", source)
    (source / "x.bin").unlink()
    make_tree(source, {"y.bin": kept})
    harness.backup("s2", source)
    report = harness.delete("s1")
    assert report.skipped is None and report.blobs_removed == 1
    status = check_pool(harness.storage)
    assert status.ok and status.unreferenced_blobs == 0 and status.referenced_blobs == 2
    assert status.stored_bytes < len(shared) + len(kept) + 2_000
    harness.restore("s2", tmp_path / "out")
    assert tree_of(tmp_path / "out") == tree_of(source)


def test_the_pool_shrinks_to_nothing_when_every_snapshot_is_gone(
    harness: Harness, tmp_path: Path
) -> None:
    """Deleting the last snapshots removes every pack and leaves one empty-ish pool."""
    source = make_tree(tmp_path / "media", {"a.bin": os.urandom(50_000)})
    harness.backup("s1", source)
    harness.backup("s2", source)
    report = harness.delete("s1", "s2")
    assert report.packs_deleted == 1 and report.freed > 50_000
    assert [p for p in pool_files(harness.storage) if p.endswith(".pack")] == []


def test_nothing_is_collected_while_a_backup_holds_the_pool(local: Harness, tmp_path: Path) -> None:
    """A backup's pool entry (while its snapshot lock is live) defers the collection."""
    source = make_tree(tmp_path / "media", {"a.bin": os.urandom(1000)})
    local.backup("s1", source)
    local.backup("s2", make_tree(tmp_path / "other", {"b.bin": b"b"}))
    local.storage.delete("s1/manifest.json")
    with SnapshotLock(local.storage, "s3"), PoolLock(local.storage, PATHS, "backup", snapshot="s3"):
        report = collect_garbage(local.storage)
    assert report.skipped is not None and "backup of 's3'" in report.skipped
    assert check_pool(local.storage).unreferenced_blobs == 1
    report = collect_garbage(local.storage)
    assert report.skipped is None and report.blobs_removed == 1


def test_nothing_is_collected_while_a_restore_reads_the_pool(
    local: Harness, tmp_path: Path
) -> None:
    """A shared lock (restore, verify) defers the collection until it is released."""
    local.backup("s1", make_tree(tmp_path / "media", {"a.bin": b"a"}))
    with PoolLock(local.storage, PATHS, "shared"):
        assert collect_garbage(local.storage).skipped is not None
    assert collect_garbage(local.storage).skipped is None


def test_a_finished_backup_entry_does_not_block(local: Harness, tmp_path: Path) -> None:
    """Once a backup's snapshot lock is gone its pool entry is dead and removed."""
    local.backup("s1", make_tree(tmp_path / "media", {"a.bin": b"a"}))
    assert [p for p in local.storage.list(PATHS.locks) if "_s1.lock" in p]
    assert collect_garbage(local.storage).skipped is None
    assert local.storage.list(PATHS.locks) == []


def test_an_unreadable_snapshot_stops_the_collection(local: Harness, tmp_path: Path) -> None:
    """A snapshot whose manifest cannot be read may reference anything: nothing is freed."""
    local.backup("s1", make_tree(tmp_path / "media", {"a.bin": b"a"}))
    local.backup("s2", make_tree(tmp_path / "media2", {"b.bin": b"b"}))
    local.storage.delete("s1/manifest.json")
    local.storage.write("s2/manifest.json", io.BytesIO(b"{not json"))
    report = collect_garbage(local.storage)
    assert report.skipped is not None and "s2" in report.skipped
    status = check_pool(local.storage)
    assert status.blobs == 2 and not status.ok and status.unreadable


def test_orphan_packs_are_removed_and_referenced_ones_adopted(
    local: Harness, tmp_path: Path
) -> None:
    """Packs no index lists go; if a snapshot needs a blob one holds, it is kept first."""
    source = make_tree(tmp_path / "media", {"a.bin": os.urandom(10_000)})
    local.backup("s1", source)
    for path in local.storage.list(PATHS.indexes):
        local.storage.delete(path)
    report = collect_garbage(local.storage)
    assert report.orphans == 1 and report.missing == 0 and report.packs_written == 1
    local.restore("s1", tmp_path / "out")
    assert tree_of(tmp_path / "out") == tree_of(source)
    assert check_pool(local.storage).orphan_packs == 0


def test_a_blob_stored_twice_is_kept_once(local: Harness, tmp_path: Path) -> None:
    """Two backups that stored the same content at once leave one copy after collection."""
    data = os.urandom(30_000)
    source = make_tree(tmp_path / "media", {"a.bin": data})
    local.backup("s1", source)
    for path in local.storage.list(PATHS.indexes):
        local.storage.delete(path)
    local.backup("s2", source, full=True)
    collect_garbage(local.storage)
    status = check_pool(local.storage)
    assert status.packs == 1 and status.orphan_packs == 0
    local.restore("s1", tmp_path / "out")
    assert (tmp_path / "out" / "a.bin").read_bytes() == data


def test_max_unused_keeps_mostly_live_packs_whole(local: Harness, tmp_path: Path) -> None:
    """With max_unused, a pack with few dead bytes is not rewritten (and stays listed)."""
    source = make_tree(tmp_path / "media", {"big.bin": os.urandom(100_000), "small.bin": b"s" * 10})
    local.backup("s1", source)
    (source / "small.bin").unlink()
    local.backup("s2", source)
    engine.delete_snapshot("s1", storage=local.storage, collect_garbage=False)
    before = pool_bytes(local.storage)
    report = collect_garbage(local.storage, PoolOptions(), max_unused=0.05)
    assert report.packs_repacked == 0 and pool_bytes(local.storage) <= before
    report = collect_garbage(local.storage)
    assert report.packs_repacked == 1 and report.blobs_removed == 1


def test_a_missing_pool_is_reported_not_raised(local: Harness) -> None:
    """Collecting a pool that was never created does nothing and says so."""
    assert collect_garbage(local.storage).skipped == "the pool does not exist"


def test_collect_all_garbage_skips_pools_it_cannot_open(local: Harness, tmp_path: Path) -> None:
    """Every pool is collected with its known options; a pool of another key is left alone."""
    from django_snapshots.pool.gc import collect_all_garbage
    from django_snapshots.pool.ids import HmacSha256Ids

    keyed = PoolOptions(ids=HmacSha256Ids(b"k" * 32))
    local.backup("plain", make_tree(tmp_path / "m", {"a": b"a"}))
    keyed_harness = Harness(local.storage, keyed)
    keyed_harness.backup("keyed", make_tree(tmp_path / "n", {"b": b"b"}))
    keyed_harness.backup("keyed-2", make_tree(tmp_path / "o", {"c": b"c"}))
    engine.delete_snapshot("plain", storage=local.storage, collect_garbage=False)
    engine.delete_snapshot("keyed", storage=local.storage, collect_garbage=False)
    reports = {report.pool: report for report in collect_all_garbage(local.storage)}
    assert reports["sha256"].packs_deleted == 1
    assert reports[keyed.name].skipped == "needs the key and codec that wrote it"
    (again,) = [r for r in collect_all_garbage(local.storage, [keyed]) if r.pool == keyed.name]
    assert again.packs_deleted == 1


def test_a_pool_no_snapshot_names_is_emptied_without_its_key(
    local: Harness, tmp_path: Path
) -> None:
    """Once no manifest names a pool of an unknown key, its packs and index files go."""
    from django_snapshots.pool.gc import collect_all_garbage
    from django_snapshots.pool.ids import HmacSha256Ids

    keyed = PoolOptions(ids=HmacSha256Ids(b"k" * 32))
    Harness(local.storage, keyed).backup("keyed", make_tree(tmp_path / "n", {"b": b"b" * 999}))
    assert pool_files(local.storage)
    engine.delete_snapshot("keyed", storage=local.storage, collect_garbage=False)
    (report,) = collect_all_garbage(local.storage)
    assert (report.pool, report.skipped, report.packs_deleted) == (keyed.name, None, 1)
    assert report.bytes_deleted > 0 and pool_files(local.storage) == []


def test_an_unreadable_manifest_keeps_a_pool_of_an_unknown_key(
    local: Harness, tmp_path: Path
) -> None:
    """A pool of an unknown key stays while some manifest cannot be read (it may name it)."""
    from django_snapshots.pool.gc import collect_all_garbage
    from django_snapshots.pool.ids import HmacSha256Ids

    keyed = PoolOptions(ids=HmacSha256Ids(b"k" * 32))
    Harness(local.storage, keyed).backup("keyed", make_tree(tmp_path / "n", {"b": b"b"}))
    local.backup("broken", make_tree(tmp_path / "m", {"a": b"a"}))
    engine.delete_snapshot("keyed", storage=local.storage, collect_garbage=False)
    local.storage.write("broken/manifest.json", io.BytesIO(b"{not json"))
    reports = {report.pool: report for report in collect_all_garbage(local.storage)}
    assert "broken" in str(reports[keyed.name].skipped)
    assert any(keyed.name in path for path in pool_files(local.storage))
