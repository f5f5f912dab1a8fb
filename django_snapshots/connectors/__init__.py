"""Database connectors and their protocol."""

from __future__ import annotations

from django_snapshots.connectors.auto import get_connector_class, get_connector_for_alias
from django_snapshots.connectors.dumpdata import DjangoDumpDataConnector
from django_snapshots.connectors.mysql import MySQLConnector
from django_snapshots.connectors.postgres import PostgresConnector
from django_snapshots.connectors.protocols import DatabaseConnector
from django_snapshots.connectors.sqlite import SQLiteConnector

__all__ = [
    "DatabaseConnector",
    "DjangoDumpDataConnector",
    "MySQLConnector",
    "PostgresConnector",
    "SQLiteConnector",
    "get_connector_class",
    "get_connector_for_alias",
]
