"""The directory artifact: any folder as one tar file, and its all-or-nothing restore.

:class:`DirectoryArtifactExporter` archives a directory with
:func:`~django_snapshots.safetar.write_tree` (members under a top-level directory named
after the artifact type, as django-snapshots 0.1.0b1 wrote them).
:class:`DirectoryArtifactImporter` extracts the archive into a hidden staging directory
on the same filesystem as the target, then swaps entries in with renames, keeping every
displaced entry until the swap is complete so a failure puts the old contents back.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from django_snapshots.safetar import extract_tree, write_tree

__all__ = ["DirectoryArtifactExporter", "DirectoryArtifactImporter", "RestoreMode"]

RestoreMode = Literal["replace", "merge"]
"""``"replace"`` removes entries absent from the snapshot; ``"merge"`` keeps them."""


_STAGING_PREFIX = ".snapshots-restore-"


class DirectoryArtifactExporter:
    """Archive one directory as an uncompressed tar.

    The engine compresses the file; ``filename`` is the plain name
    (``"<artifact_type>.tar"`` unless given).
    """

    artifact_type: str
    """The artifact type this directory is recorded under."""
    filename: str
    """The plain tar file name within the snapshot."""
    metadata: dict[str, Any]
    """``{"directory": <path>}``."""
    directory: Path
    """The directory archived."""
    sequential: bool = True
    """``generate`` writes ``dest`` front to back, so the engine may pass a named pipe."""

    def __init__(
        self, directory: str | os.PathLike[str], artifact_type: str, filename: str | None = None
    ) -> None:
        """Archive ``directory`` as an artifact of type ``artifact_type``."""
        self.directory = Path(directory)
        self.artifact_type = artifact_type
        self.filename = filename if filename is not None else f"{artifact_type}.tar"
        self.metadata = {"directory": str(self.directory)}

    def generate(self, dest: Path) -> None:
        """Write the directory's tar to ``dest``; a missing directory archives as empty."""
        with dest.open("wb") as out:
            write_tree(self.directory, out, self.artifact_type)


@dataclass
class _Journal:
    """Renames done so far, so a failed swap can be undone in reverse order."""

    rename_entry: Callable[[Path, Path], None]
    """Performs one rename of the swap."""
    moves: list[tuple[Path, Path]] = field(default_factory=list[tuple[Path, Path]])
    """``(source, destination)`` of every completed rename."""

    def rename(self, source: Path, destination: Path) -> None:
        """Rename ``source`` to ``destination`` and record it."""
        self.rename_entry(source, destination)
        self.moves.append((source, destination))

    def undo(self) -> None:
        """Reverse every recorded rename, newest first."""
        for source, destination in reversed(self.moves):
            os.rename(destination, source)
        self.moves.clear()


def _is_real_dir(path: Path) -> bool:
    """Return True if ``path`` is a directory and not a link to one."""
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except FileNotFoundError:
        return False


def _exists(path: Path) -> bool:
    """Return True if anything, even a dangling link, is at ``path``."""
    return os.path.lexists(path)


def _make_staging(target: Path) -> Path:
    """Return a fresh hidden directory on the target's filesystem.

    It is a sibling of ``target``, or inside it when ``target`` is a mount point
    (renames cannot cross filesystems).
    """
    parent = target.parent
    if target.stat().st_dev == parent.stat().st_dev:
        where, prefix = parent, f".{target.name}{_STAGING_PREFIX}"
    else:
        where, prefix = target, _STAGING_PREFIX
    return Path(tempfile.mkdtemp(prefix=prefix, dir=where))


class DirectoryArtifactImporter:
    """Restore one directory from the tar a :class:`DirectoryArtifactExporter` wrote.

    In ``"replace"`` mode (the default) the directory ends up holding exactly the
    snapshot's entries; in ``"merge"`` mode entries absent from the snapshot are kept
    and entries present in both are replaced. The directory itself (possibly a mount
    point or a link to one) is kept; a failure leaves its old contents in place.
    """

    artifact_type: str
    """The artifact type this importer restores."""
    concurrent: bool = True
    """It only touches files (never the database), so it may run beside other importers."""
    directory: Path
    """The directory restored into; created if missing."""
    mode: RestoreMode
    """``"replace"`` or ``"merge"``."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        artifact_type: str,
        mode: RestoreMode = "replace",
    ) -> None:
        """Restore artifacts of type ``artifact_type`` into ``directory``."""
        self.directory = Path(directory)
        self.artifact_type = artifact_type
        self.mode = mode

    def restore(self, src: Path) -> None:
        """Extract the tar ``src`` beside the directory, then swap its entries in."""
        self.restore_tree(lambda new: extract_tree(src, new))

    def restore_tree(self, populate: Callable[[Path], None]) -> None:
        """Fill a staging directory beside the target with ``populate``, then swap it in.

        ``populate`` receives an empty directory on the target's filesystem and creates
        the tree there; if it raises, the target is left untouched.
        """
        target = Path(os.path.realpath(self.directory))
        target.mkdir(parents=True, exist_ok=True)
        staging = _make_staging(target)
        keep_staging = False
        try:
            new, aside = staging / "new", staging / "old"
            new.mkdir()
            aside.mkdir()
            populate(new)
            journal = _Journal(self._rename)
            try:
                if self.mode == "replace":
                    self._replace(target, new, aside, staging, journal)
                else:
                    self._merge(target, new, aside, journal)
            except BaseException:
                try:
                    journal.undo()
                except OSError as error:  # pragma: no cover - needs a failing filesystem
                    keep_staging = True
                    raise OSError(
                        f"restoring {self.directory} failed and could not be undone; "
                        f"the previous contents are kept in {aside}: {error}"
                    ) from error
                raise
        finally:
            if not keep_staging:
                shutil.rmtree(staging, ignore_errors=True)

    def _rename(self, source: Path, destination: Path) -> None:
        """Rename one entry during the swap (a hook for tests of failed swaps)."""
        os.rename(source, destination)

    @staticmethod
    def _replace(target: Path, new: Path, aside: Path, staging: Path, journal: _Journal) -> None:
        """Move every current entry aside, then every snapshot entry in."""
        for name in sorted(os.listdir(target)):
            if target / name != staging:
                journal.rename(target / name, aside / name)
        for name in sorted(os.listdir(new)):
            journal.rename(new / name, target / name)

    @classmethod
    def _merge(cls, target: Path, new: Path, aside: Path, journal: _Journal) -> None:
        """Swap in every snapshot entry, descending into directories both sides have."""
        for name in sorted(os.listdir(new)):
            incoming, current = new / name, target / name
            if _is_real_dir(incoming) and _is_real_dir(current):
                (aside / name).mkdir()
                cls._merge(current, incoming, aside / name, journal)
                continue
            if _exists(current):
                journal.rename(current, aside / name)
            journal.rename(incoming, current)
