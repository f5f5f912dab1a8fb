"""Fixtures of the connector tests: scratch databases on the real servers."""

from __future__ import annotations

from tests.servers import mysql_alias as mysql_alias
from tests.servers import mysql_database as mysql_database
from tests.servers import postgres_alias as postgres_alias
from tests.servers import postgres_database as postgres_database
