"""The ``notes`` artifact: one text file (``settings.NOTES_FILE``) saved and restored."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings

from django_snapshots.manifest import ArtifactRecord

NOTES_TYPE = "notes"


def notes_file() -> Path:
    """Return the file the notes artifact backs up."""
    return Path(str(getattr(settings, "NOTES_FILE")))  # noqa: B009 - not in the stubs


class NotesExporter:
    """Copy the notes file into the snapshot."""

    artifact_type: str
    filename: str
    metadata: dict[str, Any]

    def __init__(self) -> None:
        """Export ``settings.NOTES_FILE``."""
        self.artifact_type = NOTES_TYPE
        self.filename = "notes.txt"
        self.metadata = {"source": str(notes_file())}

    def generate(self, dest: Path) -> None:
        """Copy the notes file to ``dest``."""
        shutil.copyfile(notes_file(), dest)


class NotesImporter:
    """Write the snapshot's notes back to ``settings.NOTES_FILE``."""

    artifact_type: str

    def __init__(self) -> None:
        """Restore into ``settings.NOTES_FILE``."""
        self.artifact_type = NOTES_TYPE

    def restore(self, src: Path) -> None:
        """Replace the notes file with ``src``."""
        shutil.copyfile(src, notes_file())


def notes_importer(record: ArtifactRecord) -> NotesImporter:
    """Return the importer of a notes record."""
    return NotesImporter()
