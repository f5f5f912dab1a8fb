"""Room on disk: a restore refuses, before touching anything, when it cannot fit.

A restore decompresses every selected artifact into a private scratch folder of the
temp directory (``TMPDIR``) before any importer runs. The room it needs is the sum of
the plain sizes the manifest records (``plain_size``, written since this release), or
of the stored sizes where no plain size is known (older snapshots, files stored as
they are).

A media or directory restore into a folder then builds the new tree beside the old one
(on the target's filesystem, so the swap is a rename): it needs room there for the
whole tree, the ``bytes`` a pool file list records or the plain size of a tar. When
scratch and a target share a filesystem, their needs add up. A media tar restored into
a Django storage is unpacked in scratch: its tree counts there (the room left in a
remote storage cannot be asked).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from django_snapshots.artifacts.directory import DirectoryArtifactImporter
from django_snapshots.artifacts.media import MediaArtifactImporter
from django_snapshots.artifacts.protocols import AnyArtifactImporter
from django_snapshots.engine.produce import PLAIN_SIZE_KEY
from django_snapshots.exceptions import SnapshotConfigurationError
from django_snapshots.humanize import format_size
from django_snapshots.manifest import ArtifactRecord

__all__ = [
    "check_restore_space",
    "check_scratch_space",
    "plain_size",
    "scratch_needed",
    "tree_size",
]


def plain_size(record: ArtifactRecord) -> int:
    """Return the size of ``record``'s plain file where known, else its stored size."""
    recorded = record.metadata.get(PLAIN_SIZE_KEY)
    if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded >= 0:
        return recorded
    return record.size


def scratch_needed(records: Iterable[ArtifactRecord]) -> int:
    """Return the bytes of scratch a restore of ``records`` fills."""
    return sum(plain_size(record) for record in records)


def check_scratch_space(
    name: str,
    records: Iterable[ArtifactRecord],
    directory: Path | None = None,
    *,
    unpacked: int = 0,
) -> None:
    """Refuse, with the numbers, a restore whose plain files do not fit in scratch.

    ``directory`` defaults to the temp directory scratch folders are made in;
    ``unpacked`` adds the bytes of trees unpacked there too (a media tar restored into
    a Django storage). Raise :class:`~django_snapshots.SnapshotConfigurationError`
    naming the snapshot, the folder, what is needed and what is free.
    """
    where = directory if directory is not None else Path(tempfile.gettempdir())
    needed = scratch_needed(records) + unpacked
    free = shutil.disk_usage(where).free
    if needed > free:
        what = "its plain files and the media they unpack" if unpacked else "its plain files"
        raise SnapshotConfigurationError(
            f"not enough scratch space to restore snapshot {name!r}: {what} need "
            f"{format_size(needed)} ({needed} bytes), {where} has {format_size(free)} "
            f"({free} bytes) free; point TMPDIR at a larger folder"
        )


def tree_size(record: ArtifactRecord) -> int:
    """Return the bytes of the tree a media or directory ``record`` restores."""
    recorded = record.metadata.get("bytes")
    if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded >= 0:
        return recorded
    return plain_size(record)


def _target_folder(importer: AnyArtifactImporter) -> Path | None:
    """Return the folder a built-in tree importer stages beside, or None."""
    if isinstance(importer, (MediaArtifactImporter, DirectoryArtifactImporter)):
        return importer.directory
    return None


def _existing(path: Path) -> Path:
    """Return ``path`` or its nearest existing ancestor (a target may not exist yet)."""
    path = path.absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def check_restore_space(
    name: str,
    selected: Sequence[tuple[ArtifactRecord, AnyArtifactImporter]],
    scratch: Path | None = None,
) -> None:
    """Refuse, with the numbers, a restore that does not fit in scratch or beside a target.

    ``scratch`` defaults to the temp directory. Raise
    :class:`~django_snapshots.SnapshotConfigurationError` naming the snapshot, each
    folder involved, what is needed and what is free.
    """
    # A media tar restored into a Django storage is unpacked in scratch first.
    unpacked = sum(
        tree_size(record)
        for record, importer in selected
        if isinstance(importer, MediaArtifactImporter)
        and importer.storage is not None
        and record.metadata.get("layout") != "pool"
    )
    check_scratch_space(name, [record for record, _ in selected], scratch, unpacked=unpacked)
    where = _existing(scratch if scratch is not None else Path(tempfile.gettempdir()))
    total = scratch_needed(record for record, _ in selected) + unpacked
    scratch_need = (f"scratch ({where})", total)
    # Per filesystem: a folder on it, and what needs room there (label, bytes).
    needs: dict[int, tuple[Path, list[tuple[str, int]]]] = {}
    for record, importer in selected:
        folder = _target_folder(importer)
        if folder is None:
            continue
        existing = _existing(folder)
        device = os.stat(existing).st_dev
        if device not in needs:
            shared = os.stat(where).st_dev == device
            needs[device] = (existing, [scratch_need] if shared else [])
        needs[device][1].append((f"the {record.type} folder ({folder})", tree_size(record)))
    for existing, parts in needs.values():
        needed = sum(size for _, size in parts)
        free = shutil.disk_usage(existing).free
        if needed > free:
            raise SnapshotConfigurationError(
                f"not enough space to restore snapshot {name!r}: "
                f"{' and '.join(label for label, _ in parts)} need {format_size(needed)} "
                f"({needed} bytes) on one filesystem, which has {format_size(free)} "
                f"({free} bytes) free (the new tree is built beside the old one)"
            )
