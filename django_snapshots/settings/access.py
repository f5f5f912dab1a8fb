"""The cached, normalised settings of the running project, and the configured storage."""

from __future__ import annotations

from django.core.signals import setting_changed

from django_snapshots.settings.model import SnapshotSettings
from django_snapshots.settings.validation import normalise_settings
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["get_settings", "get_storage", "reset_settings_cache"]

_cache: dict[str, SnapshotSettings] = {}


def get_settings() -> SnapshotSettings:
    """Return the project's normalised settings (``storage`` always an instance).

    The result is cached until ``SNAPSHOTS`` or ``DATABASES`` changes through
    Django's ``setting_changed`` signal (as ``override_settings`` sends). Raise
    ``ImproperlyConfigured`` (one line, naming the key) if ``SNAPSHOTS`` is invalid;
    ``manage.py check`` lists every problem.
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
    """Reset the cache when ``SNAPSHOTS``, ``DATABASES`` or ``STORAGES`` changes."""
    if setting in ("SNAPSHOTS", "DATABASES", "STORAGES"):
        reset_settings_cache()


setting_changed.connect(_on_setting_changed, dispatch_uid="django_snapshots.settings")
