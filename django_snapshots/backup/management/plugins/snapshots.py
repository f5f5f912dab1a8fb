"""The ``snapshots backup`` group: a chain of artifact subcommands, then one backup.

Each artifact subcommand (``database``, ``media``, ``environment`` and any a
third-party app adds with ``@backup.command()``) returns the exporters it wants in
the snapshot. After the chain, ``_run_backup`` hands them all to
:func:`django_snapshots.engine.create_snapshot`. A bare ``backup`` takes the
artifact types the engine's :func:`~django_snapshots.engine.default_artifact_names`
chooses (``DEFAULT_ARTIFACTS``, or every registered one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from django.conf import settings as django_settings
from django.core.management import CommandError

from django_snapshots.artifacts.protocols import AnyArtifactExporter
from django_snapshots.engine import check_database_aliases, create_snapshot, default_exporters
from django_snapshots.exceptions import SnapshotExistsError
from django_snapshots.layout import SnapshotFormat
from django_snapshots.management.cli import (
    CommandSelf,
    DatabasesOption,
    ProgressOption,
    SubcommandResult,
    finalizer,
    flatten_exporters,
    format_size,
    progress_display,
)
from django_snapshots.management.commands.snapshots import Command
from django_snapshots.naming import validate_name

__all__ = ["SubcommandResult", "backup"]


@Command.group(
    name="backup",
    invoke_without_command=True,
    chain=True,
    help=(
        "Take a snapshot. Chain artifact subcommands to choose what goes in it; "
        "without any, DEFAULT_ARTIFACTS (or every artifact subcommand) runs."
    ),
)
def backup(
    self: CommandSelf,
    ctx: typer.Context,
    name: Annotated[
        Optional[str],  # noqa: UP045 - typer reads the annotation at runtime
        typer.Option("--name", help="Snapshot name (default: the SNAPSHOT_NAME template)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a snapshot of the same name.")
    ] = False,
    snapshot_format: Annotated[
        Optional[SnapshotFormat],  # noqa: UP045
        typer.Option("--format", help="Storage layout (default: the SNAPSHOT_FORMAT setting)."),
    ] = None,
    progress: ProgressOption = None,
) -> list[AnyArtifactExporter] | None:
    """Check the options; on a bare ``backup``, collect the default exporters."""
    if name is not None:
        validate_name(name)
    if ctx.invoked_subcommand is not None:
        return None
    return default_exporters()


@finalizer(backup)
def _run_backup(
    self: CommandSelf,
    results: list[object],
    name: str | None = None,
    overwrite: bool = False,
    snapshot_format: SnapshotFormat | None = None,
    progress: bool | None = None,
) -> None:
    """Write one snapshot holding every exporter the chain collected."""
    with progress_display(progress) as callback:
        try:
            snapshot = create_snapshot(
                name,
                exporters=flatten_exporters(results),
                overwrite=overwrite,
                snapshot_format=snapshot_format,
                progress=callback,
            )
        except SnapshotExistsError as error:
            raise CommandError(
                f"snapshot {error.name!r} already exists; pass --overwrite to replace it"
            ) from None
    self.echo(
        f"Created snapshot {snapshot.name!r}: {len(snapshot.artifacts)} artifact(s), "
        f"{format_size(snapshot.size)}."
    )


@backup.command(help="Dump databases, one artifact per alias (default: every alias).")
def database(
    self: CommandSelf,
    databases: DatabasesOption = None,
    connector: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--connector", help="Dotted path of a connector class to dump with."),
    ] = None,
) -> list[AnyArtifactExporter]:
    """Return one database exporter per selected alias."""
    from django_snapshots.artifacts.database import database_exporters

    aliases = check_database_aliases(databases) if databases else list(django_settings.DATABASES)
    return list(database_exporters(aliases, connector=connector))


@backup.command(help="Back up MEDIA_ROOT, --media-root or a Django storage (--storage).")
def media(
    self: CommandSelf,
    media_root_option: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--media-root", help="Directory to back up instead of MEDIA_ROOT."),
    ] = None,
    storage: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--storage", help="STORAGES alias whose files to back up."),
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Re-read every file, even those unchanged since the last."),
    ] = False,
) -> list[AnyArtifactExporter]:
    """Return the media exporter, or nothing when there is no media to back up."""
    from django_snapshots.artifacts.media import configured_media_storage, media_exporters

    if media_root_option is not None and not Path(media_root_option).is_dir():
        raise CommandError(f"--media-root {media_root_option!r} is not a directory")
    if storage is not None and storage not in django_settings.STORAGES:
        known = ", ".join(django_settings.STORAGES)
        raise CommandError(f"--storage {storage!r} is not a STORAGES alias (configured: {known})")
    if storage is None and media_root_option is None:
        storage = configured_media_storage()
    exporters = media_exporters(media_root_option, storage=storage, full=full)
    if not exporters:
        self.echo("MEDIA_ROOT is not set; skipping media.", err=True)
    return list(exporters)


@backup.command(help="Record the Python environment (pip freeze).")
def environment(self: CommandSelf) -> list[AnyArtifactExporter]:
    """Return the environment exporter."""
    from django_snapshots.artifacts.environment import EnvironmentArtifactExporter

    return [EnvironmentArtifactExporter()]
