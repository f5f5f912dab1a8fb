"""The README's two commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL)]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run contains the README's second command (the test command) verbatim."""
    test_command = _bash_blocks()[1]
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_first_command_installs_and_backs_up() -> None:
    """The README's first command installs the package and runs a backup of the example."""
    first = _bash_blocks()[0]
    assert "pip install -e ." in first and "snapshots backup" in first
