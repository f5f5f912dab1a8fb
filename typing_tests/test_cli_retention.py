"""Static typing cases for the retention policy and the CLI helpers plugins use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from typing_extensions import assert_type

from django_snapshots.artifacts.registry import ImporterFactory
from django_snapshots.management.cli import (
    complete_database_aliases,
    complete_snapshot_names,
    format_size,
)
from django_snapshots.manifest import Snapshot
from django_snapshots.restore.management.plugins.snapshots import RestoreSelection
from django_snapshots.retention import (
    PruneCandidate,
    PruneDecision,
    PrunePlan,
    has_rules,
    select_for_pruning,
)
from django_snapshots.settings import PruneConfig

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def retention_results_are_typed() -> None:
    """select_for_pruning returns a PrunePlan whose decisions carry typed fields."""
    plan = select_for_pruning([("a", NOW, 1)], PruneConfig(keep=1), NOW)
    assert_type(plan, PrunePlan)
    assert_type(plan.kept, tuple[PruneDecision, ...])
    assert_type(plan.pruned, tuple[PruneDecision, ...])
    decision = plan.decisions[0]
    assert_type(decision.keep, bool)
    assert_type(decision.reasons, tuple[str, ...])
    assert_type(decision.created_at, datetime)
    assert_type(has_rules(PruneConfig()), bool)


def candidates_are_plain_tuples() -> None:
    """A PruneCandidate is a (name, created_at, size) tuple."""
    candidate = PruneCandidate("a", NOW, 1)
    assert_type(candidate.size, int)
    select_for_pruning([candidate], PruneConfig(), NOW)


def wrong_candidates_are_rejected() -> None:
    """A size must be an int and the policy a PruneConfig: both checkers reject these."""
    select_for_pruning([("a", NOW, "big")], PruneConfig(), NOW)  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    select_for_pruning([], {"keep": 1}, NOW)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def cli_helpers_are_typed(factory: ImporterFactory) -> None:
    """Completers return strings; a restore subcommand returns a RestoreSelection."""
    assert_type(complete_snapshot_names(""), list[str])
    assert_type(complete_database_aliases(""), list[str])
    assert_type(format_size(1), str)
    selection = RestoreSelection("notes", factory, ["notes file"])
    assert_type(selection.overwrites, list[str] | Callable[[Snapshot], list[str]])
    assert_type(selection.importer, ImporterFactory)
