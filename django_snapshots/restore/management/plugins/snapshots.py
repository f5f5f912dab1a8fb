"""The ``snapshots restore`` group: choose artifacts, confirm, then restore once.

Each artifact subcommand (``database``, ``media``, ``environment`` and any a
third-party app adds with ``@restore.command()``) returns a
:class:`~django_snapshots.management.cli.RestoreSelection`. After the chain,
``_run_restore`` asks the engine for the plan (:func:`~django_snapshots.engine.prepare_restore`
resolves "the newest", checks that the snapshot holds what was chosen and describes
what will be overwritten), shows it, asks for confirmation and carries it out. A bare
``restore`` restores every artifact the snapshot holds. The confirmation flag works on
the group and on every built-in subcommand.

Before anything is overwritten the engine takes a safety snapshot of it
(``--no-safety-snapshot`` skips that); ``snapshots undo`` puts the last one back.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from django.conf import settings as django_settings
from django.core.management import CommandError

from django_snapshots.artifacts.registry import ImporterFactory
from django_snapshots.engine import (
    RestorePlan,
    check_database_aliases,
    execute_restore,
    execute_undo,
    prepare_restore,
    prepare_undo,
)
from django_snapshots.management.cli import (
    CommandSelf,
    DatabasesOption,
    NoInputOption,
    ProgressOption,
    RestoreSelection,
    complete_snapshot_names,
    confirm,
    finalizer,
    format_age,
    progress_display,
    report_pip_diff,
)
from django_snapshots.management.commands.snapshots import Command
from django_snapshots.manifest import Snapshot
from django_snapshots.naming import validate_name
from django_snapshots.signals import post_restore

__all__ = ["NO_SAFETY_WARNING", "RestoreSelection", "restore", "undo"]

NO_SAFETY_WARNING = (
    "No safety snapshot (--no-safety-snapshot): 'snapshots undo' cannot take this restore "
    "back, and if an importer fails after another has finished, what was restored stays."
)
"""What a restore without a safety snapshot gives up, as the command line says it."""

NoSafetyOption = Annotated[
    bool,
    typer.Option(
        "--no-safety-snapshot",
        help="Do not save what the restore overwrites first (no undo, no rollback).",
    ),
]
"""Skip the safety snapshot taken before a restore."""


def _run_noting_safety(plan: RestorePlan, progress: bool | None) -> Snapshot | None:
    """Carry out ``plan`` with progress; return the safety snapshot it took, if any."""
    taken: list[Snapshot] = []

    def remember(sender: object, safety_snapshot: Snapshot | None = None, **_: Any) -> None:
        """Keep the safety snapshot the engine reports."""
        if safety_snapshot is not None:
            taken.append(safety_snapshot)

    post_restore.connect(remember, weak=False)
    try:
        with progress_display(progress) as callback:
            execute_restore(plan, progress=callback)
    finally:
        post_restore.disconnect(remember)
    return taken[0] if taken else None


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
    noinput: NoInputOption = False,
    progress: ProgressOption = None,
    no_safety_snapshot: NoSafetyOption = False,
) -> None:
    """Check the options before any subcommand runs."""
    if name is not None:
        validate_name(name)


def _confirmation_lines(plan: RestorePlan, selections: list[RestoreSelection]) -> list[str]:
    """Return what the restore overwrites: each type's description, or a selection's own."""
    explicit = {item.artifact_type: item.overwrites for item in selections if item.overwrites}
    lines = [
        described
        for (record, _), described in zip(plan.selected, plan.overwrites, strict=True)
        if record.type not in explicit
    ]
    for given in explicit.values():
        lines.extend(given(plan.snapshot) if callable(given) else given)
    return lines


@finalizer(restore)
def _run_restore(
    self: CommandSelf,
    results: list[object],
    name: str | None = None,
    noinput: bool = False,
    progress: bool | None = None,
    no_safety_snapshot: bool = False,
) -> None:
    """Show what will be overwritten, confirm, and restore the chosen artifacts."""
    selections: list[RestoreSelection] = []
    for result in results:
        if not isinstance(result, RestoreSelection):
            raise CommandError(f"a restore subcommand returned {result!r}, not a RestoreSelection")
        selections.append(result)
    importers: dict[str, ImporterFactory] | None = (
        {selection.artifact_type: selection.importer for selection in selections}
        if selections
        else None
    )
    plan = prepare_restore(name, importers=importers, safety_snapshot=not no_safety_snapshot)
    for selection in selections:
        if selection.check is not None:
            selection.check(plan.snapshot)
    if any(selection.report_only for selection in selections):
        report_pip_diff(self.echo, plan.snapshot)
        return
    snapshot = plan.snapshot
    self.echo(
        f"Restoring snapshot {snapshot.name!r}, created "
        f"{snapshot.created_at.isoformat(timespec='seconds')} "
        f"({format_age(snapshot.created_at)}). This overwrites:"
    )
    for line in _confirmation_lines(plan, selections):
        self.echo(f"  - {line}")
    if plan.safety is None:
        self.echo(NO_SAFETY_WARNING)
    elif plan.safety.exporters:
        self.echo("A safety snapshot of all this is taken first ('snapshots undo' puts it back).")
    if plan.safety is not None and plan.safety.uncovered:
        self.echo(f"The safety snapshot cannot save: {', '.join(plan.safety.uncovered)}.")
    assume_yes = noinput or any(selection.noinput for selection in selections)
    confirm("Proceed with the restore?", assume_yes=assume_yes)
    safety = _run_noting_safety(plan, progress)
    self.echo(f"Restored snapshot {snapshot.name!r}.")
    if safety is not None:
        self.echo(f"Safety snapshot {safety.name!r} holds what was there before.")


@Command.command(
    help="Put back what the last restore overwrote (its safety snapshot), or --name one."
)
def undo(
    self: CommandSelf,
    name: Annotated[
        Optional[str],  # noqa: UP045 - typer reads the annotation at runtime
        typer.Option(
            "--name",
            help="Safety snapshot to put back (default: the last restore's).",
            autocompletion=complete_snapshot_names,
        ),
    ] = None,
    noinput: NoInputOption = False,
    progress: ProgressOption = None,
) -> None:
    """Show which restore is undone and what is overwritten, confirm, and put it back."""
    if name is not None:
        validate_name(name)
    plan = prepare_undo(name)
    safety = plan.safety_snapshot
    self.echo(
        f"Undoing {plan.describe()}: putting back safety snapshot {safety.name!r}. This overwrites:"
    )
    for line in plan.restore.overwrites:
        self.echo(f"  - {line}")
    confirm("Proceed with the undo?", assume_yes=noinput)
    with progress_display(progress) as callback:
        execute_undo(plan, progress=callback)
    self.echo(f"Undid {plan.describe()} (put back safety snapshot {safety.name!r}).")


@restore.command(help="Restore databases (default: every alias in the snapshot).")
def database(
    self: CommandSelf,
    databases: DatabasesOption = None,
    noinput: NoInputOption = False,
) -> RestoreSelection:
    """Select the database artifacts of the chosen aliases."""
    from django_snapshots.artifacts.database import database_importer_factory

    chosen = check_database_aliases(databases) if databases else None
    return RestoreSelection("database", database_importer_factory(chosen), noinput=noinput)


@restore.command(
    help="Restore MEDIA_ROOT, --media-root or a storage (--storage); replaces unless --merge."
)
def media(
    self: CommandSelf,
    media_root_option: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--media-root", help="Directory to restore into instead of MEDIA_ROOT."),
    ] = None,
    storage: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--storage", help="STORAGES alias to restore the files into."),
    ] = None,
    merge: Annotated[
        bool,
        typer.Option(
            "--merge", help="Keep files absent from the snapshot instead of removing them."
        ),
    ] = False,
    noinput: NoInputOption = False,
) -> RestoreSelection:
    """Select the media artifact, restoring into a directory or a storage."""
    from django_snapshots.artifacts.media import (
        configured_media_storage,
        media_importer_factory,
        media_root,
    )

    if storage is not None and storage not in django_settings.STORAGES:
        known = ", ".join(django_settings.STORAGES)
        raise CommandError(f"--storage {storage!r} is not a STORAGES alias (configured: {known})")
    if storage is None and media_root_option is None:
        storage = configured_media_storage()
    if storage is None and media_root(media_root_option) is None:
        raise CommandError("MEDIA_ROOT is not set: pass --media-root or --storage")
    factory = media_importer_factory(
        media_root_option, "merge" if merge else "replace", storage=storage
    )
    return RestoreSelection("media", factory, noinput=noinput)


@restore.command(help="Compare the environment with the snapshot's pip freeze.")
def environment(
    self: CommandSelf,
    check_only: Annotated[
        bool,
        typer.Option("--check-only", help="Only report the difference; restore nothing else."),
    ] = False,
    noinput: NoInputOption = False,
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
        report_only=check_only,
        noinput=noinput,
    )
