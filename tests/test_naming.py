"""Tests of the snapshot naming rule and the SNAPSHOT_NAME template."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest

from django_snapshots.exceptions import SnapshotNameError
from django_snapshots.naming import is_valid_name, render_name, template_fields, validate_name

MOMENT = datetime(2026, 3, 13, 12, 0, 0, 123456, tzinfo=timezone.utc)


@pytest.mark.parametrize("name", ["a", "2026-03-13T12-00-00-UTC", "db_v1.2+3", "x.tarball", "Z9"])
def test_valid_names_pass(name: str) -> None:
    """Names of letters, digits, '.', '_', '+' and '-' starting with an alphanumeric pass."""
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name", ["", ".hidden", "-x", "_x", "a/b", "a b", "a.tar", "x..tar", "é", "a\\b", "../up"]
)
def test_invalid_names_raise(name: str) -> None:
    """Names breaking the rule (or ending in .tar) raise SnapshotNameError."""
    assert not is_valid_name(name)
    with pytest.raises(SnapshotNameError, match="invalid snapshot name"):
        validate_name(name)


def test_timestamp_matches_0_1_0b1_format() -> None:
    """{timestamp_utc} renders as 0.1.0b1 did: 2026-03-13T12-00-00-UTC."""
    assert render_name("{timestamp_utc}", MOMENT) == "2026-03-13T12-00-00-UTC"


def test_timestamp_is_converted_to_utc() -> None:
    """A timezone-aware non-UTC moment is rendered in UTC."""
    local = MOMENT.astimezone(timezone(timedelta(hours=2)))
    assert render_name("{timestamp_utc}", local) == "2026-03-13T12-00-00-UTC"


def test_hostname_field() -> None:
    """{hostname} renders this host's name (made safe for the naming rule)."""
    name = render_name("{hostname}-nightly", MOMENT)
    assert name.endswith("-nightly")
    assert name.split("-nightly")[0].replace("-", "") != "" or socket.gethostname() == ""


def test_callable_template_receives_utc_datetime() -> None:
    """A callable receives the UTC moment and its result is validated."""
    assert render_name(lambda moment: f"snap-{moment:%Y%m%d}", MOMENT) == "snap-20260313"
    with pytest.raises(SnapshotNameError):
        render_name(lambda moment: "bad name", MOMENT)


@pytest.mark.parametrize(
    "template", ["{unknown}", "{timestamp_utc!r}", "{hostname:>5}", "{", "{0}"]
)
def test_bad_templates_raise(template: str) -> None:
    """Unknown fields, conversions, format specs and malformed templates are refused."""
    with pytest.raises(SnapshotNameError):
        template_fields(template)


def test_template_fields_lists_used_fields() -> None:
    """template_fields returns the fields a template uses."""
    assert template_fields("{hostname}-{timestamp_utc}") == {"hostname", "timestamp_utc"}
    assert template_fields("fixed") == set()
