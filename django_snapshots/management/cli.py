"""The plugin API of the ``snapshots`` command: what every subcommand shares.

Third-party apps that add ``backup``/``restore`` subcommands import from here (and the
group objects from the backup and restore apps), so their subcommands behave like the
built-in ones: one-line errors, the same confirmation rules and options, the same
shell completion. This module imports no command module, so nothing imports back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar, Union, cast

import typer
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError

from django_snapshots.artifacts.environment import EnvironmentDiff, diff_environment, pip_freeze
from django_snapshots.artifacts.protocols import AnyArtifactExporter, ArtifactExporterBase
from django_snapshots.artifacts.registry import ImporterFactory
from django_snapshots.exceptions import SnapshotError
from django_snapshots.humanize import format_size
from django_snapshots.management.progress import ProgressDisplay, progress_display
from django_snapshots.manifest import Snapshot

if TYPE_CHECKING:
    from django_typer.management import TyperCommand as CommandSelf
else:
    # Typer turns every annotated parameter into a CLI parameter, ``self`` included,
    # before django-typer drops it; it must therefore see a type it knows.
    CommandSelf = str

__all__ = [
    "CommandSelf",
    "DatabasesOption",
    "ForceOption",
    "NoInputOption",
    "ProgressDisplay",
    "ProgressOption",
    "RestoreSelection",
    "SnapshotNameArgument",
    "SubcommandResult",
    "complete_database_aliases",
    "complete_snapshot_names",
    "confirm",
    "finalizer",
    "flatten_exporters",
    "format_age",
    "format_size",
    "progress_display",
    "report_pip_diff",
    "snapshot_errors",
]


_F = TypeVar("_F", bound=Callable[..., Any])


def finalizer(group: Any) -> Callable[[_F], _F]:
    """Return a decorator registering a function as ``group``'s finalizer.

    A typed spelling of django-typer's ``@group.finalize()``: the finalizer receives
    the list of the chained subcommands' results and the group's options.
    """
    return cast("Callable[[_F], _F]", group.finalize())


@contextmanager
def snapshot_errors() -> Generator[None, None, None]:
    """Report the expected failures raised inside as one-line ``CommandError`` exceptions.

    Expected failures are :class:`SnapshotError` (not found, exists, integrity, bad
    name, ...), ``ImproperlyConfigured`` and operating-system errors such as a full
    disk or a missing permission.
    """
    try:
        yield
    except (SnapshotError, ImproperlyConfigured, OSError) as error:
        raise CommandError(" ".join(str(error).split()) or type(error).__name__) from None


def format_age(created_at: datetime, now: datetime | None = None) -> str:
    """Return how long ago ``created_at`` was, such as ``3 h ago`` or ``2 d ago``."""
    seconds = int(((now or datetime.now(timezone.utc)) - created_at).total_seconds())
    if seconds < 0:
        return "in the future"
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            return f"{seconds // length} {unit} ago"
    return f"{seconds} s ago"


def confirm(question: str, *, assume_yes: bool, flag: str = "--noinput") -> None:
    """Ask ``question`` on a terminal; refuse on a non-terminal unless ``assume_yes``.

    Raise ``CommandError`` when the user declines, or when no terminal can answer
    and ``flag`` was not given.
    """
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise CommandError(f"refusing to continue without confirmation: pass {flag}")
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise CommandError("cancelled")


def report_pip_diff(echo: Callable[[str], object], snap: Snapshot) -> EnvironmentDiff:
    """Print how the running environment differs from ``snap``'s, and return the diff."""
    diff = diff_environment(snap.pip, pip_freeze())
    if diff.is_empty:
        echo(f"Environment matches snapshot {snap.name!r}.")
        return diff
    echo(f"Environment differs from snapshot {snap.name!r} (- only in snapshot, + only here):")
    for line in diff.lines():
        echo(f"  {line}")
    return diff


def complete_snapshot_names(incomplete: str) -> list[str]:
    """Complete the names of the snapshots in storage; complete nothing on any error."""
    from django_snapshots.engine import list_snapshots

    try:
        names = [listing.name for listing in list_snapshots()]
    except Exception:  # noqa: BLE001 - completion must never crash the shell
        return []
    return [name for name in names if name.startswith(incomplete)]


def complete_database_aliases(incomplete: str) -> list[str]:
    """Complete the aliases of ``settings.DATABASES``."""
    return [alias for alias in django_settings.DATABASES if alias.startswith(incomplete)]


SnapshotNameArgument = Annotated[
    Optional[str],  # noqa: UP045 - typer evaluates the annotation at runtime
    typer.Argument(
        help="Snapshot name (default: the newest).", autocompletion=complete_snapshot_names
    ),
]
"""An optional snapshot-name argument that completes stored names."""

ForceOption = Annotated[
    bool, typer.Option("--force", "-f", "--noinput", help="Do not ask for confirmation.")
]
"""The flag that skips a confirmation prompt (required on a non-terminal)."""

NoInputOption = Annotated[
    bool,
    typer.Option("--noinput", "--no-input", "--force", help="Do not ask for confirmation."),
]
"""The confirmation flag of ``restore``; its subcommands accept it too."""

ProgressOption = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option(
        "--progress/--no-progress",
        help="Show progress bars (default: only when stderr is a terminal).",
    ),
]
"""Force progress bars on or off; None shows them only on a terminal."""

DatabasesOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--databases",
        help="Database alias; repeat for several (default: every alias).",
        autocompletion=complete_database_aliases,
    ),
]
"""Repeatable ``--databases ALIAS`` that completes configured aliases."""


SubcommandResult = Union[AnyArtifactExporter, Sequence[AnyArtifactExporter], None]  # noqa: UP007 - a runtime alias
"""What a backup subcommand returns: one exporter, several, or None for nothing."""


def flatten_exporters(results: Sequence[object]) -> list[AnyArtifactExporter]:
    """Flatten backup subcommands' results into one list of exporters."""
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
            exporters.append(cast("AnyArtifactExporter", item))
    return exporters


@dataclass(frozen=True)
class RestoreSelection:
    """One restore subcommand's choice: an artifact type and how to restore it.

    The engine checks that the snapshot holds what was chosen and describes what the
    restore overwrites (the artifact type's ``describe``); ``overwrites`` replaces that
    description where a subcommand knows better.
    """

    artifact_type: str
    """The manifest ``type`` of the artifacts to restore."""
    importer: ImporterFactory
    """Makes the importer of each record of that type (None skips a record)."""
    overwrites: list[str] | Callable[[Snapshot], list[str]] = field(default_factory=list[str])
    """Lines telling the user what the restore will replace (or a function of the
    snapshot returning them); empty: the artifact type describes it."""
    report_only: bool = False
    """True when the subcommand only reports and skips every other restore."""
    check: Callable[[Snapshot], None] | None = None
    """Raises if the snapshot lacks what was asked for; runs before confirmation."""
    noinput: bool = False
    """The subcommand was given the confirmation flag (``--noinput``)."""
