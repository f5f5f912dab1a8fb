"""The ``SNAPSHOTS`` setting: :class:`SnapshotSettings`, :class:`PruneConfig`.

A project may set ``SNAPSHOTS`` to a dict (keys case-insensitive) or to a
:class:`SnapshotSettings`. :func:`get_settings` returns the normalised, validated form
(cached; ``override_settings(SNAPSHOTS=...)`` resets the cache); every bad value raises
``ImproperlyConfigured`` with a one-line message naming the key, such as
``SNAPSHOTS['STORAGE']: ...``. :func:`get_storage` returns the configured backend.

Normalised form: ``storage`` is a backend instance checked against the storage
protocol (and against the advanced tier if it claims it); ``database_connectors``
maps aliases to ``"auto"`` or a checked connector instance; ``prune`` is a
:class:`PruneConfig` or None; ``default_artifacts`` is a list of str or None.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Literal, TypeGuard, cast

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from django_snapshots.conformance import check_conformance
from django_snapshots.connectors.protocols import DatabaseConnector
from django_snapshots.durations import IsoDuration, parse_duration
from django_snapshots.exceptions import SnapshotNameError
from django_snapshots.naming import is_valid_name, template_fields
from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage

__all__ = [
    "IsoDuration",
    "PruneConfig",
    "SnapshotFormat",
    "SnapshotSettings",
    "get_settings",
    "get_storage",
    "normalise_settings",
    "parse_duration",
    "reset_settings_cache",
]

SnapshotFormat = Literal["directory", "archive"]
"""How a snapshot is laid out in storage: a folder, or one ``<name>.tar``."""

_FORMATS: Final = ("directory", "archive")
_DEFAULT_LOCATION: Final = "snapshots"


@dataclass
class PruneConfig:
    """Which snapshots ``prune`` keeps; a snapshot kept by any rule survives.

    The newest snapshot is always kept.
    """

    keep: int | None = None
    """Keep the newest ``keep`` snapshots."""
    duration: str | timedelta | None = None
    """Keep snapshots younger than this ISO-8601 duration (``"P30D"``) or timedelta."""
    max_size: int | None = None
    """Keep the newest snapshots whose total size fits in ``max_size`` bytes."""
    keep_daily: int | None = None
    """Keep the newest snapshot of each of the last ``keep_daily`` days that have one."""
    keep_weekly: int | None = None
    """Keep the newest snapshot of each of the last ``keep_weekly`` ISO weeks that have one."""
    keep_monthly: int | None = None
    """Keep the newest snapshot of each of the last ``keep_monthly`` months that have one."""

    def duration_cutoff(self, now: datetime) -> datetime | None:
        """Return the oldest creation time the ``duration`` rule keeps, or None without one.

        Raise ``ValueError`` if ``duration`` is a string that is not an ISO-8601 duration.
        """
        if self.duration is None:
            return None
        if isinstance(self.duration, timedelta):
            return now - self.duration
        return parse_duration(self.duration).before(now)


@dataclass
class SnapshotSettings:
    """Every django-snapshots setting; :func:`get_settings` returns it normalised."""

    storage: SnapshotStorage | dict[str, Any] | None = None
    """A backend instance, or ``{"BACKEND": dotted path, "OPTIONS": {...}}``;
    None means a :class:`~django_snapshots.LocalFileSystemBackend` at ``./snapshots``.
    Always an instance once normalised."""
    snapshot_format: SnapshotFormat = "directory"
    """``"directory"`` (a folder per snapshot) or ``"archive"`` (one ``<name>.tar``)."""
    snapshot_name: str | Callable[[datetime], str] = "{timestamp_utc}"
    """A template with ``{timestamp_utc}`` and ``{hostname}``, or a callable."""
    metadata: dict[str, Any] = field(default_factory=dict[str, Any])
    """JSON-able facts copied into every manifest."""
    encryption: object | None = None
    """Reserved; this release supports no encryption backend, so it must be None."""
    database_connectors: dict[str, str | DatabaseConnector] = field(
        default_factory=dict[str, "str | DatabaseConnector"]
    )
    """Per alias: ``"auto"``, a dotted path to a connector class, or an instance.
    Once normalised every value is ``"auto"`` or an instance."""
    prune: PruneConfig | None = None
    """The retention policy ``snapshots prune`` applies when given no options."""
    default_artifacts: list[str] | None = None
    """Artifact subcommands a bare ``backup`` runs; None runs every registered one."""

    def storage_backend(self) -> SnapshotStorage:
        """Return ``storage`` as an instance (building the default or a dict form)."""
        if self.storage is not None and not isinstance(self.storage, dict):
            return self.storage
        return _normalise_storage(self.storage)

    def connector_for(self, db_alias: str) -> DatabaseConnector | None:
        """Return the connector configured for ``db_alias``, or None for ``"auto"``."""
        value = self.database_connectors.get(db_alias, "auto")
        if isinstance(value, str):
            return None if value == "auto" else _connector(value, db_alias)
        return value


# -- validation helpers ------------------------------------------------------------


def _is_mapping(value: object) -> TypeGuard[Mapping[Any, Any]]:
    """Return True if ``value`` is a mapping (a dict, usually)."""
    return isinstance(value, Mapping)


def _fail(key: str, problem: str) -> ImproperlyConfigured:
    """Return the error for a bad value of ``SNAPSHOTS[key]``, on one line."""
    return ImproperlyConfigured(f"SNAPSHOTS{key}: {' '.join(problem.split())}")


def _keyed(data: Mapping[Any, Any], known: tuple[str, ...], where: str) -> dict[str, Any]:
    """Return ``data`` with lower-cased keys; raise on a non-str or unknown key."""
    result: dict[str, Any] = {}
    for raw_key, value in data.items():
        if not isinstance(raw_key, str):
            raise _fail(where, f"keys must be strings, got {raw_key!r}")
        key = raw_key.lower()
        if key not in known:
            allowed = ", ".join(name.upper() for name in known)
            raise _fail(where, f"unknown key {raw_key!r} (known keys: {allowed})")
        if key in result:
            raise _fail(where, f"key {raw_key!r} is given twice (keys are case-insensitive)")
        result[key] = value
    return result


def _conformance_problem(obj: object, protocol: type) -> str | None:
    """Return a one-line summary of ``obj``'s conformance problems, or None."""
    problems = check_conformance(obj, protocol)
    if not problems:
        return None
    kind = type(obj)
    return (
        f"{kind.__module__}.{kind.__qualname__} does not conform to "
        f"{protocol.__qualname__}: " + "; ".join(problems)
    )


def _check_backend(backend: object, key: str) -> SnapshotStorage:
    """Return ``backend`` if it conforms to the storage protocol (and tier it claims)."""
    if isinstance(backend, type):
        raise _fail(key, f"{backend.__qualname__} is a class; give an instance or a dict")
    protocol: type = (
        AdvancedSnapshotStorage if isinstance(backend, AdvancedSnapshotStorage) else SnapshotStorage
    )
    problem = _conformance_problem(backend, protocol)
    if problem is not None:
        hint = ""
        if type(backend).__module__.startswith("django.core.files.storage") or hasattr(
            backend, "listdir"
        ):
            hint = " (wrap a Django storage in django_snapshots.DjangoStorageBackend)"
        raise _fail(key, problem + hint)
    return cast("SnapshotStorage", backend)


def _normalise_storage(value: object) -> SnapshotStorage:
    """Return the backend ``STORAGE`` describes."""
    key = "['STORAGE']"
    if value is None:
        from django_snapshots.storage.local import LocalFileSystemBackend

        return LocalFileSystemBackend(_DEFAULT_LOCATION)
    if _is_mapping(value):
        config = _keyed(value, ("backend", "options"), key)
        dotted = config.get("backend")
        if not isinstance(dotted, str) or not dotted:
            raise _fail(key, f"'BACKEND' must be a dotted path string, got {dotted!r}")
        options: object = config.get("options", {})
        if not _is_mapping(options):
            raise _fail(key, f"'OPTIONS' must be a dict, got {type(options).__name__}")
        if not all(isinstance(name, str) for name in options):
            raise _fail(key, "'OPTIONS' keys must be strings")
        try:
            factory = import_string(dotted)
        except ImportError as error:
            raise _fail(key, f"cannot import BACKEND {dotted!r}: {error}") from None
        try:
            backend: object = factory(**options)
        except Exception as error:  # noqa: BLE001 - user code may raise anything
            raise _fail(
                key, f"building {dotted} with OPTIONS failed: {type(error).__name__}: {error}"
            ) from None
        return _check_backend(backend, key)
    return _check_backend(value, key)


def _connector(value: object, db_alias: str) -> DatabaseConnector:
    """Return the connector instance ``value`` names for ``db_alias``."""
    key = f"['DATABASE_CONNECTORS'][{db_alias!r}]"
    if isinstance(value, str):
        try:
            imported: object = import_string(value)
        except ImportError as error:
            raise _fail(key, f"cannot import {value!r}: {error}") from None
        if isinstance(imported, type):
            try:
                value = imported()
            except Exception as error:  # noqa: BLE001 - user code may raise anything
                raise _fail(
                    key, f"building {value} failed: {type(error).__name__}: {error}"
                ) from None
        else:
            value = imported
    elif isinstance(value, type):
        raise _fail(key, f"{value.__qualname__} is a class; give an instance or a dotted path")
    problem = _conformance_problem(value, DatabaseConnector)
    if problem is not None:
        raise _fail(key, problem)
    return cast("DatabaseConnector", value)


def _normalise_connectors(value: object) -> dict[str, str | DatabaseConnector]:
    """Return ``DATABASE_CONNECTORS`` with every dotted path built into an instance."""
    from django.conf import settings

    if value is None:
        return {}
    if not _is_mapping(value):
        raise _fail("['DATABASE_CONNECTORS']", f"must be a dict, got {type(value).__name__}")
    result: dict[str, str | DatabaseConnector] = {}
    for alias, connector in value.items():
        if not isinstance(alias, str) or alias not in settings.DATABASES:
            known = ", ".join(sorted(settings.DATABASES))
            raise _fail(
                "['DATABASE_CONNECTORS']",
                f"{alias!r} is not a database alias in DATABASES (known: {known})",
            )
        result[alias] = "auto" if connector == "auto" else _connector(connector, alias)
    return result


def _check_count(value: object, key: str) -> int | None:
    """Return ``value`` if it is None or a non-negative int (not a bool)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(key, f"must be a non-negative integer or None, got {value!r}")
    if value < 0:
        raise _fail(key, f"must not be negative, got {value}")
    return value


def _normalise_prune(value: object) -> PruneConfig | None:
    """Return ``PRUNE`` as a validated :class:`PruneConfig`, or None."""
    key = "['PRUNE']"
    if value is None:
        return None
    if isinstance(value, PruneConfig):
        given = {item.name: getattr(value, item.name) for item in fields(PruneConfig)}
    elif _is_mapping(value):
        names = tuple(item.name for item in fields(PruneConfig))
        given = _keyed(value, names, key)
    else:
        raise _fail(key, f"must be a PruneConfig, a dict or None, got {type(value).__name__}")
    counts = {
        name: _check_count(given.get(name), f"{key}[{name.upper()!r}]")
        for name in ("keep", "max_size", "keep_daily", "keep_weekly", "keep_monthly")
    }
    duration: object = given.get("duration")
    duration_key = f"{key}['DURATION']"
    if isinstance(duration, str):
        try:
            parse_duration(duration)
        except ValueError as error:
            raise _fail(duration_key, str(error)) from None
    elif isinstance(duration, timedelta):
        if duration < timedelta(0):
            raise _fail(duration_key, f"must not be negative, got {duration}")
    elif duration is not None:
        raise _fail(
            duration_key,
            f"must be an ISO-8601 duration string, a timedelta or None, got {duration!r}",
        )
    return PruneConfig(
        keep=counts["keep"],
        duration=duration,
        max_size=counts["max_size"],
        keep_daily=counts["keep_daily"],
        keep_weekly=counts["keep_weekly"],
        keep_monthly=counts["keep_monthly"],
    )


def _check_name(value: object) -> str | Callable[[datetime], str]:
    """Return ``SNAPSHOT_NAME`` if it is a valid template or a one-argument callable."""
    key = "['SNAPSHOT_NAME']"
    if isinstance(value, str):
        try:
            template_fields(value)
        except SnapshotNameError as error:
            raise _fail(key, str(error)) from None
        sample = value.format(timestamp_utc="2026-01-31T23-59-59-UTC", hostname="host")
        if not is_valid_name(sample):
            raise _fail(
                key,
                f"{value!r} renders names like {sample!r}, which break the snapshot name "
                "rule ^[A-Za-z0-9][A-Za-z0-9._+-]*$ (and must not end in .tar)",
            )
        return value
    if callable(value):
        try:
            inspect.signature(value).bind(datetime.now(timezone.utc))
        except TypeError:
            raise _fail(
                key, "a callable must accept one argument (the creation datetime)"
            ) from None
        except ValueError:
            pass  # builtins without a signature: trust them
        return cast("Callable[[datetime], str]", value)
    raise _fail(key, f"must be a template string or a callable, got {type(value).__name__}")


def _check_metadata(value: object) -> dict[str, Any]:
    """Return ``METADATA`` if it is a JSON-able dict with string keys."""
    key = "['METADATA']"
    if value is None:
        return {}
    if not _is_mapping(value):
        raise _fail(key, f"must be a dict, got {type(value).__name__}")
    metadata = dict(value)
    if not all(isinstance(name, str) for name in metadata):
        raise _fail(key, "keys must be strings")
    try:
        json.dumps(metadata)
    except (TypeError, ValueError) as error:
        raise _fail(key, f"must be JSON-serialisable: {error}") from None
    return metadata


def _check_format(value: object) -> SnapshotFormat:
    """Return ``SNAPSHOT_FORMAT`` if it is ``"directory"`` or ``"archive"``."""
    if value not in _FORMATS:
        raise _fail("['SNAPSHOT_FORMAT']", f"must be 'directory' or 'archive', got {value!r}")
    return value


def _check_artifacts(value: object) -> list[str] | None:
    """Return ``DEFAULT_ARTIFACTS`` if it is None or a list (or tuple) of str."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(item, str) and item for item in cast("list[object]", value)
    ):
        raise _fail(
            "['DEFAULT_ARTIFACTS']",
            f"must be a list of artifact subcommand names or None, got {value!r}",
        )
    return list(cast("list[str]", value))


def normalise_settings(value: object) -> SnapshotSettings:
    """Validate a ``SNAPSHOTS`` value (dict, :class:`SnapshotSettings` or None) and normalise it.

    Raise ``ImproperlyConfigured`` naming the key on the first bad value.
    """
    names = tuple(item.name for item in fields(SnapshotSettings))
    if value is None:
        given: dict[str, Any] = {}
    elif isinstance(value, SnapshotSettings):
        given = {name: getattr(value, name) for name in names}
    elif _is_mapping(value):
        given = _keyed(value, names, "")
    else:
        raise ImproperlyConfigured(
            f"SNAPSHOTS: must be a dict or a SnapshotSettings, got {type(value).__name__}"
        )
    defaults = SnapshotSettings()
    if given.get("encryption") is not None:
        raise _fail(
            "['ENCRYPTION']", "encryption is not supported in this release; it must be None"
        )
    return replace(
        defaults,
        storage=_normalise_storage(given.get("storage")),
        snapshot_format=_check_format(given.get("snapshot_format", defaults.snapshot_format)),
        snapshot_name=_check_name(given.get("snapshot_name", defaults.snapshot_name)),
        metadata=_check_metadata(given.get("metadata")),
        encryption=None,
        database_connectors=_normalise_connectors(given.get("database_connectors")),
        prune=_normalise_prune(given.get("prune")),
        default_artifacts=_check_artifacts(given.get("default_artifacts")),
    )


# -- the cached accessors ------------------------------------------------------------

_cache: dict[str, SnapshotSettings] = {}


def get_settings() -> SnapshotSettings:
    """Return the project's normalised settings (``storage`` always an instance).

    The result is cached until ``SNAPSHOTS`` or ``DATABASES`` changes through
    Django's ``setting_changed`` signal (as ``override_settings`` sends).
    """
    cached = _cache.get("settings")
    if cached is None:
        from django.conf import settings

        cached = normalise_settings(getattr(settings, "SNAPSHOTS", None))
        _cache["settings"] = cached
    return cached


def get_storage() -> SnapshotStorage:
    """Return the configured storage backend."""
    return get_settings().storage_backend()


def reset_settings_cache() -> None:
    """Forget the cached settings, so the next :func:`get_settings` reads them again."""
    _cache.clear()


def _on_setting_changed(*, setting: str, **_: object) -> None:
    """Reset the cache when ``SNAPSHOTS`` or ``DATABASES`` changes."""
    if setting in ("SNAPSHOTS", "DATABASES"):
        reset_settings_cache()


setting_changed.connect(_on_setting_changed, dispatch_uid="django_snapshots.settings")
