"""The public API is exactly what docs/api.md documents, and all of it is importable."""

from __future__ import annotations

import re
from pathlib import Path

import django_snapshots

API_DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def _documented_names() -> set[str]:
    """Return the names listed as ``- `name` `` bullets in docs/api.md."""
    return set(re.findall(r"^- `([A-Za-z_][A-Za-z0-9_]*)`", API_DOC.read_text(), re.MULTILINE))


def test_all_matches_documented_names() -> None:
    """``django_snapshots.__all__`` lists exactly the names docs/api.md documents."""
    assert set(django_snapshots.__all__) == _documented_names()


def test_all_is_sorted_and_unique() -> None:
    """``__all__`` is one sorted list without duplicates."""
    names = list(django_snapshots.__all__)
    assert names == sorted(set(names))


def test_every_exported_name_resolves() -> None:
    """Every name in ``__all__`` is an attribute of the package."""
    missing = [name for name in django_snapshots.__all__ if not hasattr(django_snapshots, name)]
    assert missing == []
