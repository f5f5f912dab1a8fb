"""Django system checks: every problem of ``SNAPSHOTS``, reported by ``manage.py check``.

Each bad key is one ``snapshots.E0xx`` error (the ids are in
:data:`django_snapshots.settings.CHECK_IDS`), so a typo never stops ``manage.py``
itself; the ``snapshots`` commands refuse to run with the first problem's line.

With ``SNAPSHOTS["MAX_AGE"]`` set, ``manage.py check --deploy`` also warns
(``snapshots.W001``) when backups have stopped: the newest snapshot is older than that,
cannot be read, or the storage cannot be reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

from django_snapshots.settings import CHECK_IDS, validate_settings

__all__ = ["STALE_BACKUPS", "check_backup_freshness", "check_settings"]

STALE_BACKUPS = "snapshots.W001"
"""The id of the warning that backups have stopped (``check --deploy``)."""


@register(Tags.compatibility)
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Return one error per bad ``SNAPSHOTS`` value, naming its key."""
    normalised, problems = validate_settings(getattr(settings, "SNAPSHOTS", None))
    messages: list[CheckMessage] = [
        Error(problem.message, id=problem.check_id) for problem in problems
    ]
    if normalised is not None and normalised.default_artifacts is not None:
        from django_snapshots.artifacts.registry import artifact_types

        registered = artifact_types()
        unknown = [name for name in normalised.default_artifacts if name not in registered]
        if unknown:
            messages.append(
                Error(
                    "SNAPSHOTS['DEFAULT_ARTIFACTS']: names unknown backup subcommand(s) "
                    f"{', '.join(map(repr, unknown))} (available: {', '.join(registered)})",
                    id=CHECK_IDS["default_artifacts"],
                )
            )
    return messages


@register("snapshots", deploy=True)
def check_backup_freshness(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when ``MAX_AGE`` is set and the newest snapshot is too old or unreadable.

    Runs only with ``check --deploy``; an unreachable storage is a warning, never a crash.
    """
    normalised, problems = validate_settings(getattr(settings, "SNAPSHOTS", None))
    if normalised is None or problems or normalised.max_age is None:
        return []
    from django_snapshots.engine.status import backup_status

    status = backup_status()
    if status.state == "fresh":
        return []
    return [
        CheckWarning(
            f"backups look stopped: {status.message}",
            hint="Check the job that runs 'manage.py snapshots backup' "
            "('manage.py snapshots status' shows the details).",
            id=STALE_BACKUPS,
        )
    ]
