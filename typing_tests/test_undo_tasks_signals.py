"""Static typing cases for safety snapshots, undo, prune, status, signals and tasks."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from django.dispatch import Signal
from typing_extensions import assert_type

from django_snapshots import (
    BackupStatus,
    SnapshotRestoreError,
    UndoPlan,
    backup_status,
    prune_snapshots,
    undo_last_restore,
)
from django_snapshots.engine import RestorePlan, prepare_restore, prepare_undo
from django_snapshots.engine.safety import SafetyCapture
from django_snapshots.manifest import Snapshot
from django_snapshots.retention import PruneCandidate, PrunePlan, PruneSkip, select_for_pruning
from django_snapshots.settings import PruneConfig
from django_snapshots.signals import post_backup, post_delete, post_restore, pre_backup, pre_restore
from django_snapshots.tasks import create_snapshot_task, prune_task, verify_task

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def undo_is_typed() -> None:
    """undo_last_restore returns an UndoPlan naming the safety snapshot and the restore."""
    plan = undo_last_restore()
    assert_type(plan, UndoPlan)
    assert_type(plan.safety_snapshot, Snapshot)
    assert_type(plan.restore_of, str)
    assert_type(plan.describe(), str)
    assert_type(prepare_undo("pre-restore-x").restore, RestorePlan)


def restore_plans_carry_their_safety_capture() -> None:
    """A restore plan says what its safety snapshot saves (None when skipped)."""
    plan = prepare_restore(safety_snapshot=False)
    assert_type(plan.safety, SafetyCapture | None)


def prune_and_status_are_typed() -> None:
    """prune_snapshots returns a PrunePlan; backup_status a BackupStatus with an exit code."""
    plan = prune_snapshots(PruneConfig(keep=3), dry_run=True)
    assert_type(plan, PrunePlan)
    assert_type(plan.skipped, tuple[PruneSkip, ...])
    assert_type(plan.decisions[0].safety, bool)
    status = backup_status()
    assert_type(status, BackupStatus)
    assert_type(status.exit_code, int)
    assert_type(status.to_dict(), dict[str, Any])


def safety_candidates_are_four_tuples() -> None:
    """A safety candidate is a (name, created_at, size, True) tuple."""
    select_for_pruning([("a", NOW, 1, True), ("b", NOW, 2)], PruneConfig(), NOW, safety_keep="P7D")
    assert_type(PruneCandidate("a", NOW, 1, True).safety, bool)


def restore_errors_say_whether_they_rolled_back() -> None:
    """SnapshotRestoreError carries rolled_back and the safety snapshot's name."""
    error = SnapshotRestoreError("x", rolled_back=True, safety_snapshot="pre-restore-x")
    assert_type(error.rolled_back, bool)
    assert_type(error.safety_snapshot, str | None)


def signals_are_django_signals() -> None:
    """The five signals are django.dispatch Signals."""
    for signal in (pre_backup, post_backup, pre_restore, post_restore, post_delete):
        assert_type(signal, Signal)


def tasks_take_and_return_json() -> None:
    """The tasks are Django Tasks whose results are JSON dicts."""
    assert_type(create_snapshot_task.call(artifacts=["database"]), dict[str, Any])
    assert_type(prune_task.enqueue(keep=3).return_value, dict[str, Any])
    assert_type(verify_task.call("nightly"), dict[str, Any])


def wrong_arguments_are_rejected() -> None:
    """A task argument that is not JSON, or an UndoPlan where a Snapshot goes, is an error."""
    create_snapshot_task.enqueue(artifacts=NOW)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    plan: Snapshot = undo_last_restore()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    del plan
