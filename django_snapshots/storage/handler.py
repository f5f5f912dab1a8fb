"""Building a storage backend from configuration, as Django's storage handler does.

``{"BACKEND": dotted path, "OPTIONS": {...}}`` becomes ``import_string(BACKEND)(**OPTIONS)``;
an instance is taken as it is. Either way the result is checked against the storage
protocol (and against the advanced tier when it claims it), comparing signatures.
Failures raise :class:`~django_snapshots.SnapshotConfigurationError` with a one-line
message; the settings layer adds which key it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard, cast

from django.utils.module_loading import import_string

from django_snapshots.conformance import check_conformance
from django_snapshots.exceptions import SnapshotConfigurationError
from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage

__all__ = ["build_storage", "check_backend"]


def check_backend(backend: object) -> SnapshotStorage:
    """Return ``backend`` if it conforms to the storage protocol (and tier it claims)."""
    if isinstance(backend, type):
        raise SnapshotConfigurationError(
            f"{backend.__qualname__} is a class; give an instance or a dict"
        )
    protocol: type = (
        AdvancedSnapshotStorage if isinstance(backend, AdvancedSnapshotStorage) else SnapshotStorage
    )
    problems = check_conformance(backend, protocol)
    if problems:
        kind = type(backend)
        hint = ""
        if kind.__module__.startswith("django.core.files.storage") or hasattr(backend, "listdir"):
            hint = " (wrap a Django storage in django_snapshots.DjangoStorageBackend)"
        raise SnapshotConfigurationError(
            f"{kind.__module__}.{kind.__qualname__} does not conform to "
            f"{protocol.__qualname__}: " + "; ".join(problems) + hint
        )
    return cast("SnapshotStorage", backend)


def _is_mapping(value: object) -> TypeGuard[Mapping[Any, Any]]:
    return isinstance(value, Mapping)


def _keyed(config: Mapping[Any, Any]) -> dict[str, Any]:
    """Return ``config`` with lower-cased keys; refuse anything but BACKEND and OPTIONS."""
    result: dict[str, Any] = {}
    for key, value in config.items():
        if not isinstance(key, str) or key.lower() not in ("backend", "options"):
            raise SnapshotConfigurationError(f"unknown key {key!r} (known keys: BACKEND, OPTIONS)")
        result[key.lower()] = value
    return result


def build_storage(value: object) -> SnapshotStorage:
    """Return the backend ``value`` describes: an instance or a BACKEND/OPTIONS dict."""
    if not _is_mapping(value):
        return check_backend(value)
    config = _keyed(value)
    dotted = config.get("backend")
    if not isinstance(dotted, str) or not dotted:
        raise SnapshotConfigurationError(f"'BACKEND' must be a dotted path string, got {dotted!r}")
    options: object = config.get("options", {})
    if not _is_mapping(options):
        raise SnapshotConfigurationError(f"'OPTIONS' must be a dict, got {type(options).__name__}")
    if not all(isinstance(name, str) for name in options):
        raise SnapshotConfigurationError("'OPTIONS' keys must be strings")
    try:
        factory = import_string(dotted)
    except ImportError as error:
        raise SnapshotConfigurationError(f"cannot import BACKEND {dotted!r}: {error}") from None
    try:
        backend: object = factory(**options)
    except Exception as error:  # noqa: BLE001 - user code may raise anything
        raise SnapshotConfigurationError(
            f"building {dotted} with OPTIONS failed: {type(error).__name__}: {error}"
        ) from None
    return check_backend(backend)
