"""The connector contract: the behaviour every database connector must have.

Subclass :class:`DatabaseConnectorContract` in a pytest module (name the class
``Test...``), implement :meth:`~DatabaseConnectorContract.make_connector`,
:meth:`~DatabaseConnectorContract.scratch_alias` and
:meth:`~DatabaseConnectorContract.unreachable_alias` (and, for a connector that runs a
client program, :meth:`~DatabaseConnectorContract.connector_without_client`), and
pytest runs every contract test against your connector on real, throw-away databases.

The contract keeps its rows in one table, ``snapshots_contract_row (id, name)``,
written and read through Django's connection for the alias with portable SQL.
A connector that only sees Django models (such as the dumpdata connector) overrides
:meth:`~DatabaseConnectorContract.write_rows` and
:meth:`~DatabaseConnectorContract.read_rows` to keep the rows in a model instead.
"""

from __future__ import annotations

import json
import unittest
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Final, TypeAlias

from django.conf import settings
from django.db import connections, transaction

from django_snapshots.conformance import check_conformance
from django_snapshots.connectors.auto import check_connector_fits, connector_path
from django_snapshots.connectors.protocols import DatabaseConnector, RestorePreflight
from django_snapshots.exceptions import SnapshotConnectorError

__all__ = ["CHANGED_ROWS", "ORIGINAL_ROWS", "DatabaseConnectorContract", "Row"]

Row: TypeAlias = "tuple[int, str]"
"""One row of the contract's table: ``(id, name)``."""

_SPECIAL_NAMES: Final = (
    "Zoë Ångström 🦄",
    "東京商店",
    'O\'Brien "quoted" back\\slash',
    "tab\tand\nnew line",
    "-- not a comment; DROP TABLE x;",
)

ORIGINAL_ROWS: Final[tuple[Row, ...]] = tuple(
    (index, _SPECIAL_NAMES[index % len(_SPECIAL_NAMES)] if index % 7 == 0 else f"row {index}")
    for index in range(1, 151)
)
"""The rows each test dumps: unicode, quotes, newlines and SQL-looking text included."""

CHANGED_ROWS: Final[tuple[Row, ...]] = (
    *((index, f"changed {name}") for index, name in ORIGINAL_ROWS[10:40]),
    *ORIGINAL_ROWS[40:],
    *((index, f"added {index}") for index in range(500, 530)),
)
"""The rows after the dump: ten removed, thirty changed, thirty added."""

_TABLE: Final = "snapshots_contract_row"
_UNKNOWN_ALIAS: Final = "snapshots_contract_no_such_alias"
_BINARY_NOISE: Final = bytes(range(256)) * 64
_TEXT_NOISE: Final = b"this is not a database dump;\n" * 200


def _refused(what: str, db_alias: str, call: Callable[[], object]) -> SnapshotConnectorError:
    """Assert that ``call`` raises one SnapshotConnectorError line naming ``db_alias``."""
    try:
        call()
    except SnapshotConnectorError as error:
        message = str(error)
        assert "\n" not in message, f"{what}: the error spans several lines: {message!r}"
        assert db_alias in message, f"{what}: the error does not name {db_alias!r}: {message!r}"
        return error
    except Exception as error:
        raise AssertionError(
            f"{what}: raised {type(error).__name__} ({error}), not SnapshotConnectorError"
        ) from error
    raise AssertionError(f"{what}: nothing was raised")


class DatabaseConnectorContract:
    """The behaviour every :class:`~django_snapshots.DatabaseConnector` must have.

    Each test runs in a fresh database from :meth:`scratch_alias`. Database access
    must be allowed while the tests run (with pytest-django, unblock it with the
    ``django_db_blocker`` fixture, e.g. in an autouse fixture of your test module).
    """

    def make_connector(self) -> DatabaseConnector:
        """Return the connector under test."""
        raise NotImplementedError("implement make_connector() in your test class")

    def scratch_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        """Return a context giving the ``DATABASES`` alias of a new, empty database.

        The database and the alias are removed when the context exits. It may be
        entered twice in one test and must give two different databases.
        """
        raise NotImplementedError("implement scratch_alias(tmp_path) in your test class")

    def unreachable_alias(self, tmp_path: Path) -> AbstractContextManager[str]:
        """Return a context giving an alias whose server (or file) cannot be reached."""
        raise NotImplementedError("implement unreachable_alias(tmp_path) in your test class")

    def connector_without_client(self, tmp_path: Path) -> DatabaseConnector | None:
        """Return the connector set up to use a client program that does not exist.

        Return ``None`` (the default) if the connector runs no client program: the
        missing-client test is then skipped.
        """
        return None

    def write_rows(self, db_alias: str, rows: Iterable[Row]) -> None:
        """Make the contract's table of ``db_alias`` hold exactly ``rows``, in one transaction."""
        with transaction.atomic(using=db_alias), connections[db_alias].cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {_TABLE} "
                "(id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL)"
            )
            cursor.execute(f"DELETE FROM {_TABLE}")
            cursor.executemany(f"INSERT INTO {_TABLE} (id, name) VALUES (%s, %s)", list(rows))

    def read_rows(self, db_alias: str) -> list[Row]:
        """Return the rows of the contract's table of ``db_alias``, ordered by id."""
        with connections[db_alias].cursor() as cursor:
            cursor.execute(f"SELECT id, name FROM {_TABLE} ORDER BY id")
            return [(int(key), str(name)) for key, name in cursor.fetchall()]

    def _dumped(self, db_alias: str, dest: Path) -> Path:
        """Write :data:`ORIGINAL_ROWS` to ``db_alias``, dump it to ``dest``, then change it."""
        self.write_rows(db_alias, ORIGINAL_ROWS)
        self.make_connector().dump(db_alias, dest)
        self.write_rows(db_alias, CHANGED_ROWS)
        return dest

    def _refused_keeping_data(
        self, what: str, db_alias: str, call: Callable[[], object]
    ) -> SnapshotConnectorError:
        """Assert ``call`` is refused (see ``_refused``) and leaves :data:`CHANGED_ROWS`."""
        error = _refused(what, db_alias, call)
        assert self.read_rows(db_alias) == list(CHANGED_ROWS), f"{what}: the data changed"
        return error

    def test_connector_conforms_to_its_protocols(self, tmp_path: Path) -> None:
        """The connector matches DatabaseConnector (and RestorePreflight if it has one)."""
        connector = self.make_connector()
        assert check_conformance(connector, DatabaseConnector) == []
        if hasattr(connector, "check_restore"):
            assert check_conformance(connector, RestorePreflight) == []

    def test_round_trip_into_a_fresh_database(self, tmp_path: Path) -> None:
        """A dump restored into another, new database gives back every row exactly."""
        connector = self.make_connector()
        dump = tmp_path / "dump"
        with self.scratch_alias(tmp_path) as source:
            self.write_rows(source, ORIGINAL_ROWS)
            connector.dump(source, dump)
        with self.scratch_alias(tmp_path) as target:
            connector.restore(target, dump)
            assert self.read_rows(target) == list(ORIGINAL_ROWS)

    def test_restore_over_a_changed_database(self, tmp_path: Path) -> None:
        """Rows added, removed and changed after the dump are exactly as dumped again."""
        connector = self.make_connector()
        with self.scratch_alias(tmp_path) as alias:
            dump = self._dumped(alias, tmp_path / "dump")
            connector.restore(alias, dump)
            assert self.read_rows(alias) == list(ORIGINAL_ROWS)

    def test_dump_metadata_is_json_with_a_format(self, tmp_path: Path) -> None:
        """dump returns a JSON-able dict naming the dump's "format"."""
        with self.scratch_alias(tmp_path) as alias:
            self.write_rows(alias, ORIGINAL_ROWS)
            metadata = self.make_connector().dump(alias, tmp_path / "dump")
        assert isinstance(metadata, dict)
        assert json.loads(json.dumps(metadata)) == metadata
        assert isinstance(metadata.get("format"), str)

    def test_preflight_accepts_its_own_dump(self, tmp_path: Path) -> None:
        """The restore pre-flight lets a fresh dump of the same engine through."""
        connector = self.make_connector()
        path = connector_path(connector)
        with self.scratch_alias(tmp_path) as alias:
            self.write_rows(alias, ORIGINAL_ROWS)
            metadata = connector.dump(alias, tmp_path / "dump")
            check_connector_fits(path, alias)
            if isinstance(connector, RestorePreflight):
                connector.check_restore(alias, {**metadata, "database": alias, "connector": path})

    def test_truncated_dump_is_refused_and_data_kept(self, tmp_path: Path) -> None:
        """A dump cut in half raises SnapshotConnectorError and changes nothing."""
        connector = self.make_connector()
        with self.scratch_alias(tmp_path) as alias:
            dump = self._dumped(alias, tmp_path / "dump")
            data = dump.read_bytes()
            dump.write_bytes(data[: len(data) // 2])
            self._refused_keeping_data(
                "restore of a truncated dump", alias, lambda: connector.restore(alias, dump)
            )

    def test_garbage_dump_is_refused_and_data_kept(self, tmp_path: Path) -> None:
        """A file of binary or text noise raises SnapshotConnectorError and changes nothing."""
        connector = self.make_connector()
        with self.scratch_alias(tmp_path) as alias:
            self._dumped(alias, tmp_path / "dump")
            for kind, noise in (("binary", _BINARY_NOISE), ("text", _TEXT_NOISE)):
                garbage = tmp_path / f"{kind}-noise"
                garbage.write_bytes(noise)
                restore = partial(connector.restore, alias, garbage)
                self._refused_keeping_data(f"restore of {kind} noise", alias, restore)

    def test_missing_dump_file_is_refused_and_data_kept(self, tmp_path: Path) -> None:
        """Restoring from a file that does not exist raises and changes nothing."""
        connector = self.make_connector()
        with self.scratch_alias(tmp_path) as alias:
            self._dumped(alias, tmp_path / "dump")
            missing = tmp_path / "no-such-dump"
            self._refused_keeping_data(
                "restore of a missing file", alias, lambda: connector.restore(alias, missing)
            )

    def test_unwritable_destination_is_refused(self, tmp_path: Path) -> None:
        """A dump into a folder that does not exist raises SnapshotConnectorError."""
        connector = self.make_connector()
        with self.scratch_alias(tmp_path) as alias:
            self.write_rows(alias, ORIGINAL_ROWS)
            dest = tmp_path / "no-such-folder" / "dump"
            _refused("dump into a missing folder", alias, lambda: connector.dump(alias, dest))

    def test_missing_client_program_is_refused(self, tmp_path: Path) -> None:
        """Without its client program the connector neither dumps nor restores, in one line."""
        without_client = self.connector_without_client(tmp_path)
        if without_client is None:
            raise unittest.SkipTest("the connector runs no client program")
        with self.scratch_alias(tmp_path) as alias:
            dump = self._dumped(alias, tmp_path / "dump")
            _refused(
                "dump without the client program",
                alias,
                lambda: without_client.dump(alias, tmp_path / "other"),
            )
            self._refused_keeping_data(
                "restore without the client program",
                alias,
                lambda: without_client.restore(alias, dump),
            )

    def test_unreachable_server_is_refused(self, tmp_path: Path) -> None:
        """Dumping or restoring an alias whose server cannot be reached fails in one line."""
        connector = self.make_connector()
        dump = tmp_path / "dump"
        with self.scratch_alias(tmp_path) as alias:
            self.write_rows(alias, ORIGINAL_ROWS)
            connector.dump(alias, dump)
        other = tmp_path / "other"
        with self.unreachable_alias(tmp_path) as down:
            _refused("dump of an unreachable database", down, lambda: connector.dump(down, other))
            _refused(
                "restore into an unreachable database", down, lambda: connector.restore(down, dump)
            )

    def test_unknown_alias_is_refused(self, tmp_path: Path) -> None:
        """An alias missing from DATABASES fails in one line naming it, both ways."""
        assert _UNKNOWN_ALIAS not in settings.DATABASES
        connector = self.make_connector()
        dump = tmp_path / "dump"
        with self.scratch_alias(tmp_path) as alias:
            self.write_rows(alias, ORIGINAL_ROWS)
            connector.dump(alias, dump)
        unknown, other = _UNKNOWN_ALIAS, tmp_path / "other"
        _refused("dump of an unknown alias", unknown, lambda: connector.dump(unknown, other))
        _refused("restore of an unknown alias", unknown, lambda: connector.restore(unknown, dump))
