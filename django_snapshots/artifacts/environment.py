"""The environment artifact: ``pip freeze`` as ``requirements.txt``, and its comparison.

Restoring it installs nothing: :class:`EnvironmentArtifactImporter` compares the
snapshot's requirements with the running environment and reports an
:class:`EnvironmentDiff`. It never fails a restore.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django_snapshots.manifest import ArtifactRecord

__all__ = [
    "ENVIRONMENT_ARTIFACT_TYPE",
    "REQUIREMENTS_FILENAME",
    "EnvironmentArtifactExporter",
    "EnvironmentArtifactImporter",
    "EnvironmentDiff",
    "EnvironmentReport",
    "PackageChange",
    "diff_environment",
    "environment_importer_factory",
    "pip_freeze",
    "pip_version",
]

ENVIRONMENT_ARTIFACT_TYPE = "environment"
"""The artifact type of the environment capture."""

REQUIREMENTS_FILENAME = "requirements.txt"
"""The environment artifact's file name (stored uncompressed, as 0.1.0b1 did)."""

_logger = logging.getLogger(__name__)

_PIP_TIMEOUT = 120


def pip_freeze() -> list[str]:
    """Return the running environment's ``pip freeze`` lines.

    Falls back to ``name==version`` of every installed distribution (sorted) when pip
    cannot run, as in environments made without pip.
    """
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "freeze"],
            capture_output=True,
            text=True,
            check=False,
            timeout=_PIP_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired):
        result = None
    if result is not None and result.returncode == 0:
        return [line for line in result.stdout.splitlines() if line.strip()]
    found: set[str] = set()
    for distribution in importlib.metadata.distributions():
        name, version = distribution.metadata["Name"], distribution.version
        if name and version:
            found.add(f"{name}=={version}")
    return sorted(found, key=str.lower)


def pip_version() -> str:
    """Return the installed pip's version, or ``"unknown"``."""
    try:
        return importlib.metadata.version("pip")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class PackageChange:
    """A package present in both environments with different requirement lines."""

    name: str
    """The package's normalised name."""
    snapshot: str
    """Its line in the snapshot's requirements."""
    current: str
    """Its line in the running environment."""


@dataclass(frozen=True)
class EnvironmentDiff:
    """How the running environment differs from a snapshot's requirements."""

    added: list[str] = field(default_factory=list[str])
    """Lines of packages installed now but absent from the snapshot."""
    removed: list[str] = field(default_factory=list[str])
    """Lines of packages in the snapshot but not installed now."""
    changed: list[PackageChange] = field(default_factory=list[PackageChange])
    """Packages in both, at different versions or sources."""

    @property
    def is_empty(self) -> bool:
        """Return True if the environments match."""
        return not (self.added or self.removed or self.changed)

    def lines(self) -> list[str]:
        """Return the differences as ``+ line``, ``- line`` and ``~ old -> new`` lines."""
        return (
            [f"- {line}" for line in self.removed]
            + [f"+ {line}" for line in self.added]
            + [f"~ {change.snapshot} -> {change.current}" for change in self.changed]
        )


_NAME = re.compile(r"^\s*(?:-e\s+\S*#egg=)?([A-Za-z0-9][A-Za-z0-9._-]*)")


def _split(line: str) -> tuple[str, str]:
    """Return a requirement line's normalised package name and the rest of the line."""
    match = _NAME.match(line)
    if match is None:
        return line, ""
    return re.sub(r"[-_.]+", "-", match.group(1)).lower(), line[match.end() :].strip()


def _by_package(lines: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Map package names to ``(line, version part)``, ignoring blanks and comments."""
    result: dict[str, tuple[str, str]] = {}
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            name, rest = _split(stripped)
            result[name] = (stripped, rest)
    return result


def diff_environment(snapshot: Iterable[str], current: Iterable[str]) -> EnvironmentDiff:
    """Compare requirement lines of a snapshot with those of the running environment.

    Package names compare normalised (``typing_extensions`` is ``Typing-Extensions``);
    a package is changed when the rest of its line (version, source) differs.
    """
    before, after = _by_package(snapshot), _by_package(current)
    return EnvironmentDiff(
        added=[after[key][0] for key in sorted(after.keys() - before.keys())],
        removed=[before[key][0] for key in sorted(before.keys() - after.keys())],
        changed=[
            PackageChange(key, before[key][0], after[key][0])
            for key in sorted(before.keys() & after.keys())
            if before[key][1] != after[key][1]
        ],
    )


class EnvironmentArtifactExporter:
    """Capture ``pip freeze`` as ``requirements.txt``, stored uncompressed."""

    artifact_type: str = ENVIRONMENT_ARTIFACT_TYPE
    """Always ``"environment"`` (also readable on the class, as in 0.1.0b1)."""
    filename: str
    """Always ``"requirements.txt"``."""
    metadata: dict[str, Any]
    """``{"pip_version": ..., "compression": "none"}``."""

    def __init__(self) -> None:
        """Capture the running environment."""
        self.filename = REQUIREMENTS_FILENAME
        self.metadata = {"pip_version": pip_version(), "compression": "none"}

    def generate(self, dest: Path) -> None:
        """Write the ``pip freeze`` lines to ``dest``."""
        lines = pip_freeze()
        dest.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


EnvironmentReport = Callable[[EnvironmentDiff], None]
"""Receives the difference an :class:`EnvironmentArtifactImporter` found."""


class EnvironmentArtifactImporter:
    """Compare a snapshot's ``requirements.txt`` with the running environment.

    It installs nothing and never raises: the difference is kept in :attr:`diff`,
    logged, and passed to ``report`` if given.
    """

    artifact_type: str = ENVIRONMENT_ARTIFACT_TYPE
    """Always ``"environment"`` (also readable on the class, as in 0.1.0b1)."""
    report: EnvironmentReport | None
    """Called with the difference after each :meth:`restore`."""
    diff: EnvironmentDiff | None
    """The last difference found, or None before :meth:`restore` (or if unreadable)."""
    check_only: bool
    """0.1.0b1's ``restore environment --check-only`` flag, kept for code that sets it.

    The CLI's ``--check-only`` decides whether other artifacts are restored; the
    importer compares and changes nothing either way."""

    def __init__(
        self,
        report: EnvironmentReport | None = None,
        current: Sequence[str] | None = None,
        *,
        check_only: bool = False,
    ) -> None:
        """Compare against ``current`` lines (default: ``pip freeze`` at restore time)."""
        self.report = report
        self.check_only = check_only
        self.diff = None
        self._current = None if current is None else list(current)

    def restore(self, src: Path) -> None:
        """Compare the requirements at ``src`` with the environment; never raise."""
        try:
            snapshot = src.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            _logger.warning("cannot read the snapshot's requirements %s: %s", src, error)
            return
        current = self._current if self._current is not None else pip_freeze()
        self.diff = diff_environment(snapshot, current)
        if self.diff.is_empty:
            _logger.info("the environment matches the snapshot's requirements")
        else:
            _logger.warning(
                "the environment differs from the snapshot's requirements:\n%s",
                "\n".join(self.diff.lines()),
            )
        if self.report is not None:
            self.report(self.diff)


def environment_importer_factory(
    report: EnvironmentReport | None = None,
) -> Callable[[ArtifactRecord], EnvironmentArtifactImporter]:
    """Return an importer factory making comparing importers that call ``report``."""

    def factory(record: ArtifactRecord) -> EnvironmentArtifactImporter:
        return EnvironmentArtifactImporter(report=report)

    return factory
