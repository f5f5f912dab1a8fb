"""Static typing cases for the restore pre-flight and the connector contract.

Type-checked only (mypy --strict and pyright strict); nothing runs at import time.
Negative cases carry the exact error code each checker must report.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from typing_extensions import assert_type

from django_snapshots import RestorePreflight
from django_snapshots.connectors import (
    DatabaseConnector,
    DjangoDumpDataConnector,
    MySQLConnector,
    PostgresConnector,
    SQLiteConnector,
    check_connector_fits,
)
from django_snapshots.testing import (
    CHANGED_ROWS,
    ORIGINAL_ROWS,
    DatabaseConnectorContract,
    Row,
)


class WrongPreflight:
    """Takes the metadata under another type."""

    def check_restore(self, db_alias: str, metadata: str) -> None:
        """Accept anything."""


def server_connectors_have_a_restore_preflight() -> None:
    """PostgreSQL and MySQL connectors are RestorePreflights; the pre-flight returns None."""
    postgres: RestorePreflight = PostgresConnector()
    mysql: RestorePreflight = MySQLConnector()
    metadata: dict[str, Any] = {"format": "pg_dump-custom", "pg_dump_version": "15.20"}
    assert_type(postgres.check_restore("default", metadata), None)
    assert_type(mysql.check_restore("default", {}), None)
    assert_type(check_connector_fits("django_snapshots.connectors.SQLiteConnector", "x"), None)


def connectors_without_a_preflight_are_rejected() -> None:
    """SQLite, dumpdata and a wrongly typed check_restore are not RestorePreflights."""
    sqlite: RestorePreflight = SQLiteConnector()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    dumpdata: RestorePreflight = DjangoDumpDataConnector()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    wrong: RestorePreflight = WrongPreflight()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    for preflight in (sqlite, dumpdata, wrong):
        preflight.check_restore("default", {})


@contextmanager
def _alias() -> Generator[str, None, None]:
    yield "default"


class MyConnectorContract(DatabaseConnectorContract):
    """A third party's contract subclass, with every hook overridden."""

    def make_connector(self) -> SQLiteConnector:
        return SQLiteConnector()

    def scratch_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return _alias()

    def unreachable_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        return _alias()

    def connector_without_client(self, tmp_path: Path) -> DatabaseConnector | None:
        return None

    def write_rows(self, db_alias: str, rows: Iterable[Row]) -> None:
        list(rows)

    def read_rows(self, db_alias: str) -> list[Row]:
        return list(ORIGINAL_ROWS)


def contract_hooks_are_typed(tmp_path: Path) -> None:
    """The contract's hooks, rows and tests have the documented types."""
    contract = MyConnectorContract()
    assert_type(contract.make_connector(), SQLiteConnector)
    assert_type(contract.scratch_alias(tmp_path), AbstractContextManager[str])
    assert_type(contract.read_rows("default"), list[tuple[int, str]])
    assert_type(ORIGINAL_ROWS, tuple[tuple[int, str], ...])
    assert_type(CHANGED_ROWS, tuple[tuple[int, str], ...])
    assert_type(contract.test_round_trip_into_a_fresh_database(tmp_path), None)


def base_contract_hooks_are_typed(contract: DatabaseConnectorContract, tmp_path: Path) -> None:
    """The base contract promises a DatabaseConnector and an optional client-less one."""
    assert_type(contract.make_connector(), DatabaseConnector)
    assert_type(contract.connector_without_client(tmp_path), DatabaseConnector | None)
    assert_type(contract.unreachable_alias(tmp_path), AbstractContextManager[str])


class BadHooks(DatabaseConnectorContract):
    """Returns a row of the wrong shape."""

    def read_rows(self, db_alias: str) -> list[str]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return []
