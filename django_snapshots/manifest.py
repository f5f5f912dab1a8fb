"""The manifest schema: :class:`Snapshot` and :class:`ArtifactRecord`, and nothing more.

``manifest.json`` (format version ``"1"``) is read and written exactly as
django-snapshots 0.1.0b1 does. Keys this release does not know are kept in
``extra`` and written back unchanged, so a round trip loses nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, cast

from django_snapshots.exceptions import SnapshotIntegrityError, SnapshotVersionError

if TYPE_CHECKING:
    from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "MANIFEST_FILENAME",
    "MANIFEST_VERSION",
    "SUPPORTED_VERSIONS",
    "ArtifactRecord",
    "Snapshot",
]

MANIFEST_FILENAME: Final = "manifest.json"
"""Name of the manifest inside every snapshot."""

MANIFEST_VERSION: Final = "1"
"""The only manifest format version this release reads and writes."""

SUPPORTED_VERSIONS: Final = frozenset({MANIFEST_VERSION})
"""Every manifest format version this release reads (0.1.0b1's name for it)."""

_T = TypeVar("_T")


def _field(data: Mapping[str, Any], key: str, kind: type[_T], where: str) -> _T:
    """Return ``data[key]`` if it is a ``kind``; otherwise raise naming the field."""
    if key not in data:
        raise SnapshotIntegrityError(f"{where}: missing field {key!r}")
    value = data[key]
    # bool is an int subclass: a size of ``true`` is still wrong.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SnapshotIntegrityError(
            f"{where}: field {key!r} must be {kind.__name__}, got {type(value).__name__}"
        )
    return value


def _timestamp(data: Mapping[str, Any], key: str, where: str) -> datetime:
    """Parse an ISO-8601 field; naive values are taken as UTC."""
    text = _field(data, key, str, where)
    try:
        # Python 3.10's fromisoformat does not accept a trailing "Z".
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise SnapshotIntegrityError(
            f"{where}: field {key!r} is not an ISO-8601 timestamp: {text!r}"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _json_object(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = cast("dict[str, Any]", _field(data, key, dict, where))
    return dict(value)


def _list_of(data: Mapping[str, Any], key: str, kind: type[_T], where: str) -> list[_T]:
    """Return ``data[key]`` if it is a list whose items are all ``kind``."""
    items = cast("list[object]", _field(data, key, list, where))
    if not all(isinstance(item, kind) for item in items):
        raise SnapshotIntegrityError(
            f"{where}: field {key!r} must be a list of {kind.__name__} values"
        )
    return cast("list[_T]", items)


@dataclass
class ArtifactRecord:
    """One artifact file of a snapshot, as the manifest describes it."""

    type: str
    """The artifact type, such as ``"database"``, ``"media"`` or ``"environment"``."""
    filename: str
    """The stored file's name inside the snapshot."""
    size: int
    """Size in bytes of the stored file's plaintext (before any encryption)."""
    checksum: str
    """``"sha256:<hex>"`` of the stored file's plaintext."""
    created_at: datetime
    """When the artifact was written (timezone-aware, UTC)."""
    metadata: dict[str, Any] = field(default_factory=dict[str, Any])
    """Artifact-specific facts, such as the database alias and connector."""
    extra: dict[str, Any] = field(default_factory=dict[str, Any])
    """Keys of the record this release does not know, kept for round trips."""
    stored_size: int | None = None
    """Size in bytes of what storage holds, for an encrypted artifact (else None)."""
    stored_checksum: str | None = None
    """``"sha256:<hex>"`` of what storage holds, for an encrypted artifact (else None):
    ``verify`` checks it without any key."""

    _KEYS = (
        "type",
        "filename",
        "size",
        "checksum",
        "created_at",
        "metadata",
        "stored_size",
        "stored_checksum",
    )

    @property
    def encrypted(self) -> bool:
        """Return True if storage holds this artifact encrypted."""
        return self.stored_checksum is not None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArtifactRecord:
        """Parse one entry of the manifest's ``artifacts`` list."""
        where = f"artifact {data.get('filename', '?')!r}"
        checksum = _field(data, "checksum", str, where)
        if not checksum.startswith("sha256:"):
            raise SnapshotIntegrityError(
                f"{where}: field 'checksum' must start with 'sha256:', got {checksum!r}"
            )
        size = _field(data, "size", int, where)
        if size < 0:
            raise SnapshotIntegrityError(f"{where}: field 'size' is negative")
        stored_size = _field(data, "stored_size", int, where) if "stored_size" in data else None
        stored_checksum = (
            _field(data, "stored_checksum", str, where) if "stored_checksum" in data else None
        )
        if (stored_size is None) != (stored_checksum is None):
            raise SnapshotIntegrityError(
                f"{where}: fields 'stored_size' and 'stored_checksum' go together"
            )
        return cls(
            type=_field(data, "type", str, where),
            filename=_field(data, "filename", str, where),
            size=size,
            checksum=checksum,
            created_at=_timestamp(data, "created_at", where),
            metadata=_json_object(data, "metadata", where) if "metadata" in data else {},
            extra={k: v for k, v in data.items() if k not in cls._KEYS},
            stored_size=stored_size,
            stored_checksum=stored_checksum,
        )

    @classmethod
    def coerce(cls, data: ArtifactRecord | Mapping[str, Any]) -> ArtifactRecord:
        """Return ``data`` if it already is an :class:`ArtifactRecord`, else ``from_dict(data)``."""
        if isinstance(data, ArtifactRecord):
            return data
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-able form written to ``manifest.json``."""
        stored: dict[str, Any] = {}
        if self.stored_checksum is not None:
            stored = {"stored_size": self.stored_size, "stored_checksum": self.stored_checksum}
        return {
            "type": self.type,
            "filename": self.filename,
            "size": self.size,
            "checksum": self.checksum,
            "created_at": self.created_at.isoformat(),
            "metadata": self.metadata,
            **stored,
            **self.extra,
        }


@dataclass
class Snapshot:
    """A snapshot's manifest: who made it, when, and which artifacts it holds."""

    name: str
    """The snapshot's name (also its folder or ``<name>.tar`` in storage)."""
    created_at: datetime
    """When the backup started (timezone-aware, UTC)."""
    django_version: str
    python_version: str
    hostname: str
    encrypted: bool = False
    """Whether the artifact files are encrypted."""
    pip: list[str] = field(default_factory=list[str])
    """``pip freeze`` lines of the environment that made the snapshot."""
    metadata: dict[str, Any] = field(default_factory=dict[str, Any])
    """The ``SNAPSHOTS["METADATA"]`` setting at backup time."""
    artifacts: list[ArtifactRecord] = field(default_factory=list[ArtifactRecord])
    version: str = MANIFEST_VERSION
    """The manifest format version."""
    extra: dict[str, Any] = field(default_factory=dict[str, Any])
    """Top-level keys this release does not know, kept for round trips."""
    format: Literal["directory", "archive"] = field(default="directory", compare=False)
    """How the snapshot is stored; set by :meth:`from_storage`, not part of the manifest."""

    _KEYS = (
        "version",
        "name",
        "created_at",
        "django_version",
        "python_version",
        "hostname",
        "encrypted",
        "pip",
        "metadata",
        "artifacts",
    )

    @property
    def encryption_header(self) -> dict[str, Any] | None:
        """Return the manifest's ``"encryption"`` header (what a restore needs), or None."""
        header = self.extra.get("encryption")
        return cast("dict[str, Any]", header) if isinstance(header, dict) else None

    @property
    def authentication(self) -> dict[str, Any] | None:
        """Return the manifest's ``"authentication"`` seal (MAC or signature), or None."""
        seal = self.extra.get("authentication")
        return cast("dict[str, Any]", seal) if isinstance(seal, dict) else None

    @property
    def size(self) -> int:
        """Total stored size of all artifacts, in bytes."""
        return sum(artifact.size for artifact in self.artifacts)

    def artifact(self, filename: str) -> ArtifactRecord:
        """Return the record of the artifact stored as ``filename``."""
        for record in self.artifacts:
            if record.filename == filename:
                return record
        from django_snapshots.exceptions import SnapshotNotFoundError

        raise SnapshotNotFoundError(f"snapshot {self.name!r} has no artifact {filename!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        """Parse a manifest; raise :class:`SnapshotVersionError` on an unknown version."""
        version = data.get("version")
        if version != MANIFEST_VERSION:
            raise SnapshotVersionError(
                f"manifest version {version!r} is not supported "
                f"(this release reads version {MANIFEST_VERSION!r})"
            )
        where = f"manifest of {data.get('name', '?')!r}"
        pip = _list_of(data, "pip", str, where) if "pip" in data else []
        artifacts = cast("list[dict[str, Any]]", _list_of(data, "artifacts", dict, where))
        return cls(
            name=_field(data, "name", str, where),
            created_at=_timestamp(data, "created_at", where),
            django_version=_field(data, "django_version", str, where),
            python_version=_field(data, "python_version", str, where),
            hostname=_field(data, "hostname", str, where),
            encrypted=_field(data, "encrypted", bool, where) if "encrypted" in data else False,
            pip=list(pip),
            metadata=_json_object(data, "metadata", where) if "metadata" in data else {},
            artifacts=[ArtifactRecord.from_dict(entry) for entry in artifacts],
            version=MANIFEST_VERSION,
            extra={k: v for k, v in data.items() if k not in cls._KEYS},
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-able form written to ``manifest.json``."""
        return {
            "version": self.version,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "django_version": self.django_version,
            "python_version": self.python_version,
            "hostname": self.hostname,
            "encrypted": self.encrypted,
            "pip": list(self.pip),
            "metadata": self.metadata,
            "artifacts": [artifact.to_dict() for artifact in self.artifacts],
            **self.extra,
        }

    @classmethod
    def coerce(cls, data: Snapshot | Mapping[str, Any]) -> Snapshot:
        """Return ``data`` if it already is a :class:`Snapshot`, else ``from_dict(data)``."""
        if isinstance(data, Snapshot):
            return data
        return cls.from_dict(data)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Snapshot:
        """Parse the bytes of a ``manifest.json``."""
        try:
            data: object = json.loads(raw)
        except ValueError as error:
            raise SnapshotIntegrityError(f"manifest is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise SnapshotIntegrityError("manifest is not a JSON object")
        return cls.from_dict(cast("dict[str, Any]", data))

    def to_json(self) -> bytes:
        """Return the bytes of ``manifest.json``."""
        return json.dumps(self.to_dict(), indent=2).encode()

    def to_storage(self, storage: SnapshotStorage) -> None:
        """Write this manifest to ``storage`` as ``<name>/manifest.json`` (as 0.1.0b1 does).

        Only the manifest is written; a backup writes it last, after the artifacts.
        """
        from django_snapshots.layout import manifest_path, put

        put(storage, manifest_path(self.name), io.BytesIO(self.to_json()))

    @classmethod
    def from_storage(cls, storage: SnapshotStorage, name: str) -> Snapshot:
        """Read the manifest of snapshot ``name`` from ``storage``, in either format.

        Raise :class:`~django_snapshots.SnapshotNotFoundError` if there is none. The
        result's :attr:`format` says which format it is stored in.
        """
        from django_snapshots.engine.catalog import resolve

        location, snapshot = resolve(storage, name)
        snapshot.format = location.format
        return snapshot
