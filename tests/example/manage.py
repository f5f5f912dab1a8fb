#!/usr/bin/env python
"""Run management commands of the example project from any directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    """Put the repository on the path and hand over to Django."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.example.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
