"""The prune policy as a pure function: which snapshots survive, and why."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from django_snapshots.retention import PruneCandidate, has_rules, select_for_pruning
from django_snapshots.settings import PruneConfig

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def _daily(count: int, size: int = 10) -> list[PruneCandidate]:
    """Return ``count`` snapshots, one a day at noon, the newest made at NOW."""
    return [PruneCandidate(f"s{i:02d}", NOW - timedelta(days=i), size) for i in range(count)]


def _kept(snapshots: list[PruneCandidate], policy: PruneConfig) -> list[str]:
    return [decision.name for decision in select_for_pruning(snapshots, policy, NOW).kept]


def test_keep_keeps_the_n_newest() -> None:
    """keep=N keeps exactly the N newest snapshots."""
    assert _kept(_daily(5), PruneConfig(keep=2)) == ["s00", "s01"]


def test_input_order_does_not_matter() -> None:
    """Snapshots are ranked by creation time, not by the order they are given in."""
    assert _kept(list(reversed(_daily(5))), PruneConfig(keep=2)) == ["s00", "s01"]


def test_duration_keeps_snapshots_younger_than_the_cutoff() -> None:
    """duration keeps snapshots created at or after now minus the ISO-8601 duration."""
    assert _kept(_daily(6), PruneConfig(duration="P2D")) == ["s00", "s01", "s02"]


def test_duration_accepts_a_timedelta() -> None:
    """A timedelta duration works like its ISO-8601 spelling."""
    assert _kept(_daily(6), PruneConfig(duration=timedelta(days=1))) == ["s00", "s01"]


def test_max_size_keeps_the_newest_that_fit() -> None:
    """max_size keeps the newest snapshots whose running total fits the budget."""
    assert _kept(_daily(5, size=10), PruneConfig(max_size=25)) == ["s00", "s01"]


def test_max_size_counts_an_oversized_newest_against_the_budget() -> None:
    """An oversized newest snapshot is kept and uses up the whole budget."""
    snapshots = [
        PruneCandidate("big", NOW, 100),
        PruneCandidate("small", NOW - timedelta(days=1), 1),
    ]
    assert _kept(snapshots, PruneConfig(max_size=50)) == ["big"]


def test_keep_daily_keeps_the_newest_of_each_recent_day() -> None:
    """keep_daily keeps one snapshot (the newest) of each of the N most recent days."""
    snapshots = [
        PruneCandidate("today-late", NOW, 1),
        PruneCandidate("today-early", NOW - timedelta(hours=5), 1),
        PruneCandidate("yesterday", NOW - timedelta(days=1), 1),
        PruneCandidate("older", NOW - timedelta(days=2), 1),
    ]
    assert _kept(snapshots, PruneConfig(keep_daily=2)) == ["today-late", "yesterday"]


def test_keep_daily_counts_only_days_that_have_a_snapshot() -> None:
    """Days without a snapshot do not use up the keep_daily count."""
    snapshots = [
        PruneCandidate("a", NOW, 1),
        PruneCandidate("b", NOW - timedelta(days=10), 1),
        PruneCandidate("c", NOW - timedelta(days=20), 1),
    ]
    assert _kept(snapshots, PruneConfig(keep_daily=2)) == ["a", "b"]


def test_keep_weekly_keeps_the_newest_of_each_iso_week() -> None:
    """keep_weekly keeps the newest snapshot of each of the N most recent ISO weeks."""
    # 2026-11-27 is a Friday; 2026-11-23 is the Monday of the same ISO week.
    snapshots = [
        PruneCandidate("fri", NOW, 1),
        PruneCandidate("mon", datetime(2026, 11, 23, tzinfo=timezone.utc), 1),
        PruneCandidate("last-sun", datetime(2026, 11, 22, tzinfo=timezone.utc), 1),
        PruneCandidate("last-sat", datetime(2026, 11, 21, tzinfo=timezone.utc), 1),
        PruneCandidate("two-weeks", datetime(2026, 11, 14, tzinfo=timezone.utc), 1),
    ]
    assert _kept(snapshots, PruneConfig(keep_weekly=2)) == ["fri", "last-sun"]


def test_keep_monthly_keeps_the_newest_of_each_month() -> None:
    """keep_monthly keeps the newest snapshot of each of the N most recent months."""
    snapshots = [
        PruneCandidate("nov", NOW, 1),
        PruneCandidate("nov-early", datetime(2026, 11, 1, tzinfo=timezone.utc), 1),
        PruneCandidate("oct", datetime(2026, 10, 31, tzinfo=timezone.utc), 1),
        PruneCandidate("sep", datetime(2026, 9, 30, tzinfo=timezone.utc), 1),
    ]
    assert _kept(snapshots, PruneConfig(keep_monthly=2)) == ["nov", "oct"]


def test_rules_form_a_union() -> None:
    """A snapshot kept by any one rule survives."""
    snapshots = _daily(40)
    kept = _kept(snapshots, PruneConfig(keep=2, duration="P4D", keep_monthly=2))
    # keep: s00 s01; duration: s00..s04; keep_monthly: newest of Nov (s00), of Oct (s27)
    assert kept == ["s00", "s01", "s02", "s03", "s04", "s27"]


def test_newest_is_always_kept() -> None:
    """The newest snapshot survives even when every rule would drop it."""
    snapshots = [PruneCandidate("old-but-newest", NOW - timedelta(days=400), 10)]
    plan = select_for_pruning(snapshots, PruneConfig(duration="P1D", max_size=1), NOW)
    assert [d.name for d in plan.kept] == ["old-but-newest"]
    assert plan.kept[0].reasons == ("newest snapshot",)


def test_no_rule_keeps_everything() -> None:
    """A policy without any rule deletes nothing."""
    plan = select_for_pruning(_daily(3), PruneConfig(), NOW)
    assert not has_rules(PruneConfig())
    assert plan.pruned == ()
    assert all("no retention rule is set" in d.reasons for d in plan.decisions)


def test_reasons_name_every_rule_that_keeps_a_snapshot() -> None:
    """Each decision lists every rule that keeps it, and pruned ones say no rule did."""
    plan = select_for_pruning(_daily(4), PruneConfig(keep=2, duration="P1D"), NOW)
    by_name = {decision.name: decision for decision in plan.decisions}
    assert by_name["s00"].reasons[0] == "newest snapshot"
    assert any(r.startswith("keep=2") for r in by_name["s01"].reasons)
    assert any(r.startswith("duration=P1D") for r in by_name["s01"].reasons)
    assert by_name["s03"].keep is False
    assert by_name["s03"].reasons == ("no retention rule keeps it",)
    assert [d.name for d in plan.pruned] == ["s02", "s03"]


def test_plain_tuples_are_accepted() -> None:
    """Any (name, created_at, size) tuple works as input."""
    plan = select_for_pruning(
        [("x", NOW, 1), ("y", NOW - timedelta(days=1), 1)], PruneConfig(keep=1), NOW
    )
    assert [d.name for d in plan.pruned] == ["y"]


def test_empty_input_gives_an_empty_plan() -> None:
    """No snapshots, no decisions."""
    assert select_for_pruning([], PruneConfig(keep=1), NOW).decisions == ()


def _with_safety() -> list[PruneCandidate]:
    """Return five daily snapshots and three safety snapshots taken 1, 6 and 9 days ago."""
    return [
        *_daily(5),
        PruneCandidate("pre-restore-a", NOW - timedelta(days=1, hours=1), 10, True),
        PruneCandidate("pre-restore-b", NOW - timedelta(days=6), 10, True),
        PruneCandidate("pre-restore-c", NOW - timedelta(days=9), 10, True),
    ]


def test_safety_snapshots_are_not_counted_by_keep() -> None:
    """keep=2 keeps the two newest ordinary snapshots, whatever safety snapshots are newer."""
    newest_safety = PruneCandidate("pre-restore-new", NOW + timedelta(hours=1), 10, True)
    plan = select_for_pruning([*_with_safety(), newest_safety], PruneConfig(keep=2), NOW)
    ordinary = [item.name for item in plan.kept if not item.safety]
    assert ordinary == ["s00", "s01"]


def test_safety_snapshots_are_judged_by_safety_keep_alone() -> None:
    """Safety snapshots younger than SAFETY_KEEP stay and older ones go, whatever keep says."""
    plan = select_for_pruning(_with_safety(), PruneConfig(keep=100), NOW, safety_keep="P7D")
    verdict = {item.name: item.keep for item in plan.decisions if item.safety}
    assert verdict == {"pre-restore-a": True, "pre-restore-b": True, "pre-restore-c": False}
    assert all("SAFETY_KEEP=P7D" in item.reasons[0] for item in plan.decisions if item.safety)


def test_safety_keep_accepts_a_timedelta_and_none() -> None:
    """SAFETY_KEEP as a timedelta works like its ISO spelling; None keeps safety snapshots."""
    by_delta = select_for_pruning(_with_safety(), PruneConfig(), NOW, safety_keep=timedelta(days=2))
    assert [item.name for item in by_delta.pruned] == ["pre-restore-b", "pre-restore-c"]
    forever = select_for_pruning(_with_safety(), PruneConfig(), NOW, safety_keep=None)
    assert forever.pruned == ()


def test_expired_safety_snapshots_go_even_without_a_policy() -> None:
    """A policy with no rule keeps every ordinary snapshot but not expired safety snapshots."""
    plan = select_for_pruning(_with_safety(), PruneConfig(), NOW)
    assert [item.name for item in plan.pruned] == ["pre-restore-c"]


def test_safety_snapshots_use_no_size_budget_and_are_never_the_newest() -> None:
    """max_size ignores safety snapshots, and the always-kept newest is an ordinary one."""
    huge = PruneCandidate("pre-restore-huge", NOW + timedelta(hours=1), 10_000, True)
    plan = select_for_pruning([*_daily(3), huge], PruneConfig(max_size=25), NOW)
    assert [item.name for item in plan.kept] == ["pre-restore-huge", "s00", "s01"]
    assert "newest snapshot" in plan.decisions[1].reasons


def test_plan_pruning_recognises_safety_snapshots_by_their_metadata() -> None:
    """plan_pruning treats a manifest with a 'safety' dict in its metadata as a safety snapshot."""
    from django_snapshots.manifest import Snapshot
    from django_snapshots.retention import is_safety_snapshot, plan_pruning

    def snap(name: str, age: int, metadata: dict[str, object]) -> Snapshot:
        return Snapshot(name, NOW - timedelta(days=age), "5.2", "3.11", "host", metadata=metadata)

    safety = snap("pre-restore-x", 1, {"safety": {"restore_of": "s"}})
    plain = [snap("s", 3, {}), snap("t", 2, {"safety": "not a dict"})]
    assert is_safety_snapshot(safety) and not any(is_safety_snapshot(item) for item in plain)
    plan = plan_pruning([safety, *plain], PruneConfig(keep=1), NOW, safety_keep="P2D")
    assert {item.name: item.keep for item in plan.decisions} == {
        "pre-restore-x": True,
        "t": True,
        "s": False,
    }
