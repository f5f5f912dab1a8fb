"""Room in scratch: a restore refuses, before touching anything, when it cannot fit.

A restore decompresses every selected artifact into a private scratch folder of the
temp directory (``TMPDIR``) before any importer runs. The room it needs is the sum of
the plain sizes the manifest records (``plain_size``, written since this release), or
of the stored sizes where no plain size is known (older snapshots, files stored as
they are).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django_snapshots.engine.produce import PLAIN_SIZE_KEY
from django_snapshots.exceptions import SnapshotConfigurationError
from django_snapshots.humanize import format_size
from django_snapshots.manifest import ArtifactRecord

__all__ = ["check_scratch_space", "plain_size", "scratch_needed"]


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
    name: str, records: Iterable[ArtifactRecord], directory: Path | None = None
) -> None:
    """Refuse, with the numbers, a restore whose plain files do not fit in scratch.

    ``directory`` defaults to the temp directory scratch folders are made in. Raise
    :class:`~django_snapshots.SnapshotConfigurationError` naming the snapshot, the
    folder, what is needed and what is free.
    """
    where = directory if directory is not None else Path(tempfile.gettempdir())
    needed = scratch_needed(records)
    free = shutil.disk_usage(where).free
    if needed > free:
        raise SnapshotConfigurationError(
            f"not enough scratch space to restore snapshot {name!r}: its plain files need "
            f"{format_size(needed)} ({needed} bytes), {where} has {format_size(free)} "
            f"({free} bytes) free; point TMPDIR at a larger folder"
        )
