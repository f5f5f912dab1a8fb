"""What every ``snapshots`` subcommand shares: errors, prompts, progress, completion.

Third-party apps that add ``backup``/``restore`` subcommands use these helpers too, so
their subcommands behave like the built-in ones: one-line errors, the same
confirmation rules and the same shell completion.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar, cast

import typer
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError

from django_snapshots.engine import ProgressCallback, ProgressEvent
from django_snapshots.exceptions import SnapshotError
from django_snapshots.humanize import format_size

if TYPE_CHECKING:
    from django_snapshots.management.commands.snapshots import Command as CommandSelf
else:
    # Typer turns every annotated parameter into a CLI parameter, ``self`` included,
    # before django-typer drops it; it must therefore see a type it knows.
    CommandSelf = str

__all__ = [
    "CommandSelf",
    "DatabasesOption",
    "ForceOption",
    "ProgressDisplay",
    "ProgressOption",
    "SnapshotNameArgument",
    "complete_database_aliases",
    "complete_snapshot_names",
    "confirm",
    "finalizer",
    "format_age",
    "format_size",
    "newest_snapshot_name",
    "progress_display",
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


class ProgressDisplay:
    """Show engine progress as rich progress bars with bytes and throughput.

    Use it as a context manager and pass :attr:`callback` to the engine. The
    callback is thread-safe, as the engine requires.
    """

    def __init__(self) -> None:
        """Prepare an idle display writing to stderr."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._lock: threading.Lock = threading.Lock()
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._progress: Progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
        )

    def __enter__(self) -> ProgressDisplay:
        """Start drawing."""
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop drawing, leaving the final state on screen (finished bars full)."""
        if exc is None:
            with self._lock:
                for task in self._progress.tasks:
                    if task.total is None:
                        self._progress.update(task.id, total=task.completed)
        self._progress.stop()

    def callback(self, event: ProgressEvent) -> None:
        """Update the bar of ``event``'s artifact and stage."""
        key = (event.stage, event.filename)
        with self._lock:
            task = self._tasks.get(key)
            if task is None:
                task = self._progress.add_task(
                    f"{event.stage:<8} {event.filename}", total=event.total
                )
                self._tasks[key] = task
            self._progress.update(task, completed=event.done, total=event.total)


@contextmanager
def progress_display(wanted: bool | None) -> Generator[ProgressCallback | None, None, None]:
    """Yield a progress callback, or None when no progress should be shown.

    ``wanted`` None means: show progress only when stderr is a terminal.
    """
    show = sys.stderr.isatty() if wanted is None else wanted
    if not show:
        yield None
        return
    with ProgressDisplay() as display:
        yield display.callback


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


def newest_snapshot_name() -> str:
    """Return the name of the newest readable snapshot in storage."""
    from django_snapshots.engine import list_snapshots
    from django_snapshots.exceptions import SnapshotNotFoundError

    for listing in list_snapshots():
        if listing.snapshot is not None:
            return listing.name
    raise SnapshotNotFoundError("no snapshots in storage")
