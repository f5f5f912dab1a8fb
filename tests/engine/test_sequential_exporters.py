"""Sequential exporters write into a named pipe that the engine stores as it is produced."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from django_snapshots import engine
from django_snapshots.settings import SnapshotFormat
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage
from tests.engine.conftest import FakeExporter, restore_fakes

PAYLOAD = os.urandom(3 * 1024 * 1024) + b"abc" * 1_000_000


class PipeExporter(FakeExporter):
    """A sequential exporter that records whether it was handed a named pipe."""

    sequential: bool = True

    def __init__(self, filename: str, content: bytes) -> None:
        """Export ``content`` in small writes."""
        super().__init__(filename, content)
        self.got_pipe = False

    def generate(self, dest: Path) -> None:
        """Write the content in 64 KiB pieces and add metadata afterwards."""
        self.got_pipe = stat.S_ISFIFO(os.stat(dest).st_mode)
        with dest.open("wb") as out:
            for index in range(0, len(self.content), 65536):
                out.write(self.content[index : index + 65536])
        self.metadata["written"] = len(self.content)


@pytest.mark.parametrize("snapshot_format", ["directory", "archive"])
def test_sequential_exporter_round_trip_through_a_pipe(
    storage: SnapshotStorage, snapshot_format: SnapshotFormat
) -> None:
    """A sequential exporter gets a named pipe; its bytes and late metadata are kept."""
    exporter = PipeExporter("stream.bin", PAYLOAD)
    snapshot = engine.create_snapshot(
        "s", exporters=[exporter], snapshot_format=snapshot_format, storage=storage
    )
    assert exporter.got_pipe
    assert snapshot.artifacts[0].metadata == {
        "written": len(PAYLOAD),
        "compression": "zstd",
        "plain_size": len(PAYLOAD),
    }
    assert restore_fakes(storage, "s") == {"stream.bin.zst": PAYLOAD}


def test_sequential_exporter_that_never_opens_dest_gives_an_empty_artifact(
    local_storage: LocalFileSystemBackend,
) -> None:
    """An exporter with nothing to write (dest never opened) stores an empty file, no hang."""

    class Silent(PipeExporter):
        def generate(self, dest: Path) -> None:
            return None

    engine.create_snapshot("e", exporters=[Silent("empty.bin", b"")], storage=local_storage)
    assert restore_fakes(local_storage, "e") == {"empty.bin.zst": b""}


@pytest.mark.parametrize("when", ["before", "midway"])
def test_failing_sequential_exporter_raises_and_leaves_nothing(
    local_storage: LocalFileSystemBackend, when: str
) -> None:
    """An exporter failing before or while writing the pipe fails the backup cleanly."""

    class Failing(PipeExporter):
        def generate(self, dest: Path) -> None:
            if when == "midway":
                with dest.open("wb") as out:
                    out.write(PAYLOAD[:2_000_000])
            raise RuntimeError(f"failed {when}")

    with pytest.raises(RuntimeError, match=f"failed {when}"):
        engine.create_snapshot(
            "f", exporters=[Failing("x.bin", b""), FakeExporter("y", b"y")], storage=local_storage
        )
    assert local_storage.list("") == []


class BrokenStorage(LocalFileSystemBackend):
    """A backend whose writes fail after reading the first megabyte."""

    def stream_write(self, path: str, chunks: Iterator[bytes]) -> None:
        """Consume a little, then fail."""
        if path.endswith(".zst"):
            next(chunks)
            raise OSError("disk full")
        super().stream_write(path, chunks)


def test_storage_failure_does_not_block_the_exporter(tmp_path: Path) -> None:
    """When storing fails, the pipe is drained so the exporter finishes and the error surfaces."""
    storage = BrokenStorage(tmp_path / "store")
    exporter = PipeExporter("big.bin", PAYLOAD * 3)
    done = threading.Event()

    def run() -> None:
        with pytest.raises(OSError, match="disk full"):
            engine.create_snapshot("b", exporters=[exporter], storage=storage)
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert done.is_set()
    assert exporter.metadata.get("written") == len(PAYLOAD) * 3
