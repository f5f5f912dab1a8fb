"""The core app: validates the ``SNAPSHOTS`` setting when Django starts."""

from __future__ import annotations

from django.apps import AppConfig
from django_stubs_ext import StrOrPromise


class SnapshotsConfig(AppConfig):
    """Core django-snapshots app: protocols, storage, the ``snapshots`` command."""

    name = "django_snapshots"
    label = "snapshots"
    verbose_name: StrOrPromise = "Snapshots"

    def ready(self) -> None:
        """Normalise and validate ``SNAPSHOTS`` so a bad value fails at startup."""
        from django_snapshots.artifacts.builtin import register_builtin_artifact_types
        from django_snapshots.settings import get_settings

        get_settings()
        register_builtin_artifact_types()
