"""SQLiteConnector against Django's real (in-memory) SQLite test database."""

from __future__ import annotations

import gzip
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest
from django.db import connection, transaction

from django_snapshots.connectors.sqlite import SQLiteConnector
from django_snapshots.exceptions import SnapshotConnectorError
from tests.example.shop.models import Customer, Order
from tests.sqlite_state import preserved_database as preserved_database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "v0_1_0b1"

pytestmark = pytest.mark.usefixtures("preserved_database")


def _extras() -> None:
    """Add a view, a trigger and an index that Django does not manage."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, message TEXT)")
        cursor.execute(
            "CREATE VIEW big_orders AS SELECT id, total_cents FROM shop_order "
            "WHERE total_cents > 1000"
        )
        cursor.execute(
            "CREATE TRIGGER order_audit AFTER INSERT ON shop_order "
            "BEGIN INSERT INTO audit (message) VALUES ('order ' || NEW.id); END"
        )
        cursor.execute("CREATE INDEX order_total ON shop_order (total_cents)")


def _schema_objects() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        return {(str(kind), str(name)) for kind, name in cursor.fetchall()}


def _state() -> list[tuple[str, list[int]]]:
    """Return every customer with the totals of their orders."""
    return [
        (c.name, sorted(o.total_cents for o in Order.objects.filter(customer=c)))
        for c in Customer.objects.order_by("name")
    ]


def _seed_more() -> None:
    customer = Customer.objects.create(name="Grace Hopper 🐞", email="grace@example.com")
    Order.objects.create(
        customer=customer, total_cents=4200, placed_at=datetime(2026, 3, 1, tzinfo=timezone.utc)
    )


def test_round_trip_restores_rows_views_triggers_and_indexes(tmp_path: Path) -> None:
    """A dump restored after changes brings back the rows and every schema object."""
    _extras()
    _seed_more()
    before, objects = _state(), _schema_objects()
    dump = tmp_path / "default.sql"
    metadata = SQLiteConnector().dump("default", dump)
    assert metadata == {"format": "sqlite3"}
    assert dump.read_bytes()[:16] == b"SQLite format 3\x00"

    Order.objects.all().delete()
    Customer.objects.filter(name__startswith="Grace").delete()
    with connection.cursor() as cursor:
        cursor.execute("DROP VIEW big_orders")
        cursor.execute("CREATE TABLE intruder (x)")
    SQLiteConnector().restore("default", dump)

    assert _state() == before
    assert _schema_objects() == objects
    customer = Customer.objects.get(email="grace@example.com")
    Order.objects.create(
        customer=customer, total_cents=1, placed_at=datetime(2026, 4, 1, tzinfo=timezone.utc)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit")
        assert cursor.fetchone()[0] == 2  # restored row + one from the restored trigger
        cursor.execute("SELECT count(*) FROM big_orders")
        assert cursor.fetchone()[0] == Order.objects.filter(total_cents__gt=1000).count() > 0


def test_failure_midway_leaves_the_database_intact(tmp_path: Path) -> None:
    """A restore aborted after its first page leaves every row as it was."""
    dump = tmp_path / "default.sql"
    SQLiteConnector().dump("default", dump)
    Order.objects.all().delete()
    for index in range(300):
        Customer.objects.create(name="x" * 500, email=f"c{index}@example.com")
    before = _state()
    steps: list[int] = []

    def fail_after_first_step(remaining: int, total: int) -> None:
        steps.append(remaining)
        if remaining > 0:
            raise RuntimeError("disk on fire")

    connector = SQLiteConnector(pages_per_step=1, progress=fail_after_first_step)
    with pytest.raises(RuntimeError, match="disk on fire"):
        connector.restore("default", dump)
    assert steps and steps[0] > 0
    assert _state() == before
    assert not connection.connection.in_transaction


def test_damaged_dump_is_refused_before_touching_data(tmp_path: Path) -> None:
    """A dump file whose pages are corrupt raises and changes nothing."""
    dump = tmp_path / "default.sql"
    SQLiteConnector().dump("default", dump)
    data = bytearray(dump.read_bytes())
    data[4096 * 2 : 4096 * 4] = b"\xff" * (4096 * 2)
    dump.write_bytes(bytes(data))
    before = _state()
    with pytest.raises(SnapshotConnectorError, match="default"):
        SQLiteConnector().restore("default", dump)
    assert _state() == before


def test_restore_inside_a_transaction_is_refused(tmp_path: Path) -> None:
    """Restoring inside transaction.atomic() raises instead of half-owning the transaction."""
    dump = tmp_path / "default.sql"
    SQLiteConnector().dump("default", dump)
    with transaction.atomic(), pytest.raises(SnapshotConnectorError, match="transaction"):
        SQLiteConnector().restore("default", dump)


def test_dump_inside_a_transaction_writes_its_view_as_sql(tmp_path: Path) -> None:
    """A dump taken inside a transaction includes its uncommitted rows, as SQL text."""
    dump = tmp_path / "default.sql"
    with transaction.atomic():
        _seed_more()
        metadata = SQLiteConnector().dump("default", dump)
        expected = _state()
    assert metadata == {"format": "sql"}
    Customer.objects.filter(name__startswith="Grace").delete()
    SQLiteConnector().restore("default", dump)
    assert _state() == expected


def test_dump_fails_after_busy_timeout_while_another_connection_writes(
    tmp_path: Path,
) -> None:
    """A dump blocked by another connection's write lock fails instead of hanging."""
    connection.ensure_connection()
    writer = sqlite3.connect(str(connection.settings_dict["NAME"]), uri=True, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO shop_customer (name, email) VALUES ('w', 'w@example.com')")
        with pytest.raises(SnapshotConnectorError, match="locked"):
            SQLiteConnector(busy_timeout=0.2).dump("default", tmp_path / "default.sql")
        assert not (tmp_path / "default.sql").exists()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_restores_the_0_1_0b1_sql_dump_in_one_transaction(tmp_path: Path) -> None:
    """The SQL text 0.1.0b1's SQLite connector wrote restores the shop's rows."""
    dump = tmp_path / "default.sql"
    with gzip.open(FIXTURES / "v010b1-directory-sqlite" / "default.sql.gz", "rb") as packed:
        dump.write_bytes(packed.read())
    Customer.objects.all().delete()
    SQLiteConnector().restore("default", dump)
    assert _state() == [("Ada Lovelace", [999, 1250]), ("Zoë Ångström", [999, 2500])]
    assert connection.connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_failing_sql_dump_rolls_back_everything(tmp_path: Path) -> None:
    """An SQL dump whose last statement fails leaves the old tables and rows in place."""
    dump = tmp_path / "default.sql"
    with gzip.open(FIXTURES / "v010b1-directory-sqlite" / "default.sql.gz", "rb") as packed:
        text = packed.read().decode()
    dump.write_text(text.replace("COMMIT;", "INSERT INTO no_such_table VALUES (1);\nCOMMIT;"))
    _seed_more()
    before, objects = _state(), _schema_objects()
    with pytest.raises(SnapshotConnectorError, match="no_such_table"):
        SQLiteConnector().restore("default", dump)
    assert _state() == before
    assert _schema_objects() == objects


def test_dump_from_a_worker_thread_sees_committed_rows(tmp_path: Path) -> None:
    """A dump in another thread (as the engine runs exporters) copies the committed data."""
    _seed_more()
    dump = tmp_path / "default.sql"
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(SQLiteConnector().dump, "default", dump).result() == {
            "format": "sqlite3"
        }
    copy = sqlite3.connect(dump)
    try:
        names = {row[0] for row in copy.execute("SELECT name FROM shop_customer")}
    finally:
        copy.close()
    assert "Grace Hopper 🐞" in names


def test_unknown_alias_is_named(tmp_path: Path) -> None:
    """A dump of an alias missing from DATABASES raises naming the alias."""
    with pytest.raises(SnapshotConnectorError, match="'nope'"):
        SQLiteConnector().dump("nope", tmp_path / "x.sql")


def test_empty_or_unfinished_sql_dump_is_refused_before_touching_data(tmp_path: Path) -> None:
    """An empty file, or an SQL dump cut before its COMMIT, raises and changes nothing."""
    _seed_more()
    before, objects = _state(), _schema_objects()
    empty = tmp_path / "empty.sql"
    empty.write_bytes(b"")
    with pytest.raises(SnapshotConnectorError, match=r"'default' was not changed"):
        SQLiteConnector().restore("default", empty)
    with gzip.open(FIXTURES / "v010b1-directory-sqlite" / "default.sql.gz", "rb") as packed:
        text = packed.read().decode()
    cut = tmp_path / "cut.sql"
    cut.write_text(text[: text.index("COMMIT;")] + "SELECT 'COMMIT;';\n")
    with pytest.raises(SnapshotConnectorError, match=r"ends before its COMMIT.*'default'"):
        SQLiteConnector().restore("default", cut)
    assert _state() == before
    assert _schema_objects() == objects
