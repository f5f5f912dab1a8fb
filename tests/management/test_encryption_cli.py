"""Encryption on the command line: keygen, an encrypted backup, restores with and without keys."""

from __future__ import annotations

import pytest

from tests.management.conftest import Project, assert_one_line_failure, call

ENCRYPTED = "tests.management.encrypted_settings"


def _keys() -> dict[str, str]:
    """Return fresh keys from ``snapshots keygen`` and ``keygen --signing`` output."""
    identity_lines = call("keygen").splitlines()
    signing_lines = call("keygen", "--signing").splitlines()
    return {
        "SNAPSHOTS_TEST_IDENTITY": next(
            line for line in identity_lines if line.startswith("AGE-SECRET-KEY-1")
        ),
        "SNAPSHOTS_TEST_RECIPIENT": next(
            line.split()[-1] for line in identity_lines if line.startswith("# public key:")
        ),
        "SNAPSHOTS_TEST_SIGNING_KEY": next(
            line for line in signing_lines if line and not line.startswith("#")
        ),
    }


def test_keygen_output_configures_an_encrypted_project(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys printed by keygen back up encrypted; info says so; a key-less restore is one line."""
    for name, value in _keys().items():
        monkeypatch.setenv(name, value)
    project.manage("snapshots", "backup", "--name", "e", settings_module=ENCRYPTED, check=True)
    info = project.manage("snapshots", "info", "e", check=True).stdout
    assert ("Encrypted: yes (age" in info and "Sealed:    yes (ed25519" in info.lower()) or (
        "Sealed:" in info and "no" not in info.split("Sealed:")[1].splitlines()[0]
    )
    assert project.manage("snapshots", "verify", "e").returncode == 0  # no key needed
    assert_one_line_failure(
        project.manage("snapshots", "restore", "--name", "e", "--noinput"),
        "is encrypted: set SNAPSHOTS['ENCRYPTION']",
    )
    restored = project.manage(
        "snapshots", "restore", "--name", "e", "--noinput", settings_module=ENCRYPTED
    )
    assert restored.returncode == 0, restored.stderr
