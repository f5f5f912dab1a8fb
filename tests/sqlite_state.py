"""Keep the session's SQLite test database intact across tests that replace it wholesale.

Restoring a dump replaces every table, including the schema: a test restoring a dump
from another project (such as 0.1.0b1's fixtures) would leave later tests without the
tables they expect. :func:`preserved_database` snapshots the database with SQLite's
backup API before the test and copies it back afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import cast

import pytest
from django.db import connection


@pytest.fixture
def preserved_database(transactional_db: None) -> Iterator[None]:
    """Give the test a transactional database and put its exact contents back afterwards."""
    connection.ensure_connection()
    live = cast("sqlite3.Connection", connection.connection)
    saved = sqlite3.connect(":memory:")
    live.backup(saved)
    try:
        yield
    finally:
        connection.ensure_connection()
        live = cast("sqlite3.Connection", connection.connection)
        if live.in_transaction:
            live.rollback()
        saved.backup(live)
        saved.close()
