"""Add ``snapshots backup notes`` and, when restores are allowed, ``snapshots restore notes``."""

from __future__ import annotations

from django.apps import apps

from django_snapshots.artifacts.protocols import AnyArtifactExporter
from django_snapshots.backup.management.plugins.snapshots import backup
from django_snapshots.management.cli import CommandSelf
from tests.plugin_app.artifacts import NOTES_TYPE, NotesExporter, notes_file, notes_importer


@backup.command(help="Save the notes file.")
def notes(self: CommandSelf) -> list[AnyArtifactExporter]:
    """Return the notes exporter."""
    return [NotesExporter()]


# Importing the restore group adds it to the command: only do so when the project
# installed django_snapshots.restore.
if apps.is_installed("django_snapshots.restore"):
    from django_snapshots.restore.management.plugins.snapshots import RestoreSelection, restore

    @restore.command(name="notes", help="Restore the notes file.")
    def restore_notes(self: CommandSelf) -> RestoreSelection:
        """Select the notes artifact."""
        return RestoreSelection(NOTES_TYPE, notes_importer, [f"notes file {notes_file()}"])
