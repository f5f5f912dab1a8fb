"""Directory artifacts: archive any folder, restore it in replace or merge mode, atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from django_snapshots.artifacts.directory import (
    DirectoryArtifactExporter,
    DirectoryArtifactImporter,
)
from django_snapshots.exceptions import SnapshotIntegrityError


def _files(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def _make_tree(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return root


def _export(tmp_path: Path, files: dict[str, str]) -> Path:
    source = _make_tree(tmp_path / "source", files)
    exporter = DirectoryArtifactExporter(source, "uploads")
    archive = tmp_path / exporter.filename
    exporter.generate(archive)
    return archive


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".snapshots-restore-" in p.name)


SNAPSHOT = {"a.txt": "new a", "sub/b.txt": "new b", "sub/deep/c.txt": "new c"}
CURRENT = {"a.txt": "old a", "sub/b.txt": "old b", "sub/old.txt": "old only", "gone.txt": "g"}


def test_exporter_declares_plain_attributes(tmp_path: Path) -> None:
    """The exporter's type, file name and metadata are plain values set per instance."""
    exporter = DirectoryArtifactExporter(tmp_path / "x", "static", filename="static-files.tar")
    assert (exporter.artifact_type, exporter.filename) == ("static", "static-files.tar")
    assert exporter.metadata == {"directory": str(tmp_path / "x")}
    assert DirectoryArtifactExporter(tmp_path, "uploads").filename == "uploads.tar"


def test_replace_mode_leaves_exactly_the_snapshot(tmp_path: Path) -> None:
    """Replace mode removes entries absent from the snapshot and keeps the folder itself."""
    archive = _export(tmp_path, SNAPSHOT)
    target = _make_tree(tmp_path / "target", CURRENT)
    inode = target.stat().st_ino
    DirectoryArtifactImporter(target, "uploads").restore(archive)
    assert _files(target) == SNAPSHOT
    assert target.stat().st_ino == inode
    assert _leftovers(tmp_path) == []


def test_merge_mode_keeps_other_entries_and_replaces_shared_ones(tmp_path: Path) -> None:
    """Merge mode overwrites files the snapshot has and keeps every other file."""
    archive = _export(tmp_path, SNAPSHOT)
    target = _make_tree(tmp_path / "target", CURRENT)
    DirectoryArtifactImporter(target, "uploads", mode="merge").restore(archive)
    assert _files(target) == {**CURRENT, **SNAPSHOT}
    assert _leftovers(tmp_path) == []


def test_merge_replaces_an_entry_of_another_kind(tmp_path: Path) -> None:
    """A file where the snapshot has a directory (and a link) is replaced, not descended."""
    archive = _export(tmp_path, {"sub/b.txt": "new b"})
    target = tmp_path / "target"
    target.mkdir()
    (target / "sub").write_text("a file in the way")
    DirectoryArtifactImporter(target, "uploads", mode="merge").restore(archive)
    assert _files(target) == {"sub/b.txt": "new b"}


def test_missing_target_is_created(tmp_path: Path) -> None:
    """Restoring into a directory that does not exist yet creates it."""
    archive = _export(tmp_path, SNAPSHOT)
    DirectoryArtifactImporter(tmp_path / "new" / "place", "uploads").restore(archive)
    assert _files(tmp_path / "new" / "place") == SNAPSHOT


def test_restore_through_a_symlinked_root_keeps_the_link(tmp_path: Path) -> None:
    """A target that is a link to a directory is restored in place; the link stays."""
    archive = _export(tmp_path, SNAPSHOT)
    real = _make_tree(tmp_path / "volume", CURRENT)
    link = tmp_path / "media-link"
    link.symlink_to(real)
    DirectoryArtifactImporter(link, "uploads").restore(archive)
    assert link.is_symlink()
    assert _files(real) == SNAPSHOT


class FailingImporter(DirectoryArtifactImporter):
    """Fails on the n-th rename of the swap, as a full or broken disk would."""

    fail_at: int

    def __init__(self, directory: Path, mode: str, fail_at: int) -> None:
        super().__init__(directory, "uploads", "merge" if mode == "merge" else "replace")
        self.fail_at = fail_at
        self.renames = 0

    def _rename(self, source: Path, destination: Path) -> None:
        self.renames += 1
        if self.renames == self.fail_at:
            raise OSError("simulated failure")
        super()._rename(source, destination)


@pytest.mark.parametrize("mode", ["replace", "merge"])
@pytest.mark.parametrize("fail_at", [1, 2, 4, 5])
def test_a_failed_swap_puts_the_old_contents_back(tmp_path: Path, mode: str, fail_at: int) -> None:
    """Whichever rename fails, the directory ends as it was and no staging is left."""
    archive = _export(tmp_path, SNAPSHOT)
    target = _make_tree(tmp_path / "target", CURRENT)
    before = _files(target)
    with pytest.raises(OSError, match="simulated"):
        FailingImporter(target, mode, fail_at).restore(archive)
    assert _files(target) == before
    assert _leftovers(tmp_path) == []


def test_a_bad_archive_touches_nothing(tmp_path: Path) -> None:
    """An archive that fails to extract leaves the target untouched and cleans up."""
    archive = tmp_path / "bad.tar"
    archive.write_bytes(b"\0" * 10 + b"garbage" * 200)
    target = _make_tree(tmp_path / "target", CURRENT)
    with pytest.raises(SnapshotIntegrityError):
        DirectoryArtifactImporter(target, "uploads").restore(archive)
    assert _files(target) == CURRENT
    assert _leftovers(tmp_path) == []


def test_staging_is_a_hidden_sibling_on_the_same_filesystem(tmp_path: Path) -> None:
    """While restoring, the new tree sits in a hidden directory beside the target."""
    archive = _export(tmp_path, SNAPSHOT)
    target = _make_tree(tmp_path / "target", CURRENT)
    seen: list[Path] = []

    class Watching(DirectoryArtifactImporter):
        def _rename(self, source: Path, destination: Path) -> None:
            seen.append(source)
            super()._rename(source, destination)

    Watching(target, "uploads").restore(archive)
    staged = [p for p in seen if p.parent.name == "new"]
    assert staged
    staging = staged[0].parent.parent
    assert staging.parent == tmp_path
    assert staging.name.startswith(".target.snapshots-restore-")
    assert os.stat(staging.parent).st_dev == os.stat(target).st_dev
    assert not staging.exists()


def test_restore_tree_swaps_in_what_populate_builds(tmp_path: Path) -> None:
    """restore_tree hands an empty staging directory to populate, then swaps it in."""
    target = _make_tree(tmp_path / "target", CURRENT)

    def populate(new: Path) -> None:
        assert list(new.iterdir()) == []
        _make_tree(new, SNAPSHOT)

    DirectoryArtifactImporter(target, "uploads").restore_tree(populate)
    assert _files(target) == SNAPSHOT
    assert _leftovers(tmp_path) == []


def test_a_failing_populate_touches_nothing(tmp_path: Path) -> None:
    """If populate raises midway, the target keeps its contents and staging is removed."""
    target = _make_tree(tmp_path / "target", CURRENT)

    def populate(new: Path) -> None:
        _make_tree(new, {"half.txt": "half"})
        raise SnapshotIntegrityError("content check failed")

    with pytest.raises(SnapshotIntegrityError, match="content check failed"):
        DirectoryArtifactImporter(target, "uploads").restore_tree(populate)
    assert _files(target) == CURRENT
    assert _leftovers(tmp_path) == []
