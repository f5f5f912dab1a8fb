"""Fixtures of the command tests: isolated storage and media, and a subprocess runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_MEDIA = ROOT / "tests" / "example" / "media"
MANAGE = ROOT / "tests" / "example" / "manage.py"


@pytest.fixture
def storage_dir(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """Point SNAPSHOTS storage and MEDIA_ROOT at fresh folders; return the storage folder."""
    media = tmp_path / "media"
    shutil.copytree(EXAMPLE_MEDIA, media)
    settings.MEDIA_ROOT = str(media)
    location = tmp_path / "snapshots"
    location.mkdir()  # reads of a missing location fail; an empty one lists nothing
    settings.SNAPSHOTS = {
        "STORAGE": {
            "BACKEND": "django_snapshots.storage.LocalFileSystemBackend",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


def call(*args: str, **options: Any) -> str:
    """Run ``manage.py snapshots *args`` in-process and return its stdout."""
    out = StringIO()
    call_command("snapshots", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


class Project:
    """The example project in its own var folder, driven through ``manage.py`` subprocesses."""

    def __init__(
        self,
        var: Path,
        settings_module: str = "tests.management.cli_settings",
        *,
        migrate: bool = True,
    ) -> None:
        """Prepare ``var`` (media copy, notes file) and, unless told not to, migrate."""
        self.var = var
        self.settings_module = settings_module
        if not (var / "media").exists():
            shutil.copytree(EXAMPLE_MEDIA, var / "media")
            (var / "snapshots").mkdir()  # an empty storage (a missing one is an error)
            (var / "notes.txt").write_text("first notes\n", encoding="utf-8")
        if migrate:
            self.manage("migrate", "-v0", check=True)

    @property
    def storage(self) -> Path:
        """Return the folder the project's snapshots are stored in."""
        return self.var / "snapshots"

    def manage(
        self, *args: str, check: bool = False, stdin: str = "", settings_module: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``manage.py *args`` and return the finished process."""
        env = {
            **os.environ,
            "SNAPSHOTS_EXAMPLE_VAR": str(self.var),
            "DJANGO_SETTINGS_MODULE": settings_module or self.settings_module,
            "COLUMNS": "200",
        }
        result = subprocess.run(
            [sys.executable, str(MANAGE), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
            timeout=300,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def snapshots_on_terminal(self, *args: str, answer: str = "") -> tuple[int, str]:
        """Run ``manage.py snapshots *args`` on a pseudo-terminal, typing ``answer``.

        Return the exit status and everything the terminal showed.
        """
        import pty
        import select

        env = {
            **os.environ,
            "SNAPSHOTS_EXAMPLE_VAR": str(self.var),
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "COLUMNS": "200",
            "TERM": "xterm",
        }
        controller, terminal = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "snapshots", *args],
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env=env,
            cwd=ROOT,
        )
        os.close(terminal)
        os.write(controller, answer.encode())
        shown = b""
        while True:
            ready, _, _ = select.select([controller], [], [], 120)
            if not ready:
                process.kill()
                break
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process has exited
                break
            if not chunk:
                break
            shown += chunk
        os.close(controller)
        return process.wait(timeout=60), shown.decode(errors="replace")

    def snapshots(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """Run ``manage.py snapshots *args``."""
        return self.manage("snapshots", *args, **kwargs)


def assert_one_line_failure(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    """Assert a non-zero exit with exactly one stderr line containing ``fragment``."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0], result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Return a freshly migrated example project in a temporary var folder."""
    return Project(tmp_path / "var")


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """Return one migrated example project shared by a module's read-only tests."""
    yield Project(tmp_path_factory.mktemp("shared") / "var")
