"""Run one backup, delete or prune in a child process that stops at a chosen storage call.

Usage::

    python -m tests.pool.crash_child STORE WHEN:OP:PREFIX:N backup NAME SOURCE
    python -m tests.pool.crash_child STORE WHEN:OP:PREFIX:N delete NAME [NAME ...]

``WHEN`` is ``before`` or ``after``, ``OP`` is ``write`` or ``delete``: on the ``N``-th
such call whose path starts with ``PREFIX``, the child prints ``reached`` and sleeps,
so the test can SIGKILL it exactly there. ``delete`` with several names is a prune:
every snapshot is deleted, then garbage is collected once. Prints ``done`` at the end.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import IO

from django_snapshots.storage.local import LocalFileSystemBackend

CHUNK = 64 * 1024


class StoppingStorage(LocalFileSystemBackend):
    """A local backend that halts the process at one chosen write or delete."""

    def __init__(self, location: str, rule: str) -> None:
        """Stop as ``rule`` (``when:op:prefix:n``) says."""
        super().__init__(location)
        when, op, prefix, count = rule.split(":")
        self.when, self.op, self.prefix, self.left = when, op, prefix, int(count)

    def _guard(self, op: str, path: str) -> bool:
        """Count a matching call; return True if the process must stop after it."""
        if op != self.op or not path.startswith(self.prefix) or self.left <= 0:
            return False
        self.left -= 1
        if self.left > 0:
            return False
        if self.when == "before":
            print("reached", flush=True)
            time.sleep(120)
        return True

    def _stop(self) -> None:
        print("reached", flush=True)
        time.sleep(120)

    def write(self, path: str, content: IO[bytes]) -> None:
        """Write, stopping before or after if chosen."""
        stop = self._guard("write", path)
        super().write(path, content)
        if stop:
            self._stop()

    def stream_write(self, path: str, chunks: Iterator[bytes]) -> None:
        """Stream-write, stopping before or after if chosen."""
        stop = self._guard("write", path)
        super().stream_write(path, chunks)
        if stop:
            self._stop()

    def delete(self, path: str) -> None:
        """Delete, stopping before or after if chosen."""
        stop = self._guard("delete", path)
        super().delete(path)
        if stop:
            self._stop()


def main(argv: list[str]) -> int:
    """Run the operation ``argv`` describes."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.example.settings")
    import django

    django.setup()
    from django_snapshots import engine
    from django_snapshots.artifacts.context import bind_artifact, make_context
    from django_snapshots.artifacts.media import MediaArtifactExporter
    from django_snapshots.engine import backup as engine_backup
    from django_snapshots.pool.gc import collect_garbage
    from django_snapshots.pool.options import PoolOptions

    setattr(engine_backup, "pip_freeze", lambda: ["crash-child==1"])  # noqa: B010 - a private name
    store, rule, operation, *rest = argv
    storage = StoppingStorage(store, rule)
    options = PoolOptions(chunk_size=CHUNK, pack_size=CHUNK, workers=1)
    if operation == "backup":
        name, source = rest
        exporter = MediaArtifactExporter(source)
        bind_artifact(exporter, make_context(storage, name, "directory", exporter, pool=options))
        engine.create_snapshot(name, exporters=[exporter], storage=storage)
    else:
        for name in rest:
            engine.delete_snapshot(name, storage=storage, collect_garbage=False)
        report = collect_garbage(storage, options)
        print(f"report {report}", flush=True)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
