"""Objects built from ``{"BACKEND": dotted path, "OPTIONS": {...}}``, as Django's handlers do.

``STORAGE`` and ``ENCRYPTION`` take either an instance or such a dict; the dict form is
``import_string(BACKEND)(**OPTIONS)``. Failures raise
:class:`~django_snapshots.SnapshotConfigurationError` with a one-line message; the
settings layer adds which key it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from django_snapshots.conformance import check_conformance
from django_snapshots.exceptions import SnapshotConfigurationError

__all__ = ["build_configured", "is_mapping", "nonconformance"]


def is_mapping(value: object) -> TypeGuard[Mapping[Any, Any]]:
    """Return True if ``value`` is a mapping (a dict, usually)."""
    return isinstance(value, Mapping)


def nonconformance(obj: object, protocol: type) -> str | None:
    """Return a one-line summary of how ``obj`` differs from ``protocol``, or None."""
    problems = check_conformance(obj, protocol)
    if not problems:
        return None
    kind: type = type(obj)
    return (
        f"{kind.__module__}.{kind.__qualname__} does not conform to "
        f"{protocol.__qualname__}: " + "; ".join(problems)
    )


def _keyed(config: Mapping[Any, Any]) -> dict[str, Any]:
    """Return ``config`` with lower-cased keys; refuse anything but BACKEND and OPTIONS."""
    result: dict[str, Any] = {}
    for key, value in config.items():
        if not isinstance(key, str) or key.lower() not in ("backend", "options"):
            raise SnapshotConfigurationError(f"unknown key {key!r} (known keys: BACKEND, OPTIONS)")
        result[key.lower()] = value
    return result


def build_configured(config: Mapping[Any, Any]) -> object:
    """Return ``import_string(BACKEND)(**OPTIONS)`` for a BACKEND/OPTIONS dict."""
    given = _keyed(config)
    dotted = given.get("backend")
    if not isinstance(dotted, str) or not dotted:
        raise SnapshotConfigurationError(f"'BACKEND' must be a dotted path string, got {dotted!r}")
    options: object = given.get("options", {})
    if not is_mapping(options):
        raise SnapshotConfigurationError(f"'OPTIONS' must be a dict, got {type(options).__name__}")
    if not all(isinstance(name, str) for name in options):
        raise SnapshotConfigurationError("'OPTIONS' keys must be strings")
    try:
        factory = import_string(dotted)
    except ImportError as error:
        raise SnapshotConfigurationError(f"cannot import BACKEND {dotted!r}: {error}") from None
    try:
        return factory(**options)
    except ImproperlyConfigured as error:
        # The backend explains its own options; keep its words.
        raise SnapshotConfigurationError(f"{dotted}: {error}") from None
    except Exception as error:  # noqa: BLE001 - user code may raise anything
        raise SnapshotConfigurationError(
            f"building {dotted} with OPTIONS failed: {type(error).__name__}: {error}"
        ) from None
