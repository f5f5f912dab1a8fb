"""Command-line usage errors as one line: what is wrong and, where known, the fix.

Click prints a usage error with a help box; the ``snapshots`` command prints
:func:`usage_line` instead. Django's own options only work straight after
``snapshots``, so a misplaced one says where it goes.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from typing import cast

__all__ = ["USAGE_ERRORS", "usage_line"]

_DJANGO_OPTIONS = frozenset(
    {
        "--settings",
        "--pythonpath",
        "--traceback",
        "--verbosity",
        "-v",
        "--no-color",
        "--force-color",
        "--skip-checks",
    }
)
"""Django's own options, which only work straight after ``snapshots``."""


def _click_classes(name: str) -> tuple[type[Exception], ...]:
    """Return click's exception class ``name`` and typer's vendored copy (newer typer)."""
    found: list[type[Exception]] = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        with contextlib.suppress(ImportError, AttributeError):
            found.append(getattr(importlib.import_module(module), name))
    return tuple(found)


USAGE_ERRORS = _click_classes("UsageError")
_NO_SUCH_OPTION = _click_classes("NoSuchOption")


def usage_line(error: Exception) -> str:
    """Return the one line a usage error prints: what is wrong and, if known, the fix."""
    option = getattr(error, "option_name", None)
    if isinstance(error, _NO_SUCH_OPTION) and option in _DJANGO_OPTIONS:
        return (
            f"{option} is one of Django's options: put it straight after "
            f"'snapshots' (manage.py snapshots {option} ... <subcommand> ...)"
        )
    format_message = cast("Callable[[], str]", getattr(error, "format_message", error.__str__))
    return " ".join(format_message().split())
