"""Real PostgreSQL and MariaDB servers for the tests: reachability, scratch databases.

Each test gets its own uniquely named database (``snap_test_<hex>``), created and
dropped through an admin connection, and a Django alias pointing at it. When a server
is unreachable the test is skipped with the reason, unless ``SNAPSHOTS_REQUIRE_SERVERS=1``
(set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from django.conf import settings
from django.db import connections

__all__ = [
    "MYSQL_HOST",
    "MYSQL_PORT",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "children_named",
    "django_alias",
    "kill_during",
    "mysql_admin",
    "mysql_alias",
    "mysql_database",
    "postgres_admin",
    "postgres_alias",
    "postgres_database",
    "require_server",
]

pymysql.install_as_MySQLdb()

POSTGRES_HOST = os.environ.get("SNAPSHOTS_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("SNAPSHOTS_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("SNAPSHOTS_POSTGRES_USER", "postgres")
MYSQL_HOST = os.environ.get("SNAPSHOTS_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("SNAPSHOTS_MYSQL_PORT", "3306"))
MYSQL_USER = os.environ.get("SNAPSHOTS_MYSQL_USER", "root")


def require_server(name: str, error: Exception) -> None:
    """Skip (or fail, under ``SNAPSHOTS_REQUIRE_SERVERS=1``) because a server is down."""
    reason = f"{name}: {' '.join(str(error).split())}"
    if os.environ.get("SNAPSHOTS_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{reason} (required: SNAPSHOTS_REQUIRE_SERVERS=1)", pytrace=False)
    pytest.skip(reason)


def unique_name() -> str:
    """Return a fresh database name such as ``snap_test_3f2a...``."""
    return f"snap_test_{uuid.uuid4().hex[:16]}"


def postgres_admin(dbname: str = "postgres") -> psycopg.Connection[tuple[Any, ...]]:
    """Open an autocommit superuser connection to ``dbname``; skip if unreachable."""
    try:
        return psycopg.connect(
            host=POSTGRES_HOST,
            port=POSTGRES_PORT,
            user=POSTGRES_USER,
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.Error as error:
        require_server(f"PostgreSQL not reachable at {POSTGRES_HOST}:{POSTGRES_PORT}", error)
        raise


def mysql_admin(database: str | None = None) -> pymysql.connections.Connection[Any]:
    """Open an autocommit root connection (to ``database``); skip if unreachable."""
    try:
        return pymysql.connect(
            host=MYSQL_HOST,
            port=MYSQL_PORT,
            user=MYSQL_USER,
            password="",
            database=database,
            autocommit=True,
            charset="utf8mb4",
            connect_timeout=5,
        )
    except pymysql.Error as error:
        require_server(f"MariaDB/MySQL not reachable at {MYSQL_HOST}:{MYSQL_PORT}", error)
        raise


def children_named(name: str) -> list[int]:
    """Return the process ids of this process's children called ``name``."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("Name", "").strip() == name and fields.get("PPid", "").strip() == str(
            os.getpid()
        ):
            found.append(int(entry.name))
    return found


def kill_during(
    restore: Callable[[], None], stalled: Callable[[], bool], victims: Sequence[str]
) -> BaseException | None:
    """Run ``restore`` in a thread; ``kill -9`` ``victims`` once ``stalled()``; return its error."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            restore()
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 20
    while not stalled():
        if time.monotonic() > deadline:
            worker.join(60)
            pytest.fail("the restore never reached the point where it stalls")
        time.sleep(0.1)
    for victim in victims:
        for pid in children_named(victim):
            os.kill(pid, signal.SIGKILL)
    worker.join(60)
    assert not worker.is_alive(), "the restore did not return after its tool was killed"
    return errors[0] if errors else None


@contextmanager
def django_alias(alias: str, config: dict[str, Any]) -> Generator[str, None, None]:
    """Register ``alias`` in Django's DATABASES for the duration of the block."""
    configured = connections.configure_settings(
        {"default": dict(settings.DATABASES["default"]), alias: dict(config)}
    )
    connections.settings[alias] = configured[alias]  # the same dict as settings.DATABASES
    settings.DATABASES[alias] = configured[alias]
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        connections.settings.pop(alias, None)
        settings.DATABASES.pop(alias, None)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database of a unique name; drop it afterwards."""
    name = unique_name()
    with postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield name
    finally:
        with postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@pytest.fixture
def postgres_alias(postgres_database: str) -> Iterator[str]:
    """Return a Django alias for :func:`postgres_database`."""
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": postgres_database,
        "HOST": POSTGRES_HOST,
        "PORT": str(POSTGRES_PORT),
        "USER": POSTGRES_USER,
    }
    with django_alias(f"pg_{postgres_database}", config) as alias:
        yield alias


@pytest.fixture
def mysql_database() -> Iterator[str]:
    """Create an empty utf8mb4 MariaDB/MySQL database of a unique name; drop it afterwards."""
    name = unique_name()
    with mysql_admin() as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        yield name
    finally:
        with mysql_admin() as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def mysql_alias(mysql_database: str) -> Iterator[str]:
    """Return a Django alias for :func:`mysql_database`."""
    config = {
        "ENGINE": "django.db.backends.mysql",
        "NAME": mysql_database,
        "HOST": MYSQL_HOST,
        "PORT": str(MYSQL_PORT),
        "USER": MYSQL_USER,
        "PASSWORD": "",
        "OPTIONS": {"charset": "utf8mb4"},
    }
    with django_alias(f"my_{mysql_database}", config) as alias:
        yield alias
