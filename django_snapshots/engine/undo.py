"""Undoing a restore: put back the safety snapshot taken before it.

"The last restore" is the one whose safety snapshot is the newest among those taken
before a restore (a safety snapshot's ``created_at``; those an undo took are skipped).
A restore run without a safety snapshot leaves nothing to undo, and is not seen: undo
then takes back the restore before it, so the command line shows which restore it
is about to undo and when, and asks first.

Undo is itself a restore, with the same guarantees: it takes its own safety snapshot
first (marked ``"undo": true``), and if one of its importers fails, what the others
had put back is restored from that. Undo never picks such a snapshot, so running undo
twice puts back the same state twice; to take an undo back, put its safety snapshot
back by name (``snapshots undo --name pre-restore-...``). Every safety snapshot is
kept for ``SAFETY_KEEP`` and then pruned.
"""

from __future__ import annotations

from dataclasses import dataclass

from django_snapshots.engine.catalog import resolve
from django_snapshots.engine.restore import RestorePlan, carry_out, checked_plan
from django_snapshots.engine.safety import last_restore, safety_info, safety_pairs
from django_snapshots.engine.types import ProgressCallback
from django_snapshots.manifest import Snapshot
from django_snapshots.settings import get_storage
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["UndoPlan", "execute_undo", "prepare_undo", "undo_last_restore"]


@dataclass(frozen=True)
class UndoPlan:
    """What an undo will put back, decided and checked before anything is touched."""

    restore: RestorePlan
    """The restore of the safety snapshot, with the importers its files record."""
    restore_of: str
    """The snapshot whose restore is undone (for an undo's own safety snapshot: the
    safety snapshot that undo put back)."""
    taken_at: str
    """When the safety snapshot was taken (ISO-8601), that is when that restore began."""

    @property
    def safety_snapshot(self) -> Snapshot:
        """Return the safety snapshot that will be put back."""
        return self.restore.snapshot

    @property
    def undoes_an_undo(self) -> bool:
        """Return True if the safety snapshot was taken by an undo (so this redoes)."""
        return safety_info(self.restore.snapshot).get("undo") is True

    def describe(self) -> str:
        """Return one line naming the restore this undo takes back, and when it began."""
        what = "the undo that put back" if self.undoes_an_undo else "the restore of snapshot"
        return f"{what} {self.restore_of!r} at {self.taken_at}"


def prepare_undo(name: str | None = None, *, storage: SnapshotStorage | None = None) -> UndoPlan:
    """Return the plan of putting back safety snapshot ``name`` (default: the last restore's).

    Raise :class:`~django_snapshots.SnapshotNotFoundError` when there is no safety
    snapshot (or ``name`` is not one), and whatever a restore's pre-flight raises.
    """
    store = storage if storage is not None else get_storage()
    location, snapshot = last_restore(store) if name is None else resolve(store, name)
    info = safety_info(snapshot)
    plan = checked_plan(store, location, snapshot, safety_pairs(snapshot))
    return UndoPlan(
        plan,
        str(info.get("restore_of", "?")),
        str(info.get("taken_at") or snapshot.created_at.isoformat()),
    )


def execute_undo(plan: UndoPlan, *, progress: ProgressCallback | None = None) -> Snapshot:
    """Carry out ``plan`` as a restore of its safety snapshot; return that snapshot."""
    return carry_out(plan.restore, progress=progress, undo=True)


def undo_last_restore(
    name: str | None = None,
    *,
    storage: SnapshotStorage | None = None,
    progress: ProgressCallback | None = None,
) -> UndoPlan:
    """Put back the state from before the last restore; return what was undone.

    ``name`` puts back that safety snapshot instead. Databases are restored with the
    connector that dumped them, directories (media) in replace mode into the directory
    they were saved from. See the module documentation for what "the last restore" is.
    """
    plan = prepare_undo(name, storage=storage)
    execute_undo(plan, progress=progress)
    return plan
