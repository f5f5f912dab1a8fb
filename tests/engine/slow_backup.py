"""Run one backup with a slow fake exporter; used by the kill and concurrency tests.

Usage: ``python -m tests.engine.slow_backup STORE NAME SECONDS [overwrite] [archive] [hold]``.
Prints ``started`` once the exporter runs, then ``ok`` or ``error: <class>: <message>``.
With ``hold`` the exporter, once written, waits for a line on stdin, so a test decides
when the backup may finish instead of racing a timer.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any


class SlowExporter:
    """Write a few chunks, pausing in between, so a test can interrupt the backup."""

    artifact_type: str = "fake"
    filename: str = "slow.bin"
    metadata: dict[str, Any]

    def __init__(self, seconds: float, *, hold: bool = False) -> None:
        """Take about ``seconds`` to export (then wait for stdin if ``hold``)."""
        self.seconds = seconds
        self.hold = hold
        self.metadata = {}

    def generate(self, dest: Path) -> None:
        """Write ten chunks over ``seconds``."""
        print("started", flush=True)
        with dest.open("wb") as out:
            for _ in range(10):
                out.write(os.urandom(64 * 1024))
                out.flush()
                time.sleep(self.seconds / 10)
        if self.hold:
            sys.stdin.readline()


def main(argv: list[str]) -> int:
    """Run the backup described by ``argv``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.example.settings")
    import django

    django.setup()
    from django_snapshots.engine import create_snapshot
    from django_snapshots.exceptions import SnapshotError
    from django_snapshots.storage.local import LocalFileSystemBackend

    store, name, seconds = argv[0], argv[1], float(argv[2])
    extra = argv[3:]
    try:
        create_snapshot(
            name,
            exporters=[SlowExporter(seconds, hold="hold" in extra)],
            overwrite="overwrite" in extra,
            snapshot_format="archive" if "archive" in extra else "directory",
            storage=LocalFileSystemBackend(store),
        )
    except SnapshotError as error:
        print(f"error: {type(error).__name__}: {error}", flush=True)
        return 1
    print("ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
