"""Sizes written for people: the one place that turns byte counts into ``12.3 MiB``."""

from __future__ import annotations

__all__ = ["format_size"]


def format_size(size: int) -> str:
    """Return ``size`` bytes in a short human unit (``512 B``, ``12.3 MiB``)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
