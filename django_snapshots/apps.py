"""The core app: registers the built-in artifact types and the system checks."""

from __future__ import annotations

from django.apps import AppConfig
from django_stubs_ext import StrOrPromise


class SnapshotsConfig(AppConfig):
    """Core django-snapshots app: protocols, storage, the ``snapshots`` command."""

    name = "django_snapshots"
    label = "snapshots"
    verbose_name: StrOrPromise = "Snapshots"

    def ready(self) -> None:
        """Register artifact types and checks; leave ``SNAPSHOTS`` normalised if valid.

        A bad ``SNAPSHOTS`` never raises here: ``manage.py check`` reports it
        (``snapshots.E0xx``) and the ``snapshots`` commands refuse to run.
        """
        from django.conf import settings
        from django_typer.utils import register_command_plugins

        from django_snapshots import checks
        from django_snapshots.artifacts.builtin import register_builtin_artifact_types
        from django_snapshots.management import plugins
        from django_snapshots.settings import get_settings, validate_settings

        del checks  # imported for its @register side effect
        register_builtin_artifact_types()
        register_command_plugins(plugins)
        normalised, problems = validate_settings(getattr(settings, "SNAPSHOTS", None))
        if normalised is not None and not problems:
            # As 0.1.0b1 does: code reading settings.SNAPSHOTS sees the normalised form.
            settings.SNAPSHOTS = normalised
            get_settings()
