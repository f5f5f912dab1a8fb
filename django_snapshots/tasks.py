"""Backups on the team's own scheduler: Django Tasks for backup, prune and verify.

``django.tasks`` on Django 6.0 and later; on Django 5.2 the ``django-tasks`` backport
(``pip install "django-snapshots[tasks]"``). Whatever task backend the project
configures in ``TASKS`` (database, RQ, Celery, ...) runs them::

    from django_snapshots.tasks import create_snapshot_task
    create_snapshot_task.enqueue(artifacts=["database", "media"])

Arguments and results are plain JSON (str, int, bool, None, lists and dicts), as task
backends that queue work require. A task that fails raises, so the backend records the
result as failed: a verification that finds a damaged artifact raises too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django_snapshots.engine import create_snapshot, prune_snapshots, verify_snapshot
from django_snapshots.engine.backup import exporters_for
from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.layout import SnapshotFormat
from django_snapshots.retention import PruneConfig, PruneDecision

if TYPE_CHECKING:
    from django.tasks import task
else:
    try:
        from django.tasks import task
    except ImportError:
        try:
            from django_tasks import task
        except ImportError:
            raise ImportError(
                "django_snapshots.tasks needs django.tasks (Django 6.0+) or, on Django 5.2, "
                "the django-tasks backport: pip install 'django-snapshots[tasks]'"
            ) from None

__all__ = ["create_snapshot_task", "prune_task", "verify_task"]


def _format(value: str | None) -> SnapshotFormat | None:
    """Return a snapshot format named in a task argument; raise for an unknown one."""
    if value is None:
        return None
    if value == "directory":
        return "directory"
    if value == "archive":
        return "archive"
    raise ValueError(f"snapshot_format must be 'directory' or 'archive', got {value!r}")


@task
def create_snapshot_task(
    name: str | None = None,
    artifacts: list[str] | None = None,
    overwrite: bool = False,
    snapshot_format: str | None = None,
) -> dict[str, Any]:
    """Take a snapshot; return its manifest as a dict (with its total ``size``).

    ``artifacts`` names artifact types (``["database", "media"]``); None takes those of
    a bare backup (``DEFAULT_ARTIFACTS``).
    """
    snapshot = create_snapshot(
        name,
        exporters=exporters_for(artifacts),
        overwrite=overwrite,
        snapshot_format=_format(snapshot_format),
    )
    return {**snapshot.to_dict(), "size": snapshot.size}


def _decision(decision: PruneDecision) -> dict[str, Any]:
    """Return one prune decision as JSON-able data."""
    return {
        "name": decision.name,
        "created_at": decision.created_at.isoformat(),
        "size": decision.size,
        "keep": decision.keep,
        "safety": decision.safety,
        "reasons": list(decision.reasons),
    }


@task
def prune_task(
    keep: int | None = None,
    duration: str | None = None,
    max_size: int | None = None,
    keep_daily: int | None = None,
    keep_weekly: int | None = None,
    keep_monthly: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Delete the snapshots no retention rule keeps; return the plan.

    Without any rule, ``SNAPSHOTS["PRUNE"]`` applies, as for ``snapshots prune``; the
    result lists ``pruned`` and ``kept`` names, every ``decision`` and the unreadable
    snapshots left alone (``skipped``).
    """
    rules = PruneConfig(
        keep=keep,
        duration=duration,
        max_size=max_size,
        keep_daily=keep_daily,
        keep_weekly=keep_weekly,
        keep_monthly=keep_monthly,
    )
    plan = prune_snapshots(rules, dry_run=dry_run)
    return {
        "dry_run": dry_run,
        "pruned": [decision.name for decision in plan.pruned],
        "kept": [decision.name for decision in plan.kept],
        "decisions": [_decision(decision) for decision in plan.decisions],
        "skipped": [{"name": item.name, "reason": item.reason} for item in plan.skipped],
    }


@task
def verify_task(name: str | None = None) -> dict[str, Any]:
    """Re-hash every artifact of snapshot ``name`` (default: the newest); return the report.

    Raise :class:`~django_snapshots.SnapshotIntegrityError` naming the damaged files
    when any artifact does not match its manifest.
    """
    report = verify_snapshot(name)
    if not report.ok:
        failed = [check.filename for check in report.checks if not check.ok]
        raise SnapshotIntegrityError(
            f"snapshot {report.name!r} failed verification: {', '.join(failed)}"
        )
    return {
        "name": report.name,
        "ok": report.ok,
        "checks": [
            {"filename": check.filename, "ok": check.ok, "message": check.message}
            for check in report.checks
        ],
    }
