"""Plumbing shared by the connectors that drive a server's own client tools.

Private to :mod:`django_snapshots.connectors`: finding a tool and asking its version,
a private temporary directory for credential files, running a tool with its stderr
captured on disk (never in an unbounded buffer), and turning that stderr into the
one-line summary carried by :class:`~django_snapshots.exceptions.SnapshotConnectorError`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO

from django_snapshots.connectors._errors import one_line
from django_snapshots.exceptions import SnapshotConnectorError
from django_snapshots.scratch import scratch_folder
from django_snapshots.streams import CHUNK_SIZE

__all__ = [
    "CHUNK_SIZE",
    "describe_exit",
    "has_marker_near_end",
    "needed_by",
    "private_directory",
    "read_stderr",
    "resolve_executable",
    "run_tool",
    "summarise",
    "tool_version",
    "write_private_file",
]


_STDERR_WINDOW = 32 * 1024
_SUMMARY_LIMIT = 400
_SUMMARY_LINES = 3
_ERROR_LINE = re.compile(r"\b(error|fatal|failed|denied|refused|unknown|aborting)\b", re.I)
_SCRIPT_LOCATION = re.compile(r"^[\w.-]+:[^:\s]*:(\d+): ")  # psql:<stdin>:12:
_TOOL_PREFIX = re.compile(r"^(?:[\w.-]+: )?(?:(?:error|detail|hint|warning): )?", re.I)
_NOISE = re.compile(r"^[\s^~.;:-]*$")  # caret markers under a quoted statement


def private_directory() -> AbstractContextManager[Path]:
    """Return a fresh directory only the current user can enter, removed afterwards.

    A directory left by a killed process (it may hold a credentials file) is swept by
    the next run on this machine.
    """
    return scratch_folder("client")


def write_private_file(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 (failing if it exists) and write ``text``."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def needed_by(db_alias: str | None) -> str:
    """Return `` (needed by database alias 'x')`` for messages, or ``""``."""
    return "" if db_alias is None else f" (needed by database alias {db_alias!r})"


def resolve_executable(command: str, *, hint: str, db_alias: str | None = None) -> str:
    """Return the full path of ``command``, or raise naming the package to install."""
    found = shutil.which(command)
    if found is None:
        raise SnapshotConnectorError(
            f"{command} not found on PATH: install {hint}{needed_by(db_alias)}"
        )
    return found


def tool_version(executable: str, *, db_alias: str | None = None) -> str:
    """Return the first line ``executable --version`` prints (``""`` if it prints nothing)."""
    try:
        result = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise SnapshotConnectorError(
            f"cannot run {Path(executable).name}{needed_by(db_alias)}: {one_line(error)}"
        ) from error
    return (result.stdout.strip().splitlines() or [""])[0].strip()


def run_tool(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    stderr_path: Path,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
) -> int:
    """Run ``argv`` to completion with stderr to ``stderr_path``; return its exit status.

    The child is killed if this process is interrupted while waiting for it.
    """
    with stderr_path.open("ab") as stderr:
        process = subprocess.Popen(
            list(argv),
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=stdout if stdout is not None else subprocess.DEVNULL,
            stderr=stderr,
            env=dict(env),
        )
        try:
            return process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise


def read_stderr(path: Path) -> str:
    """Return the start and the end of a captured stderr file, decoded leniently."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_STDERR_WINDOW)
            size = os.fstat(handle.fileno()).st_size
            tail = b""
            if size > 2 * _STDERR_WINDOW:
                handle.seek(size - _STDERR_WINDOW)
                tail = handle.read(_STDERR_WINDOW)
            elif size > _STDERR_WINDOW:
                tail = handle.read()
    except FileNotFoundError:
        return ""
    return (head + b"\n" + tail).decode("utf-8", errors="replace")


def summarise(stderr: str) -> str:
    """Condense a tool's stderr to one line: its first error and what follows it."""
    lines = [" ".join(line.split()) for line in stderr.splitlines()]
    lines = [_SCRIPT_LOCATION.sub(r"line \1: ", line) for line in lines]
    lines = [_TOOL_PREFIX.sub("", line) for line in lines]
    lines = [line for line in lines if not _NOISE.match(line)]
    if not lines:
        return "no error output"
    start = next((i for i, line in enumerate(lines) if _ERROR_LINE.search(line)), None)
    picked = lines[start : start + _SUMMARY_LINES] if start is not None else lines[-_SUMMARY_LINES:]
    summary = "; ".join(picked)
    if len(summary) > _SUMMARY_LIMIT:
        summary = summary[: _SUMMARY_LIMIT - 3] + "..."
    return summary


def has_marker_near_end(path: Path, marker: bytes, window: int = 8192) -> bool:
    """Return True if ``marker`` occurs in the last ``window`` bytes of ``path``."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - window))
        return marker in handle.read()


def describe_exit(tool: str, status: int) -> str:
    """Return how ``tool`` ended, e.g. ``"pg_dump exited with status 1"``."""
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"{tool} was killed by {name}"
    return f"{tool} exited with status {status}"
