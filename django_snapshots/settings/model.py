""":class:`SnapshotSettings`: every django-snapshots setting as one dataclass.

Its dict form (:meth:`SnapshotSettings.to_dict`) has the lower-case keys and shapes
django-snapshots 0.1.0b1 used, so code written against 0.1.0b1 keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured

from django_snapshots.connectors.protocols import DatabaseConnector
from django_snapshots.durations import format_duration
from django_snapshots.encryption.protocols import SnapshotEncryption
from django_snapshots.exceptions import SnapshotConfigurationError, SnapshotConnectorError
from django_snapshots.layout.paths import SnapshotFormat
from django_snapshots.naming import render_name
from django_snapshots.retention import PruneConfig
from django_snapshots.storage.handler import build_storage
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["DEFAULT_LOCATION", "SnapshotSettings", "setting_key"]

DEFAULT_LOCATION = "snapshots"
"""Folder (relative to the working directory) of the default local storage."""


def setting_key(field_name: str) -> str:
    """Return the ``SNAPSHOTS`` key of a :class:`SnapshotSettings` field (``STORAGE``)."""
    return field_name.upper()


def _default_storage() -> SnapshotStorage:
    return LocalFileSystemBackend(DEFAULT_LOCATION)


@dataclass
class SnapshotSettings:
    """Every django-snapshots setting; :func:`~django_snapshots.settings.get_settings`
    returns it normalised."""

    storage: SnapshotStorage | dict[str, Any] | None = field(default_factory=_default_storage)
    """A backend instance, or ``{"BACKEND": dotted path, "OPTIONS": {...}}``; the
    default is a :class:`~django_snapshots.LocalFileSystemBackend` at ``./snapshots``.
    Always an instance once normalised."""
    snapshot_format: SnapshotFormat = "directory"
    """``"directory"`` (a folder per snapshot) or ``"archive"`` (one ``<name>.tar``)."""
    snapshot_name: str | Callable[[datetime], str] = "{timestamp_utc}"
    """A template with ``{timestamp_utc}`` and ``{hostname}``, or a callable."""
    metadata: dict[str, Any] = field(default_factory=dict[str, Any])
    """JSON-able facts copied into every manifest."""
    encryption: SnapshotEncryption | dict[str, Any] | None = None
    """An encryption backend (such as :class:`~django_snapshots.AgeEncryption`), or
    ``{"BACKEND": dotted path, "OPTIONS": {...}}``; None stores snapshots unencrypted.
    Always an instance (or None) once normalised."""
    database_connectors: dict[str, str | DatabaseConnector] = field(
        default_factory=dict[str, "str | DatabaseConnector"]
    )
    """Per alias: ``"auto"``, a dotted path to a connector class, or an instance.
    Once normalised every value is ``"auto"`` or an instance."""
    prune: PruneConfig | None = None
    """The retention policy ``snapshots prune`` applies when given no options."""
    default_artifacts: list[str] | None = None
    """Artifact types (also the backup subcommands' names) a bare ``backup`` takes;
    None takes every registered one."""
    media_storage: str | None = None
    """A ``STORAGES`` alias whose files the media artifact backs up instead of
    ``MEDIA_ROOT``; None uses ``"default"`` when that is not a file-system storage."""
    safety_keep: str | timedelta = "P7D"
    """How long ``prune`` keeps the safety snapshots taken before restores."""
    max_age: str | timedelta | None = None
    """Age after which the newest snapshot counts as stale (``snapshots status``)."""

    def __post_init__(self) -> None:
        """Give ``storage=None`` the default backend, as 0.1.0b1 did."""
        if self.storage is None:
            self.storage = _default_storage()

    def render_name(self, created_at: datetime) -> str:
        """Return the default snapshot name for a snapshot created at ``created_at``.

        Raise :class:`~django_snapshots.SnapshotNameError` if the name breaks the rule.
        """
        return render_name(self.snapshot_name, created_at)

    def storage_backend(self) -> SnapshotStorage:
        """Return ``storage`` as an instance (building the default or a dict form)."""
        if self.storage is None:
            return _default_storage()
        if not isinstance(self.storage, dict):
            return self.storage
        try:
            return build_storage(self.storage)
        except SnapshotConfigurationError as error:
            raise ImproperlyConfigured(f"SNAPSHOTS['STORAGE']: {error}") from None

    def encryption_backend(self) -> SnapshotEncryption | None:
        """Return ``encryption`` as an instance (building a dict form), or None."""
        if self.encryption is None or not isinstance(self.encryption, dict):
            return self.encryption
        from django_snapshots.settings.validation import normalise_settings

        return cast("SnapshotEncryption | None", normalise_settings(self).encryption)

    def connector_for(self, db_alias: str) -> DatabaseConnector | None:
        """Return the connector configured for ``db_alias``, or None for ``"auto"``."""
        from django_snapshots.connectors.auto import resolve_connector

        value = self.database_connectors.get(db_alias, "auto")
        if value == "auto":
            return None
        if not isinstance(value, str):
            return value
        try:
            return resolve_connector(value)
        except SnapshotConnectorError as error:
            raise ImproperlyConfigured(
                f"SNAPSHOTS['DATABASE_CONNECTORS'][{db_alias!r}]: {error}"
            ) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SnapshotSettings:
        """Return the normalised settings a ``SNAPSHOTS`` dict describes (as 0.1.0b1).

        Raise ``ImproperlyConfigured`` naming the key of the first bad value.
        """
        from django_snapshots.settings.validation import normalise_settings

        return normalise_settings(data)

    @classmethod
    def coerce(cls, data: SnapshotSettings | Mapping[str, Any]) -> SnapshotSettings:
        """Return ``data`` if it already is settings, else ``from_dict(data)``."""
        if isinstance(data, SnapshotSettings):
            return data
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a ``SNAPSHOTS`` dict with 0.1.0b1's lower-case keys.

        Durations are ISO-8601 text and ``prune`` is :meth:`PruneConfig.to_dict`;
        ``SnapshotSettings.from_dict(settings.to_dict())`` gives equal settings.
        """
        result: dict[str, Any] = {}
        for item in fields(self):
            value: object = getattr(self, item.name)
            if isinstance(value, PruneConfig):
                value = value.to_dict()
            elif isinstance(value, timedelta):
                value = format_duration(value)
            elif isinstance(value, dict):
                value = dict(cast("dict[str, Any]", value))
            elif isinstance(value, list):
                value = list(cast("list[str]", value))
            result[item.name] = value
        return result
