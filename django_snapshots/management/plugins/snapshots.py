"""The maintenance subcommands of ``snapshots``: delete, prune and keygen.

They are added to the command as a django-typer plugin of the core app (registered in
``SnapshotsConfig.ready()``), which keeps the command module small.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from django.core.management import CommandError

from django_snapshots.durations import parse_duration
from django_snapshots.engine import (
    collect_garbage,
    delete_snapshot,
    get_snapshot,
    list_snapshots,
    prune_policy,
    prune_snapshots,
)
from django_snapshots.engine.pools import describe_collection
from django_snapshots.management.cli import (
    CommandSelf,
    ForceOption,
    complete_snapshot_names,
    confirm,
)
from django_snapshots.management.commands.snapshots import Command
from django_snapshots.retention import PruneConfig, PrunePlan, has_rules

__all__ = ["delete", "keygen", "prune"]


@Command.command(help="Delete one snapshot, or every snapshot with --all.")
def delete(
    self: CommandSelf,
    name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help="Snapshot name.", autocompletion=complete_snapshot_names),
    ] = None,
    all_snapshots: Annotated[
        bool, typer.Option("--all", help="Delete every snapshot in storage.")
    ] = False,
    force: ForceOption = False,
) -> None:
    """Delete one snapshot, or all of them."""
    if all_snapshots == (name is not None):
        raise CommandError("give either a snapshot name or --all")
    if name is not None:
        names = [name]
        if not any(listing.name == name for listing in list_snapshots()):
            get_snapshot(name)  # raises the engine's not-found (or name) error
    else:
        names = [listing.name for listing in list_snapshots()]
        if not names:
            self.echo("No snapshots found.")
            return
    question = (
        f"Delete snapshot {name!r}?"
        if name is not None
        else f"Delete ALL {len(names)} snapshot(s)?"
    )
    confirm(question, assume_yes=force, flag="--force")
    for each in names:
        delete_snapshot(each, collect_garbage=False)
    self.echo(f"Deleted {len(names)} snapshot(s).")
    _collect_garbage(self)


@Command.command(
    help="Delete the snapshots no retention rule keeps (rules from settings or flags)."
)
def prune(
    self: CommandSelf,
    keep: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--keep", min=0, help="Keep the N newest snapshots."),
    ] = None,
    duration: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--duration",
            help="Keep snapshots younger than this ISO-8601 duration (P30D).",
        ),
    ] = None,
    max_size: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--max-size", min=0, help="Keep the newest snapshots that fit in BYTES."),
    ] = None,
    keep_daily: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--keep-daily",
            min=0,
            help="Keep the newest snapshot of each of the last N days.",
        ),
    ] = None,
    keep_weekly: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--keep-weekly",
            min=0,
            help="Keep the newest snapshot of each of the last N weeks.",
        ),
    ] = None,
    keep_monthly: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--keep-monthly",
            min=0,
            help="Keep the newest snapshot of each of the last N months.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what would be deleted and why; delete nothing."),
    ] = False,
    force: ForceOption = False,
) -> None:
    """Delete the snapshots that no retention rule keeps."""
    if duration is not None:
        _check_duration(duration)
    flags = PruneConfig(
        keep=keep,
        duration=duration,
        max_size=max_size,
        keep_daily=keep_daily,
        keep_weekly=keep_weekly,
        keep_monthly=keep_monthly,
    )
    policy = flags if has_rules(flags) else None
    if not has_rules(prune_policy(policy)):
        self.echo(
            "No prune policy configured: set SNAPSHOTS['PRUNE'] or pass --keep/--duration/... "
            "(only safety snapshots older than SAFETY_KEEP are pruned)"
        )

    shown: list[bool] = []

    def skip_lines(plan: PrunePlan) -> None:
        """Say which unreadable snapshots prune leaves alone (once)."""
        if not shown:
            shown.append(True)
            for item in plan.skipped:
                self.echo(f"skip    {item.name}: unreadable ({item.reason}); delete it by name")

    def show(plan: PrunePlan) -> None:
        """List what will be deleted and ask first."""
        skip_lines(plan)
        self.echo(f"Will delete {len(plan.pruned)} snapshot(s):")
        for decision in plan.pruned:
            self.echo(f"  {decision.name}  ({'; '.join(decision.reasons)})")
        confirm("Proceed?", assume_yes=force, flag="--force")

    plan = prune_snapshots(policy, dry_run=dry_run, before_delete=show, collect_garbage=False)
    skip_lines(plan)
    if dry_run:
        for decision in plan.decisions:
            verb = "keep  " if decision.keep else "delete"
            self.echo(f"{verb}  {decision.name}  ({'; '.join(decision.reasons)})")
        self.echo(f"Would delete {len(plan.pruned)} snapshot(s).")
    elif not plan.pruned:
        self.echo("Nothing to prune.")
    else:
        self.echo(f"Pruned {len(plan.pruned)} snapshot(s).")
        _collect_garbage(self)


def _collect_garbage(self: CommandSelf) -> None:
    """Free pool content the deleted snapshots alone used, and say what happened."""
    for line in describe_collection(collect_garbage()):
        self.echo(line)


@Command.command(help="Print a new age identity and its recipient, or a signing pair (--signing).")
def keygen(
    self: CommandSelf,
    signing: Annotated[
        bool,
        typer.Option("--signing", help="Print an Ed25519 signing key and its verify key."),
    ] = False,
) -> None:
    """Print new keys for SNAPSHOTS['ENCRYPTION'], like age-keygen."""
    from django_snapshots.encryption import keygen_text

    self.echo(keygen_text(signing=signing).rstrip("\n"))


def _check_duration(duration: str) -> None:
    """Raise ``CommandError`` unless ``duration`` is an ISO-8601 duration."""
    try:
        parse_duration(duration)
    except ValueError as error:
        raise CommandError(f"--duration: {error}") from None
