"""MySQLConnector against the real MariaDB server: round trips and swap-in restores."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest

from django_snapshots.connectors.mysql import MySQLConnector
from django_snapshots.exceptions import SnapshotConnectorError
from tests.servers import MYSQL_HOST, MYSQL_PORT, django_alias, kill_during, mysql_admin

pytestmark = pytest.mark.mysql

SCHEMA = [
    "CREATE TABLE customer (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE)"
    " ENGINE=InnoDB",
    "CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,"
    " note TEXT, total DECIMAL(10, 2) NOT NULL DEFAULT 0, payload BLOB,"
    " FOREIGN KEY (customer_id) REFERENCES customer (id)) ENGINE=InnoDB",
    "CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, message VARCHAR(200) NOT NULL)",
    "CREATE SEQUENCE ticket START WITH 1000 NOCACHE",
    "CREATE VIEW order_summary AS SELECT c.name, COUNT(o.id) AS orders FROM customer c"
    " LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.name",
    "CREATE VIEW big_customers AS SELECT name FROM order_summary WHERE orders > 66",
    "CREATE TRIGGER order_logged AFTER INSERT ON orders FOR EACH ROW"
    " INSERT INTO audit (message) VALUES (CONCAT('order ', NEW.id))",
    "CREATE FUNCTION double_it(n INT) RETURNS INT DETERMINISTIC RETURN n * 2",
    "CREATE PROCEDURE count_orders(OUT n INT) SELECT COUNT(*) INTO n FROM orders",
    "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE"
    " DO DELETE FROM audit",
    "INSERT INTO customer (name) VALUES ('Zoë 🦄'), ('東京商店'), ('plain')",
    "INSERT INTO orders (customer_id, note, total, payload) SELECT 1 + seq % 3,"
    " CONCAT('note ', seq, ' — ✓'), seq * 1.5, UNHEX('00FF10') FROM seq_1_to_200",
    "SELECT NEXTVAL(ticket)",
    "SELECT NEXTVAL(ticket)",
]


def execute(database: str, *statements: str) -> None:
    """Run ``statements`` in ``database`` as root."""
    with mysql_admin(database) as admin, admin.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def query(database: str, sql: str) -> list[tuple[Any, ...]]:
    """Return the rows of ``sql`` in ``database``."""
    with mysql_admin(database) as admin, admin.cursor() as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def objects(database: str) -> list[tuple[str, str]]:
    """Return every table, view, trigger, routine and event of ``database`` by kind."""
    found = query(
        database,
        "SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES"
        " WHERE TABLE_SCHEMA = DATABASE()"
        " UNION ALL SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS"
        " WHERE TRIGGER_SCHEMA = DATABASE()"
        " UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES"
        " WHERE ROUTINE_SCHEMA = DATABASE()"
        " UNION ALL SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS"
        " WHERE EVENT_SCHEMA = DATABASE()",
    )
    return sorted((str(kind), str(name)) for kind, name in found)


def scratch_databases() -> list[str]:
    """Return the scratch databases restores have left on the server."""
    return [str(row[0]) for row in query("test", "SHOW DATABASES LIKE 'snaprst%'")]


REFERENCE_OBJECTS = [
    ("BASE TABLE", "audit"),
    ("BASE TABLE", "customer"),
    ("BASE TABLE", "orders"),
    ("EVENT", "nightly"),
    ("FUNCTION", "double_it"),
    ("PROCEDURE", "count_orders"),
    ("SEQUENCE", "ticket"),
    ("TRIGGER", "order_logged"),
    ("VIEW", "big_customers"),
    ("VIEW", "order_summary"),
]


@pytest.fixture
def dumped(mysql_alias: str, mysql_database: str, tmp_path: Path) -> Path:
    """Fill the scratch database with the reference schema and dump it."""
    execute(mysql_database, *SCHEMA)
    dest = tmp_path / "db.sql"
    metadata = MySQLConnector().dump(mysql_alias, dest)
    assert metadata["format"] == "sql"
    return dest


def fingerprint(database: str) -> list[Any]:
    """Return the objects of ``database`` and its customers' names."""
    return [objects(database), query(database, "SELECT id, name FROM customer ORDER BY id")]


def change(database: str) -> list[Any]:
    """Change the database after the dump; return its fingerprint."""
    execute(
        database,
        "CREATE TABLE extra (id INT)",
        "INSERT INTO extra VALUES (7)",
        "CREATE VIEW extra_view AS SELECT id FROM extra",
        "UPDATE customer SET name = 'changed' WHERE id = 2",
        "DELETE FROM audit",
        "DROP TRIGGER order_logged",
    )
    return fingerprint(database)


def test_round_trip_over_a_changed_database(
    mysql_alias: str, mysql_database: str, dumped: Path
) -> None:
    """A restore brings back rows, views, triggers, routines, events and counters; drops extras."""
    before = query(
        mysql_database, "SELECT id, customer_id, note, total, payload FROM orders ORDER BY id"
    )
    ((next_id,),) = query(
        mysql_database,
        "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        " AND TABLE_NAME = 'orders'",
    )
    change(mysql_database)
    execute(mysql_database, "DELETE FROM orders WHERE id > 100", "SELECT NEXTVAL(ticket)")
    MySQLConnector().restore(mysql_alias, dumped)
    assert objects(mysql_database) == REFERENCE_OBJECTS
    assert query(mysql_database, "SELECT name FROM customer ORDER BY id") == [
        ("Zoë 🦄",),
        ("東京商店",),
        ("plain",),
    ]
    assert (
        query(
            mysql_database, "SELECT id, customer_id, note, total, payload FROM orders ORDER BY id"
        )
        == before
    )
    assert query(mysql_database, "SELECT name FROM big_customers ORDER BY name") == [
        ("plain",),
        ("東京商店",),
    ]
    assert query(mysql_database, "SELECT double_it(21)") == [(42,)]
    assert query(mysql_database, "SELECT NEXTVAL(ticket)") == [(1002,)]
    execute(mysql_database, "INSERT INTO orders (customer_id) VALUES (3)")
    assert query(mysql_database, "SELECT MAX(id) FROM orders") == [(next_id,)]
    assert query(mysql_database, "SELECT message FROM audit ORDER BY id DESC LIMIT 1") == [
        (f"order {next_id}",)
    ]
    with pytest.raises(Exception, match="foreign key constraint fails"):
        execute(mysql_database, "INSERT INTO orders (customer_id) VALUES (999)")
    assert scratch_databases() == []


def test_restore_into_an_empty_database(
    mysql_alias: str, mysql_database: str, dumped: Path
) -> None:
    """A dump restores into a database that has no objects yet."""
    execute(
        mysql_database,
        "DROP VIEW big_customers, order_summary",
        "DROP TABLE orders, customer, audit, ticket",
    )
    MySQLConnector().restore(mysql_alias, dumped)
    assert objects(mysql_database) == REFERENCE_OBJECTS


def failing_restore(alias: str, database: str, dump: Path, match: str) -> None:
    """Assert that restoring ``dump`` fails with ``match`` and changes nothing."""
    expected = change(database)
    with pytest.raises(SnapshotConnectorError, match=match) as caught:
        MySQLConnector().restore(alias, dump)
    assert "\n" not in str(caught.value)
    assert "not changed" in str(caught.value)
    assert fingerprint(database) == expected
    assert scratch_databases() == []


def test_truncated_dump_leaves_previous_data_intact(
    mysql_alias: str, mysql_database: str, dumped: Path, tmp_path: Path
) -> None:
    """A dump cut off in the middle of a statement fails and changes nothing."""
    truncated = tmp_path / "truncated.sql"
    data = dumped.read_bytes()
    cut = data.index(b"INSERT INTO `orders`") + 300
    truncated.write_bytes(data[:cut])
    failing_restore(mysql_alias, mysql_database, truncated, "not a complete")


def test_corrupted_dump_leaves_previous_data_intact(
    mysql_alias: str, mysql_database: str, tmp_path: Path
) -> None:
    """A file that is not SQL fails with the client's error and changes nothing."""
    execute(mysql_database, *SCHEMA)
    garbage = tmp_path / "garbage.sql"
    garbage.write_bytes(b"\x00\x01 this is not SQL\n")
    failing_restore(mysql_alias, mysql_database, garbage, "not a complete")


def test_statement_failing_midway_leaves_previous_data_intact(
    mysql_alias: str, mysql_database: str, dumped: Path, tmp_path: Path
) -> None:
    """A syntax error in the middle of a complete-looking dump fails and changes nothing."""
    broken = tmp_path / "broken.sql"
    data = dumped.read_bytes()
    cut = data.index(b"INSERT INTO `orders`") + 300
    broken.write_bytes(data[:cut] + b"\n" + data[cut + 50 :])
    failing_restore(mysql_alias, mysql_database, broken, "ERROR 1064")


def test_statement_failing_late_leaves_previous_data_intact(
    mysql_alias: str, mysql_database: str, dumped: Path, tmp_path: Path
) -> None:
    """A statement failing after every table is loaded still changes nothing."""
    late = tmp_path / "late.sql"
    late.write_bytes(
        dumped.read_bytes() + b"\nCREATE VIEW broken AS SELECT * FROM missing_table;\n"
    )
    failing_restore(mysql_alias, mysql_database, late, "missing_table")


def test_killed_client_leaves_previous_data_intact(
    mysql_alias: str, mysql_database: str, dumped: Path, tmp_path: Path
) -> None:
    """A kill -9 of the mariadb client after the data is loaded changes nothing."""
    stalled_dump = tmp_path / "stalled.sql"
    stalled_dump.write_bytes(dumped.read_bytes() + b"\nSELECT SLEEP(30);\n")
    expected = change(mysql_database)

    def stalled() -> bool:
        return bool(
            query(
                "test",
                "SELECT 1 FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30)%'",
            )
        )

    error = kill_during(
        lambda: MySQLConnector().restore(mysql_alias, stalled_dump), stalled, ["mariadb", "mysql"]
    )
    assert isinstance(error, SnapshotConnectorError) and "SIGKILL" in str(error), error
    assert fingerprint(mysql_database) == expected
    assert scratch_databases() == []


def test_scratch_database_of_a_killed_restore_is_dropped_next_time(
    mysql_alias: str, mysql_database: str, dumped: Path
) -> None:
    """A scratch database left behind by a dead restore of this database is removed."""
    import hashlib

    digest = hashlib.sha1(mysql_database.encode(), usedforsecurity=False).hexdigest()[:12]
    execute(mysql_database, f"CREATE DATABASE snaprst_{digest}_deadbeef")
    MySQLConnector().restore(mysql_alias, dumped)
    assert scratch_databases() == []


def test_credentials_go_to_a_private_option_file(
    mysql_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A password user dumps and restores; its password is only in a 0600 option file."""
    secret = "p\"a\\ss#wo'rd x"
    user = f"u{mysql_database[-12:]}"
    quoted = secret.replace(chr(92), chr(92) * 2).replace(chr(39), chr(39) * 2)
    execute(
        "test",
        f"CREATE USER '{user}'@'%' IDENTIFIED BY '{quoted}'",
        f"GRANT ALL ON `{mysql_database}`.* TO '{user}'@'%'",
        f"GRANT ALL ON `snaprst\\_%`.* TO '{user}'@'%'",
    )
    try:
        execute(mysql_database, *SCHEMA[:3], *SCHEMA[10:12])
        config = {
            "ENGINE": "django.db.backends.mysql",
            "NAME": mysql_database,
            "HOST": MYSQL_HOST,
            "PORT": str(MYSQL_PORT),
            "USER": user,
            "PASSWORD": secret,
        }
        connector = MySQLConnector(events=False)
        with django_alias("my_secret", config):
            private = tmp_path / "private"
            private.mkdir()
            options = connector.options_file("my_secret", private)
            assert stat.S_IMODE(options.stat().st_mode) == 0o600
            assert 'password="p\\"a\\\\ss#wo\'rd x"' in options.read_text()
            temporary = tmp_path / "tmp"
            temporary.mkdir()
            monkeypatch.setattr(tempfile, "tempdir", str(temporary))
            connector.dump("my_secret", tmp_path / "secret.sql")
            execute(mysql_database, "DELETE FROM orders")
            connector.restore("my_secret", tmp_path / "secret.sql")
            assert list(temporary.iterdir()) == [], "the private directory was not removed"
        assert query(mysql_database, "SELECT COUNT(*) FROM orders") == [(200,)]
    finally:
        execute("test", f"DROP USER '{user}'@'%'")


def test_missing_client_binary_is_a_clear_error(mysql_alias: str, tmp_path: Path) -> None:
    """A dump tool that is not installed raises a one-line error naming the package."""
    connector = MySQLConnector(dump_command="no-such-mysqldump")
    with pytest.raises(
        SnapshotConnectorError,
        match=r"^no-such-mysqldump not found on PATH: install .*mariadb-client",
    ):
        connector.dump(mysql_alias, tmp_path / "x.sql")


def test_connection_failure_is_a_clear_error(tmp_path: Path) -> None:
    """A server that refuses connections raises one line quoting the tool's reason."""
    config = {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "nothing",
        "HOST": "127.0.0.1",
        "PORT": "1",
        "USER": "root",
    }
    with django_alias("my_down", config), pytest.raises(SnapshotConnectorError) as caught:
        MySQLConnector().dump("my_down", tmp_path / "x.sql")
    message = str(caught.value)
    assert "\n" not in message
    assert "my_down" in message and "Can't connect" in message


def test_alias_without_a_database_name_or_database_is_one_line(
    mysql_alias: str, dumped: Path, tmp_path: Path
) -> None:
    """An alias with no NAME, or naming a missing database, fails in one line (no IndexError)."""
    from django.conf import settings

    for name, expected in (("", "has no NAME"), ("snap_absent_database", "Unknown database")):
        config = {**settings.DATABASES[mysql_alias], "NAME": name}
        with django_alias("my_nameless", config):
            for call in (
                lambda: MySQLConnector().dump("my_nameless", tmp_path / "x.sql"),
                lambda: MySQLConnector().restore("my_nameless", dumped),
            ):
                with pytest.raises(SnapshotConnectorError) as caught:
                    call()
                message = str(caught.value)
                assert "'my_nameless'" in message and "\n" not in message
                if name == "" or "restore" in message:
                    assert expected in message, message


def test_user_who_cannot_create_the_scratch_database_changes_nothing(
    mysql_database: str, dumped: Path
) -> None:
    """Without CREATE on snaprst_% the server's refusal is one line and the data stays."""
    user = f"n{mysql_database[-12:]}"
    execute(
        "test",
        f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'",
        f"GRANT ALL ON `{mysql_database}`.* TO '{user}'@'%'",
    )
    try:
        config = {
            "ENGINE": "django.db.backends.mysql",
            "NAME": mysql_database,
            "HOST": MYSQL_HOST,
            "PORT": str(MYSQL_PORT),
            "USER": user,
            "PASSWORD": "pw",
        }
        expected = change(mysql_database)
        with django_alias("my_limited", config), pytest.raises(SnapshotConnectorError) as caught:
            MySQLConnector().restore("my_limited", dumped)
        message = str(caught.value)
        assert "'my_limited'" in message and "not changed" in message and "1044" in message
        assert "\n" not in message
        assert fingerprint(mysql_database) == expected
        assert scratch_databases() == []
    finally:
        execute("test", f"DROP USER '{user}'@'%'")


def test_port_that_is_not_a_number_is_one_line(tmp_path: Path) -> None:
    """A PORT that is not a number is named in one line, not a ValueError."""
    config = {"ENGINE": "django.db.backends.mysql", "NAME": "x", "HOST": "127.0.0.1", "PORT": "db"}
    with django_alias("my_badport", config), pytest.raises(SnapshotConnectorError) as caught:
        MySQLConnector().dump("my_badport", tmp_path / "x.sql")
    assert str(caught.value) == "database alias 'my_badport': PORT must be a whole number, not 'db'"
