"""Building a storage backend from configuration, as Django's storage handler does.

``{"BACKEND": dotted path, "OPTIONS": {...}}`` becomes ``import_string(BACKEND)(**OPTIONS)``
(:mod:`django_snapshots.configured`); an instance is taken as it is. Either way the
result is checked against the storage protocol (and against the advanced tier when it
claims it), comparing signatures. Failures raise
:class:`~django_snapshots.SnapshotConfigurationError` with a one-line message; the
settings layer adds which key it came from.
"""

from __future__ import annotations

from typing import cast

from django_snapshots.configured import build_configured, is_mapping, nonconformance
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
    problem = nonconformance(backend, protocol)
    if problem is not None:
        kind = type(backend)
        if kind.__module__.startswith("django.core.files.storage") or hasattr(backend, "listdir"):
            problem += " (wrap a Django storage in django_snapshots.DjangoStorageBackend)"
        raise SnapshotConfigurationError(problem)
    return cast("SnapshotStorage", backend)


def build_storage(value: object) -> SnapshotStorage:
    """Return the backend ``value`` describes: an instance or a BACKEND/OPTIONS dict."""
    return check_backend(build_configured(value) if is_mapping(value) else value)
