"""The ``flaky`` artifact: one text file; its restore obeys ``settings.FLAKY_MODE``.

The mode file holds ``fail`` (the importer raises, changing nothing) or ``hang`` (it
writes ``settings.FLAKY_MARKER`` and sleeps, so a test can kill the restore there).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from django_snapshots.exceptions import SnapshotConfigurationError

FLAKY_TYPE = "flaky"


def _setting(name: str) -> Path:
    """Return the path setting ``name`` of the test settings."""
    return Path(str(getattr(settings, name)))


class FlakyExporter:
    """Copy ``settings.FLAKY_FILE`` into the snapshot."""

    artifact_type: str
    filename: str
    metadata: dict[str, Any]

    def __init__(self) -> None:
        """Export the flaky file."""
        self.artifact_type = FLAKY_TYPE
        self.filename = "flaky.txt"
        self.metadata = {}

    def generate(self, dest: Path) -> None:
        """Copy the file to ``dest``."""
        shutil.copyfile(_setting("FLAKY_FILE"), dest)


class FlakyImporter:
    """Write the file back, unless the mode file says to fail or hang first."""

    artifact_type: str = FLAKY_TYPE

    def restore(self, src: Path) -> None:
        """Obey the mode file, then replace the flaky file with ``src``."""
        mode_file = _setting("FLAKY_MODE")
        mode = mode_file.read_text().strip() if mode_file.exists() else ""
        if mode == "fail":
            raise SnapshotConfigurationError("the flaky importer refused")
        if mode == "hang":
            _setting("FLAKY_MARKER").write_text("importing flaky")
            time.sleep(300)
        shutil.copyfile(src, _setting("FLAKY_FILE"))
