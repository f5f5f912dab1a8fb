"""The ``snapshots restore`` group: choose artifacts, confirm, then restore once.

Each artifact subcommand (``database``, ``media``, ``environment`` and any a
third-party app adds with ``@restore.command()``) returns a :class:`RestoreSelection`:
which artifact type to restore, with which importer factory, and what it will
overwrite. After the chain, ``_run_restore`` shows that summary, asks for
confirmation and calls :func:`django_snapshots.engine.restore_snapshot`. A bare ``restore``
restores every artifact the snapshot holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Optional

import typer
from django.conf import settings as django_settings
from django.core.management import CommandError

from django_snapshots.artifacts.protocols import AnyArtifactImporter
from django_snapshots.artifacts.registry import ImporterFactory
from django_snapshots.engine import get_snapshot
from django_snapshots.engine import restore_snapshot as engine_restore
from django_snapshots.exceptions import SnapshotNotFoundError
from django_snapshots.management.cli import (
    CommandSelf,
    DatabasesOption,
    ProgressOption,
    complete_snapshot_names,
    confirm,
    finalizer,
    format_age,
    newest_snapshot_name,
    progress_display,
)
from django_snapshots.management.commands.snapshots import Command, report_pip_diff
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.naming import validate_name

__all__ = [
    "RestoreSelection",
    "describe_database",
    "describe_target",
    "restore",
]


@dataclass(frozen=True)
class RestoreSelection:
    """One restore subcommand's choice: an artifact type and how to restore it."""

    artifact_type: str
    """The manifest ``type`` of the artifacts to restore."""
    importer: ImporterFactory
    """Makes the importer of each record of that type (None skips a record)."""
    overwrites: list[str] | Callable[[Snapshot], list[str]] = field(default_factory=list[str])
    """Lines telling the user what the restore will replace, or a function of the
    snapshot returning them."""
    report_only: bool = False
    """True when the subcommand only reports and skips every other restore."""
    check: Callable[[Snapshot], None] | None = None
    """Raises if the snapshot lacks what was asked for; runs before confirmation."""


def describe_database(alias: str) -> str:
    """Return which database restoring ``alias`` overwrites (engine and name)."""
    config = django_settings.DATABASES.get(alias)
    if config is None:
        return f"database {alias!r} (not configured here)"
    return f"database {alias!r} ({config['ENGINE'].rsplit('.', 1)[-1]} {config.get('NAME', '')})"


def describe_target(record: ArtifactRecord) -> str:
    """Return what restoring ``record`` with the registered importer overwrites."""
    if record.type == "database":
        return describe_database(str(record.metadata.get("database", "?")))
    if record.type == "media":
        return f"media root {django_settings.MEDIA_ROOT} (replaced)"
    if record.type == "environment":
        return "environment: report only, nothing is changed"
    return f"{record.type} artifact {record.filename}"


def _records(snapshot: Snapshot, artifact_type: str) -> list[ArtifactRecord]:
    """Return the records of ``artifact_type``; raise if the snapshot has none."""
    records = [record for record in snapshot.artifacts if record.type == artifact_type]
    if not records:
        raise SnapshotNotFoundError(f"snapshot {snapshot.name!r} has no {artifact_type} artifact")
    return records


@Command.group(
    name="restore",
    invoke_without_command=True,
    chain=True,
    help=(
        "Restore a snapshot (default: the newest). Chain artifact subcommands to "
        "restore only those; without any, everything in the snapshot is restored."
    ),
)
def restore(
    self: CommandSelf,
    name: Annotated[
        Optional[str],  # noqa: UP045 - typer reads the annotation at runtime
        typer.Option(
            "--name",
            help="Snapshot to restore (default: the newest).",
            autocompletion=complete_snapshot_names,
        ),
    ] = None,
    noinput: Annotated[
        bool,
        typer.Option("--noinput", "--no-input", "--force", help="Do not ask for confirmation."),
    ] = False,
    progress: ProgressOption = None,
) -> None:
    """Check the options before any subcommand runs."""
    if name is not None:
        validate_name(name)


@finalizer(restore)
def _run_restore(
    self: CommandSelf,
    results: list[object],
    name: str | None = None,
    noinput: bool = False,
    progress: bool | None = None,
) -> None:
    """Show what will be overwritten, confirm, and restore the chosen artifacts."""
    snapshot = get_snapshot(name if name is not None else newest_snapshot_name())
    selections: list[RestoreSelection] = []
    for result in results:
        if not isinstance(result, RestoreSelection):
            raise CommandError(f"a restore subcommand returned {result!r}, not a RestoreSelection")
        selections.append(result)

    for selection in selections:
        _records(snapshot, selection.artifact_type)
        if selection.check is not None:
            selection.check(snapshot)
    if any(selection.report_only for selection in selections):
        report_pip_diff(self, snapshot)
        return

    lines: list[str] = []
    if selections:
        for selection in selections:
            overwrites = selection.overwrites
            lines.extend(overwrites(snapshot) if callable(overwrites) else overwrites)
        importers: dict[str, ImporterFactory] | None = {
            selection.artifact_type: selection.importer for selection in selections
        }
    else:
        lines = [describe_target(record) for record in snapshot.artifacts]
        importers = None
    self.echo(
        f"Restoring snapshot {snapshot.name!r}, created "
        f"{snapshot.created_at.isoformat(timespec='seconds')} "
        f"({format_age(snapshot.created_at)}). This overwrites:"
    )
    for line in lines:
        self.echo(f"  - {line}")
    confirm("Proceed with the restore?", assume_yes=noinput)
    with progress_display(progress) as callback:
        engine_restore(snapshot.name, importers=importers, progress=callback)
    self.echo(f"Restored snapshot {snapshot.name!r}.")


@restore.command(help="Restore databases (default: every alias in the snapshot).")
def database(
    self: CommandSelf,
    databases: DatabasesOption = None,
) -> RestoreSelection:
    """Select the database artifacts of the chosen aliases."""
    from django_snapshots.artifacts.database import database_importer_factory
    from django_snapshots.backup.management.plugins.snapshots import check_aliases

    chosen = check_aliases(databases) if databases else None

    def check(snapshot: Snapshot) -> None:
        """Raise if the snapshot holds no dump of a chosen alias."""
        present = {record.metadata.get("database") for record in _records(snapshot, "database")}
        for alias in chosen or []:
            if alias not in present:
                raise SnapshotNotFoundError(
                    f"snapshot {snapshot.name!r} has no dump of database {alias!r}"
                )

    def overwrites(snapshot: Snapshot) -> list[str]:
        """Describe the databases the chosen dumps of ``snapshot`` overwrite."""
        records = _records(snapshot, "database")
        aliases = [str(record.metadata.get("database")) for record in records]
        return [describe_database(alias) for alias in aliases if chosen is None or alias in chosen]

    return RestoreSelection("database", database_importer_factory(chosen), overwrites, check=check)


@restore.command(help="Restore MEDIA_ROOT (or --media-root); replaces unless --merge.")
def media(
    self: CommandSelf,
    media_root_option: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--media-root", help="Directory to restore into instead of MEDIA_ROOT."),
    ] = None,
    merge: Annotated[
        bool,
        typer.Option(
            "--merge", help="Keep files absent from the snapshot instead of removing them."
        ),
    ] = False,
) -> RestoreSelection:
    """Select the media artifact, restoring into ``media_root``."""
    from django_snapshots.artifacts.media import MediaArtifactImporter, media_root

    target = media_root(media_root_option)
    if target is None:
        raise CommandError("MEDIA_ROOT is not set: pass --media-root")

    def factory(record: ArtifactRecord) -> AnyArtifactImporter:
        """Return an importer restoring ``record`` into the chosen media root."""
        return MediaArtifactImporter(target, mode="merge" if merge else "replace")

    how = "merged: files absent from the snapshot are kept" if merge else "replaced"
    return RestoreSelection("media", factory, [f"media root {target} ({how})"])


@restore.command(help="Compare the environment with the snapshot's pip freeze.")
def environment(
    self: CommandSelf,
    check_only: Annotated[
        bool,
        typer.Option("--check-only", help="Only report the difference; restore nothing else."),
    ] = False,
) -> RestoreSelection:
    """Select the environment artifact (which only ever reports)."""
    from django_snapshots.artifacts.environment import EnvironmentDiff, environment_importer_factory

    def report(diff: EnvironmentDiff) -> None:
        """Print the difference the importer found."""
        if diff.is_empty:
            self.echo("Environment matches the snapshot's requirements.")
            return
        self.echo("Environment differs from the snapshot (- only in snapshot, + only here):")
        for line in diff.lines():
            self.echo(f"  {line}")

    return RestoreSelection(
        "environment",
        environment_importer_factory(report=report),
        ["environment: report only, nothing is changed"],
        report_only=check_only,
    )
