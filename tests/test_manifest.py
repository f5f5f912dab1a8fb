"""manifest.json: exact round trips with 0.1.0b1, unknown keys kept, strict field errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from django_snapshots.exceptions import (
    SnapshotIntegrityError,
    SnapshotNotFoundError,
    SnapshotVersionError,
)
from django_snapshots.manifest import ArtifactRecord, Snapshot

# Written by django-snapshots 0.1.0b1 (Snapshot(...).to_dict() dumped with indent=2).
OLD_MANIFEST = """{
  "version": "1",
  "name": "2026-01-31T23-59-59-UTC",
  "created_at": "2026-01-31T23:59:59+00:00",
  "django_version": "5.2.19",
  "python_version": "3.11.7",
  "hostname": "web1",
  "encrypted": false,
  "pip": [
    "Django==5.2.19"
  ],
  "metadata": {
    "env": "prod"
  },
  "artifacts": [
    {
      "type": "database",
      "filename": "default.sql.gz",
      "size": 1234,
      "checksum": "sha256:abababababababababababababababababababababababababababababababab",
      "created_at": "2026-01-31T23:59:59.123456+00:00",
      "metadata": {
        "database": "default",
        "connector": "django_snapshots.connectors.SQLiteConnector",
        "format": "sqlite3"
      }
    }
  ]
}"""


def _manifest(**changes: Any) -> dict[str, Any]:
    """Return the old manifest as a dict with top-level ``changes`` applied."""
    data: dict[str, Any] = json.loads(OLD_MANIFEST)
    data.update(changes)
    return data


def _artifact(**changes: Any) -> dict[str, Any]:
    """Return the old manifest with its artifact's fields changed."""
    data = _manifest()
    data["artifacts"][0].update(changes)
    return data


def test_old_manifest_round_trips_byte_for_byte() -> None:
    """A 0.1.0b1 manifest is parsed and written back to the identical bytes."""
    snapshot = Snapshot.from_json(OLD_MANIFEST)
    assert snapshot.to_json() == OLD_MANIFEST.encode()


def test_old_manifest_fields_are_typed() -> None:
    """Parsed fields carry their types: aware datetimes, ints, records."""
    snapshot = Snapshot.from_json(OLD_MANIFEST.encode())
    assert snapshot.created_at == datetime(2026, 1, 31, 23, 59, 59, tzinfo=timezone.utc)
    record = snapshot.artifact("default.sql.gz")
    assert record.size == 1234
    assert record.metadata["connector"] == "django_snapshots.connectors.SQLiteConnector"
    assert record.created_at.microsecond == 123456
    assert snapshot.size == 1234


def test_unknown_keys_are_kept_at_both_levels() -> None:
    """Keys this release does not know survive a round trip, top level and per artifact."""
    data = _manifest(format="archive", future={"nested": [1, 2]})
    data["artifacts"][0]["compression"] = "zstd"
    snapshot = Snapshot.from_dict(data)
    assert snapshot.extra == {"format": "archive", "future": {"nested": [1, 2]}}
    assert snapshot.artifacts[0].extra == {"compression": "zstd"}
    assert json.loads(snapshot.to_json()) == data


def test_zulu_timestamps_are_accepted() -> None:
    """A trailing Z is read as UTC on every supported Python."""
    snapshot = Snapshot.from_dict(_manifest(created_at="2026-01-31T23:59:59Z"))
    assert snapshot.created_at.tzinfo is not None
    assert snapshot.created_at.utcoffset() == timezone.utc.utcoffset(None)


@pytest.mark.parametrize("version", ["2", 1, None, "1.0"])
def test_unknown_versions_raise_version_error(version: object) -> None:
    """A manifest whose version is not "1" raises SnapshotVersionError quoting the version."""
    with pytest.raises(SnapshotVersionError, match="version") as raised:
        Snapshot.from_dict(_manifest(version=version))
    assert repr(version) in str(raised.value)


def test_missing_version_raises_version_error() -> None:
    """A manifest without a version raises SnapshotVersionError."""
    data = _manifest()
    del data["version"]
    with pytest.raises(SnapshotVersionError):
        Snapshot.from_dict(data)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": 5}, "'name'"),
        ({"created_at": "yesterday"}, "'created_at'"),
        ({"django_version": None}, "'django_version'"),
        ({"encrypted": "no"}, "'encrypted'"),
        ({"pip": "Django==5"}, "'pip'"),
        ({"pip": ["ok", 3]}, "'pip'"),
        ({"metadata": []}, "'metadata'"),
        ({"artifacts": {}}, "'artifacts'"),
        ({"artifacts": ["x"]}, "'artifacts'"),
    ],
)
def test_bad_top_level_fields_name_the_field(changes: dict[str, Any], field: str) -> None:
    """A wrongly typed top-level field raises SnapshotIntegrityError naming it."""
    with pytest.raises(SnapshotIntegrityError, match=field):
        Snapshot.from_dict(_manifest(**changes))


@pytest.mark.parametrize("field", ["name", "hostname", "python_version", "created_at", "artifacts"])
def test_missing_required_fields_are_named(field: str) -> None:
    """A missing required top-level field raises SnapshotIntegrityError naming it."""
    data = _manifest()
    del data[field]
    with pytest.raises(SnapshotIntegrityError, match=f"missing field '{field}'"):
        Snapshot.from_dict(data)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"size": "12"}, "'size'"),
        ({"size": True}, "'size'"),
        ({"size": -1}, "'size'"),
        ({"checksum": "md5:abc"}, "'checksum'"),
        ({"created_at": 5}, "'created_at'"),
        ({"type": None}, "'type'"),
        ({"metadata": "x"}, "'metadata'"),
    ],
)
def test_bad_artifact_fields_name_the_field_and_artifact(
    changes: dict[str, Any], field: str
) -> None:
    """A bad artifact field raises SnapshotIntegrityError naming the field and the artifact."""
    with pytest.raises(SnapshotIntegrityError, match=field) as raised:
        Snapshot.from_dict(_artifact(**changes))
    assert "default.sql.gz" in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", "null"])
def test_non_object_json_raises_integrity_error(raw: bytes | str) -> None:
    """Bytes that are not a JSON object raise SnapshotIntegrityError."""
    with pytest.raises(SnapshotIntegrityError, match="manifest"):
        Snapshot.from_json(raw)


def test_missing_artifact_lookup_raises_not_found() -> None:
    """Snapshot.artifact of an unknown filename raises SnapshotNotFoundError."""
    with pytest.raises(SnapshotNotFoundError, match=r"media.tar.gz"):
        Snapshot.from_json(OLD_MANIFEST).artifact("media.tar.gz")


def test_new_snapshot_serialises_to_the_spec_shape() -> None:
    """A Snapshot built in code writes every SPEC key, with defaults filled in."""
    moment = datetime(2026, 2, 1, tzinfo=timezone.utc)
    record = ArtifactRecord(
        type="media",
        filename="media.tar.gz",
        size=3,
        checksum="sha256:00",
        created_at=moment,
        metadata={"directory": "/srv/media"},
    )
    snapshot = Snapshot(
        name="n",
        created_at=moment,
        django_version="5.2",
        python_version="3.11",
        hostname="h",
        artifacts=[record],
    )
    data = json.loads(snapshot.to_json())
    assert list(data) == [
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
    ]
    assert data["artifacts"][0]["created_at"] == "2026-02-01T00:00:00+00:00"
    assert Snapshot.from_dict(data) == snapshot
