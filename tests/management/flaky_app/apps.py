"""Registers the ``flaky`` artifact type."""

from __future__ import annotations

from django.apps import AppConfig
from django_stubs_ext import StrOrPromise


class FlakyAppConfig(AppConfig):
    """An app whose artifact restores after the database and can be told to fail."""

    name = "tests.management.flaky_app"
    label = "flaky_app"
    verbose_name: StrOrPromise = "Flaky artifact"

    def ready(self) -> None:
        """Register the flaky artifact type (restored by a bare restore)."""
        from django_snapshots.artifacts.registry import ArtifactType, register_artifact_type
        from tests.management.flaky_app.artifacts import FLAKY_TYPE, FlakyExporter, FlakyImporter

        register_artifact_type(
            ArtifactType(FLAKY_TYPE, lambda: [FlakyExporter()], lambda record: FlakyImporter())
        )
