"""ISO-8601 durations for retention: parsing, calendar arithmetic and spelling."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from django_snapshots.durations import IsoDuration, parse_duration
from django_snapshots.settings import PruneConfig

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P30D", IsoDuration(days=30)),
        ("PT12H", IsoDuration(hours=12)),
        ("P1Y2M", IsoDuration(years=1, months=2)),
        ("P2W", IsoDuration(weeks=2)),
        ("PT90M", IsoDuration(minutes=90)),
        ("PT1.5S", IsoDuration(seconds=1.5)),
        ("PT0,5S", IsoDuration(seconds=0.5)),
        ("P1Y2M3DT4H5M6S", IsoDuration(1, 2, 0, 3, 4, 5, 6.0)),
        ("P0D", IsoDuration()),
    ],
)
def test_valid_durations_parse(text: str, expected: IsoDuration) -> None:
    """Each ISO-8601 designator is parsed into its own field."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "30D", "p30d", "P-1D", "P1.5D", "P1DT", "P1H", "PT1D", "P1M1Y", " P1D"]
)
def test_invalid_durations_raise_value_error_quoting_text(text: str) -> None:
    """Anything that is not a non-negative ISO-8601 duration raises ValueError quoting it."""
    with pytest.raises(ValueError, match="is not an ISO-8601 duration") as raised:
        parse_duration(text)
    assert repr(text) in str(raised.value)


def test_months_are_calendar_months_clamped_to_month_end() -> None:
    """P1M before 31 March is the last day of February; P1Y before 29 Feb 2024 is 28 Feb 2023."""
    assert parse_duration("P1M").before(datetime(2026, 3, 31, 12, tzinfo=UTC)) == datetime(
        2026, 2, 28, 12, tzinfo=UTC
    )
    assert parse_duration("P1Y").before(datetime(2024, 2, 29, tzinfo=UTC)) == datetime(
        2023, 2, 28, tzinfo=UTC
    )
    assert parse_duration("P14M").before(datetime(2026, 1, 15, tzinfo=UTC)) == datetime(
        2024, 11, 15, tzinfo=UTC
    )


def test_fixed_units_subtract_exactly() -> None:
    """Weeks, days and time units subtract as a timedelta."""
    moment = datetime(2026, 1, 10, 12, tzinfo=UTC)
    assert parse_duration("P1WT12H").before(moment) == moment - timedelta(days=7, hours=12)


@pytest.mark.parametrize("text", ["P30D", "PT12H", "P1Y2M", "P1Y2M3DT4H5M6S", "PT1.5S", "PT0S"])
def test_str_round_trips(text: str) -> None:
    """str() spells the duration back in ISO-8601."""
    assert str(parse_duration(text)) == text


def test_prune_config_duration_cutoff() -> None:
    """PruneConfig.duration_cutoff handles no duration, an ISO string and a timedelta."""
    now = datetime(2026, 3, 31, tzinfo=UTC)
    assert PruneConfig().duration_cutoff(now) is None
    assert PruneConfig(duration="P1M").duration_cutoff(now) == datetime(2026, 2, 28, tzinfo=UTC)
    assert PruneConfig(duration=timedelta(days=1)).duration_cutoff(now) == datetime(
        2026, 3, 30, tzinfo=UTC
    )
