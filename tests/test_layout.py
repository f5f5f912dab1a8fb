"""Tests of the storage layout: archive and directory formats, staging, recovery."""

from __future__ import annotations

import io
import tarfile
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import pytest

from django_snapshots import layout
from django_snapshots.exceptions import (
    SnapshotIntegrityError,
    SnapshotNameError,
    SnapshotNotFoundError,
    SnapshotVersionError,
)
from django_snapshots.layout import Location
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.storage.local import LocalFileSystemBackend


def make_snapshot(name: str, files: dict[str, bytes]) -> Snapshot:
    """Return a manifest listing ``files`` (checksums not needed by these tests)."""
    now = datetime.now(timezone.utc)
    return Snapshot(
        name=name,
        created_at=now,
        django_version="5.2",
        python_version="3.11",
        hostname="h",
        artifacts=[
            ArtifactRecord("fake", filename, len(data), "sha256:00", now)
            for filename, data in files.items()
        ],
    )


class CountingStorage(LocalFileSystemBackend):
    """A local backend that counts the bytes callers read."""

    read_bytes = 0

    def read(self, path: str) -> IO[bytes]:
        """Open ``path`` through a counting wrapper."""
        stream = super().read(path)
        outer = self

        class Counting(io.RawIOBase):
            def readable(self) -> bool:
                return True

            def readinto(self, buffer: Any) -> int:
                data = stream.read(len(buffer))
                outer.read_bytes += len(data)
                buffer[: len(data)] = data
                return len(data)

            def close(self) -> None:
                stream.close()
                super().close()

        return io.BufferedReader(Counting(), 8192)


def test_archive_puts_manifest_first_then_files(tmp_path: Path) -> None:
    """An archive is a plain tar whose first member is manifest.json, then the artifacts."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    (tmp_path / "a.zst").write_bytes(b"A" * 1000)
    (tmp_path / "b.txt").write_bytes(b"B" * 513)
    manifest = make_snapshot("s", {"a.zst": b"", "b.txt": b""}).to_json()
    layout.write_archive(
        storage, "s", manifest, [("a.zst", tmp_path / "a.zst"), ("b.txt", tmp_path / "b.txt")]
    )
    with tarfile.open(storage.location / "s.tar") as tar:
        members = tar.getmembers()
        assert [member.name for member in members] == ["manifest.json", "a.zst", "b.txt"]
        extracted = tar.extractfile("b.txt")
        assert extracted is not None and extracted.read() == b"B" * 513
    assert (storage.location / "s.tar").stat().st_size % 10240 == 0


def test_reading_an_archive_manifest_reads_only_its_start(tmp_path: Path) -> None:
    """The manifest of a big archive is read without streaming the whole tar."""
    storage = CountingStorage(tmp_path / "store")
    big = tmp_path / "big.zst"
    big.write_bytes(b"\0" * (8 * 1024 * 1024))
    layout.write_archive(
        storage, "s", make_snapshot("s", {"big.zst": b""}).to_json(), [("big.zst", big)]
    )
    snapshot = layout.read_manifest(storage, Location("s", "archive"))
    assert snapshot.artifacts[0].filename == "big.zst"
    assert storage.read_bytes < 1024 * 1024


def test_archive_not_starting_with_manifest_is_refused(tmp_path: Path) -> None:
    """A tar whose first member is not manifest.json is an integrity error."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("other.txt")
        tar.addfile(info, io.BytesIO(b""))
    storage.write("s.tar", io.BytesIO(buffer.getvalue()))
    with pytest.raises(SnapshotIntegrityError, match=r"does not start with 'manifest.json'"):
        layout.read_manifest(storage, Location("s", "archive"))


def test_unknown_manifest_version_raises_version_error(tmp_path: Path) -> None:
    """A manifest of an unknown version raises SnapshotVersionError naming the snapshot."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    storage.write("s/manifest.json", io.BytesIO(b'{"version": "9"}'))
    with pytest.raises(SnapshotVersionError, match="snapshot 's'"):
        layout.read_manifest(storage, Location("s", "directory"))


def test_manifest_name_is_taken_from_the_location(tmp_path: Path) -> None:
    """A renamed snapshot reports its stored name, not the one in its manifest."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    storage.write("renamed/manifest.json", io.BytesIO(make_snapshot("original", {}).to_json()))
    assert layout.read_manifest(storage, Location("renamed", "directory")).name == "renamed"


def test_iter_archive_members_yields_wanted_and_reports_missing(tmp_path: Path) -> None:
    """Archive members are matched by exact name; a wanted file the tar lacks is an error."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    (tmp_path / "a").write_bytes(b"aa")
    layout.write_archive(storage, "s", make_snapshot("s", {}).to_json(), [("a", tmp_path / "a")])
    got = {name: stream.read() for name, stream in layout.iter_archive_members(storage, "s", ["a"])}
    assert got == {"a": b"aa"}
    with pytest.raises(SnapshotNotFoundError, match="missing artifact file"):
        list(layout.iter_archive_members(storage, "s", ["a", "b"]))


@pytest.mark.parametrize("filename", ["../x", "a/b", ".lock", ".staging", "manifest.json", ""])
def test_unsafe_artifact_file_names_are_refused(filename: str) -> None:
    """Artifact file names must be one plain component that cannot clash with reserved names."""
    with pytest.raises(SnapshotNameError):
        layout.check_artifact_filename(filename)


def test_scan_groups_paths_by_snapshot_name(tmp_path: Path) -> None:
    """scan() sees directory, archive, staged and lock files and ignores foreign paths."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    for path in [
        "d/manifest.json",
        "d/x.zst",
        "a.tar",
        "p/.staging/manifest.json",
        "l/.lock/e",
        "README",
        ".hidden/x",
    ]:
        storage.write(path, io.BytesIO(b""))
    states = layout.scan(storage)
    assert sorted(states) == ["a", "d", "l", "p"]
    assert states["d"].manifest and states["a"].archive and states["p"].staged_manifest
    assert states["l"].locks and not states["l"].locations
    assert states["p"].locations == [Location("p", "directory", staged=True)]


def _staged(storage: LocalFileSystemBackend, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    for filename, data in old.items():
        storage.write(f"s/{filename}", io.BytesIO(data))
    storage.write("s/manifest.json", io.BytesIO(make_snapshot("s", old).to_json()))
    for filename, data in new.items():
        storage.write(f"s/.staging/{filename}", io.BytesIO(data))


def test_publish_staged_rolls_forward_and_removes_old_files(tmp_path: Path) -> None:
    """Publishing moves staged files over the old ones, manifest last, and drops old extras."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    _staged(storage, {"a.zst": b"old", "gone.zst": b"old"}, {"a.zst": b"new"})
    storage.write(
        "s/.staging/manifest.json", io.BytesIO(make_snapshot("s", {"a.zst": b"new"}).to_json())
    )
    layout.publish_staged(storage, "s")
    assert storage.list("s/") == ["s/a.zst", "s/manifest.json"]
    assert storage.read("s/a.zst").read() == b"new"


def test_committed_staging_is_readable_midway_through_publishing(tmp_path: Path) -> None:
    """After the old manifest is gone, the staged copy of each file is read while it exists."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    _staged(storage, {"a.zst": b"old", "b.zst": b"old"}, {"a.zst": b"newA", "b.zst": b"newB"})
    storage.write(
        "s/.staging/manifest.json",
        io.BytesIO(make_snapshot("s", {"a.zst": b"", "b.zst": b""}).to_json()),
    )
    storage.delete("s/manifest.json")
    storage.atomic_move("s/.staging/a.zst", "s/a.zst")  # the crash happened here
    (location,) = layout.locate(storage, "s")
    assert location.staged
    assert layout.open_artifact(storage, location, "a.zst").read() == b"newA"
    assert layout.open_artifact(storage, location, "b.zst").read() == b"newB"
    layout.recover(storage, "s")
    assert storage.list("s/") == ["s/a.zst", "s/b.zst", "s/manifest.json"]


def test_recover_removes_uncommitted_staging_but_keeps_old_snapshot(tmp_path: Path) -> None:
    """Staged files without a staged manifest are debris; the old snapshot stays whole."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    _staged(storage, {"a.zst": b"old"}, {"a.zst": b"half"})
    layout.recover(storage, "s")
    assert storage.list("s/") == ["s/a.zst", "s/manifest.json"]
    assert storage.read("s/a.zst").read() == b"old"


def test_recover_removes_a_directory_without_manifest(tmp_path: Path) -> None:
    """Files of a directory snapshot whose manifest was never written are removed."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    storage.write("s/a.zst", io.BytesIO(b"half"))
    storage.write("s/.lock/entry", io.BytesIO(b""))
    layout.recover(storage, "s")
    assert storage.list("s/") == ["s/.lock/entry"]
