"""The ``snapshots backup`` group: a chain of artifact subcommands, then one backup.

Each artifact subcommand (``database``, ``media``, ``environment`` and any a
third-party app adds with ``@backup.command()``) returns the exporters it wants in
the snapshot. After the chain, ``_run_backup`` hands them all to
:func:`django_snapshots.engine.create_snapshot`. A bare ``backup`` runs the subcommands named
by ``DEFAULT_ARTIFACTS``, or every subcommand of the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Optional, cast

import typer
from django.conf import settings as django_settings
from django.core.management import CommandError

from django_snapshots.artifacts.protocols import AnyArtifactExporter, ArtifactExporterBase
from django_snapshots.engine import create_snapshot as engine_backup
from django_snapshots.management.cli import (
    CommandSelf,
    DatabasesOption,
    ProgressOption,
    finalizer,
    format_size,
    progress_display,
)
from django_snapshots.management.commands.snapshots import Command
from django_snapshots.naming import validate_name
from django_snapshots.settings import SnapshotFormat, get_settings

__all__ = ["SubcommandResult", "backup", "check_aliases"]

SubcommandResult = AnyArtifactExporter | Sequence[AnyArtifactExporter] | None
"""What a backup subcommand returns: one exporter, several, or None for nothing."""


def check_aliases(aliases: Sequence[str]) -> list[str]:
    """Return ``aliases`` if all are in ``settings.DATABASES``; raise ``CommandError`` if not."""
    known = list(django_settings.DATABASES)
    for alias in aliases:
        if alias not in known:
            raise CommandError(f"unknown database alias {alias!r} (configured: {', '.join(known)})")
    return list(aliases)


def _flatten(results: Sequence[object]) -> list[AnyArtifactExporter]:
    """Flatten the subcommands' results into one list of exporters."""
    exporters: list[AnyArtifactExporter] = []
    for result in results:
        items: Sequence[object]
        if result is None:
            items = []
        elif isinstance(result, (list, tuple)):
            items = cast("Sequence[object]", result)
        else:
            items = [result]
        for item in items:
            if not isinstance(item, ArtifactExporterBase):
                raise CommandError(f"a backup subcommand returned {item!r}, not an exporter")
            exporters.append(item)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    return exporters


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
    children = self.get_subcommand("backup").children
    wanted = get_settings().default_artifacts
    if wanted is None:
        wanted = list(children)
    unknown = [each for each in wanted if each not in children]
    if unknown:
        raise CommandError(
            f"DEFAULT_ARTIFACTS names unknown backup subcommand(s): {', '.join(unknown)} "
            f"(available: {', '.join(children)})"
        )
    return _flatten([children[each]() for each in wanted])


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
    exporters = _flatten(results)
    if not exporters:
        raise CommandError("nothing to back up: no subcommand produced an artifact")
    seen: set[str] = set()
    for exporter in exporters:
        if exporter.filename in seen:
            raise CommandError(f"two artifacts would both be stored as {exporter.filename!r}")
        seen.add(exporter.filename)
    with progress_display(progress) as callback:
        snapshot = engine_backup(
            name,
            exporters=exporters,
            overwrite=overwrite,
            snapshot_format=snapshot_format,
            progress=callback,
        )
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

    aliases = check_aliases(databases) if databases else list(django_settings.DATABASES)
    return list(database_exporters(aliases, connector=connector))


@backup.command(help="Archive MEDIA_ROOT (or --media-root).")
def media(
    self: CommandSelf,
    media_root_option: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--media-root", help="Directory to archive instead of MEDIA_ROOT."),
    ] = None,
) -> list[AnyArtifactExporter]:
    """Return the media exporter, or nothing when no media root is set."""
    from django_snapshots.artifacts.media import MediaArtifactExporter, media_root

    root = media_root(media_root_option)
    if media_root_option is not None and not Path(media_root_option).is_dir():
        raise CommandError(f"--media-root {media_root_option!r} is not a directory")
    if root is None:
        self.echo("MEDIA_ROOT is not set; skipping media.", err=True)
        return []
    return [MediaArtifactExporter(root)]


@backup.command(help="Record the Python environment (pip freeze).")
def environment(self: CommandSelf) -> list[AnyArtifactExporter]:
    """Return the environment exporter."""
    from django_snapshots.artifacts.environment import EnvironmentArtifactExporter

    return [EnvironmentArtifactExporter()]
