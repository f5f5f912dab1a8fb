"""The ``SNAPSHOTS`` setting: :class:`SnapshotSettings`, its validation and accessors.

A project may set ``SNAPSHOTS`` to a dict (keys case-insensitive) or to a
:class:`SnapshotSettings`. :func:`get_settings` returns the normalised, validated form
(cached; ``override_settings(SNAPSHOTS=...)`` resets the cache); a bad value raises
``ImproperlyConfigured`` with a one-line message naming the key, such as
``SNAPSHOTS['STORAGE']: ...``, and ``manage.py check`` lists every problem
(``snapshots.E001``...). :func:`get_storage` returns the configured backend.

Normalised form: ``storage`` is a backend instance checked against the storage
protocol (and against the advanced tier if it claims it); ``database_connectors``
maps aliases to ``"auto"`` or a checked connector instance; ``prune`` is a
:class:`PruneConfig` or None; ``default_artifacts`` is a list of str or None.

``PruneConfig`` lives in :mod:`django_snapshots.retention` and ``SnapshotFormat`` in
:mod:`django_snapshots.layout`; both are importable from here as in 0.1.0b1.
"""

from __future__ import annotations

from django_snapshots.durations import IsoDuration, parse_duration
from django_snapshots.layout.paths import SnapshotFormat
from django_snapshots.retention import PruneConfig
from django_snapshots.settings.access import get_settings, get_storage, reset_settings_cache
from django_snapshots.settings.model import SnapshotSettings
from django_snapshots.settings.validation import (
    CHECK_IDS,
    SettingProblem,
    normalise_settings,
    validate_settings,
)

__all__ = [
    "CHECK_IDS",
    "IsoDuration",
    "PruneConfig",
    "SettingProblem",
    "SnapshotFormat",
    "SnapshotSettings",
    "get_settings",
    "get_storage",
    "normalise_settings",
    "parse_duration",
    "reset_settings_cache",
    "validate_settings",
]
