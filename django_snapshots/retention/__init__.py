"""Retention: which snapshots ``prune`` keeps (:mod:`.policy`) and its settings (:mod:`.config`)."""

from __future__ import annotations

from django_snapshots.retention.config import (
    DEFAULT_SAFETY_KEEP,
    SAFETY_KEY,
    PruneConfig,
    is_safety_snapshot,
)
from django_snapshots.retention.policy import (
    PruneCandidate,
    PruneDecision,
    PrunePlan,
    PruneSkip,
    has_rules,
    plan_pruning,
    select_for_pruning,
)

__all__ = [
    "DEFAULT_SAFETY_KEEP",
    "SAFETY_KEY",
    "PruneCandidate",
    "PruneConfig",
    "PruneDecision",
    "PrunePlan",
    "PruneSkip",
    "has_rules",
    "is_safety_snapshot",
    "plan_pruning",
    "select_for_pruning",
]
