"""Static verification is part of the test suite: mypy, pyright and verifytypes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.typing


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_mypy_strict_reports_no_errors() -> None:
    """mypy --strict with the django-stubs plugin passes on package, typing_tests and tests."""
    result = _run(sys.executable, "-m", "mypy", "--config-file", "mypy.ini")
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_strict_reports_no_errors() -> None:
    """pyright in strict mode passes on package, typing_tests and tests."""
    pyright = shutil.which("pyright")
    assert pyright is not None, "pyright is not installed: pip install -e '.[dev]'"
    result = _run(pyright)
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_api_is_fully_typed() -> None:
    """pyright --verifytypes scores the package's public API at 100%."""
    pyright = shutil.which("pyright")
    assert pyright is not None, "pyright is not installed: pip install -e '.[dev]'"
    result = _run(pyright, "--verifytypes", "django_snapshots", "--ignoreexternal")
    match = re.search(r"Type completeness score:\s*([\d.]+)%", result.stdout)
    assert match is not None, result.stdout + result.stderr
    assert float(match.group(1)) == 100.0, result.stdout
