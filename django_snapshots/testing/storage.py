"""The storage contract: the behaviour every storage backend must have (see the package)."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar, cast

from typing_extensions import Buffer

from django_snapshots.exceptions import SnapshotNotFoundError, SnapshotPathError
from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage

__all__ = ["AdvancedSnapshotStorageContract", "SnapshotStorageContract"]

_MiB = 1024 * 1024
_BLOCK = bytes(range(256)) * (_MiB // 256)
_BINARY = bytes(range(256)) * 4 + b"\r\n\x00\xff" * 64


class _Raises:
    """Assert that the block raises ``expected`` (pytest-free ``pytest.raises``)."""

    def __init__(self, expected: type[BaseException], what: str) -> None:
        self.expected = expected
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if kind is None:
            raise AssertionError(f"{self.what}: expected {self.expected.__name__}, nothing raised")
        return issubclass(kind, self.expected)


class _Failure(Exception):
    """Raised by a source stream on purpose, to simulate a failing write."""


def _chunks(size: int) -> Iterator[bytes]:
    """Yield ``size`` bytes of deterministic data in 1 MiB chunks, generated on the fly."""
    index = 0
    remaining = size
    while remaining > 0:
        block = index.to_bytes(8, "big") + _BLOCK[8:]
        yield block[:remaining]
        remaining -= len(block)
        index += 1


def _digest(chunks: Iterator[bytes]) -> str:
    """Return the sha256 hex digest of the concatenated chunks."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


class _ChunkReader(io.RawIOBase):
    """A readable stream over chunks that refuses to be read whole.

    ``read()`` without a size, or with a size above ``limit``, fails the test: a
    backend must read its source in bounded chunks. After ``fail_after`` bytes it
    raises, to simulate a source that breaks mid-write.
    """

    def __init__(
        self, chunks: Iterator[bytes], limit: int = 16 * _MiB, fail_after: int | None = None
    ) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""
        self._limit = limit
        self._fail_after = fail_after
        self._served = 0

    def readable(self) -> bool:
        return True

    def readall(self) -> bytes:
        raise AssertionError("the backend read its whole source at once instead of in chunks")

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if size > self._limit:
            raise AssertionError(f"the backend read {size} bytes at once (limit {self._limit})")
        return super().read(size) or b""

    def readinto(self, buffer: Buffer) -> int:
        if self._fail_after is not None and self._served >= self._fail_after:
            raise _Failure("the source stream failed on purpose")
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(memoryview(buffer).nbytes, len(self._pending))
        if self._fail_after is not None:
            size = min(size, max(self._fail_after - self._served, 1))
        memoryview(buffer).cast("B")[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self._served += size
        return size


def _source(data: bytes) -> IO[bytes]:
    """Return a stream over ``data`` that must be read in chunks."""
    return cast("IO[bytes]", _ChunkReader(iter([data])))


def _read_all(storage: SnapshotStorage, path: str) -> bytes:
    """Return the bytes at ``path``, read through ``storage.read`` in chunks."""
    with storage.read(path) as stream:
        return b"".join(iter(lambda: stream.read(_MiB), b""))


class SnapshotStorageContract:
    """The behaviour every :class:`~django_snapshots.SnapshotStorage` must have."""

    large_size: ClassVar[int] = 64 * _MiB
    """Bytes written by the large-content tests."""
    holds_content_in_memory: ClassVar[bool] = False
    """Set True for in-memory backends: skips the bounded-memory assertion."""
    memory_limit: ClassVar[int] = 32 * _MiB
    """Peak Python allocations allowed while writing ``large_size`` bytes."""

    def make_storage(self, tmp_path: Path) -> SnapshotStorage:
        """Return a new, empty backend; ``tmp_path`` is a fresh folder for this test."""
        raise NotImplementedError("implement make_storage(tmp_path) in your test class")

    def test_round_trip_binary_bytes(self, tmp_path: Path) -> None:
        """Every byte value written comes back unchanged, below nested folders."""
        storage = self.make_storage(tmp_path)
        storage.write("snap/sub/data.bin", _source(_BINARY))
        assert _read_all(storage, "snap/sub/data.bin") == _BINARY

    def test_round_trip_empty_file(self, tmp_path: Path) -> None:
        """An empty file is stored, exists, is listed and reads back empty."""
        storage = self.make_storage(tmp_path)
        storage.write("empty", _source(b""))
        assert storage.exists("empty")
        assert storage.list("") == ["empty"]
        assert _read_all(storage, "empty") == b""

    def test_write_replaces_existing_file(self, tmp_path: Path) -> None:
        """Writing an existing path replaces its content, without a second listed file."""
        storage = self.make_storage(tmp_path)
        storage.write("a/file", _source(b"old content"))
        storage.write("a/file", _source(b"new"))
        assert _read_all(storage, "a/file") == b"new"
        assert storage.list("") == ["a/file"]

    def test_failed_write_keeps_old_file(self, tmp_path: Path) -> None:
        """A source that fails mid-write leaves the previous file intact and no debris."""
        storage = self.make_storage(tmp_path)
        storage.write("a/file", _source(b"old content"))
        broken = cast("IO[bytes]", _ChunkReader(_chunks(3 * _MiB), fail_after=_MiB + 5))
        with _Raises(_Failure, "write from a failing source"):
            storage.write("a/file", broken)
        assert _read_all(storage, "a/file") == b"old content"
        assert storage.list("") == ["a/file"]

    def test_read_missing_raises_not_found(self, tmp_path: Path) -> None:
        """Reading a path that was never written raises SnapshotNotFoundError."""
        storage = self.make_storage(tmp_path)
        with _Raises(SnapshotNotFoundError, "read of a missing path"):
            storage.read("missing/file")

    def test_exists(self, tmp_path: Path) -> None:
        """exists is True for a stored file, False for a missing file or a folder."""
        storage = self.make_storage(tmp_path)
        storage.write("dir/file", _source(b"x"))
        assert storage.exists("dir/file") is True
        assert storage.exists("dir/other") is False
        assert storage.exists("dir") is False

    def test_delete_removes_file(self, tmp_path: Path) -> None:
        """delete removes the file and leaves its neighbours alone."""
        storage = self.make_storage(tmp_path)
        storage.write("dir/a", _source(b"a"))
        storage.write("dir/b", _source(b"b"))
        storage.delete("dir/a")
        assert not storage.exists("dir/a")
        assert storage.list("") == ["dir/b"]

    def test_delete_missing_is_not_an_error(self, tmp_path: Path) -> None:
        """Deleting a path that does not exist succeeds silently."""
        storage = self.make_storage(tmp_path)
        storage.delete("never/written")
        storage.write("once", _source(b"x"))
        storage.delete("once")
        storage.delete("once")
        assert storage.list("") == []

    def _populate(self, storage: SnapshotStorage) -> None:
        """Store a small tree used by the listing tests."""
        for path in ("b/2", "a/x/deep", "ab", "a/1", "abc/3", "z"):
            storage.write(path, _source(path.encode()))

    def test_list_everything_sorted(self, tmp_path: Path) -> None:
        """list("") returns every file path, sorted, and no folders."""
        storage = self.make_storage(tmp_path)
        self._populate(storage)
        assert storage.list("") == ["a/1", "a/x/deep", "ab", "abc/3", "b/2", "z"]

    def test_list_is_a_string_prefix(self, tmp_path: Path) -> None:
        """A prefix matches by string: "a" finds "a/..." and "ab...", "a/" only the folder."""
        storage = self.make_storage(tmp_path)
        self._populate(storage)
        assert storage.list("a") == ["a/1", "a/x/deep", "ab", "abc/3"]
        assert storage.list("a/") == ["a/1", "a/x/deep"]
        assert storage.list("ab") == ["ab", "abc/3"]
        assert storage.list("a/x/d") == ["a/x/deep"]

    def test_list_missing_prefix_is_empty(self, tmp_path: Path) -> None:
        """A prefix that matches nothing, even below a missing folder, gives []."""
        storage = self.make_storage(tmp_path)
        assert storage.list("") == []
        self._populate(storage)
        assert storage.list("nothing/here/") == []
        assert storage.list("q") == []

    def test_rejects_escaping_paths(self, tmp_path: Path) -> None:
        """Empty, absolute and ".." paths raise SnapshotPathError in every method."""
        storage = self.make_storage(tmp_path)
        for path in ("", "/etc/passwd", "../outside", "a/../../outside"):
            with _Raises(SnapshotPathError, f"write({path!r})"):
                storage.write(path, _source(b"x"))
            with _Raises(SnapshotPathError, f"read({path!r})"):
                storage.read(path)
            with _Raises(SnapshotPathError, f"exists({path!r})"):
                storage.exists(path)
            with _Raises(SnapshotPathError, f"delete({path!r})"):
                storage.delete(path)
        with _Raises(SnapshotPathError, "list('../')"):
            storage.list("../")

    def test_large_content_streams(self, tmp_path: Path) -> None:
        """``large_size`` bytes from a chunked source round-trip without being held whole."""
        storage = self.make_storage(tmp_path)
        source = cast("IO[bytes]", _ChunkReader(_chunks(self.large_size)))
        tracemalloc.start()
        try:
            storage.write("large.bin", source)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        if not self.holds_content_in_memory:
            assert peak < self.memory_limit, f"write peaked at {peak} bytes of Python memory"
        with storage.read("large.bin") as stream:
            stored = _digest(iter(lambda: stream.read(_MiB), b""))
        assert stored == _digest(_chunks(self.large_size))


class AdvancedSnapshotStorageContract(SnapshotStorageContract):
    """The behaviour every :class:`~django_snapshots.AdvancedSnapshotStorage` must have."""

    def make_storage(self, tmp_path: Path) -> AdvancedSnapshotStorage:
        """Return a new, empty advanced backend; ``tmp_path`` is a fresh folder."""
        raise NotImplementedError("implement make_storage(tmp_path) in your test class")

    def test_stream_round_trip(self, tmp_path: Path) -> None:
        """stream_write then stream_read returns the same bytes, in bounded chunks."""
        storage = self.make_storage(tmp_path)
        storage.stream_write("s/data", iter([b"one", b"", b"two", _BINARY]))
        chunks = list(storage.stream_read("s/data"))
        assert b"".join(chunks) == b"onetwo" + _BINARY
        assert all(len(chunk) <= 16 * _MiB for chunk in chunks)

    def test_stream_read_missing_raises_not_found(self, tmp_path: Path) -> None:
        """stream_read of a missing path raises SnapshotNotFoundError (at call or first chunk)."""
        storage = self.make_storage(tmp_path)
        with _Raises(SnapshotNotFoundError, "stream_read of a missing path"):
            list(storage.stream_read("missing"))

    def test_stream_write_large_content(self, tmp_path: Path) -> None:
        """``large_size`` bytes stream in and out, chunk by chunk."""
        storage = self.make_storage(tmp_path)
        storage.stream_write("large.bin", _chunks(self.large_size))
        assert _digest(storage.stream_read("large.bin")) == _digest(_chunks(self.large_size))

    def test_failed_stream_write_keeps_old_file(self, tmp_path: Path) -> None:
        """A chunk iterator that fails midway leaves the previous file and no debris."""
        storage = self.make_storage(tmp_path)
        storage.stream_write("f", iter([b"old"]))

        def broken() -> Iterator[bytes]:
            yield b"partial new content"
            raise _Failure("the chunk source failed on purpose")

        with _Raises(_Failure, "stream_write from a failing iterator"):
            storage.stream_write("f", broken())
        assert b"".join(storage.stream_read("f")) == b"old"
        assert storage.list("") == ["f"]

    def test_atomic_move_replaces_destination(self, tmp_path: Path) -> None:
        """atomic_move puts src at dst, replacing dst, and src is gone."""
        storage = self.make_storage(tmp_path)
        storage.stream_write("tmp/new", iter([b"new"]))
        storage.stream_write("final/file", iter([b"old"]))
        storage.atomic_move("tmp/new", "final/file")
        assert b"".join(storage.stream_read("final/file")) == b"new"
        assert storage.list("") == ["final/file"]

    def test_atomic_move_missing_source_raises_not_found(self, tmp_path: Path) -> None:
        """Moving a missing file raises SnapshotNotFoundError and leaves dst alone."""
        storage = self.make_storage(tmp_path)
        storage.stream_write("dst", iter([b"kept"]))
        with _Raises(SnapshotNotFoundError, "atomic_move of a missing source"):
            storage.atomic_move("missing", "dst")
        assert b"".join(storage.stream_read("dst")) == b"kept"

    def test_recursive_list_of_folder(self, tmp_path: Path) -> None:
        """recursive_list("a/") returns every file below folder a, sorted, not "ab"."""
        storage = self.make_storage(tmp_path)
        self._populate(storage)
        assert storage.recursive_list("a/") == ["a/1", "a/x/deep"]
        assert storage.recursive_list("") == storage.list("")

    def test_sync_copies_a_prefix(self, tmp_path: Path) -> None:
        """sync("src/", "dst/") copies every file below src to the same place below dst."""
        storage = self.make_storage(tmp_path)
        storage.stream_write("src/one", iter([b"1"]))
        storage.stream_write("src/deep/two", iter([_BINARY]))
        storage.stream_write("srcx/not-copied", iter([b"x"]))
        storage.sync("src/", "dst/")
        assert storage.list("dst/") == ["dst/deep/two", "dst/one"]
        assert b"".join(storage.stream_read("dst/deep/two")) == _BINARY
        assert storage.list("src/") == ["src/deep/two", "src/one"]

    def test_sync_and_move_reject_escaping_paths(self, tmp_path: Path) -> None:
        """sync and atomic_move refuse ".." and absolute paths on either side."""
        storage = self.make_storage(tmp_path)
        storage.stream_write("src/one", iter([b"1"]))
        for bad in ("../out/", "/abs/"):
            with _Raises(SnapshotPathError, f"sync to {bad!r}"):
                storage.sync("src/", bad)
            with _Raises(SnapshotPathError, f"sync from {bad!r}"):
                storage.sync(bad, "dst/")
            with _Raises(SnapshotPathError, f"atomic_move to {bad!r}"):
                storage.atomic_move("src/one", bad + "x")
        assert storage.list("") == ["src/one"]
