"""App config of the restore command group."""

from __future__ import annotations

from django.apps import AppConfig
from django_stubs_ext import StrOrPromise


class SnapshotsRestoreConfig(AppConfig):
    """Adds the ``snapshots restore`` command group."""

    name = "django_snapshots.restore"
    label = "snapshots_restore"
    verbose_name: StrOrPromise = "Snapshots: restore"

    def ready(self) -> None:
        """Add the ``restore`` group to the ``snapshots`` command (a django-typer plugin)."""
        from django_typer.utils import register_command_plugins

        from django_snapshots.restore.management import plugins

        register_command_plugins(plugins)
