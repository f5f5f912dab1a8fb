"""The prune policy as a pure function: which snapshots a :class:`PruneConfig` keeps.

:func:`select_for_pruning` touches no storage and reads no clock: it takes the
snapshots (name, creation time, size), the policy and "now", and returns a
:class:`PrunePlan` saying for every snapshot whether it is kept and why.

The rules form a union: a snapshot kept by *any* rule survives, and the newest
snapshot is always kept. A policy with no rule at all keeps everything, so an empty
configuration can never delete a snapshot.

- ``keep``: the newest ``keep`` snapshots;
- ``duration``: snapshots created at or after ``now - duration``;
- ``max_size``: newest first, every snapshot that still fits in the byte budget
  (the newest always counts against it);
- ``keep_daily`` / ``keep_weekly`` / ``keep_monthly``: the newest snapshot of each of
  the most recent N days / ISO weeks / months that have a snapshot.

*Safety snapshots* (taken before a restore, marked ``{"safety": {...}}`` in their
manifest metadata) stand apart: no rule above sees or counts them, and they are kept
exactly while younger than ``safety_keep`` (``SNAPSHOTS["SAFETY_KEEP"]``, ``P7D``).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

from django_snapshots.durations import format_duration, parse_duration
from django_snapshots.humanize import format_size
from django_snapshots.manifest import Snapshot
from django_snapshots.retention.config import (
    DEFAULT_SAFETY_KEEP,
    PruneConfig,
    is_safety_snapshot,
)

__all__ = [
    "PruneCandidate",
    "PruneDecision",
    "PrunePlan",
    "PruneSkip",
    "has_rules",
    "plan_pruning",
    "select_for_pruning",
]


class PruneCandidate(NamedTuple):
    """One snapshot as the policy sees it; any ``(name, created_at, size)`` tuple fits."""

    name: str
    created_at: datetime
    """When the snapshot was created (timezone-aware)."""
    size: int
    """Total stored size in bytes."""
    safety: bool = False
    """True for a safety snapshot, which only ``safety_keep`` judges."""


class PruneSkip(NamedTuple):
    """A snapshot prune leaves alone because it cannot be read."""

    name: str
    reason: str
    """Why it cannot be read."""


@dataclass(frozen=True)
class PruneDecision:
    """Whether one snapshot is kept, and the rules that decided it."""

    name: str
    created_at: datetime
    size: int
    keep: bool
    reasons: tuple[str, ...] = field(default=())
    """Every rule that keeps the snapshot, or why none did."""
    safety: bool = False
    """True for a safety snapshot (judged by ``safety_keep`` alone)."""


@dataclass(frozen=True)
class PrunePlan:
    """The decision for every snapshot, newest first, and the unreadable ones left alone."""

    decisions: tuple[PruneDecision, ...]
    skipped: tuple[PruneSkip, ...] = field(default=())
    """Unreadable snapshots, which prune never deletes (delete them by name)."""

    @property
    def kept(self) -> tuple[PruneDecision, ...]:
        """Return the decisions of the snapshots that survive."""
        return tuple(decision for decision in self.decisions if decision.keep)

    @property
    def pruned(self) -> tuple[PruneDecision, ...]:
        """Return the decisions of the snapshots to delete."""
        return tuple(decision for decision in self.decisions if not decision.keep)


def has_rules(policy: PruneConfig) -> bool:
    """Return True if ``policy`` sets at least one retention rule."""
    return any(
        value is not None
        for value in (
            policy.keep,
            policy.duration,
            policy.max_size,
            policy.keep_daily,
            policy.keep_weekly,
            policy.keep_monthly,
        )
    )


def _buckets(
    ordered: list[PruneCandidate],
    count: int,
    key: Callable[[datetime], str],
    rule: str,
    tz: tzinfo,
) -> dict[str, str]:
    """Keep the newest snapshot of each of the ``count`` most recent non-empty buckets."""
    kept: dict[str, str] = {}
    seen: set[str] = set()
    for candidate in ordered:
        bucket = key(candidate.created_at.astimezone(tz))
        if bucket in seen:
            continue
        if len(seen) >= count:
            break
        seen.add(bucket)
        kept[candidate.name] = f"{rule}={count}: newest of {bucket}"
    return kept


def _candidate(
    snapshot: tuple[str, datetime, int] | tuple[str, datetime, int, bool],
) -> PruneCandidate:
    """Return ``snapshot`` as a :class:`PruneCandidate` (not a safety one unless it says)."""
    if len(snapshot) == 4:
        return PruneCandidate(snapshot[0], snapshot[1], snapshot[2], snapshot[3])
    return PruneCandidate(snapshot[0], snapshot[1], snapshot[2])


def select_for_pruning(
    snapshots: Iterable[tuple[str, datetime, int] | tuple[str, datetime, int, bool]],
    policy: PruneConfig,
    now: datetime,
    *,
    tz: tzinfo = timezone.utc,
    safety_keep: str | timedelta | None = DEFAULT_SAFETY_KEEP,
) -> PrunePlan:
    """Decide which ``snapshots`` ``policy`` keeps at time ``now``.

    Each snapshot is a ``(name, created_at, size)`` tuple, or a :class:`PruneCandidate`
    whose ``safety`` is True for a safety snapshot: those are kept while younger than
    ``safety_keep`` (None: forever) and are invisible to every rule of ``policy``.
    ``tz`` is the time zone whose calendar days, weeks and months the
    ``keep_daily``/``keep_weekly``/``keep_monthly`` rules count. Raise ``ValueError``
    if a duration is a string that is not an ISO-8601 duration.
    """
    candidates = [_candidate(snapshot) for snapshot in snapshots]
    safety = _judge_safety([item for item in candidates if item.safety], now, safety_keep)
    ordered = sorted(
        (candidate for candidate in candidates if not candidate.safety),
        key=lambda candidate: (candidate.created_at, candidate.name),
        reverse=True,
    )
    reasons: dict[str, list[str]] = {candidate.name: [] for candidate in ordered}
    if not has_rules(policy):
        for candidate in ordered:
            reasons[candidate.name].append("no retention rule is set")
    if ordered:
        reasons[ordered[0].name].append("newest snapshot")

    if policy.keep is not None:
        for position, candidate in enumerate(ordered[: policy.keep], start=1):
            reasons[candidate.name].append(f"keep={policy.keep}: number {position} by age")

    cutoff = policy.duration_cutoff(now)
    if cutoff is not None:
        label = str(policy.duration)
        for candidate in ordered:
            if candidate.created_at >= cutoff:
                reasons[candidate.name].append(
                    f"duration={label}: created after {cutoff.isoformat(timespec='seconds')}"
                )

    if policy.max_size is not None:
        total = 0
        for position, candidate in enumerate(ordered):
            # The newest counts against the budget even when it alone exceeds it.
            if position == 0 or total + candidate.size <= policy.max_size:
                total += candidate.size
                if total <= policy.max_size:
                    reasons[candidate.name].append(
                        f"max_size={policy.max_size}: {format_size(total)} in total so far"
                    )

    calendar: list[tuple[int | None, Callable[[datetime], str], str]] = [
        (policy.keep_daily, lambda moment: moment.strftime("%Y-%m-%d"), "keep_daily"),
        (
            policy.keep_weekly,
            lambda moment: "{}-W{:02d}".format(*moment.isocalendar()[:2]),
            "keep_weekly",
        ),
        (policy.keep_monthly, lambda moment: moment.strftime("%Y-%m"), "keep_monthly"),
    ]
    for count, key, rule in calendar:
        if count is not None:
            for name, reason in _buckets(ordered, count, key, rule, tz).items():
                reasons[name].append(reason)

    decisions: list[PruneDecision] = []
    for candidate in ordered:
        why = reasons[candidate.name]
        decisions.append(
            PruneDecision(
                name=candidate.name,
                created_at=candidate.created_at,
                size=candidate.size,
                keep=bool(why),
                reasons=tuple(why) if why else ("no retention rule keeps it",),
            )
        )
    everything = sorted(
        [*decisions, *safety], key=lambda item: (item.created_at, item.name), reverse=True
    )
    return PrunePlan(decisions=tuple(everything))


def _judge_safety(
    candidates: list[PruneCandidate], now: datetime, safety_keep: str | timedelta | None
) -> list[PruneDecision]:
    """Keep the safety snapshots younger than ``safety_keep``; prune the older ones."""
    if safety_keep is None:
        cutoff, label = None, "forever"
    elif isinstance(safety_keep, timedelta):
        cutoff, label = now - safety_keep, format_duration(safety_keep)
    else:
        cutoff, label = parse_duration(safety_keep).before(now), safety_keep
    decisions: list[PruneDecision] = []
    for candidate in candidates:
        keep = cutoff is None or candidate.created_at >= cutoff
        if cutoff is None:
            reason = "safety snapshot: SAFETY_KEEP is None, kept forever"
        else:
            relation = "after" if keep else "before"
            reason = (
                f"safety snapshot, SAFETY_KEEP={label}: taken {relation} "
                f"{cutoff.isoformat(timespec='seconds')}"
            )
        decisions.append(
            PruneDecision(
                name=candidate.name,
                created_at=candidate.created_at,
                size=candidate.size,
                keep=keep,
                reasons=(reason,),
                safety=True,
            )
        )
    return decisions


def plan_pruning(
    snapshots: Iterable[Snapshot],
    policy: PruneConfig,
    now: datetime,
    *,
    tz: tzinfo = timezone.utc,
    safety_keep: str | timedelta | None = DEFAULT_SAFETY_KEEP,
) -> PrunePlan:
    """Return the prune plan of the readable ``snapshots`` under ``policy`` at ``now``.

    Safety snapshots (:func:`is_safety_snapshot`) are judged by ``safety_keep`` alone.
    """
    return select_for_pruning(
        [
            PruneCandidate(snap.name, snap.created_at, snap.size, is_safety_snapshot(snap))
            for snap in snapshots
        ],
        policy,
        now,
        tz=tz,
        safety_keep=safety_keep,
    )
