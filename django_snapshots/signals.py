"""Signals the engine sends around backups, restores and deletions.

Connect receivers for notifications and metrics. Every signal is sent with
``sender=Snapshot`` (the manifest class) and keyword arguments only:

==================  ========================================================================
signal              keyword arguments
==================  ========================================================================
``pre_backup``      ``name`` (str), ``artifacts`` (list of plain file names), ``storage``
``post_backup``     ``name``, ``snapshot`` (:class:`~django_snapshots.Snapshot` or None),
                    ``error`` (the exception, or None), ``storage``
``pre_restore``     ``name``, ``snapshot``, ``artifacts`` (stored file names), ``storage``
``post_restore``    ``name``, ``snapshot``, ``artifacts``, ``error``, ``safety_snapshot``
                    (the :class:`~django_snapshots.Snapshot` taken first, or None),
                    ``rolled_back`` (True when a failure was undone), ``storage``
``post_delete``     ``name``, ``error``, ``storage``
==================  ========================================================================

A ``post_*`` signal follows every ``pre_*`` one, also when the work fails (then
``error`` is the exception, which is raised again afterwards). A receiver of a
``pre_*`` signal may refuse the work by raising; a receiver of a ``post_*`` signal
cannot break it: its exception is logged (logger ``django_snapshots.signals``).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

from django.dispatch import Signal

from django_snapshots.manifest import Snapshot

__all__ = [
    "post_backup",
    "post_delete",
    "post_restore",
    "pre_backup",
    "pre_restore",
    "sent_around",
]

_logger = logging.getLogger(__name__)

pre_backup: Signal = Signal()
"""Sent before a backup produces anything."""

post_backup: Signal = Signal()
"""Sent after a backup, committed or failed."""

pre_restore: Signal = Signal()
"""Sent before a restore (and its safety snapshot) touches anything."""

post_restore: Signal = Signal()
"""Sent after a restore, completed or failed."""

post_delete: Signal = Signal()
"""Sent after a snapshot was deleted, or its deletion failed."""


def _send_after(signal: Signal, **kwargs: Any) -> None:
    """Send ``signal``; log, never raise, what a receiver raises."""
    for receiver, result in signal.send_robust(sender=Snapshot, **kwargs):
        if isinstance(result, Exception):
            _logger.error(
                "receiver %r of a django-snapshots signal raised %s: %s",
                receiver,
                type(result).__name__,
                result,
                exc_info=result,
            )


@contextmanager
def sent_around(
    pre: Signal | None, post: Signal, outcome: dict[str, Any], **kwargs: Any
) -> Generator[dict[str, Any], None, None]:
    """Send ``pre`` with ``kwargs``, run the block, then ``post`` with ``kwargs`` and ``outcome``.

    The block fills ``outcome`` (the yielded dict) with the result's keyword arguments;
    ``error`` is set to the exception when the block fails, and the exception is raised
    again after ``post`` was sent.
    """
    outcome.setdefault("error", None)
    try:
        if pre is not None:
            pre.send(sender=Snapshot, **kwargs)
        yield outcome
    except BaseException as error:
        outcome["error"] = error
        _send_after(post, **kwargs, **outcome)
        raise
    _send_after(post, **kwargs, **outcome)
