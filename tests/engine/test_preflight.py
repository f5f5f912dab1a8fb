"""A restore's pre-flight refuses what cannot work before anything is touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connections

from django_snapshots import engine
from django_snapshots.artifacts.database import DatabaseArtifactExporter
from django_snapshots.exceptions import SnapshotConnectorError
from django_snapshots.storage.local import LocalFileSystemBackend

pytestmark = pytest.mark.django_db(transaction=True)


def _customers() -> list[tuple[object, ...]]:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT id, name FROM shop_customer ORDER BY id")
        return list(cursor.fetchall())


def test_a_postgres_dump_is_not_restored_into_sqlite(tmp_path: Path) -> None:
    """A manifest naming the PostgreSQL connector for a SQLite alias is refused in one line."""
    storage = LocalFileSystemBackend(tmp_path)
    engine.create_snapshot("s", exporters=[DatabaseArtifactExporter("default")], storage=storage)
    manifest = tmp_path / "s" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["artifacts"][0]["metadata"]["connector"] = (
        "django_snapshots.connectors.postgres.PostgresConnector"
    )
    manifest.write_text(json.dumps(data))
    before = _customers()
    with pytest.raises(SnapshotConnectorError) as raised:
        engine.prepare_restore("s", storage=storage)
    message = str(raised.value)
    assert "\n" not in message
    assert "PostgreSQL" in message and "SQLite" in message and "'default'" in message
    with pytest.raises(SnapshotConnectorError):
        engine.restore_snapshot("s", storage=storage)
    assert _customers() == before
