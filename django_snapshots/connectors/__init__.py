"""Database connectors and their protocol."""

from __future__ import annotations

from django_snapshots.connectors.protocols import DatabaseConnector

__all__ = ["DatabaseConnector"]
