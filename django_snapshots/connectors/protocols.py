"""The database connector contract: dump one alias to a file, restore it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typing_extensions import Protocol, runtime_checkable

__all__ = ["DatabaseConnector"]


@runtime_checkable
class DatabaseConnector(Protocol):
    """Dump and restore the database behind one ``DATABASES`` alias.

    Implementations must be all-or-nothing on restore: if ``restore`` raises (or the
    process dies), the database must still hold its previous contents.
    Failures raise :class:`~django_snapshots.SnapshotConnectorError` with a one-line
    summary of what the underlying tool said.
    """

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Write a consistent dump of ``db_alias`` to ``dest``; return JSON-able metadata.

        The metadata is stored in the manifest (for example ``{"format": "sqlite3"}``)
        and lets :meth:`restore` recognise the dump later.
        """
        ...

    def restore(self, db_alias: str, src: Path) -> None:
        """Replace the contents of ``db_alias`` with the dump at ``src``."""
        ...
