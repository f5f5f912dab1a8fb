"""Static typing cases for the PostgreSQL and MySQL/MariaDB connectors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typing_extensions import assert_type

from django_snapshots.connectors import DatabaseConnector, MySQLConnector, PostgresConnector


def server_connectors_satisfy_the_protocol() -> None:
    """Both connectors are DatabaseConnectors, built with or without keyword options."""
    postgres: DatabaseConnector = PostgresConnector()
    tuned: DatabaseConnector = PostgresConnector(
        bin_dir="/usr/lib/postgresql/15/bin", compress_level=0
    )
    mysql: DatabaseConnector = MySQLConnector()
    no_events: DatabaseConnector = MySQLConnector(dump_command="mysqldump", events=False)
    for connector in (postgres, tuned, mysql, no_events):
        assert_type(connector.dump("default", Path("db.dump")), dict[str, Any])
        assert_type(connector.restore("default", Path("db.dump")), None)


def postgres_helpers_are_typed(private_dir: Path) -> None:
    """The PostgreSQL helpers return argv pieces, an environment and versions."""
    connector = PostgresConnector()
    assert_type(connector.dump("default", Path("db.dump")), dict[str, Any])
    assert_type(
        connector.connection_arguments("default", private_dir), tuple[list[str], dict[str, str]]
    )
    assert_type(connector.executable("pg_dump"), str)
    assert_type(PostgresConnector.tool_version("pg_dump"), str)
    assert_type(PostgresConnector.assumed_role("default"), str | None)
    assert_type(connector.bin_dir, Path | None)
    assert_type(connector.compress_level, int)


def mysql_helpers_are_typed(private_dir: Path) -> None:
    """The MySQL helper returns the option file it wrote."""
    connector = MySQLConnector()
    assert_type(connector.options_file("default", private_dir), Path)
    assert_type(connector.events, bool)


def positional_options_are_rejected() -> None:
    """Constructor options are keyword-only for both connectors."""
    PostgresConnector("/usr/bin")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    MySQLConnector("mysqldump")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
