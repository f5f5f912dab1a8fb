"""App config of the backup command group."""

from __future__ import annotations

from django.apps import AppConfig
from django_stubs_ext import StrOrPromise


class SnapshotsBackupConfig(AppConfig):
    """Adds the ``snapshots backup`` command group."""

    name = "django_snapshots.backup"
    label = "snapshots_backup"
    verbose_name: StrOrPromise = "Snapshots: backup"

    def ready(self) -> None:
        """Add the ``backup`` group to the ``snapshots`` command (a django-typer plugin)."""
        from django_typer.utils import register_command_plugins

        from django_snapshots.backup.management import plugins

        register_command_plugins(plugins)
