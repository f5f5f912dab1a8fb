"""Registration of the built-in artifact types (database, media, environment)."""

from __future__ import annotations

__all__ = ["register_builtin_artifact_types"]


def register_builtin_artifact_types() -> None:
    """Register the built-in artifact types in the artifact registry."""
