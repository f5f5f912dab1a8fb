"""Static verification is part of the test suite: ruff, mypy, pyright and verifytypes.

Every tool runs from the interpreter that runs pytest (``python -m ...``), never
whatever is first on ``PATH``.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.typing


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def _module(name: str) -> None:
    assert importlib.util.find_spec(name) is not None, (
        f"{name} is not installed for {sys.executable}: pip install -e '.[dev]'"
    )


def test_ruff_reports_nothing() -> None:
    """ruff check (rules in pyproject.toml) and ruff format --check pass on the repository."""
    _module("ruff")
    lint = _run(sys.executable, "-m", "ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatted = _run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_mypy_strict_reports_no_errors() -> None:
    """mypy --strict with the django-stubs plugin passes on package, typing_tests and tests."""
    result = _run(sys.executable, "-m", "mypy", "--config-file", "mypy.ini")
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_strict_reports_no_errors() -> None:
    """pyright in strict mode passes on package, typing_tests and tests."""
    _module("pyright")
    result = _run(sys.executable, "-m", "pyright")
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_api_is_fully_typed() -> None:
    """pyright --verifytypes scores the package's public API at 100%."""
    _module("pyright")
    result = _run(
        sys.executable, "-m", "pyright", "--verifytypes", "django_snapshots", "--ignoreexternal"
    )
    match = re.search(r"Type completeness score:\s*([\d.]+)%", result.stdout)
    assert match is not None, result.stdout + result.stderr
    assert float(match.group(1)) == 100.0, result.stdout
