"""Private scratch folders in the temp directory, and the sweep of abandoned ones.

Backups, restores and connectors stage plain files (and credential files) in a folder
only the current user can enter. A folder is removed when its work ends; one left by
a process that was killed (``kill -9``, power loss) is removed by the next
django-snapshots run on the same machine, once its process is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

__all__ = ["SCRATCH_PREFIX", "process_running", "scratch_folder", "sweep_abandoned"]

SCRATCH_PREFIX: Final = "django-snapshots-"
"""Every scratch folder's name starts with this, then ``<kind>-<pid>-``."""

_OWNED: Final = re.compile(rf"^{re.escape(SCRATCH_PREFIX)}[a-z]+-(\d+)-")

_MIN_AGE_SECONDS: Final = 60.0
"""A folder younger than this is never swept, whatever its pid says."""


def process_running(pid: int) -> bool:
    """Return True if a process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        # PermissionError and the like: it exists, it is just not ours.
        return True
    return True


def sweep_abandoned(root: Path | None = None, *, min_age: float = _MIN_AGE_SECONDS) -> list[Path]:
    """Remove scratch folders whose process is gone; return the folders removed."""
    base = Path(root if root is not None else tempfile.gettempdir())
    removed: list[Path] = []
    now = time.time()
    for entry in base.glob(f"{SCRATCH_PREFIX}*"):
        match = _OWNED.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink():
            continue
        pid = int(match.group(1))
        try:
            age = now - entry.stat().st_mtime
            owned = entry.stat().st_uid == os.getuid()
        except OSError:
            continue
        if owned and age >= min_age and pid != os.getpid() and not process_running(pid):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@contextmanager
def scratch_folder(kind: str, *, root: Path | None = None) -> Generator[Path, None, None]:
    """Yield a new private folder for ``kind`` of work (lowercase letters); remove it after.

    Abandoned folders of earlier, killed runs are swept first.
    """
    if not kind.isalpha() or not kind.islower():
        raise ValueError(f"scratch folder kind must be lowercase letters, got {kind!r}")
    sweep_abandoned(root)
    path = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{kind}-{os.getpid()}-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
