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

from django_snapshots.engine import (
    backup_status,
    get_snapshot,
    list_snapshots,
    verify_snapshot,
)
from django_snapshots.engine.health import storage_findings
from django_snapshots.management.cli import (
    SnapshotNameArgument,
    complete_snapshot_names,
    format_age,
    format_size,
    report_pip_diff,
    snapshot_errors,
)
from django_snapshots.management.tables import listing_dict, table
from django_snapshots.management.usage import USAGE_ERRORS, usage_line
from django_snapshots.pool.check import parse_subset
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
            ("Encrypted", _scheme(snap.encryption_header) if snap.encrypted else "no"),
            ("Sealed", _scheme(snap.authentication) if snap.authentication else "no"),
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
        help=(
            "Compare the current pip freeze with a snapshot's (default: the newest) "
            "and report debris in storage."
        ),
    )
    def check_environment(
        self,
        name: SnapshotNameArgument = None,
        strict: Annotated[
            bool, typer.Option("--strict", help="Exit with status 1 on any difference.")
        ] = False,
    ) -> None:
        """Compare the running environment with a snapshot's pip freeze; report debris."""
        snap = get_snapshot(name)
        diff = report_pip_diff(self.echo, snap)
        findings = storage_findings()
        for finding in findings:
            self.echo(f"Storage: {finding}")
        if strict and not diff.is_empty:
            raise CommandError(
                f"environment differs from snapshot {snap.name!r} "
                f"({len(diff.removed)} missing, {len(diff.added)} extra, "
                f"{len(diff.changed)} changed)",
                returncode=1,
            )
        if strict and findings:
            raise CommandError(f"storage has {len(findings)} problem(s)", returncode=1)

    @command(
        help="Re-hash every artifact of a snapshot (default: the newest) against its manifest."
    )
    def verify(
        self,
        name: SnapshotNameArgument = None,
        read_data: Annotated[
            bool,
            typer.Option("--read-data", help="Also re-hash the media pool content it uses."),
        ] = False,
        read_data_subset: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option(
                "--read-data-subset",
                metavar="N/M",
                help="Re-hash only the N-th of M parts of the pool content (like restic).",
            ),
        ] = None,
    ) -> None:
        """Re-hash every artifact of a snapshot; fail on any mismatch."""
        subset = None
        if read_data_subset is not None:
            try:
                subset = parse_subset(read_data_subset)
            except ValueError as error:
                raise CommandError(f"--read-data-subset: {error}") from None
        report = verify_snapshot(
            name, read_data=read_data or subset is not None, read_data_subset=subset
        )
        for check in report.checks:
            self.echo(f"{'ok  ' if check.ok else 'FAIL'}  {check.filename}: {check.message}")
        if not report.ok:
            failed = [check.filename for check in report.checks if not check.ok]
            raise CommandError(f"snapshot {report.name!r} failed verification: {', '.join(failed)}")
        self.echo(f"Snapshot {report.name!r} is intact.")


def _scheme(facts: dict[str, Any] | None) -> str:
    """Return ``yes (<scheme>)`` for an encryption header or seal."""
    scheme = (facts or {}).get("scheme")
    return f"yes ({scheme})" if isinstance(scheme, str) else "yes"
