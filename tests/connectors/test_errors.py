"""Every connector failure is one SnapshotConnectorError line naming the alias.

Driver errors (sqlite3, Django's database errors), OSErrors of client programs that
cannot run, and the command line's report of them: one line, no traceback.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from django_snapshots.connectors import (
    DjangoDumpDataConnector,
    MySQLConnector,
    PostgresConnector,
    SQLiteConnector,
)
from django_snapshots.exceptions import SnapshotConnectorError
from tests.connectors import test_postgres
from tests.management.conftest import Project, assert_one_line_failure
from tests.servers import django_alias


@pytest.fixture(autouse=True)
def _database_access(django_db_blocker: Any) -> Iterator[None]:
    """Let the tests reach their own aliases through Django's connections."""
    with django_db_blocker.unblock():
        yield


def one_line_error(call: Callable[[], object], *words: str) -> str:
    """Assert ``call()`` raises one SnapshotConnectorError line containing ``words``."""
    with pytest.raises(SnapshotConnectorError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, message
    return message


def unrunnable(path: Path) -> Path:
    """Create an executable file at ``path`` that the kernel refuses to run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\x01\x02 not a program")
    path.chmod(0o755)
    return path


def test_backup_of_an_unopenable_sqlite_file_is_one_line(tmp_path: Path) -> None:
    """A backup of a database file that cannot be opened prints one line, no traceback."""
    var = tmp_path / "var"
    (var / "db.sqlite3").mkdir(parents=True)  # a folder where the database file should be
    project = Project(var, migrate=False)
    result = project.snapshots("backup", "database")
    assert_one_line_failure(result, "database alias 'default'")
    assert "unable to open database file" in result.stderr


def test_sqlite_file_that_cannot_be_opened(tmp_path: Path) -> None:
    """sqlite3's "unable to open" becomes one line naming the alias, dumping or restoring."""
    dump = tmp_path / "good.sqlite3"
    folder = tmp_path / "db.sqlite3"
    folder.mkdir()
    with django_alias("good", {"ENGINE": "django.db.backends.sqlite3", "NAME": str(dump)}):
        SQLiteConnector().dump("good", tmp_path / "dump")
    with django_alias("unopenable", {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder)}):
        for connector in (SQLiteConnector(), DjangoDumpDataConnector()):
            one_line_error(
                lambda: connector.dump("unopenable", tmp_path / "x"),  # noqa: B023
                "'unopenable'",
                "unable to open database file",
            )
        one_line_error(
            lambda: SQLiteConnector().restore("unopenable", tmp_path / "dump"),
            "'unopenable'",
            "unable to open database file",
        )


def test_dumpdata_database_errors_are_one_line(tmp_path: Path) -> None:
    """dumpdata and loaddata on a database without Django's tables fail in one line."""
    with django_alias(
        "bare", {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "b")}
    ):
        one_line_error(
            lambda: DjangoDumpDataConnector().dump("bare", tmp_path / "dump"),
            "dumpdata of database alias 'bare' failed",
            "no such table",
        )
        fixture = tmp_path / "one.jsonl"
        fixture.write_text('{"model": "shop.customer", "pk": 1, "fields": {"name": "x"}}\n')
        one_line_error(
            lambda: DjangoDumpDataConnector().restore("bare", fixture),
            "loaddata into database alias 'bare' failed",
            "one.jsonl",
            "no such table",
        )


@pytest.mark.postgres
def test_postgres_tool_that_cannot_run_is_one_line(
    postgres_alias: str, postgres_database: str, tmp_path: Path
) -> None:
    """A pg_dump or psql the kernel cannot execute fails in one line; the data stays."""
    test_postgres.execute(postgres_database, test_postgres.SCHEMA)
    dump = tmp_path / "db.dump"
    PostgresConnector().dump(postgres_alias, dump)
    broken = tmp_path / "bin"
    unrunnable(broken / "pg_dump")
    unrunnable(broken / "psql")
    pg_restore = shutil.which("pg_restore")
    assert pg_restore is not None
    (broken / "pg_restore").symlink_to(pg_restore)
    connector = PostgresConnector(bin_dir=broken)
    one_line_error(
        lambda: connector.dump(postgres_alias, tmp_path / "x.dump"),
        "pg_dump",
        repr(postgres_alias),
        "Exec format error",
    )
    expected = test_postgres.changed_state(postgres_database)
    one_line_error(
        lambda: connector.restore(postgres_alias, dump), repr(postgres_alias), "Exec format error"
    )
    assert test_postgres.fingerprint(postgres_database) == expected


@pytest.mark.mysql
def test_mysql_tool_that_cannot_run_is_one_line(mysql_alias: str, tmp_path: Path) -> None:
    """A dump tool the kernel cannot execute fails in one line naming the alias."""
    tool = unrunnable(tmp_path / "bin" / "mariadb-dump")
    one_line_error(
        lambda: MySQLConnector(dump_command=str(tool)).dump(mysql_alias, tmp_path / "x.sql"),
        "mariadb-dump",
        repr(mysql_alias),
        "Exec format error",
    )
