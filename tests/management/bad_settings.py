"""Settings for subprocess runs with three mistakes in ``SNAPSHOTS`` (see test_newcomer)."""

from __future__ import annotations

from tests.management.cli_settings import *  # noqa: F403 - the example project's settings

SNAPSHOTS = {
    "STORAGE": {"BACKEND": "no.such.Backend"},
    "SNAPSHOT_FORMAT": "zip",
    "KEEP": 3,
}
