"""Pruning: apply the retention policy to the snapshots in storage.

The decision is :func:`django_snapshots.retention.plan_pruning`'s (a pure function);
this module feeds it what storage holds, the settings (``PRUNE``, ``SAFETY_KEEP``) and
the clock, and deletes what it prunes. ``snapshots prune`` and
:data:`django_snapshots.tasks.prune_task` both call :func:`prune_snapshots`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from django.utils import timezone as django_timezone

from django_snapshots.engine.catalog import delete_snapshot, list_snapshots
from django_snapshots.engine.pools import collect_pool_garbage
from django_snapshots.retention import PruneConfig, PrunePlan, PruneSkip, has_rules, plan_pruning
from django_snapshots.settings import get_settings, get_storage
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["prune_policy", "prune_snapshots"]


def prune_policy(policy: PruneConfig | None = None) -> PruneConfig:
    """Return the policy prune applies: ``policy`` if it sets a rule, else ``PRUNE``.

    Without either, the policy has no rule, and keeps every snapshot but the safety
    snapshots older than ``SAFETY_KEEP``.
    """
    if policy is not None and has_rules(policy):
        return policy
    return get_settings().prune or PruneConfig()


def prune_snapshots(
    policy: PruneConfig | None = None,
    *,
    dry_run: bool = False,
    before_delete: Callable[[PrunePlan], None] | None = None,
    storage: SnapshotStorage | None = None,
    collect_garbage: bool = True,
) -> PrunePlan:
    """Delete the snapshots no rule keeps, and return the plan that decided it.

    ``policy`` defaults to ``SNAPSHOTS["PRUNE"]`` (see :func:`prune_policy`); safety
    snapshots are kept for ``SNAPSHOTS["SAFETY_KEEP"]`` whatever the policy says, and
    unreadable snapshots are never deleted (they are in ``plan.skipped``). With
    ``dry_run`` nothing is deleted. ``before_delete`` is called with the plan before
    the first deletion, when there is something to delete; raising from it deletes
    nothing. Then (unless ``collect_garbage`` is false) the media content only the
    deleted snapshots used is freed, once. Raise ``ValueError`` for a duration that is
    not ISO-8601.
    """
    store = storage if storage is not None else get_storage()
    settings = get_settings()
    listings = list_snapshots(storage=store)
    decided = plan_pruning(
        [listing.snapshot for listing in listings if listing.snapshot is not None],
        prune_policy(policy),
        datetime.now(timezone.utc),
        tz=django_timezone.get_current_timezone(),
        safety_keep=settings.safety_keep,
    )
    plan = PrunePlan(
        decided.decisions,
        tuple(
            PruneSkip(listing.name, listing.error or "unreadable")
            for listing in listings
            if listing.snapshot is None
        ),
    )
    if dry_run or not plan.pruned:
        return plan
    if before_delete is not None:
        before_delete(plan)
    for decision in plan.pruned:
        delete_snapshot(decision.name, storage=store, collect_garbage=False)
    if collect_garbage:
        collect_pool_garbage(store)
    return plan
