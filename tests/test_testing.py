"""The test kit itself: it passes a correct backend and fails broken ones."""

from __future__ import annotations

import builtins
import io
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from django_snapshots.exceptions import SnapshotNotFoundError, SnapshotPathError
from django_snapshots.testing import SnapshotStorageContract


class DictBackend:
    """A small, correct in-memory backend (basic tier)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def _check(self, path: str) -> str:
        parts = path.split("/")
        if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise SnapshotPathError(f"bad path {path!r}")
        return path

    def read(self, path: str) -> IO[bytes]:
        if self._check(path) not in self.files:
            raise SnapshotNotFoundError(path)
        return io.BytesIO(self.files[path])

    def write(self, path: str, content: IO[bytes]) -> None:
        self._check(path)
        data = b"".join(iter(lambda: content.read(1024 * 1024), b""))
        self.files[path] = data

    def list(self, prefix: str) -> builtins.list[str]:
        if ".." in prefix.split("/"):
            raise SnapshotPathError(prefix)
        return sorted(p for p in self.files if p.startswith(prefix))

    def delete(self, path: str) -> None:
        self.files.pop(self._check(path), None)

    def exists(self, path: str) -> bool:
        return self._check(path) in self.files


class ReadsWhole(DictBackend):
    """Reads its source with a bare read()."""

    def write(self, path: str, content: IO[bytes]) -> None:
        self.files[self._check(path)] = content.read()


class Unsorted(DictBackend):
    """Lists in insertion order."""

    def list(self, prefix: str) -> builtins.list[str]:
        return [p for p in self.files if p.startswith(prefix)]


class StrictDelete(DictBackend):
    """Raises when deleting a missing path."""

    def delete(self, path: str) -> None:
        del self.files[self._check(path)]


class PartialWrite(DictBackend):
    """Stores what it got before the source failed."""

    def write(self, path: str, content: IO[bytes]) -> None:
        self._check(path)
        self.files[path] = b""
        for chunk in iter(lambda: content.read(1024 * 1024), b""):
            self.files[path] += chunk


class Contract(SnapshotStorageContract):
    """The basic contract over a backend chosen per test."""

    large_size = 4 * 1024 * 1024
    holds_content_in_memory = True

    def __init__(self, factory: Callable[[], DictBackend]) -> None:
        self.factory = factory

    def make_storage(self, tmp_path: Path) -> DictBackend:
        return self.factory()


TESTS = sorted(name for name in dir(SnapshotStorageContract) if name.startswith("test_"))


@pytest.mark.parametrize("test", TESTS)
def test_correct_backend_passes_every_contract_test(tmp_path: Path, test: str) -> None:
    """A correct backend passes each contract test."""
    getattr(Contract(DictBackend), test)(tmp_path)


@pytest.mark.parametrize(
    ("factory", "test"),
    [
        (ReadsWhole, "test_large_content_streams"),
        (Unsorted, "test_list_everything_sorted"),
        (StrictDelete, "test_delete_missing_is_not_an_error"),
        (PartialWrite, "test_failed_write_keeps_old_file"),
    ],
)
def test_broken_backends_fail_the_matching_test(
    tmp_path: Path, factory: Callable[[], DictBackend], test: str
) -> None:
    """Each kind of broken backend fails the contract test that pins its behaviour."""
    with pytest.raises((AssertionError, KeyError)):
        getattr(Contract(factory), test)(tmp_path)


def test_importing_the_kit_does_not_import_pytest() -> None:
    """django_snapshots.testing imports without pytest being imported."""
    import subprocess
    import sys

    code = "import sys, django_snapshots.testing; sys.exit('pytest' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], check=False)
    assert result.returncode == 0
