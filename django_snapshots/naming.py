"""Snapshot names: the naming rule and the ``SNAPSHOT_NAME`` template.

A name is one safe storage path component: it starts with a letter or digit, holds
only letters, digits, ``.``, ``_``, ``+`` and ``-``, and never ends in ``.tar`` (the
archive suffix). Templates use ``{timestamp_utc}`` (``2026-03-13T12-00-00-UTC``, as
django-snapshots 0.1.0b1 writes it) and ``{hostname}``.
"""

from __future__ import annotations

import re
import socket
import string
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Final

from django_snapshots.exceptions import SnapshotNameError

__all__ = [
    "ARCHIVE_SUFFIX",
    "NAME_FIELDS",
    "TIMESTAMP_FORMAT",
    "is_valid_name",
    "render_name",
    "template_fields",
    "validate_name",
]

ARCHIVE_SUFFIX: Final = ".tar"
"""Suffix of an archive-format snapshot; no name may end with it."""

TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H-%M-%S-UTC"
"""``strftime`` format of ``{timestamp_utc}``."""

NAME_FIELDS: Final = frozenset({"timestamp_utc", "hostname"})
"""The fields a ``SNAPSHOT_NAME`` template may use."""

_NAME_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_UNSAFE_RE: Final = re.compile(r"[^A-Za-z0-9._+-]")


def is_valid_name(name: str) -> bool:
    """Return True if ``name`` follows the naming rule."""
    return _NAME_RE.fullmatch(name) is not None and not name.endswith(ARCHIVE_SUFFIX)


def validate_name(name: str) -> str:
    """Return ``name`` if it follows the naming rule; raise :class:`SnapshotNameError` if not."""
    if not is_valid_name(name):
        raise SnapshotNameError(
            f"invalid snapshot name {name!r}: it must start with a letter or digit, hold "
            f"only letters, digits, '.', '_', '+' and '-', and not end in {ARCHIVE_SUFFIX!r}"
        )
    return name


def template_fields(template: str) -> set[str]:
    """Return the field names a ``SNAPSHOT_NAME`` template uses.

    Raise :class:`SnapshotNameError` for a malformed template, a field outside
    :data:`NAME_FIELDS`, or a format spec or conversion (only plain ``{field}``).
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise SnapshotNameError(f"malformed snapshot name template {template!r}: {error}") from None
    fields: set[str] = set()
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in NAME_FIELDS:
            raise SnapshotNameError(
                f"snapshot name template {template!r} uses unknown field {{{field}}}; "
                f"known fields: {', '.join(sorted(NAME_FIELDS))}"
            )
        if spec or conversion:
            raise SnapshotNameError(
                f"snapshot name template {template!r}: field {{{field}}} takes no format spec"
            )
        fields.add(field)
    return fields


def _hostname_component() -> str:
    """Return this host's name with characters the naming rule forbids replaced."""
    return _UNSAFE_RE.sub("-", socket.gethostname()) or "host"


def render_name(
    template: str | Callable[[datetime], str], created_at: datetime | None = None
) -> str:
    """Return the snapshot name ``template`` gives for ``created_at`` (default: now).

    A callable receives the timezone-aware UTC time. The result must follow the
    naming rule, or :class:`SnapshotNameError` is raised.
    """
    moment = (created_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    if callable(template):
        name = template(moment)
        if not isinstance(name, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise SnapshotNameError(
                f"SNAPSHOT_NAME callable returned {type(name).__name__}, not str"
            )
    else:
        fields = template_fields(template)
        values = {
            "timestamp_utc": moment.strftime(TIMESTAMP_FORMAT),
            "hostname": _hostname_component() if "hostname" in fields else "",
        }
        name = template.format(**values)
    return validate_name(name)
