"""The connector contract over the four built-in connectors, on the real servers.

SQLite and dumpdata run on throw-away SQLite files; PostgreSQL and MariaDB on
throw-away databases of the servers in ``tests/servers.py`` (skipped when a server is
down, failed under ``SNAPSHOTS_REQUIRE_SERVERS=1``).
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from django_snapshots.connectors import (
    DjangoDumpDataConnector,
    MySQLConnector,
    PostgresConnector,
    SQLiteConnector,
)
from django_snapshots.testing import DatabaseConnectorContract, Row
from tests.example.shop.models import Customer
from tests.servers import (
    MYSQL_HOST,
    MYSQL_PORT,
    POSTGRES_HOST,
    POSTGRES_PORT,
    django_alias,
    mysql_admin,
    postgres_admin,
    unique_name,
)


@pytest.fixture(autouse=True)
def _database_access(django_db_blocker: Any) -> Iterator[None]:
    """Let the contract reach its scratch databases through Django's connections."""
    with django_db_blocker.unblock():
        yield


def sqlite_alias(path: Path) -> AbstractContextManager[str]:
    """Return a context registering an SQLite alias for the file at ``path``."""
    config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
    return django_alias(f"lite_{uuid.uuid4().hex[:12]}", config)


@contextmanager
def migrated_sqlite_alias(path: Path) -> Generator[str, None, None]:
    """Yield an SQLite alias at ``path`` with every app's tables and no shop rows."""
    with sqlite_alias(path) as alias:
        # shop's 0002 seeds "default" whatever the alias: migrate shop only to 0001.
        for app in ("contenttypes", "auth", "admin", "sessions", "snapshots"):
            call_command("migrate", app, database=alias, verbosity=0)
        call_command("migrate", "shop", "0001", database=alias, verbosity=0)
        yield alias


@contextmanager
def postgres_scratch() -> Generator[str, None, None]:
    """Yield an alias of a new, empty PostgreSQL database; drop it afterwards."""
    name = unique_name()
    with postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "HOST": POSTGRES_HOST,
        "PORT": str(POSTGRES_PORT),
        "USER": "postgres",
    }
    try:
        with django_alias(f"pg_{name}", config) as alias:
            yield alias
    finally:
        with postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@contextmanager
def mysql_scratch() -> Generator[str, None, None]:
    """Yield an alias of a new, empty utf8mb4 MariaDB database; drop it afterwards."""
    name = unique_name()
    with mysql_admin() as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    config = {
        "ENGINE": "django.db.backends.mysql",
        "NAME": name,
        "HOST": MYSQL_HOST,
        "PORT": str(MYSQL_PORT),
        "USER": "root",
        "PASSWORD": "",
        "OPTIONS": {"charset": "utf8mb4"},
    }
    try:
        with django_alias(f"my_{name}", config) as alias:
            yield alias
    finally:
        with mysql_admin() as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def refused_port_alias(engine: str, user: str) -> AbstractContextManager[str]:
    """Return a context registering an alias of ``engine`` on a port nothing listens on."""
    config = {"ENGINE": engine, "NAME": "nothing", "HOST": "127.0.0.1", "PORT": "1", "USER": user}
    return django_alias(f"down_{uuid.uuid4().hex[:12]}", config)


class TestSQLiteConnector(DatabaseConnectorContract):
    """SQLiteConnector on SQLite files."""

    def make_connector(self) -> SQLiteConnector:
        return SQLiteConnector()

    def scratch_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return sqlite_alias(tmp_path / f"{uuid.uuid4().hex}.sqlite3")

    def unreachable_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return sqlite_alias(tmp_path / "no-such-folder" / "db.sqlite3")


class TestDumpDataConnector(DatabaseConnectorContract):
    """DjangoDumpDataConnector on migrated SQLite files, its rows in the shop's customers."""

    def make_connector(self) -> DjangoDumpDataConnector:
        return DjangoDumpDataConnector()

    def scratch_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return migrated_sqlite_alias(tmp_path / f"{uuid.uuid4().hex}.sqlite3")

    def unreachable_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return sqlite_alias(tmp_path / "no-such-folder" / "db.sqlite3")

    def write_rows(self, db_alias: str, rows: Iterable[Row]) -> None:
        customers = Customer.objects.using(db_alias)
        customers.all().delete()
        customers.bulk_create(
            Customer(pk=key, name=name, email=f"c{key}@example.com") for key, name in rows
        )

    def read_rows(self, db_alias: str) -> list[Row]:
        customers = Customer.objects.using(db_alias).order_by("pk")
        return [(customer.pk, customer.name) for customer in customers]


@pytest.mark.postgres
class TestPostgresConnector(DatabaseConnectorContract):
    """PostgresConnector on scratch databases of the PostgreSQL server."""

    def make_connector(self) -> PostgresConnector:
        return PostgresConnector()

    def scratch_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return postgres_scratch()

    def unreachable_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return refused_port_alias("django.db.backends.postgresql", "postgres")

    def connector_without_client(self, tmp_path: Path) -> PostgresConnector:
        return PostgresConnector(bin_dir=tmp_path / "no-client-tools")


@pytest.mark.mysql
class TestMySQLConnector(DatabaseConnectorContract):
    """MySQLConnector on scratch databases of the MariaDB server."""

    def make_connector(self) -> MySQLConnector:
        return MySQLConnector()

    def scratch_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return mysql_scratch()

    def unreachable_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return refused_port_alias("django.db.backends.mysql", "root")

    def connector_without_client(self, tmp_path: Path) -> MySQLConnector:
        return MySQLConnector(dump_command="no-such-mariadb-dump", client_command="no-such-mariadb")
