"""Safety snapshots: what a restore will overwrite, saved first, and how to put it back.

Before a restore touches anything, the engine takes a snapshot of exactly what the
restore's importers overwrite, named ``pre-restore-<timestamp>`` and marked in its
manifest metadata::

    {"safety": {"restore_of": "<snapshot restored>", "undo": false,
                "taken_at": "<ISO-8601>", "importers": {"<stored file>": "<rule>"}}}

How each importer's target is captured, and put back (the rule recorded per file):

- ``"database"``: a :class:`~django_snapshots.DatabaseArtifactImporter` of an alias is
  captured by dumping that alias with its configured connector, and put back with the
  connector recorded in the safety snapshot;
- ``"directory"``: a :class:`~django_snapshots.DirectoryArtifactImporter` (media) is
  captured by archiving the very directory it restores into (``--media-root`` too), and
  put back into that directory in replace mode;
- ``"registered"``: any other importer's target is what its registered artifact type's
  exporters save (the exporters of a bare backup), put back with its registered importer.

Importers of types that only report change nothing and are not captured. An importer
of a type that is not registered (a custom one handed to the Python API) restores a
target nobody can name: it stays *uncovered* — the safety snapshot cannot put it back,
and the plan says so.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final, cast

from django_snapshots.artifacts.database import (
    DatabaseArtifactExporter,
    DatabaseArtifactImporter,
)
from django_snapshots.artifacts.directory import (
    DirectoryArtifactExporter,
    DirectoryArtifactImporter,
)
from django_snapshots.artifacts.protocols import AnyArtifactExporter, AnyArtifactImporter
from django_snapshots.artifacts.registry import artifact_type
from django_snapshots.engine.backup import create_snapshot
from django_snapshots.engine.catalog import list_snapshots, resolve
from django_snapshots.engine.fetch import fetch_all
from django_snapshots.engine.imports import Pair, reports_only, run_importers
from django_snapshots.engine.produce import stored_name
from django_snapshots.engine.types import ProgressCallback
from django_snapshots.exceptions import (
    SnapshotConfigurationError,
    SnapshotExistsError,
    SnapshotIntegrityError,
    SnapshotNotFoundError,
)
from django_snapshots.layout import Location
from django_snapshots.manifest import Snapshot
from django_snapshots.naming import render_name
from django_snapshots.retention import SAFETY_KEY, is_safety_snapshot
from django_snapshots.scratch import scratch_folder
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "SAFETY_PREFIX",
    "SafetyCapture",
    "is_safety_snapshot",
    "last_restore",
    "plan_capture",
    "put_back",
    "safety_info",
    "safety_pairs",
    "take_safety_snapshot",
]

SAFETY_PREFIX: Final = "pre-restore-"
"""Every safety snapshot's name starts with this, then the UTC timestamp."""

_RULES: Final = frozenset({"database", "directory", "registered"})


@dataclass(frozen=True)
class SafetyCapture:
    """What a restore's safety snapshot saves, and which of its files covers which."""

    exporters: list[AnyArtifactExporter]
    """The exporters of the safety snapshot (empty: the restore overwrites nothing)."""
    rules: dict[str, str] = field(default_factory=dict[str, str])
    """How each stored file of the safety snapshot is put back (see the module doc)."""
    covers: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    """For each restored artifact (stored name), the safety files that hold its target."""
    uncovered: list[str] = field(default_factory=list[str])
    """Restored artifacts (stored names) whose target the safety snapshot cannot save."""


def _register(
    capture: SafetyCapture, filename: str, exporters: list[AnyArtifactExporter], rule: str
) -> None:
    """Add ``exporters`` (put back by ``rule``) as the cover of restored file ``filename``."""
    names: list[str] = []
    known = {stored_name(exporter)[0] for exporter in capture.exporters}
    for exporter in exporters:
        stored = stored_name(exporter)[0]
        names.append(stored)
        if stored not in known:
            capture.exporters.append(exporter)
            capture.rules[stored] = rule
            known.add(stored)
    capture.covers[filename] = names


def plan_capture(selected: Sequence[Pair]) -> SafetyCapture:
    """Return how to save what ``selected``'s importers would overwrite.

    Artifacts whose target cannot be told (an unregistered type restored by an importer
    of its own) are listed in ``uncovered``.
    """
    capture = SafetyCapture([])
    for record, importer in selected:
        if reports_only(record):
            continue
        if isinstance(importer, DatabaseArtifactImporter):
            exporters: list[AnyArtifactExporter] = [DatabaseArtifactExporter(importer.db_alias)]
            _register(capture, record.filename, exporters, "database")
        elif isinstance(importer, DirectoryArtifactImporter):
            exporters = [DirectoryArtifactExporter(importer.directory, importer.artifact_type)]
            _register(capture, record.filename, exporters, "directory")
        else:
            declared = artifact_type(record.type)
            if declared is None:
                capture.uncovered.append(record.filename)
                continue
            _register(capture, record.filename, list(declared.exporters()), "registered")
    return capture


def safety_info(snapshot: Snapshot) -> dict[str, Any]:
    """Return the ``safety`` metadata of a safety snapshot; raise if it is none."""
    if not is_safety_snapshot(snapshot):
        raise SnapshotNotFoundError(f"snapshot {snapshot.name!r} is not a safety snapshot")
    return cast("dict[str, Any]", snapshot.metadata[SAFETY_KEY])


def take_safety_snapshot(
    storage: SnapshotStorage,
    capture: SafetyCapture,
    restore_of: str,
    *,
    undo: bool = False,
    progress: ProgressCallback | None = None,
) -> Snapshot:
    """Take the safety snapshot ``capture`` describes, before restoring ``restore_of``."""
    taken_at = datetime.now(timezone.utc)
    metadata = {
        SAFETY_KEY: {
            "restore_of": restore_of,
            "undo": undo,
            "taken_at": taken_at.isoformat(timespec="seconds"),
            "importers": dict(capture.rules),
        }
    }
    base = render_name(SAFETY_PREFIX + "{timestamp_utc}", taken_at)
    for attempt in range(1, 100):
        name = base if attempt == 1 else f"{base}-{attempt}"
        try:
            return create_snapshot(
                name,
                exporters=list(capture.exporters),
                storage=storage,
                metadata=metadata,
                progress=progress,
            )
        except SnapshotExistsError:
            continue
    raise SnapshotConfigurationError(f"no free safety snapshot name after {base!r}-99")


def _importer(rule: object, snapshot: Snapshot, filename: str) -> AnyArtifactImporter:
    """Return the importer that puts back one file of a safety snapshot."""
    record = snapshot.artifact(filename)
    if rule == "database":
        return DatabaseArtifactImporter.from_record(record)
    if rule == "directory":
        directory = record.metadata.get("directory")
        if not isinstance(directory, str) or not directory:
            raise SnapshotIntegrityError(
                f"safety snapshot {snapshot.name!r}: {filename!r} records no directory"
            )
        return DirectoryArtifactImporter(Path(directory), record.type, "replace")
    declared = artifact_type(record.type)
    made = declared.importer(record) if declared is not None else None
    if made is None:
        raise SnapshotConfigurationError(
            f"cannot put back {filename!r} of safety snapshot {snapshot.name!r}: artifact "
            f"type {record.type!r} is not registered here"
        )
    return made


def safety_pairs(snapshot: Snapshot, filenames: Collection[str] | None = None) -> list[Pair]:
    """Return each file of safety snapshot ``snapshot`` with the importer putting it back.

    ``filenames`` limits the pairs to those stored files (None: every file).
    """
    rules = safety_info(snapshot).get("importers")
    known: dict[str, object] = cast("dict[str, object]", rules) if isinstance(rules, dict) else {}
    pairs: list[Pair] = []
    for record in snapshot.artifacts:
        if filenames is not None and record.filename not in filenames:
            continue
        rule = known.get(record.filename, "registered")
        if rule not in _RULES:
            rule = "registered"
        pairs.append((record, _importer(rule, snapshot, record.filename)))
    return pairs


def put_back(
    storage: SnapshotStorage,
    snapshot: Snapshot,
    filenames: Collection[str],
    progress: ProgressCallback | None = None,
) -> None:
    """Restore the ``filenames`` of safety snapshot ``snapshot`` with their recorded rules.

    Raise :class:`~django_snapshots.engine.imports.ImportFailure` if an importer fails.
    """
    location, stored = resolve(storage, snapshot.name)
    pairs = safety_pairs(stored, filenames)
    with scratch_folder("undo") as scratch:
        plain = fetch_all(
            storage, location, stored, [record for record, _ in pairs], Path(scratch), progress
        )
        run_importers(pairs, plain, progress)


def last_restore(storage: SnapshotStorage) -> tuple[Location, Snapshot]:
    """Return the safety snapshot of the last restore: the newest one not taken by an undo.

    Raise :class:`~django_snapshots.SnapshotNotFoundError` when there is none.
    """
    taken = [
        listing.snapshot
        for listing in list_snapshots(storage=storage)
        if listing.snapshot is not None
        and is_safety_snapshot(listing.snapshot)
        and safety_info(listing.snapshot).get("undo") is not True
    ]
    if not taken:
        raise SnapshotNotFoundError(
            "no safety snapshot in storage: no restore has been made that can be undone"
        )
    newest = max(taken, key=lambda snapshot: snapshot.created_at)
    return resolve(storage, newest.name)
