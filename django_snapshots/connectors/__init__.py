"""Database connectors, their protocols, and which connector serves an alias."""

from __future__ import annotations

from django_snapshots.connectors.auto import (
    check_connector_fits,
    get_connector_class,
    get_connector_for_alias,
)
from django_snapshots.connectors.dumpdata import DjangoDumpDataConnector
from django_snapshots.connectors.mysql import MySQLConnector
from django_snapshots.connectors.postgres import PostgresConnector
from django_snapshots.connectors.protocols import DatabaseConnector, RestorePreflight
from django_snapshots.connectors.sqlite import SQLiteConnector

__all__ = [
    "DatabaseConnector",
    "DjangoDumpDataConnector",
    "MySQLConnector",
    "PostgresConnector",
    "RestorePreflight",
    "SQLiteConnector",
    "check_connector_fits",
    "get_connector_class",
    "get_connector_for_alias",
]
