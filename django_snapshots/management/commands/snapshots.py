"""The ``snapshots`` management command: list, info, delete, prune, check and verify.

The ``backup`` and ``restore`` groups are added by the ``django_snapshots.backup`` and
``django_snapshots.restore`` apps as django-typer plugins, so leaving an app out of
``INSTALLED_APPS`` removes its group. Every subcommand is a thin layer over
:mod:`django_snapshots.engine`; every expected failure ends as one line on stderr.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from datetime import timezone
from types import TracebackType
from typing import Annotated, Any, Literal, Optional, cast

import typer
from django.core.management import CommandError
from django_typer.management import TyperCommand, command

from django_snapshots.durations import parse_duration
from django_snapshots.engine import (
    backup_status,
    delete_snapshot,
    get_snapshot,
    list_snapshots,
    prune_policy,
    prune_snapshots,
    verify_snapshot,
)
from django_snapshots.management.cli import (
    ForceOption,
    SnapshotNameArgument,
    complete_snapshot_names,
    confirm,
    format_age,
    format_size,
    report_pip_diff,
    snapshot_errors,
)
from django_snapshots.management.tables import listing_dict, table
from django_snapshots.management.usage import USAGE_ERRORS, usage_line
from django_snapshots.retention import PruneConfig, PrunePlan, has_rules
from django_snapshots.settings import get_settings

__all__ = ["Command", "InfoFormat", "ListFormat"]

ListFormat = Literal["table", "json", "yaml"]
"""Output formats of ``snapshots list``."""

InfoFormat = Literal["table", "json"]
"""Output formats of ``snapshots info``."""


class Command(TyperCommand):
    """Back up, restore and manage snapshots of databases, media and environment."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        """Run the command; report any expected failure as one line, not a traceback."""
        with snapshot_errors():
            try:
                get_settings()
            except CommandError:
                raise
            except Exception as error:  # noqa: BLE001 - refused below in one line
                raise CommandError(
                    f"{' '.join(str(error).split())} (manage.py check lists every problem)"
                ) from None
            run = cast("Callable[..., str | None]", super().execute)
            # The checks of other apps are not this command's business, and Django would
            # print ours as a multi-line report: a bad SNAPSHOTS was refused above in one line.
            return run(*args, **{**options, "skip_checks": True})

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> Literal[True] | None:
        """Print a command-line usage error as one line instead of a help page."""
        from_cli = getattr(self, "_called_from_command_line", False)
        parent: Any = super()  # django-typer leaves __exit__ untyped
        if isinstance(exc_val, USAGE_ERRORS) and from_cli:
            parent.__exit__(None, None, None)
            self.stderr.write(f"Error: {usage_line(exc_val)}")
            sys.exit(2)
        return cast("Literal[True] | None", parent.__exit__(exc_type, exc_val, exc_tb))

    @command(help="List the snapshots in storage, newest first.")
    def list(
        self,
        output: Annotated[
            ListFormat,
            typer.Option("--format", "-f", help="Output format."),
        ] = "table",
    ) -> None:
        """List the snapshots in storage, newest first."""
        listings = list_snapshots()
        if output == "json":
            self.echo(json.dumps([listing_dict(item) for item in listings], indent=2))
            return
        if output == "yaml":
            try:
                yaml = importlib.import_module("yaml")
            except ImportError:
                raise CommandError("--format yaml needs PyYAML: pip install PyYAML") from None
            dump = cast("Callable[..., str]", yaml.safe_dump)
            data = json.loads(json.dumps([listing_dict(item) for item in listings]))
            self.echo(dump(data, sort_keys=False, allow_unicode=True), nl=False)
            return
        if not listings:
            self.echo("No snapshots found.")
            return
        rows = [["NAME", "CREATED", "FORMAT", "ARTIFACTS", "SIZE", "HOST"]]
        for item in listings:
            snap = item.snapshot
            if snap is None:
                rows.append([item.name, "-", item.format, "-", "-", f"unreadable: {item.error}"])
                continue
            rows.append(
                [
                    item.name,
                    snap.created_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                    item.format,
                    str(len(snap.artifacts)),
                    format_size(snap.size),
                    snap.hostname,
                ]
            )
        for line in table(rows, right={3, 4}):
            self.echo(line)

    @command(help="Show a snapshot's manifest: artifacts, checksums and metadata.")
    def info(
        self,
        name: Annotated[
            str,
            typer.Argument(help="Snapshot name.", autocompletion=complete_snapshot_names),
        ],
        output: Annotated[
            InfoFormat,
            typer.Option("--format", "-f", help="Output format."),
        ] = "table",
    ) -> None:
        """Show a snapshot's manifest."""
        snap = get_snapshot(name)
        if output == "json":
            self.echo(json.dumps({**snap.to_dict(), "size": snap.size}, indent=2))
            return
        for label, value in (
            ("Name", snap.name),
            ("Created", f"{snap.created_at.isoformat()} ({format_age(snap.created_at)})"),
            ("Size", format_size(snap.size)),
            ("Django", snap.django_version),
            ("Python", snap.python_version),
            ("Host", snap.hostname),
            ("Encrypted", "yes" if snap.encrypted else "no"),
            ("Packages", str(len(snap.pip))),
        ):
            self.echo(f"{label + ':':<11}{value}")
        for key, meta in sorted(snap.metadata.items()):
            self.echo(f"{'Metadata:':<11}{key} = {json.dumps(meta)}")
        rows = [["TYPE", "FILE", "SIZE", "CHECKSUM", "DETAILS"]]
        for record in snap.artifacts:
            details = ", ".join(f"{k}={v}" for k, v in sorted(record.metadata.items()))
            rows.append(
                [record.type, record.filename, format_size(record.size), record.checksum, details]
            )
        self.echo("")
        self.echo(f"Artifacts ({len(snap.artifacts)}):")
        for line in table(rows, right={2}):
            self.echo(line)

    @command(help="Delete one snapshot, or every snapshot with --all.")
    def delete(
        self,
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
            delete_snapshot(each)
        self.echo(f"Deleted {len(names)} snapshot(s).")

    @command(help="Delete the snapshots no retention rule keeps (rules from settings or flags).")
    def prune(
        self,
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

        plan = prune_snapshots(policy, dry_run=dry_run, before_delete=show)
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

    @command(
        help="Say whether the newest snapshot is readable and younger than MAX_AGE "
        "(exit 0 fresh, 1 stale, 2 unreadable)."
    )
    def status(
        self,
        output: Annotated[
            InfoFormat,
            typer.Option("--format", "-f", help="Output format."),
        ] = "table",
    ) -> None:
        """Report the freshness of the newest snapshot, for monitoring probes."""
        found = backup_status()
        if output == "json":
            self.echo(json.dumps(found.to_dict(), indent=2))
        else:
            self.echo(f"{found.state}: {found.message}")
        if found.exit_code:
            raise CommandError(found.message, returncode=found.exit_code)

    @command(
        name="check",
        help="Compare the current pip freeze with a snapshot's (default: the newest).",
    )
    def check_environment(
        self,
        name: SnapshotNameArgument = None,
        strict: Annotated[
            bool, typer.Option("--strict", help="Exit with status 1 on any difference.")
        ] = False,
    ) -> None:
        """Compare the running environment with a snapshot's pip freeze."""
        snap = get_snapshot(name)
        diff = report_pip_diff(self.echo, snap)
        if strict and not diff.is_empty:
            raise CommandError(
                f"environment differs from snapshot {snap.name!r} "
                f"({len(diff.removed)} missing, {len(diff.added)} extra, "
                f"{len(diff.changed)} changed)",
                returncode=1,
            )

    @command(
        help="Re-hash every artifact of a snapshot (default: the newest) against its manifest."
    )
    def verify(
        self,
        name: SnapshotNameArgument = None,
    ) -> None:
        """Re-hash every artifact of a snapshot; fail on any mismatch."""
        report = verify_snapshot(name)
        for check in report.checks:
            self.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.filename}: {check.message}")
        if not report.ok:
            failed = [check.filename for check in report.checks if not check.ok]
            raise CommandError(f"snapshot {report.name!r} failed verification: {', '.join(failed)}")
        self.echo(f"Snapshot {report.name!r} is intact.")


def _check_duration(duration: str) -> None:
    """Raise ``CommandError`` unless ``duration`` is an ISO-8601 duration."""
    try:
        parse_duration(duration)
    except ValueError as error:
        raise CommandError(f"--duration: {error}") from None
