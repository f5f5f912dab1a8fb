"""The database connector contract: dump one alias to a file, restore it back.

:class:`DatabaseConnector` is what every connector implements. A connector may also
implement :class:`RestorePreflight`, which the engine calls for every database of a
restore before it touches any of them, so that a restore that cannot succeed is
refused while everything is still as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typing_extensions import Protocol, runtime_checkable

__all__ = ["DatabaseConnector", "RestorePreflight"]


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


@runtime_checkable
class RestorePreflight(Protocol):
    """Optional: refuse a restore that cannot succeed, before anything is touched.

    The engine calls :meth:`check_restore` for every database of a restore before
    it restores any of them. Implementations must not change any database; they
    raise :class:`~django_snapshots.SnapshotConnectorError` (one line naming the
    alias and what is wrong) or return ``None`` when the restore may go ahead.
    """

    def check_restore(self, db_alias: str, metadata: dict[str, Any]) -> None:
        """Raise if the dump described by ``metadata`` cannot be restored into ``db_alias``.

        ``metadata`` is the artifact's metadata from the manifest: what :meth:`dump
        <DatabaseConnector.dump>` returned, plus ``"database"`` and ``"connector"``.
        Keys a connector did not record in older snapshots may be missing.
        """
        ...
