"""docs/commands.md documents exactly the options the real ``--help`` shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from django_snapshots.management.commands.snapshots import Command

DOC = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
HEADING = re.compile(r"^#{2,3} `snapshots ([^`]*)`", re.MULTILINE)
OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")


def _documented() -> dict[tuple[str, ...], set[str]]:
    """Map each documented command path to the options its tables list."""
    text = DOC.read_text(encoding="utf-8")
    sections: dict[tuple[str, ...], set[str]] = {}
    matches = list(HEADING.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        path = tuple(word for word in match.group(1).split() if word.islower())
        rows = [
            line.split("|")[1]
            for line in text[match.end() : end].splitlines()
            if line.startswith("| `-")
        ]
        sections[path] = {option for row in rows for option in OPTION.findall(row)}
    return sections


def _help_options(*path: str) -> set[str]:
    """Return the options the real ``--help`` of ``snapshots *path`` lists."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        call_command("snapshots", *path, "--help", stdout=out)
    text = out.getvalue()
    panel = text[text.index("Options") : text.index("╰", text.index("Options"))]
    return set(OPTION.findall(panel)) - {"--help"}


def _command_paths() -> list[tuple[str, ...]]:
    """Return every subcommand path of the installed ``snapshots`` command."""
    root = Command().get_subcommand()
    paths: list[tuple[str, ...]] = []
    for name, child in root.children.items():
        paths.append((name,))
        paths.extend((name, grandchild) for grandchild in child.children)
    return paths


def test_every_command_is_documented() -> None:
    """Each subcommand and artifact subcommand has a section in docs/commands.md."""
    assert set(_command_paths()) <= set(_documented())


@pytest.mark.parametrize("path", _command_paths(), ids=" ".join)
def test_documented_options_match_help(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The options documented for a command are exactly those its --help lists."""
    monkeypatch.setenv("COLUMNS", "250")
    assert _documented()[path] == _help_options(*path)
