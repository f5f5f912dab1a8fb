"""PostgresConnector against the real PostgreSQL server: round trips and atomic restores."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from django_snapshots.connectors.postgres import PostgresConnector
from django_snapshots.exceptions import SnapshotConnectorError
from tests.servers import django_alias, kill_during, postgres_admin

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE SCHEMA shop;
CREATE TABLE shop.customer (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE shop.orders (
    id bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES shop.customer (id),
    note text,
    total numeric(10, 2) NOT NULL DEFAULT 0
);
CREATE SEQUENCE public.ticket START 1000;
CREATE TABLE public.audit (id serial PRIMARY KEY, message text NOT NULL);
CREATE VIEW shop.order_summary AS
    SELECT c.name, count(o.id) AS orders, sum(o.total) AS total
      FROM shop.customer c LEFT JOIN shop.orders o ON o.customer_id = c.id
     GROUP BY c.name;
CREATE FUNCTION public.log_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.audit (message) VALUES ('order ' || NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER order_logged AFTER INSERT ON shop.orders
    FOR EACH ROW EXECUTE FUNCTION public.log_order();
INSERT INTO shop.customer (name) VALUES ('Zoë 🦄'), ('東京商店'), ('plain');
INSERT INTO shop.orders (customer_id, note, total)
    SELECT 1 + i % 3, 'note ' || i || ' — ✓', i * 1.5 FROM generate_series(1, 200) AS i;
SELECT nextval('public.ticket'), nextval('public.ticket');
"""


def execute(database: str, sql: str) -> None:
    """Run ``sql`` in ``database`` as the superuser."""
    with postgres_admin(database) as admin:
        admin.execute(sql.encode())


def query(database: str, sql: str) -> list[tuple[Any, ...]]:
    """Return the rows of ``sql`` in ``database``."""
    with postgres_admin(database) as admin:
        return admin.execute(sql.encode()).fetchall()


def tables(database: str) -> list[str]:
    """Return the schema-qualified user tables of ``database``."""
    rows = query(
        database,
        "SELECT schemaname || '.' || tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    return [row[0] for row in rows]


@pytest.fixture
def dumped(postgres_alias: str, postgres_database: str, tmp_path: Path) -> Path:
    """Fill the scratch database with the reference schema and dump it."""
    execute(postgres_database, SCHEMA)
    dest = tmp_path / "db.dump"
    PostgresConnector().dump(postgres_alias, dest)
    return dest


def test_dump_writes_a_custom_format_archive(postgres_alias: str, dumped: Path) -> None:
    """dump writes a pg_dump custom-format archive and reports its format."""
    assert dumped.read_bytes()[:5] == b"PGDMP"
    metadata = PostgresConnector().dump(postgres_alias, dumped.with_suffix(".again"))
    assert metadata["format"] == "pg_dump-custom"
    assert metadata["pg_dump_version"].split(".")[0].isdigit()


def test_round_trip_restores_schema_data_sequences_views_and_triggers(
    postgres_alias: str, postgres_database: str, dumped: Path
) -> None:
    """A dump restored over a changed database brings back rows, views, triggers, sequences."""
    before = query(
        postgres_database, "SELECT id, customer_id, note, total FROM shop.orders ORDER BY id"
    )
    execute(
        postgres_database,
        """
        CREATE TABLE public.extra (id int);
        INSERT INTO public.extra VALUES (1);
        CREATE SCHEMA junk; CREATE TABLE junk.t (id int);
        UPDATE shop.customer SET name = 'changed' WHERE id = 2;
        DELETE FROM shop.orders WHERE id > 100;
        DROP VIEW shop.order_summary;
        SELECT nextval('public.ticket') FROM generate_series(1, 50);
        """,
    )
    PostgresConnector().restore(postgres_alias, dumped)
    assert tables(postgres_database) == ["public.audit", "shop.customer", "shop.orders"]
    assert query(postgres_database, "SELECT nspname FROM pg_namespace WHERE nspname = 'junk'") == []
    names = query(postgres_database, "SELECT name FROM shop.customer ORDER BY id")
    assert names == [("Zoë 🦄",), ("東京商店",), ("plain",)]
    assert (
        query(postgres_database, "SELECT id, customer_id, note, total FROM shop.orders ORDER BY id")
        == before
    )
    assert query(
        postgres_database, "SELECT orders FROM shop.order_summary WHERE name = '東京商店'"
    ) == [(67,)]
    assert query(postgres_database, "SELECT nextval('public.ticket')") == [(1002,)]
    assert query(postgres_database, "SELECT nextval('shop.orders_id_seq')") == [(201,)]
    execute(postgres_database, "INSERT INTO shop.orders (customer_id) VALUES (3)")
    assert query(
        postgres_database, "SELECT message FROM public.audit ORDER BY id DESC LIMIT 1"
    ) == [("order 202",)]


def test_restore_into_an_empty_database(
    postgres_alias: str, postgres_database: str, dumped: Path
) -> None:
    """A dump restores into a database that has none of its objects yet."""
    execute(
        postgres_database,
        "DROP SCHEMA shop CASCADE; DROP TABLE public.audit; DROP SEQUENCE public.ticket",
    )
    PostgresConnector().restore(postgres_alias, dumped)
    assert query(postgres_database, "SELECT count(*) FROM shop.orders") == [(200,)]


def test_foreign_keys_survive_the_round_trip(
    postgres_alias: str, postgres_database: str, dumped: Path
) -> None:
    """After a restore the foreign key still rejects orphan rows."""
    PostgresConnector().restore(postgres_alias, dumped)
    with pytest.raises(Exception, match="foreign key"):
        execute(postgres_database, "INSERT INTO shop.orders (customer_id) VALUES (999)")


def changed_state(database: str) -> list[tuple[Any, ...]]:
    """Change the database after the dump; return a fingerprint of the changed state."""
    execute(
        database,
        "CREATE TABLE public.extra (id int); INSERT INTO public.extra VALUES (7);"
        "UPDATE shop.customer SET name = 'renamed' WHERE id = 1;",
    )
    return fingerprint(database)


def fingerprint(database: str) -> list[tuple[Any, ...]]:
    """Return every table's name and row count plus the customers' names."""
    rows = query(database, "SELECT string_agg(name, ',' ORDER BY id) FROM shop.customer")
    return [(name,) for name in tables(database)] + rows


def test_truncated_dump_leaves_previous_data_intact(
    postgres_alias: str, postgres_database: str, dumped: Path, tmp_path: Path
) -> None:
    """A dump cut off in the middle of its data fails and changes nothing."""
    expected = changed_state(postgres_database)
    truncated = tmp_path / "truncated.dump"
    data = dumped.read_bytes()
    truncated.write_bytes(data[: len(data) - 2000])
    with pytest.raises(SnapshotConnectorError, match="rolled back"):
        PostgresConnector().restore(postgres_alias, truncated)
    assert fingerprint(postgres_database) == expected


def test_corrupted_dump_leaves_previous_data_intact(
    postgres_alias: str, postgres_database: str, tmp_path: Path
) -> None:
    """A file that is not a dump at all fails with psql's error and changes nothing."""
    execute(postgres_database, SCHEMA)
    expected = changed_state(postgres_database)
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"this is not SQL at all;\n" * 10)
    with pytest.raises(SnapshotConnectorError, match="neither a pg_dump custom archive"):
        PostgresConnector().restore(postgres_alias, garbage)
    assert fingerprint(postgres_database) == expected
    garbage.write_bytes(b"this is not SQL;\n-- PostgreSQL database dump complete\n")
    with pytest.raises(SnapshotConnectorError, match="syntax error"):
        PostgresConnector().restore(postgres_alias, garbage)
    assert fingerprint(postgres_database) == expected


def test_object_failing_late_leaves_previous_data_intact(
    postgres_alias: str, postgres_database: str, tmp_path: Path
) -> None:
    """A row rejected while loading data, after the wipe and the schema, rolls everything back."""
    execute(postgres_database, SCHEMA)
    execute(
        postgres_database,
        f"""
        CREATE FUNCTION public.refuse_in_target(n text) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            IF current_database() = '{postgres_database}' AND n = 'late' THEN
                RAISE EXCEPTION 'late failure for %', n;
            END IF;
            RETURN true;
        END $$;
        CREATE TABLE public.zz_late (name text CHECK (public.refuse_in_target(name)));
        """,
    )
    source = postgres_database + "_src"
    with postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{source}" TEMPLATE "{postgres_database}"'.encode())
    try:
        execute(source, "INSERT INTO public.zz_late VALUES ('late')")
        dump = tmp_path / "late.dump"
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": source,
            "HOST": "127.0.0.1",
            "USER": "postgres",
        }
        with django_alias("late_source", config):
            PostgresConnector().dump("late_source", dump)
    finally:
        with postgres_admin() as admin:
            admin.execute(f'DROP DATABASE "{source}" WITH (FORCE)'.encode())
    expected = changed_state(postgres_database)
    with pytest.raises(SnapshotConnectorError, match="late failure for late"):
        PostgresConnector().restore(postgres_alias, dump)
    assert fingerprint(postgres_database) == expected


@pytest.fixture
def slow_dump(postgres_alias: str, postgres_database: str, tmp_path: Path) -> Iterator[Path]:
    """Dump a database whose data load stalls on its first row, so a restore can be killed."""
    execute(postgres_database, SCHEMA)
    execute(
        postgres_database,
        """
        CREATE FUNCTION public.stall(n integer) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            IF n = 1 AND current_setting('application_name') = 'psql' THEN
                PERFORM pg_sleep(4);
            END IF;
            RETURN true;
        END $$;
        CREATE TABLE public.aa_slow (n integer CHECK (public.stall(n)), padding text);
        INSERT INTO public.aa_slow SELECT i, repeat('x', 200) FROM generate_series(1, 40000) AS i;
        """,
    )
    dest = tmp_path / "slow.dump"
    PostgresConnector().dump(postgres_alias, dest)
    yield dest


@pytest.mark.parametrize("victim", ["pg_restore", "psql"])
def test_killed_restore_leaves_previous_data_intact(
    postgres_alias: str, postgres_database: str, slow_dump: Path, victim: str
) -> None:
    """A kill -9 of pg_restore or psql in the middle of the data load changes nothing."""
    expected = changed_state(postgres_database)

    def stalled() -> bool:
        return bool(
            query(
                "postgres",
                "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                f" AND datname = '{postgres_database}'",
            )
        )

    error = kill_during(
        lambda: PostgresConnector().restore(postgres_alias, slow_dump), stalled, [victim]
    )
    assert isinstance(error, SnapshotConnectorError) and "SIGKILL" in str(error), error
    deadline = time.monotonic() + 40
    while stalled():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert fingerprint(postgres_database) == expected


def test_plain_sql_dump_of_the_published_release_restores(
    postgres_alias: str, postgres_database: str, tmp_path: Path
) -> None:
    """A plain-SQL dump as django-snapshots 0.1.0b1 wrote it restores, replacing extra tables."""
    execute(postgres_database, SCHEMA)
    plain = tmp_path / "old.sql"
    with plain.open("wb") as out:
        subprocess.run(
            [
                "pg_dump",
                "--no-password",
                "--clean",
                "--if-exists",
                "--no-owner",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                postgres_database,
            ],
            stdout=out,
            check=True,
        )
    changed_state(postgres_database)
    PostgresConnector().restore(postgres_alias, plain)
    assert tables(postgres_database) == ["public.audit", "shop.customer", "shop.orders"]
    assert query(postgres_database, "SELECT name FROM shop.customer WHERE id = 1") == [("Zoë 🦄",)]


def test_password_goes_to_a_private_passfile_not_the_command_line(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The password is only in a 0600 passfile that is removed afterwards."""
    secret = "s3cr:et\\pa'ss"
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": postgres_database,
        "HOST": "127.0.0.1",
        "USER": "postgres",
        "PASSWORD": secret,
        "OPTIONS": {"sslmode": "disable", "application_name": "snap-test", "isolation_level": 1},
    }
    connector = PostgresConnector()
    with django_alias("pg_secret", config):
        private = tmp_path / "private"
        private.mkdir()
        arguments, env = connector.connection_arguments("pg_secret", private)
        assert not any(secret in argument for argument in arguments)
        assert all(secret not in value for value in env.values())
        passfile = private / "pgpass"
        assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
        assert passfile.read_text() == "*:*:*:*:s3cr\\:et\\\\pa'ss\n"
        assert (
            "sslmode='disable'" in arguments[-1] and "application_name='snap-test'" in arguments[-1]
        )
        assert "isolation_level" not in arguments[-1]
        temporary = tmp_path / "tmp"
        temporary.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(temporary))
        connector.dump("pg_secret", tmp_path / "secret.dump")
        assert list(temporary.iterdir()) == [], "the private directory was not removed"


def test_missing_client_binary_is_a_clear_error(postgres_alias: str, tmp_path: Path) -> None:
    """A bin_dir without pg_dump raises a one-line error naming the tool and the package."""
    connector = PostgresConnector(bin_dir=tmp_path)
    with pytest.raises(SnapshotConnectorError, match=r"^pg_dump not found in .*postgresql-client"):
        connector.dump(postgres_alias, tmp_path / "x.dump")


def test_connection_failure_is_a_clear_error(tmp_path: Path) -> None:
    """A server that refuses connections raises one line quoting pg_dump's reason."""
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "nothing",
        "HOST": "127.0.0.1",
        "PORT": "1",
    }
    with django_alias("pg_down", config), pytest.raises(SnapshotConnectorError) as caught:
        PostgresConnector().dump("pg_down", tmp_path / "x.dump")
    message = str(caught.value)
    assert "\n" not in message
    assert "pg_down" in message and "Connection refused" in message


def test_missing_database_restore_is_a_clear_error(postgres_alias: str, dumped: Path) -> None:
    """Restoring into a database that does not exist names the database in one line."""
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "snap_absent",
        "HOST": "127.0.0.1",
        "USER": "postgres",
    }
    with django_alias("pg_absent", config), pytest.raises(SnapshotConnectorError) as caught:
        PostgresConnector().restore("pg_absent", dumped)
    assert 'database "snap_absent" does not exist' in str(caught.value)
    assert "\n" not in str(caught.value)


def test_server_version_mismatch_is_explained() -> None:
    """pg_dump's refusal of a newer server becomes advice naming the client package."""
    from django_snapshots.connectors.postgres import _pg_dump_error  # pyright: ignore[reportPrivateUsage]

    stderr = (
        "pg_dump: error: aborting because of server version mismatch\n"
        "pg_dump: detail: server version: 17.2; pg_dump version: 15.20\n"
    )
    message = str(_pg_dump_error("default", 1, stderr))
    assert "postgresql-client-17" in message and "15.20" in message and "\n" not in message


def wait_for_stall(database: str) -> None:
    """Wait until a restore into ``database`` is stalled in its data load."""
    deadline = time.monotonic() + 20
    while not query(
        "postgres",
        f"SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = '{database}'",
    ):
        assert time.monotonic() < deadline, "the restore never reached the stalled data load"
        time.sleep(0.1)


def test_killed_python_process_cannot_commit_half_a_restore(
    postgres_database: str, slow_dump: Path, tmp_path: Path
) -> None:
    """A kill -9 of the process running the restore makes psql roll back, not commit."""
    expected = changed_state(postgres_database)
    script = (
        "import django, sys\n"
        "from pathlib import Path\n"
        "from django.conf import settings\n"
        "settings.configure(DATABASES={'default': {'ENGINE': 'django.db.backends.postgresql',"
        f" 'NAME': {postgres_database!r}, 'HOST': '127.0.0.1', 'USER': 'postgres'}}}})\n"
        "django.setup()\n"
        "from django_snapshots.connectors.postgres import PostgresConnector\n"
        f"PostgresConnector().restore('default', Path({str(slow_dump)!r}))\n"
    )
    root = Path(__file__).resolve().parents[2]
    private = tmp_path / "child-tmp"  # a killed process cannot remove its private directory
    private.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=root, env={**os.environ, "TMPDIR": str(private)}
    )
    try:
        wait_for_stall(postgres_database)
    finally:
        child.kill()
        child.wait()
    deadline = time.monotonic() + 40
    while query(
        "postgres",
        f"SELECT 1 FROM pg_stat_activity WHERE datname = '{postgres_database}'"
        " AND application_name = 'psql'",
    ):
        assert time.monotonic() < deadline, "the orphaned psql never finished"
        time.sleep(0.2)
    assert fingerprint(postgres_database) == expected
