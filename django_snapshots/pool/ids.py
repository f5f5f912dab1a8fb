"""Content ids: how a chunk of content is named in the pool.

A content id is the 64-character lowercase hex digest of a chunk's plain bytes under a
:class:`ContentIds` scheme. Without encryption the scheme is plain sha256
(:class:`Sha256Ids`); with a key it is HMAC-SHA256 under that key
(:class:`HmacSha256Ids`), so an id says nothing about the content to someone without
the key (as restic and borg do). Each scheme has a ``fingerprint`` that names the pool
folder its content lives in, so content named under two schemes never mixes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

from typing_extensions import Protocol, runtime_checkable

__all__ = [
    "ID_BYTES",
    "ContentIds",
    "Hasher",
    "HmacSha256Ids",
    "Sha256Ids",
    "content_id",
    "is_content_id",
]

ID_BYTES: Final = 32
"""Length of a content id in bytes (64 hex characters)."""

_HEX_ID: Final = re.compile(r"[0-9a-f]{64}")
_NAMESPACE_MESSAGE: Final = b"django-snapshots pool namespace v1"


@runtime_checkable
class Hasher(Protocol):
    """A running digest, such as ``hashlib.sha256()`` or ``hmac.new(...)``."""

    def update(self, data: bytes, /) -> None:
        """Feed ``data`` to the digest."""
        ...

    def hexdigest(self) -> str:
        """Return the digest of everything fed so far, as lowercase hex."""
        ...


@runtime_checkable
class ContentIds(Protocol):
    """A content-id scheme: a 32-byte digest of a chunk's plain bytes.

    Implementations must be deterministic (the same bytes always give the same id),
    collision resistant, and, when keyed, reveal nothing about the content without
    the key.
    """

    name: str
    """The scheme recorded in file lists, such as ``"sha256"`` or ``"hmac-sha256"``."""

    fingerprint: str
    """A path-safe name of this scheme and key (letters, digits, ``-``): the pool folder."""

    def hasher(self) -> Hasher:
        """Return a fresh digest whose ``hexdigest()`` is the content id."""
        ...


class Sha256Ids:
    """Plain sha256 content ids: for pools whose content is not encrypted."""

    def __init__(self) -> None:
        """Create the scheme (it has no parameters)."""
        self.name: str = "sha256"
        self.fingerprint: str = "sha256"

    def __repr__(self) -> str:
        """Return ``Sha256Ids()``."""
        return "Sha256Ids()"

    def hasher(self) -> Hasher:
        """Return a fresh sha256."""
        return hashlib.sha256()


class HmacSha256Ids:
    """Keyed content ids, HMAC-SHA256 under ``key``: ids reveal nothing without the key.

    The fingerprint is derived from the key (an HMAC of a fixed message), so two keys
    never share a pool folder and the folder name reveals nothing about the key.
    """

    def __init__(self, key: bytes) -> None:
        """Name content under ``key`` (at least 16 bytes)."""
        if len(key) < 16:
            raise ValueError("a content-id key must be at least 16 bytes long")
        self._key = bytes(key)
        self.name: str = "hmac-sha256"
        digest = hmac.new(self._key, _NAMESPACE_MESSAGE, hashlib.sha256).hexdigest()
        self.fingerprint: str = f"hmac-{digest[:16]}"

    def __repr__(self) -> str:
        """Return ``HmacSha256Ids(<fingerprint>)`` without the key."""
        return f"HmacSha256Ids({self.fingerprint})"

    def hasher(self) -> Hasher:
        """Return a fresh HMAC-SHA256 under the key."""
        return hmac.new(self._key, digestmod=hashlib.sha256)


def content_id(ids: ContentIds, data: bytes) -> str:
    """Return the content id of ``data`` under ``ids``."""
    hasher = ids.hasher()
    hasher.update(data)
    return hasher.hexdigest()


def is_content_id(text: object) -> bool:
    """Return True if ``text`` is a well-formed content id (64 lowercase hex)."""
    return isinstance(text, str) and _HEX_ID.fullmatch(text) is not None
