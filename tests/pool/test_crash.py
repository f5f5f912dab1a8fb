"""SIGKILL at any point of a backup, delete or prune leaves every snapshot restorable.

A child process (:mod:`tests.pool.crash_child`) runs the operation over a local storage
that halts it at a chosen write or delete; the test kills it there with SIGKILL, then
restores every remaining snapshot, collects garbage, checks the pool and restores again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from django_snapshots import engine
from django_snapshots.pool.check import check_pool
from django_snapshots.pool.gc import collect_garbage
from django_snapshots.pool.options import PoolOptions
from django_snapshots.storage.local import LocalFileSystemBackend
from tests.pool.crash_child import CHUNK
from tests.pool.harness import Harness, make_tree, tree_of

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = PoolOptions(chunk_size=CHUNK, pack_size=CHUNK, workers=1)
POOL = ".pool/sha256/"


def store_of(tmp_path: Path) -> Path:
    """Return the folder of the ``world`` fixture's storage."""
    return tmp_path / "store"


def _run_until_killed(store: Path, rule: str, *args: str) -> str:
    """Run the child until it reaches ``rule``, SIGKILL it; return what it printed."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.pool.crash_child", str(store), rule, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.example.settings"},
    )
    assert child.stdout is not None
    lines: list[str] = []
    for line in child.stdout:
        lines.append(line.strip())
        if line.strip() in ("reached", "done"):
            break
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    child.stdout.close()
    assert lines and lines[-1] == "reached", f"the child never reached {rule}: {lines}"
    return "\n".join(lines)


@pytest.fixture
def world(tmp_path: Path, cached_pip: None) -> tuple[Harness, dict[str, dict[str, object]], Path]:
    """Three snapshots of an evolving tree in small packs; return harness, trees, source."""
    harness = Harness(LocalFileSystemBackend(tmp_path / "store"), OPTIONS)
    source = make_tree(
        tmp_path / "media",
        {name: os.urandom(30_000) for name in ("a.bin", "b.bin", "c.bin", "d/e.bin")},
    )
    trees: dict[str, dict[str, object]] = {}
    harness.backup("s1", source)
    trees["s1"] = tree_of(source)
    make_tree(source, {"b.bin": os.urandom(30_000)}, mtime=1_700_000_100)
    harness.backup("s2", source)
    trees["s2"] = tree_of(source)
    (source / "c.bin").unlink()
    make_tree(source, {"f.bin": os.urandom(40_000)}, mtime=1_700_000_200)
    harness.backup("s3", source)
    trees["s3"] = tree_of(source)
    return harness, trees, source


def _all_restore(harness: Harness, trees: dict[str, dict[str, object]], tmp_path: Path) -> None:
    """Every snapshot still listed restores exactly its tree."""
    for listing in engine.list_snapshots(storage=harness.storage):
        if listing.snapshot is None:
            continue
        target = tmp_path / f"restore-{listing.name}-{len(list(tmp_path.iterdir()))}"
        harness.restore(listing.name, target)
        assert tree_of(target) == trees[listing.name], listing.name


def _settle(harness: Harness, trees: dict[str, dict[str, object]], tmp_path: Path) -> None:
    """Restore all, clean leftovers, collect garbage, check the pool, restore all again."""
    _all_restore(harness, trees, tmp_path)
    for listing in engine.list_snapshots(storage=harness.storage):
        if listing.snapshot is None:
            engine.delete_snapshot(listing.name, storage=harness.storage, collect_garbage=False)
    report = collect_garbage(harness.storage, OPTIONS)
    assert report.skipped is None, report.skipped
    status = check_pool(harness.storage, OPTIONS)
    assert status.ok and status.unreferenced_blobs == 0 and status.orphan_packs == 0, status
    _all_restore(harness, trees, tmp_path)


BACKUP_POINTS = [
    "after:write:.pool/sha256/locks/:1",
    f"after:write:{POOL}packs/:1",
    f"after:write:{POOL}packs/:2",
    f"before:write:{POOL}index/:1",
    f"after:write:{POOL}index/:1",
    "before:write:s4/manifest.json:1",
]


@pytest.mark.parametrize("rule", BACKUP_POINTS)
def test_a_killed_backup_leaves_every_snapshot_restorable(
    world: tuple[Harness, dict[str, dict[str, object]], Path], tmp_path: Path, rule: str
) -> None:
    """Killed while storing new content, the backup leaves only collectable debris."""
    harness, trees, source = world
    make_tree(source, {f"new{n}.bin": os.urandom(30_000) for n in range(4)}, mtime=1_700_000_300)
    _run_until_killed(store_of(tmp_path), rule, "backup", "s4", str(source))
    _settle(harness, trees, tmp_path)
    assert [item.name for item in engine.list_snapshots(storage=harness.storage)] == [
        "s3",
        "s2",
        "s1",
    ]


GC_POINTS = [
    "before:delete:s1/:2",
    f"after:write:{POOL}packs/:1",
    f"before:write:{POOL}index/:1",
    f"after:write:{POOL}index/:1",
    f"after:delete:{POOL}index/:1",
    f"after:delete:{POOL}packs/:1",
]


@pytest.mark.parametrize("rule", GC_POINTS)
def test_a_killed_delete_leaves_every_snapshot_restorable(
    world: tuple[Harness, dict[str, dict[str, object]], Path], tmp_path: Path, rule: str
) -> None:
    """Killed while deleting s1 or collecting its garbage, s2 and s3 still restore."""
    harness, trees, _ = world
    _run_until_killed(store_of(tmp_path), rule, "delete", "s1")
    _settle(harness, trees, tmp_path)


@pytest.mark.parametrize(
    "rule",
    [
        "before:delete:s2/:2",
        f"after:write:{POOL}packs/:1",
        f"after:write:{POOL}index/:1",
        f"after:delete:{POOL}packs/:1",
    ],
)
def test_a_killed_prune_leaves_every_snapshot_restorable(
    world: tuple[Harness, dict[str, dict[str, object]], Path], tmp_path: Path, rule: str
) -> None:
    """Killed while pruning s1 and s2 (one collection for both), s3 still restores."""
    harness, trees, _ = world
    _run_until_killed(store_of(tmp_path), rule, "delete", "s1", "s2")
    _settle(harness, trees, tmp_path)
    assert [item.name for item in engine.list_snapshots(storage=harness.storage)] == ["s3"]
