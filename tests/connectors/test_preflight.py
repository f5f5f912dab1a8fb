"""Restore pre-flight: the recorded connector fits the alias, and connectors' own checks."""

from __future__ import annotations

import shutil
from collections.abc import Generator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from django_snapshots.connectors import (
    DjangoDumpDataConnector,
    MySQLConnector,
    PostgresConnector,
    RestorePreflight,
    SQLiteConnector,
    check_connector_fits,
)
from django_snapshots.connectors.auto import FALLBACK_CONNECTOR, connector_path
from django_snapshots.exceptions import SnapshotConnectorError
from tests.servers import django_alias

SQLITE = "django_snapshots.connectors.sqlite.SQLiteConnector"
POSTGRES = "django_snapshots.connectors.postgres.PostgresConnector"
MYSQL = "django_snapshots.connectors.mysql.MySQLConnector"


class TunedPostgresConnector(PostgresConnector):
    """A project's own PostgreSQL connector, recorded under its own dotted path."""


def refused(call: Any, *words: str) -> str:
    """Assert ``call()`` raises one SnapshotConnectorError line containing ``words``."""
    with pytest.raises(SnapshotConnectorError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    return message


@contextmanager
def broken_engine_alias(alias: str) -> Generator[str, None, None]:
    """Register ``alias`` with an ENGINE that cannot be imported."""
    config = {"ENGINE": "django.db.backends.no_such_engine", "NAME": "x"}
    configured = connections.configure_settings(
        {"default": dict(settings.DATABASES["default"]), alias: config}
    )
    connections.settings[alias] = configured[alias]
    settings.DATABASES[alias] = connections.settings[alias]
    try:
        yield alias
    finally:
        with suppress(AttributeError):
            del connections[alias]
        connections.settings.pop(alias, None)
        settings.DATABASES.pop(alias, None)


def test_postgres_dump_into_sqlite_is_refused_naming_both_engines() -> None:
    """A PostgreSQL dump recorded in a manifest cannot go into the SQLite alias."""
    message = refused(
        lambda: check_connector_fits(POSTGRES, "default"),
        "PostgreSQL",
        "SQLite",
        "'default'",
        "django.db.backends.sqlite3",
    )
    assert message.startswith("cannot restore a PostgreSQL dump (PostgresConnector)")


def test_mysql_dump_into_sqlite_is_refused() -> None:
    """A MySQL/MariaDB dump cannot go into the SQLite alias either."""
    refused(lambda: check_connector_fits(MYSQL, "default"), "MySQL/MariaDB", "SQLite")


def test_matching_and_engine_neutral_connectors_fit() -> None:
    """An SQLite dump fits an SQLite alias; dumpdata and third-party connectors fit any."""
    check_connector_fits(SQLITE, "default")
    check_connector_fits(FALLBACK_CONNECTOR, "default")
    check_connector_fits("tests.connectors.test_auto.CustomConnector", "default")


def test_subclasses_of_built_in_connectors_keep_their_engine() -> None:
    """A project's subclass of PostgresConnector is refused for SQLite like its base."""
    path = connector_path(TunedPostgresConnector())
    refused(lambda: check_connector_fits(path, "default"), "PostgreSQL", "SQLite")


def test_unknown_alias_and_unimportable_connector_are_refused() -> None:
    """An alias missing from DATABASES, or a recorded connector that is gone, is named."""
    refused(lambda: check_connector_fits(SQLITE, "replica"), "'replica'", "not in DATABASES")
    refused(
        lambda: check_connector_fits("nowhere.Thing", "default"),
        "'default'",
        "cannot import connector 'nowhere.Thing'",
    )


def test_alias_whose_engine_cannot_load_is_refused() -> None:
    """An ENGINE that cannot be imported is a one-line error naming the alias and engine."""
    with broken_engine_alias("broken") as alias:
        refused(lambda: check_connector_fits(SQLITE, alias), "'broken'", "no_such_engine")
        refused(lambda: SQLiteConnector().dump(alias, Path("unused")), "'broken'")


def test_which_built_ins_have_a_restore_preflight() -> None:
    """PostgreSQL and MySQL check before a restore; SQLite and dumpdata need nothing."""
    assert isinstance(PostgresConnector(), RestorePreflight)
    assert isinstance(MySQLConnector(), RestorePreflight)
    assert not isinstance(SQLiteConnector(), RestorePreflight)
    assert not isinstance(DjangoDumpDataConnector(), RestorePreflight)


@pytest.fixture
def postgres_metadata(postgres_alias: str, tmp_path: Path) -> dict[str, Any]:
    """Return the manifest metadata of a real dump of the scratch PostgreSQL database."""
    metadata = PostgresConnector().dump(postgres_alias, tmp_path / "db.dump")
    return {**metadata, "database": postgres_alias, "connector": POSTGRES}


@pytest.mark.postgres
def test_postgres_dump_fits_a_postgres_alias(
    postgres_alias: str, postgres_metadata: dict[str, Any]
) -> None:
    """The recorded PostgreSQL connector fits its alias and its own dump passes the check."""
    check_connector_fits(POSTGRES, postgres_alias)
    check_connector_fits(FALLBACK_CONNECTOR, postgres_alias)
    refused(lambda: check_connector_fits(SQLITE, postgres_alias), "SQLite", "PostgreSQL")
    PostgresConnector().check_restore(postgres_alias, postgres_metadata)


@pytest.mark.postgres
def test_older_pg_restore_than_pg_dump_is_refused_naming_both_versions(
    postgres_alias: str, postgres_metadata: dict[str, Any]
) -> None:
    """A dump made by a newer pg_dump major version is refused before anything is touched."""
    local = PostgresConnector.tool_version(PostgresConnector().executable("pg_restore"))
    newer = f"{int(local.split('.')[0]) + 2}.1"
    message = refused(
        lambda: PostgresConnector().check_restore(
            postgres_alias, {**postgres_metadata, "pg_dump_version": newer}
        ),
        f"pg_restore {local}",
        f"pg_dump {newer}",
        repr(postgres_alias),
        "not changed",
    )
    assert f"postgresql-client-{newer.split('.')[0]}" in message


@pytest.mark.postgres
def test_older_or_unrecorded_pg_dump_versions_pass(
    postgres_alias: str, postgres_metadata: dict[str, Any]
) -> None:
    """An older or same-major pg_dump, or a manifest recording none (0.1.0b1), passes."""
    connector = PostgresConnector()
    local = connector.tool_version(connector.executable("pg_restore"))
    major = local.split(".")[0]
    for version in ("9.6.24", "10.0", f"{major}.0", f"{major}.999"):
        connector.check_restore(postgres_alias, {**postgres_metadata, "pg_dump_version": version})
    connector.check_restore(postgres_alias, {"database": postgres_alias, "format": "sql"})
    connector.check_restore(postgres_alias, {"database": postgres_alias})


@pytest.mark.postgres
def test_postgres_preflight_needs_the_client_tools(
    postgres_alias: str, postgres_metadata: dict[str, Any], tmp_path: Path
) -> None:
    """Without psql or pg_restore the pre-flight refuses, naming the tool and the alias."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    no_tools = PostgresConnector(bin_dir=bin_dir)
    refused(lambda: no_tools.check_restore(postgres_alias, postgres_metadata), "psql", "install")
    psql = shutil.which("psql")
    assert psql is not None
    (bin_dir / "psql").symlink_to(psql)
    refused(
        lambda: no_tools.check_restore(postgres_alias, postgres_metadata),
        "pg_restore not found",
        repr(postgres_alias),
    )


@pytest.mark.postgres
def test_postgres_preflight_of_an_alias_of_another_engine_is_refused(
    postgres_metadata: dict[str, Any],
) -> None:
    """PostgresConnector's own check names an SQLite alias it cannot restore into."""
    refused(
        lambda: PostgresConnector().check_restore("default", postgres_metadata),
        "'default'",
        "not postgresql",
    )


@pytest.mark.mysql
def test_mysql_preflight_passes_for_a_reachable_database(mysql_alias: str) -> None:
    """MySQLConnector's pre-flight accepts an existing database with the client installed."""
    check_connector_fits(MYSQL, mysql_alias)
    refused(lambda: check_connector_fits(POSTGRES, mysql_alias), "PostgreSQL", "MySQL/MariaDB")
    MySQLConnector().check_restore(mysql_alias, {"format": "sql", "database": mysql_alias})


@pytest.mark.mysql
def test_mysql_preflight_refuses_a_missing_database_client_or_server(mysql_alias: str) -> None:
    """A missing target database, client program or server is refused in one line."""
    metadata = {"format": "sql"}
    refused(
        lambda: MySQLConnector(client_command="no-such-mariadb").check_restore(
            mysql_alias, metadata
        ),
        "no-such-mariadb not found",
        repr(mysql_alias),
    )
    absent = {**settings.DATABASES[mysql_alias], "NAME": "snap_absent_database"}
    with django_alias("my_absent", absent):
        refused(
            lambda: MySQLConnector().check_restore("my_absent", metadata),
            "'my_absent'",
            "snap_absent_database",
        )
    down = {**settings.DATABASES[mysql_alias], "PORT": "1"}
    with django_alias("my_down", down):
        refused(lambda: MySQLConnector().check_restore("my_down", metadata), "'my_down'")
