"""Engine progress shown as rich progress bars on stderr."""

from __future__ import annotations

import sys
import threading
from collections.abc import Generator
from contextlib import contextmanager
from types import TracebackType

from django_snapshots.engine import ProgressCallback, ProgressEvent

__all__ = ["ProgressDisplay", "progress_display"]


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
