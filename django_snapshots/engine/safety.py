"""Safety snapshots: what a restore will overwrite, saved first, and how to put it back.

Before a restore touches anything, the engine takes a snapshot of exactly what the
restore's importers overwrite, named ``pre-restore-<timestamp>`` and marked in its
manifest metadata::

    {"safety": {"restore_of": "<snapshot restored>", "undo": false,
                "taken_at": "<ISO-8601>", "importers": {"<stored file>": "<rule>"}}}

How each importer's target is captured, and put back (the rule recorded per file):

- ``"registered"``: the importer's artifact type declares it
  (:attr:`~django_snapshots.ArtifactType.capture`: the database alias it overwrites,
  the media directory or storage it replaces; without a declaration, the exporters of
  a bare backup), and puts it back with ``put_back`` (else its registered importer);
- ``"directory"``: a :class:`~django_snapshots.DirectoryArtifactImporter` of a type
  that declares nothing is captured by archiving the very directory it restores into,
  and put back into that directory in replace mode.

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

from django_snapshots.artifacts.directory import (
    DirectoryArtifactExporter,
    DirectoryArtifactImporter,
)
from django_snapshots.artifacts.protocols import AnyArtifactExporter, AnyArtifactImporter
from django_snapshots.artifacts.registry import artifact_type
from django_snapshots.engine.backup import create_snapshot
from django_snapshots.engine.catalog import list_snapshots, resolve
from django_snapshots.engine.crypto import open_restore_session
from django_snapshots.engine.fetch import fetch_all
from django_snapshots.engine.imports import Pair, reports_only, run_importers
from django_snapshots.engine.pools import bind_all, pool_options, restore_pool_options
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
from django_snapshots.settings import get_settings
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

_RULES: Final = frozenset({"directory", "registered"})


@dataclass(frozen=True)
class SafetyCapture:
    """What a restore's safety snapshot saves, and which of its files covers which.

    File names are read from the exporters when asked for, so they are the final ones
    once the exporters are bound (media picks ``media.files`` or ``media.tar`` then).
    """

    exporters: list[AnyArtifactExporter]
    """The exporters of the safety snapshot (empty: the restore overwrites nothing)."""
    uncovered: list[str] = field(default_factory=list[str])
    """Restored artifacts (stored names) whose target the safety snapshot cannot save."""
    parts: list[tuple[str, list[AnyArtifactExporter], str]] = field(
        default_factory=list[tuple[str, list[AnyArtifactExporter], str]]
    )
    """Each restored artifact (stored name), the exporters saving its target, their rule."""

    @property
    def rules(self) -> dict[str, str]:
        """Return how each stored file of the safety snapshot is put back."""
        return {
            stored_name(exporter)[0]: rule
            for _, exporters, rule in self.parts
            for exporter in exporters
        }

    @property
    def covers(self) -> dict[str, list[str]]:
        """Return, per restored artifact, the safety files that hold its target."""
        return {
            filename: [stored_name(exporter)[0] for exporter in exporters]
            for filename, exporters, _ in self.parts
        }


def _register(
    capture: SafetyCapture, filename: str, exporters: list[AnyArtifactExporter], rule: str
) -> None:
    """Add ``exporters`` (put back by ``rule``) as the cover of restored file ``filename``."""
    known = {stored_name(exporter)[0]: exporter for exporter in capture.exporters}
    used: list[AnyArtifactExporter] = []
    for exporter in exporters:
        stored = stored_name(exporter)[0]
        if stored not in known:
            capture.exporters.append(exporter)
            known[stored] = exporter
        used.append(known[stored])
    capture.parts.append((filename, used, rule))


def plan_capture(selected: Sequence[Pair]) -> SafetyCapture:
    """Return how to save what ``selected``'s importers would overwrite.

    Artifacts whose target cannot be told (an unregistered type restored by an importer
    of its own) are listed in ``uncovered``.
    """
    capture = SafetyCapture([])
    for record, importer in selected:
        if reports_only(record):
            continue
        declared = artifact_type(record.type)
        exporters: list[AnyArtifactExporter]
        if declared is not None and declared.capture is not None:
            exporters = list(declared.capture(record, importer))
            _register(capture, record.filename, exporters, "registered")
        elif isinstance(importer, DirectoryArtifactImporter):
            exporters = [DirectoryArtifactExporter(importer.directory, importer.artifact_type)]
            _register(capture, record.filename, exporters, "directory")
        elif declared is not None:
            _register(capture, record.filename, list(declared.exporters()), "registered")
        else:
            capture.uncovered.append(record.filename)
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
    settings = get_settings()
    pool = pool_options(settings.encryption_backend())
    for attempt in range(1, 100):
        name = base if attempt == 1 else f"{base}-{attempt}"
        # Bind first, so the recorded rules name the files the exporters will write.
        bind_all(capture.exporters, storage, name, settings.snapshot_format, pool)
        metadata[SAFETY_KEY]["importers"] = dict(capture.rules)
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
    if rule == "directory":
        directory = record.metadata.get("directory")
        if not isinstance(directory, str) or not directory:
            raise SnapshotIntegrityError(
                f"safety snapshot {snapshot.name!r}: {filename!r} records no directory"
            )
        return DirectoryArtifactImporter(Path(directory), record.type, "replace")
    declared = artifact_type(record.type)
    made: AnyArtifactImporter | None = None
    if declared is not None:
        make = declared.put_back if declared.put_back is not None else declared.importer
        made = make(record)
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
    encryption = get_settings().encryption_backend()
    session = open_restore_session(encryption, stored)
    pairs = safety_pairs(stored, filenames)
    pool = restore_pool_options(encryption, session, stored)
    bind_all((importer for _, importer in pairs), storage, stored.name, location.format, pool)
    with scratch_folder("undo") as scratch:
        records = [record for record, _ in pairs]
        plain = fetch_all(storage, location, stored, records, Path(scratch), progress, session)
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
