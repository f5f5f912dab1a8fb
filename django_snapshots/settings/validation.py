"""Validating and normalising ``SNAPSHOTS``: every problem, each naming its key.

:func:`validate_settings` returns the normalised :class:`SnapshotSettings` and every
problem found (for Django's system checks, :mod:`django_snapshots.checks`);
:func:`normalise_settings` raises ``ImproperlyConfigured`` on the first. Messages are
one line such as ``SNAPSHOTS['STORAGE']: ...``. Storage backends are built by
:mod:`django_snapshots.storage.handler` and connectors by
:mod:`django_snapshots.connectors.auto`; this module only adds which key they came from.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Final, cast

from django.core.exceptions import ImproperlyConfigured

from django_snapshots.configured import build_configured, is_mapping, nonconformance
from django_snapshots.durations import parse_duration
from django_snapshots.exceptions import (
    SnapshotConfigurationError,
    SnapshotConnectorError,
    SnapshotNameError,
)
from django_snapshots.layout.paths import SnapshotFormat
from django_snapshots.naming import is_valid_name, template_fields
from django_snapshots.retention import PruneConfig
from django_snapshots.settings.model import SnapshotSettings
from django_snapshots.storage.handler import build_storage

__all__ = ["CHECK_IDS", "SettingProblem", "normalise_settings", "validate_settings"]

CHECK_IDS: Final[Mapping[str, str]] = {
    "": "snapshots.E001",
    "storage": "snapshots.E002",
    "snapshot_format": "snapshots.E003",
    "snapshot_name": "snapshots.E004",
    "metadata": "snapshots.E005",
    "encryption": "snapshots.E006",
    "database_connectors": "snapshots.E007",
    "prune": "snapshots.E008",
    "default_artifacts": "snapshots.E009",
    "media_storage": "snapshots.E010",
    "safety_keep": "snapshots.E011",
    "max_age": "snapshots.E012",
}
"""The system check id of the problems of each ``SNAPSHOTS`` key ("" is the setting itself)."""


@dataclass(frozen=True)
class SettingProblem:
    """One bad value in ``SNAPSHOTS``."""

    check_id: str
    """Such as ``"snapshots.E002"`` (see :data:`CHECK_IDS`)."""
    message: str
    """One line naming the key: ``SNAPSHOTS['STORAGE']: ...``."""


class _Invalid(Exception):
    """A bad value at ``where`` (such as ``['PRUNE']['KEEP']``)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"SNAPSHOTS{where}: {' '.join(problem.split())}")


def _keyed(
    data: Mapping[Any, Any], known: tuple[str, ...], where: str, problems: list[str] | None = None
) -> dict[str, Any]:
    """Return ``data`` with lower-cased keys; unknown keys go to ``problems`` or raise."""
    result: dict[str, Any] = {}
    for raw_key, value in data.items():
        error: str | None = None
        if not isinstance(raw_key, str):
            error = f"keys must be strings, got {raw_key!r}"
        elif raw_key.lower() not in known:
            allowed = ", ".join(name.upper() for name in known)
            error = f"unknown key {raw_key!r} (known keys: {allowed})"
        elif raw_key.lower() in result:
            error = f"key {raw_key!r} is given twice (keys are case-insensitive)"
        if error is None:
            result[cast("str", raw_key).lower()] = value
        elif problems is None:
            raise _Invalid(where, error)
        else:
            problems.append(str(_Invalid(where, error)))
    return result


def _storage(value: object) -> object:
    if value is None:
        return SnapshotSettings().storage
    try:
        return build_storage(value)
    except SnapshotConfigurationError as error:
        raise _Invalid("['STORAGE']", str(error)) from None


def _connectors(value: object) -> dict[str, object]:
    from django.conf import settings

    from django_snapshots.connectors.auto import resolve_connector

    if value is None:
        return {}
    if not is_mapping(value):
        raise _Invalid("['DATABASE_CONNECTORS']", f"must be a dict, got {type(value).__name__}")
    result: dict[str, object] = {}
    for alias, connector in value.items():
        if not isinstance(alias, str) or alias not in settings.DATABASES:
            known = ", ".join(sorted(settings.DATABASES))
            raise _Invalid(
                "['DATABASE_CONNECTORS']",
                f"{alias!r} is not a database alias in DATABASES (known: {known})",
            )
        if connector == "auto":
            result[alias] = "auto"
            continue
        try:
            result[alias] = resolve_connector(connector)
        except SnapshotConnectorError as error:
            raise _Invalid(f"['DATABASE_CONNECTORS'][{alias!r}]", str(error)) from None
    return result


def _count(value: object, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(where, f"must be a non-negative integer or None, got {value!r}")
    if value < 0:
        raise _Invalid(where, f"must not be negative, got {value}")
    return value


def _duration(value: object, where: str, *, optional: bool = True) -> str | timedelta | None:
    if value is None and optional:
        return None
    if isinstance(value, str):
        try:
            parse_duration(value)
        except ValueError as error:
            raise _Invalid(where, str(error)) from None
        return value
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise _Invalid(where, f"must not be negative, got {value}")
        return value
    raise _Invalid(
        where,
        "must be an ISO-8601 duration string, a timedelta"
        + (" or None" if optional else "")
        + f", got {value!r}",
    )


def _prune(value: object) -> PruneConfig | None:
    key = "['PRUNE']"
    if value is None:
        return None
    names = tuple(item.name for item in fields(PruneConfig))
    if is_mapping(value):
        # Built unchecked first, so a dict's relativedelta duration is converted too.
        value = PruneConfig(**_keyed(value, names, key))
    if not isinstance(value, PruneConfig):
        raise _Invalid(key, f"must be a PruneConfig, a dict or None, got {type(value).__name__}")
    given = {name: getattr(value, name) for name in names}
    counts = {
        name: _count(given.get(name), f"{key}[{name.upper()!r}]")
        for name in ("keep", "max_size", "keep_daily", "keep_weekly", "keep_monthly")
    }
    duration = _duration(given.get("duration"), f"{key}['DURATION']")
    return PruneConfig(duration=duration, **counts)


def _name(value: object) -> str | Callable[[datetime], str]:
    key = "['SNAPSHOT_NAME']"
    if isinstance(value, str):
        try:
            template_fields(value)
        except SnapshotNameError as error:
            raise _Invalid(key, str(error)) from None
        sample = value.format(timestamp_utc="2026-01-31T23-59-59-UTC", hostname="host")
        if not is_valid_name(sample):
            raise _Invalid(
                key,
                f"{value!r} renders names like {sample!r}, which break the snapshot name "
                "rule ^[A-Za-z0-9][A-Za-z0-9._+-]*$ (and must not end in .tar)",
            )
        return value
    if callable(value):
        try:
            inspect.signature(value).bind(datetime.now(timezone.utc))
        except TypeError:
            raise _Invalid(
                key, "a callable must accept one argument (the creation datetime)"
            ) from None
        except ValueError:
            pass  # builtins without a signature: trust them
        return cast("Callable[[datetime], str]", value)
    raise _Invalid(key, f"must be a template string or a callable, got {type(value).__name__}")


def _metadata(value: object) -> dict[str, Any]:
    key = "['METADATA']"
    if value is None:
        return {}
    if not is_mapping(value):
        raise _Invalid(key, f"must be a dict, got {type(value).__name__}")
    metadata = dict(value)
    if not all(isinstance(name, str) for name in metadata):
        raise _Invalid(key, "keys must be strings")
    try:
        json.dumps(metadata)
    except (TypeError, ValueError) as error:
        raise _Invalid(key, f"must be JSON-serialisable: {error}") from None
    return metadata


def _format(value: object) -> SnapshotFormat:
    if value == "directory":
        return "directory"
    if value == "archive":
        return "archive"
    raise _Invalid("['SNAPSHOT_FORMAT']", f"must be 'directory' or 'archive', got {value!r}")


def _artifacts(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(item, str) and item for item in cast("list[object]", value)
    ):
        raise _Invalid(
            "['DEFAULT_ARTIFACTS']",
            f"must be a list of artifact subcommand names or None, got {value!r}",
        )
    return list(cast("list[str]", value))


def _encryption(value: object) -> object:
    from django_snapshots.encryption.protocols import PoolEncryption, SnapshotEncryption

    key = "['ENCRYPTION']"
    if value is None:
        return None
    if isinstance(value, type):
        raise _Invalid(key, f"{value.__qualname__} is a class; give an instance or a dict")
    try:
        backend = build_configured(value) if is_mapping(value) else value
    except SnapshotConfigurationError as error:
        raise _Invalid(key, str(error)) from None
    problem = nonconformance(backend, SnapshotEncryption)
    if problem is None and isinstance(backend, PoolEncryption):
        # Only the names are checked by isinstance; a wrong signature would first
        # surface mid-backup, so the pool capability is checked in full here.
        problem = nonconformance(backend, PoolEncryption)
    if problem is not None:
        raise _Invalid(key, problem)
    return backend


def _media_storage(value: object) -> str | None:
    from django.conf import settings

    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _Invalid("['MEDIA_STORAGE']", f"must be a STORAGES alias or None, got {value!r}")
    aliases = list(getattr(settings, "STORAGES", {}))
    if value not in aliases:
        raise _Invalid(
            "['MEDIA_STORAGE']",
            f"{value!r} is not a STORAGES alias (configured: {', '.join(aliases)})",
        )
    return value


_VALIDATORS: Final[Mapping[str, Callable[[object], object]]] = {
    "storage": _storage,
    "snapshot_format": _format,
    "snapshot_name": _name,
    "metadata": _metadata,
    "encryption": _encryption,
    "database_connectors": _connectors,
    "prune": _prune,
    "default_artifacts": _artifacts,
    "media_storage": _media_storage,
    "safety_keep": lambda value: _duration(value, "['SAFETY_KEEP']", optional=False),
    "max_age": lambda value: _duration(value, "['MAX_AGE']"),
}


def validate_settings(value: object) -> tuple[SnapshotSettings | None, list[SettingProblem]]:
    """Validate a ``SNAPSHOTS`` value; return its normalised form and every problem.

    The settings are None when any problem was found.
    """
    names = tuple(item.name for item in fields(SnapshotSettings))
    unknown: list[str] = []
    if value is None:
        given: dict[str, Any] = {}
    elif isinstance(value, SnapshotSettings):
        given = {name: getattr(value, name) for name in names}
    elif is_mapping(value):
        given = _keyed(value, names, "", unknown)
    else:
        message = f"SNAPSHOTS: must be a dict or a SnapshotSettings, got {type(value).__name__}"
        return None, [SettingProblem(CHECK_IDS[""], message)]
    problems = [SettingProblem(CHECK_IDS[""], message) for message in unknown]
    defaults = SnapshotSettings()
    normalised: dict[str, Any] = {}
    for name, check in _VALIDATORS.items():
        raw = given.get(name, getattr(defaults, name) if name != "storage" else None)
        try:
            normalised[name] = check(raw)
        except _Invalid as error:
            problems.append(SettingProblem(CHECK_IDS[name], str(error)))
    if problems:
        return None, problems
    return replace(defaults, **normalised), []


def normalise_settings(value: object) -> SnapshotSettings:
    """Validate a ``SNAPSHOTS`` value (dict, :class:`SnapshotSettings` or None) and normalise it.

    Raise ``ImproperlyConfigured`` naming the key on the first bad value.
    """
    settings, problems = validate_settings(value)
    if problems:
        raise ImproperlyConfigured(problems[0].message)
    assert settings is not None
    return settings
