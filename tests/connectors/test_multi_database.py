"""One snapshot holding SQLite, PostgreSQL and MariaDB aliases, through the engine."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from django_snapshots import engine
from django_snapshots.artifacts.database import database_exporters, database_importer_factory
from django_snapshots.storage.local import LocalFileSystemBackend
from tests.connectors import test_mysql, test_postgres
from tests.servers import django_alias

pytestmark = [pytest.mark.postgres, pytest.mark.mysql]


def sqlite_rows(path: Path) -> list[tuple[Any, ...]]:
    """Return the notes stored in the SQLite database at ``path``."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id, text FROM note ORDER BY id").fetchall()


def test_sqlite_postgres_and_mariadb_aliases_round_trip_in_one_snapshot(
    postgres_alias: str,
    postgres_database: str,
    mysql_alias: str,
    mysql_database: str,
    tmp_path: Path,
    django_db_blocker: Any,
) -> None:
    """A snapshot of three aliases on three engines restores each one with its own connector."""
    lite_path = tmp_path / "lite.sqlite3"
    with sqlite3.connect(lite_path) as db:
        db.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        db.execute("INSERT INTO note (text) VALUES ('Zoë 🦄'), ('東京')")
    test_postgres.execute(postgres_database, test_postgres.SCHEMA)
    test_mysql.execute(mysql_database, *test_mysql.SCHEMA)
    storage = LocalFileSystemBackend(str(tmp_path / "store"))
    aliases = ["lite", postgres_alias, mysql_alias]
    with django_alias("lite", {"ENGINE": "django.db.backends.sqlite3", "NAME": str(lite_path)}):
        with django_db_blocker.unblock():
            snapshot = engine.create_snapshot(
                "multi", exporters=database_exporters(aliases), storage=storage
            )
        connectors = {
            record.metadata["database"]: record.metadata["connector"]
            for record in snapshot.artifacts
        }
        assert (
            connectors[postgres_alias] == "django_snapshots.connectors.postgres.PostgresConnector"
        )
        assert connectors[mysql_alias] == "django_snapshots.connectors.mysql.MySQLConnector"
        assert connectors["lite"].endswith("SQLiteConnector")

        expected_pg = test_postgres.fingerprint(postgres_database)
        expected_my = test_mysql.fingerprint(mysql_database)
        with sqlite3.connect(lite_path) as db:
            db.execute("DELETE FROM note")
        test_postgres.changed_state(postgres_database)
        test_mysql.change(mysql_database)

        with django_db_blocker.unblock():
            engine.restore_snapshot(
                "multi", importers={"database": database_importer_factory(aliases)}, storage=storage
            )
        assert sqlite_rows(lite_path) == [(1, "Zoë 🦄"), (2, "東京")]
        assert test_postgres.fingerprint(postgres_database) == expected_pg
        assert test_mysql.fingerprint(mysql_database) == expected_my
