"""The environment artifact: pip freeze captured, compared on restore, never installed."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from django_snapshots.artifacts.environment import (
    EnvironmentArtifactExporter,
    EnvironmentArtifactImporter,
    EnvironmentDiff,
    PackageChange,
    diff_environment,
    environment_importer_factory,
)
from django_snapshots.manifest import ArtifactRecord


def test_exporter_writes_pip_freeze_stored_uncompressed(tmp_path: Path) -> None:
    """The exporter writes this environment's requirement lines and asks for no compression."""
    exporter = EnvironmentArtifactExporter()
    assert (exporter.artifact_type, exporter.filename) == ("environment", "requirements.txt")
    assert exporter.metadata["compression"] == "none"
    assert isinstance(exporter.metadata["pip_version"], str)
    dest = tmp_path / "requirements.txt"
    exporter.generate(dest)
    lines = dest.read_text(encoding="utf-8").splitlines()
    assert any(line.lower().startswith("django==") for line in lines)


def test_diff_reports_added_removed_and_changed_packages() -> None:
    """Names are compared normalised; versions and sources that differ are changes."""
    diff = diff_environment(
        ["Django==5.2.1", "typing_extensions==4.12.0", "old-thing==1.0", "# comment", ""],
        ["django==5.2.19", "typing-extensions==4.12.0", "new.thing==2.0"],
    )
    assert diff == EnvironmentDiff(
        added=["new.thing==2.0"],
        removed=["old-thing==1.0"],
        changed=[PackageChange("django", "Django==5.2.1", "django==5.2.19")],
    )
    assert not diff.is_empty
    assert diff.lines() == [
        "- old-thing==1.0",
        "+ new.thing==2.0",
        "~ Django==5.2.1 -> django==5.2.19",
    ]
    assert diff_environment(["a==1"], ["A==1"]).is_empty
    assert diff_environment(["a==1"], ["a @ file:///src/a"]).changed == [
        PackageChange("a", "a==1", "a @ file:///src/a")
    ]
    assert diff_environment(["a==1"], ["a==1"]).is_empty


def test_importer_reports_the_difference_and_installs_nothing(tmp_path: Path) -> None:
    """restore() keeps the diff, passes it to the report callback and changes nothing."""
    src = tmp_path / "requirements.txt"
    src.write_text("Django==4.2\nrequests==2.0\n")
    reports: list[EnvironmentDiff] = []
    importer = EnvironmentArtifactImporter(report=reports.append, current=["Django==5.2"])
    importer.restore(src)
    assert importer.diff == EnvironmentDiff(
        removed=["requests==2.0"], changed=[PackageChange("django", "Django==4.2", "Django==5.2")]
    )
    assert reports == [importer.diff]


def test_importer_never_fails_on_an_unreadable_file(tmp_path: Path) -> None:
    """A missing or undecodable requirements file is logged, not raised."""
    importer = EnvironmentArtifactImporter(current=[])
    importer.restore(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa")
    importer.restore(bad)
    assert importer.diff is None


def test_factory_passes_the_report_callback(tmp_path: Path) -> None:
    """The factory's importers call its report callback with the difference."""
    record = ArtifactRecord(
        type="environment",
        filename="requirements.txt",
        size=0,
        checksum="sha256:00",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    reports: list[EnvironmentDiff] = []
    importer = environment_importer_factory(report=reports.append)(record)
    assert isinstance(importer, EnvironmentArtifactImporter)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("surely-not-installed-package==1.0\n")
    importer.restore(requirements)
    assert [diff.removed for diff in reports] == [["surely-not-installed-package==1.0"]]
    assert environment_importer_factory()(record).report is None
