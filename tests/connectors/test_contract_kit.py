"""The connector contract itself: each kind of broken connector fails the test that pins it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError

from django_snapshots.connectors import SQLiteConnector
from django_snapshots.exceptions import SnapshotConnectorError
from django_snapshots.testing import DatabaseConnectorContract
from tests.connectors.test_contract import sqlite_alias


@pytest.fixture(autouse=True)
def _database_access(django_db_blocker: Any) -> Iterator[None]:
    """Let the contract reach its scratch databases through Django's connections."""
    with django_db_blocker.unblock():
        yield


class Forgetful(SQLiteConnector):
    """Restores nothing."""

    def restore(self, db_alias: str, src: Path) -> None:
        """Do nothing."""


class RawErrors(SQLiteConnector):
    """Lets the error of a missing file escape as it is."""

    def restore(self, db_alias: str, src: Path) -> None:
        """Read the dump's header first, unguarded."""
        src.read_bytes()
        super().restore(db_alias, src)


class WipesFirst(SQLiteConnector):
    """Empties the database before it finds out the dump is bad."""

    def restore(self, db_alias: str, src: Path) -> None:
        """Drop the contract's table, then restore."""
        from django.db import connections

        with connections[db_alias].cursor() as cursor:
            cursor.execute("DELETE FROM snapshots_contract_row")
        super().restore(db_alias, src)


class MultiLine(SQLiteConnector):
    """Reports failures over several lines."""

    def restore(self, db_alias: str, src: Path) -> None:
        """Restore, spreading any error over two lines."""
        try:
            super().restore(db_alias, src)
        except SnapshotConnectorError as error:
            raise SnapshotConnectorError(f"restore failed:\n{error}") from error


class Anonymous(SQLiteConnector):
    """Does not say which alias failed."""

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Dump, hiding the alias of any error."""
        try:
            return super().dump(db_alias, dest)
        except SnapshotConnectorError:
            raise SnapshotConnectorError("the dump failed") from None


class LeaksSqliteErrors(SQLiteConnector):
    """Lets sqlite3's own error escape when the database cannot be opened."""

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Dump, unwrapping a connector error back into the sqlite3 error."""
        try:
            return super().dump(db_alias, dest)
        except SnapshotConnectorError as error:
            raise sqlite3.OperationalError(str(error)) from None


class NotJson(SQLiteConnector):
    """Returns metadata that is not JSON."""

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Dump, adding a path object to the metadata."""
        return {**super().dump(db_alias, dest), "where": dest}


class Contract(DatabaseConnectorContract):
    """The contract over a connector chosen per test, on SQLite files."""

    def __init__(self, factory: Callable[[], SQLiteConnector]) -> None:
        self.factory = factory

    def make_connector(self) -> SQLiteConnector:
        return self.factory()

    def scratch_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return sqlite_alias(tmp_path / f"{len(list(tmp_path.iterdir()))}.sqlite3")

    def unreachable_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return sqlite_alias(tmp_path / "no-such-folder" / "db.sqlite3")


@pytest.mark.parametrize(
    ("factory", "test"),
    [
        (Forgetful, "test_restore_over_a_changed_database"),
        (Forgetful, "test_round_trip_into_a_fresh_database"),
        (RawErrors, "test_missing_dump_file_is_refused_and_data_kept"),
        (WipesFirst, "test_garbage_dump_is_refused_and_data_kept"),
        (WipesFirst, "test_truncated_dump_is_refused_and_data_kept"),
        (MultiLine, "test_truncated_dump_is_refused_and_data_kept"),
        (Anonymous, "test_unreachable_server_is_refused"),
        (Anonymous, "test_unwritable_destination_is_refused"),
        (LeaksSqliteErrors, "test_unreachable_server_is_refused"),
        (NotJson, "test_dump_metadata_is_json_with_a_format"),
    ],
)
def test_broken_connectors_fail_the_matching_test(
    tmp_path: Path, factory: Callable[[], SQLiteConnector], test: str
) -> None:
    """Each kind of broken connector fails the contract test that pins its behaviour."""
    # A forgetful restore into a new database leaves no table to read: a database error.
    with pytest.raises((AssertionError, TypeError, DatabaseError)):
        getattr(Contract(factory), test)(tmp_path)


def test_a_contract_without_factories_says_what_to_implement(tmp_path: Path) -> None:
    """A subclass that implements nothing fails naming the method to write."""
    with pytest.raises(NotImplementedError, match="make_connector"):
        DatabaseConnectorContract().test_round_trip_into_a_fresh_database(tmp_path)


def test_importing_the_kit_does_not_import_pytest() -> None:
    """django_snapshots.testing.connectors imports without pytest being imported."""
    code = "import sys, django_snapshots.testing.connectors; sys.exit('pytest' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], check=False)
    assert result.returncode == 0
