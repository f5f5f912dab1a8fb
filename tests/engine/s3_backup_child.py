"""Run one slow, streamed backup to S3; the debris test kills it mid-upload.

Usage: ``python -m tests.engine.s3_backup_child NAME`` with the S3Backend keyword
arguments as JSON in ``SNAPSHOTS_TEST_S3``. Prints ``started`` once the exporter writes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


class SlowStreamedExporter:
    """Write 24 MiB of random bytes over about six seconds, front to back (a pipe)."""

    artifact_type: str = "fake"
    filename: str = "big.bin"
    metadata: dict[str, Any]
    sequential: bool = True

    def __init__(self) -> None:
        """Export incompressible bytes so every part is uploaded as written."""
        self.metadata = {"compression": "none"}

    def generate(self, dest: Path) -> None:
        """Write 24 chunks of 1 MiB, a quarter of a second apart."""
        with dest.open("wb") as out:
            for index in range(24):
                out.write(os.urandom(1024 * 1024))
                out.flush()
                if index == 0:
                    print("started", flush=True)
                time.sleep(0.25)


def main(name: str) -> None:
    """Back up ``name`` to the S3 prefix the environment names."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.example.settings")
    import django

    django.setup()
    from django_snapshots.engine import create_snapshot
    from django_snapshots.storage.s3 import S3Backend

    storage = S3Backend(**json.loads(os.environ["SNAPSHOTS_TEST_S3"]))
    create_snapshot(name, exporters=[SlowStreamedExporter()], storage=storage)
    print("ok", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
