"""Turn what a connector's driver, tools and files raise into one-line connector errors.

Private to :mod:`django_snapshots.connectors`. Every public connector method runs its
body inside :func:`reported`, so an ``OSError`` (a missing file, a tool that cannot be
started), a Django database error (a server that cannot be reached, a file SQLite cannot
open) or a driver error the connector names is raised as one
:class:`~django_snapshots.exceptions.SnapshotConnectorError` line saying which alias
failed. Errors of the connector's own making already are connector errors and pass
through unchanged; anything else (a bug, a callback raising on purpose) is not touched.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager

from django.db import Error as DjangoDatabaseError

from django_snapshots.exceptions import SnapshotConnectorError

__all__ = ["MESSAGE_LIMIT", "one_line", "reported"]

MESSAGE_LIMIT = 400
"""The longest summary of an underlying error kept in a connector error's message."""


def one_line(error: BaseException | str) -> str:
    """Return ``error`` (or its message) on one line, shortened to :data:`MESSAGE_LIMIT`."""
    text = " ".join(str(error).split())
    if not text:
        text = type(error).__name__ if isinstance(error, BaseException) else "no message"
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 3] + "..."
    return text


@contextmanager
def reported(
    what: str, *kinds: type[BaseException], unchanged: bool = False
) -> Generator[None, None, None]:
    """Raise ``OSError``, Django database errors and ``kinds`` as ``"<what> failed: ..."``.

    ``what`` names the operation and the alias, e.g. ``"dump of database alias 'x'"``;
    ``unchanged`` adds that the database was not changed (say so only where it is true).
    """
    caught: tuple[type[BaseException], ...] = (OSError, DjangoDatabaseError, *kinds)
    try:
        yield
    except SnapshotConnectorError:
        raise
    except caught as error:
        outcome = "; the database was not changed" if unchanged else ""
        raise SnapshotConnectorError(f"{what} failed{outcome}: {one_line(error)}") from error
