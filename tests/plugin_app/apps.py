"""Registers the notes artifact type and the plugin's ``snapshots`` subcommands."""

from __future__ import annotations

from django.apps import AppConfig
from django_stubs_ext import StrOrPromise


class PluginAppConfig(AppConfig):
    """A third-party app extending django-snapshots the documented way."""

    name = "tests.plugin_app"
    label = "plugin_app"
    verbose_name: StrOrPromise = "Notes plugin"

    def ready(self) -> None:
        """Register the artifact type, then the command plugins."""
        from django_typer.utils import register_command_plugins

        from django_snapshots.artifacts.registry import ArtifactType, register_artifact_type
        from tests.plugin_app.artifacts import NOTES_TYPE, NotesExporter, notes_importer
        from tests.plugin_app.management import plugins

        register_artifact_type(
            ArtifactType(NOTES_TYPE, exporters=lambda: [NotesExporter()], importer=notes_importer)
        )
        register_command_plugins(plugins)
