"""App config of the backup command group."""

from __future__ import annotations

from django.apps import AppConfig
from django_stubs_ext import StrOrPromise


class SnapshotsBackupConfig(AppConfig):
    """Adds the ``snapshots backup`` command group."""

    name = "django_snapshots.backup"
    label = "django_snapshots_backup"
    verbose_name: StrOrPromise = "Snapshots: backup"
