"""check_pool and verify_pool: unreferenced, missing and corrupt content is reported."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from django_snapshots import engine
from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.pool.check import check_pool, parse_subset, verify_pool
from django_snapshots.pool.layout import PoolPaths
from django_snapshots.pool.options import PoolOptions
from tests.pool.harness import Harness, make_tree

PATHS = PoolPaths("sha256")


def _packs(harness: Harness) -> list[str]:
    return [p for p in harness.storage.list(PATHS.packs) if p.endswith(".pack")]


def test_a_healthy_pool_checks_and_verifies_clean(harness: Harness, tmp_path: Path) -> None:
    """Every referenced blob is found, of the right size, and re-hashes to its id."""
    harness.backup("s1", make_tree(tmp_path / "m", {"a": os.urandom(5000), "b": b"b"}))
    status = check_pool(harness.storage)
    assert status.ok and status.snapshots == ["s1"] and status.referenced_blobs == 2
    result = verify_pool(harness.storage, read_data=True)
    assert result.ok and result.checked_blobs == 2 and result.read_packs == 1


def test_check_reports_unreferenced_content(local: Harness, tmp_path: Path) -> None:
    """Content only a deleted snapshot held is reported until garbage is collected."""
    local.backup("s1", make_tree(tmp_path / "m", {"a": b"a" * 100}))
    engine.delete_snapshot("s1", storage=local.storage, collect_garbage=False)
    status = check_pool(local.storage)
    assert status.ok and status.unreferenced_blobs == 1 and status.unreferenced_bytes > 0


def test_a_missing_pack_is_reported_by_check_and_verify(harness: Harness, tmp_path: Path) -> None:
    """Deleting a pack makes the snapshot's content missing: both functions name it."""
    harness.backup("s1", make_tree(tmp_path / "m", {"a": b"a"}))
    for path in _packs(harness):
        harness.storage.delete(path)
    status = check_pool(harness.storage)
    assert not status.ok and status.missing_snapshots == ["s1"] and status.missing_packs == 1
    result = verify_pool(harness.storage)
    assert not result.ok and "is missing" in result.problems[0]


def test_a_pack_of_the_wrong_size_is_reported_without_reading(
    local: Harness, tmp_path: Path
) -> None:
    """verify compares each referenced pack's stored size with its index record."""
    local.backup("s1", make_tree(tmp_path / "m", {"a": os.urandom(100)}))
    (pack,) = _packs(local)
    with local.storage.read(pack) as stream:
        data = stream.read()
    local.storage.write(pack, io.BytesIO(data + b"x"))
    result = verify_pool(local.storage)
    assert not result.ok and "the index records" in result.problems[0]


def test_read_data_finds_a_flipped_byte(local: Harness, tmp_path: Path) -> None:
    """A corrupted byte of the same size passes the size check and fails read_data."""
    local.backup("s1", make_tree(tmp_path / "m", {"a": os.urandom(1000)}))
    (pack,) = _packs(local)
    with local.storage.read(pack) as stream:
        data = bytearray(stream.read())
    data[10] ^= 0xFF
    local.storage.write(pack, io.BytesIO(bytes(data)))
    assert verify_pool(local.storage).ok
    result = verify_pool(local.storage, read_data=True)
    assert not result.ok and "corrupt" in result.problems[0]
    with pytest.raises(SnapshotIntegrityError, match="does not match its content id"):
        local.restore("s1", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_read_data_subset_reads_only_its_share(local: Harness, tmp_path: Path) -> None:
    """The subsets 1/3, 2/3 and 3/3 read every referenced pack exactly once between them."""
    local.options = PoolOptions(pack_size=64 * 1024, chunk_size=64 * 1024)
    files = {f"f{n}": os.urandom(70_000) for n in range(12)}
    local.backup("s1", make_tree(tmp_path / "m", files))
    total = len(_packs(local))
    assert total >= 6
    read = [
        verify_pool(local.storage, local.options, read_data=True, subset=(n, 3)).read_packs
        for n in (1, 2, 3)
    ]
    assert sum(read) == total


def test_verify_can_be_limited_to_some_snapshots(local: Harness, tmp_path: Path) -> None:
    """With ``snapshots``, only those snapshots' content is checked."""
    local.backup("s1", make_tree(tmp_path / "m", {"a": b"a"}))
    local.backup("s2", make_tree(tmp_path / "n", {"b": b"b", "c": b"c"}))
    assert verify_pool(local.storage, snapshots=["s2"]).checked_blobs == 2


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0"])
def test_a_bad_subset_is_refused(text: str) -> None:
    """A subset must read n/m with 1 <= n <= m."""
    with pytest.raises(ValueError, match="subset"):
        parse_subset(text)


def test_a_good_subset_is_parsed() -> None:
    """'2/10' is the second of ten groups."""
    assert parse_subset(" 2/10 ") == (2, 10)
